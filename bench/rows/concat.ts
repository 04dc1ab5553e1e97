import { bareConcat, warmPageCache } from '../bare.js';
import type { BenchContext, Row } from '../context.js';
import { checkConcat } from '../frames.js';
import { secs } from '../measure.js';
import { measureBesideBare } from './beside-bare.js';

const PIECE_SECONDS = [60, 60];
const MAX_RATIO = 1.2;

export const concatRow: Row = {
  key: 'concat',
  title: 'concat of two compatible 60 s pieces',
  target: `ratio ≤ ${MAX_RATIO}`,
  timeoutMs: 15 * 60_000,
  async measure(ctx: BenchContext) {
    const pieces = ctx.media.pieces;
    const ids = [await ctx.uploaded(pieces[0]), await ctx.uploaded(pieces[1])];
    for (const p of pieces) await warmPageCache(p);
    const m = await measureBesideBare(ctx, {
      bare: () => bareConcat([...pieces], ctx.scratch),
      record: () => ctx.api.concat(ids),
      check: (f) => checkConcat(f, PIECE_SECONDS),
    });
    const ratio = m.serviceSec / m.bareSec;
    return {
      service: `${secs(m.serviceSec)} · ${m.exactness.label} · ${m.methods.join('/')}`,
      beside: secs(m.bareSec),
      verdict: `ratio ${ratio.toFixed(2)}`,
      pass: ratio <= MAX_RATIO && m.exactness.exact,
      exact: m.exactness.exact,
      data: { bareSec: m.bare, serviceSec: m.service, ratio, methods: m.methods, phases: m.phases, checks: m.exactness.notes },
    };
  },
};

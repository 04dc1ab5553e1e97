import { bareCopyTrim, warmPageCache } from '../bare.js';
import type { BenchContext, Row } from '../context.js';
import { checkTrim } from '../frames.js';
import { secs } from '../measure.js';
import { SMALL_SIZE } from '../spec.js';
import { measureBesideBare } from './beside-bare.js';

const START = 30.5;
const END = 90.5;
const MAX_OVER_COPY_SEC = 1;

/** A smart cut of a small source, where the fixed costs are most of the time: beside a bare copy of the same range. */
export const accurateTrimSmallRow: Row = {
  key: 'accurate-small',
  title: `accurate trim ${START}–${END} s of a ${SMALL_SIZE} source`,
  target: `≤ bare copy trim + ${MAX_OVER_COPY_SEC} s`,
  timeoutMs: 20 * 60_000,
  async measure(ctx: BenchContext) {
    const videoId = await ctx.uploaded(ctx.media.small);
    await warmPageCache(ctx.media.small);
    const m = await measureBesideBare(ctx, {
      bare: () => bareCopyTrim(ctx.media.small, START, END, ctx.scratch),
      record: () => ctx.api.trim(videoId, START, END, 'accurate'),
      check: (f) => checkTrim(f, START, END, 'accurate'),
    });
    const overSec = m.serviceSec - m.bareSec;
    return {
      service: `${secs(m.serviceSec)} · ${m.exactness.label} · method ${m.methods.join('/')}`,
      beside: `bare copy ${secs(m.bareSec)}`,
      verdict: `+${secs(overSec)} over a bare copy`,
      pass: overSec <= MAX_OVER_COPY_SEC && m.exactness.exact,
      exact: m.exactness.exact,
      data: { bareSec: m.bare, serviceSec: m.service, overSec, methods: m.methods, phases: m.phases, checks: m.exactness.notes },
    };
  },
};

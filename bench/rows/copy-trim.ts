import { bareCopyTrim, warmPageCache } from '../bare.js';
import type { BenchContext, Row } from '../context.js';
import { checkTrim } from '../frames.js';
import { secs } from '../measure.js';
import { measureBesideBare } from './beside-bare.js';

const START = 120;
const END = 420;
const MAX_RATIO = 1.2;

export async function measureBareCopyTrim(ctx: BenchContext): Promise<number> {
  return bareCopyTrim(ctx.media.source, START, END, ctx.scratch);
}

export const copyTrimRow: Row = {
  key: 'copy',
  title: `copy trim ${START}–${END} s`,
  target: `ratio ≤ ${MAX_RATIO}`,
  timeoutMs: 20 * 60_000,
  async measure(ctx: BenchContext) {
    const videoId = await ctx.uploaded(ctx.media.source);
    await warmPageCache(ctx.media.source);
    const m = await measureBesideBare(ctx, {
      bare: () => measureBareCopyTrim(ctx),
      record: () => ctx.api.trim(videoId, START, END, 'copy'),
      check: (f) => checkTrim(f, START, END, 'copy'),
    });
    ctx.shared.bareCopySec = m.bareSec;
    const ratio = m.serviceSec / m.bareSec;
    const offsets = [...new Set(m.checks.map((c) => (c.startOffsetSec === null ? '?' : `${c.startOffsetSec.toFixed(3)} s`)))];
    const ends = [...new Set(m.checks.map((c) => (c.lateFrames === null ? '?' : `${c.lateFrames > 0 ? '+' : ''}${c.lateFrames}`)))];
    const endNote = ends.length === 1 && ends[0] === '0' ? '' : ` · ends ${ends.join('/')} frames off`;
    return {
      service: `${secs(m.serviceSec)} · ${m.exactness.label} · start offset ${offsets.join('/')}${endNote} · ${m.methods.join('/')}`,
      beside: secs(m.bareSec),
      verdict: `ratio ${ratio.toFixed(2)}`,
      pass: ratio <= MAX_RATIO && m.exactness.exact,
      exact: m.exactness.exact,
      data: {
        bareSec: m.bare, serviceSec: m.service, ratio, methods: m.methods, phases: m.phases, checks: m.exactness.notes,
        startOffsetSec: m.checks.map((c) => c.startOffsetSec), lateFrames: m.checks.map((c) => c.lateFrames),
      },
    };
  },
};

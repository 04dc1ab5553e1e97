import { bareCopyTrim, settle, warmPageCache } from '../bare.js';
import { jobPhases } from '../api.js';
import type { BenchContext, Row } from '../context.js';
import { checkTrim } from '../frames.js';
import { median, secs } from '../measure.js';
import { checkJobOutput, summarizeExactness } from '../output-check.js';

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
    const bare: number[] = [];
    const service: number[] = [];
    const checks = [];
    const phases = [];
    const methods = new Set<string>();
    for (let i = 0; i < ctx.runs; i++) {
      await settle();
      bare.push(await measureBareCopyTrim(ctx));
      await settle();
      const job = await ctx.api.trim(videoId, START, END, 'copy');
      const done = await ctx.api.runAndWait(job.id, 10 * 60_000);
      service.push(done.seconds);
      phases.push(jobPhases(done.job));
      methods.add(done.job.method ?? 'unknown');
      ctx.shared.sampleJobId ??= job.id;
      checks.push(await checkJobOutput(ctx, done.job, (f) => checkTrim(f, START, END, 'copy')));
      ctx.log(`  run ${i + 1}: bare ${secs(bare[i]!)}, service ${secs(done.seconds)}, ${checks[i]!.exact ? 'exact' : 'NOT exact'}`);
    }
    const bareSec = median(bare);
    const serviceSec = median(service);
    ctx.shared.bareCopySec = bareSec;
    const ratio = serviceSec / bareSec;
    const ex = summarizeExactness(checks);
    const offsets = [...new Set(checks.map((c) => (c.startOffsetSec === null ? '?' : `${c.startOffsetSec.toFixed(3)} s`)))];
    const ends = [...new Set(checks.map((c) => (c.lateFrames === null ? '?' : `${c.lateFrames > 0 ? '+' : ''}${c.lateFrames}`)))];
    const endNote = ends.length === 1 && ends[0] === '0' ? '' : ` · ends ${ends.join('/')} frames off`;
    return {
      service: `${secs(serviceSec)} · ${ex.label} · start offset ${offsets.join('/')}${endNote} · ${[...methods].join('/')}`,
      beside: secs(bareSec),
      verdict: `ratio ${ratio.toFixed(2)}`,
      pass: ratio <= MAX_RATIO && ex.exact,
      exact: ex.exact,
      data: { bareSec: bare, serviceSec: service, ratio, methods: [...methods], phases, checks: ex.notes, startOffsetSec: checks.map((c) => c.startOffsetSec), lateFrames: checks.map((c) => c.lateFrames) },
    };
  },
};

import { bareCopyTrim, settle, warmPageCache } from '../bare.js';
import { jobPhases } from '../api.js';
import type { BenchContext, Row } from '../context.js';
import { checkTrim } from '../frames.js';
import { median, secs } from '../measure.js';
import { checkJobOutput, summarizeExactness } from '../output-check.js';
import { SMALL_SIZE } from '../spec.js';

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
    const bare: number[] = [];
    const service: number[] = [];
    const checks = [];
    const phases = [];
    const methods = new Set<string>();
    for (let i = 0; i < ctx.runs; i++) {
      await settle();
      bare.push(await bareCopyTrim(ctx.media.small, START, END, ctx.scratch));
      await settle();
      const job = await ctx.api.trim(videoId, START, END, 'accurate');
      const done = await ctx.api.runAndWait(job.id, 10 * 60_000);
      service.push(done.seconds);
      phases.push(jobPhases(done.job));
      methods.add(done.job.method ?? 'unknown');
      checks.push(await checkJobOutput(ctx, done.job, (f) => checkTrim(f, START, END, 'accurate')));
      ctx.log(`  run ${i + 1}: bare copy ${secs(bare[i]!)}, service ${secs(done.seconds)} (${done.job.method}), ${checks[i]!.exact ? 'exact' : 'NOT exact'}`);
    }
    const bareSec = median(bare);
    const serviceSec = median(service);
    const overSec = serviceSec - bareSec;
    const ex = summarizeExactness(checks);
    return {
      service: `${secs(serviceSec)} · ${ex.label} · method ${[...methods].join('/')}`,
      beside: `bare copy ${secs(bareSec)}`,
      verdict: `+${secs(overSec)} over a bare copy`,
      pass: overSec <= MAX_OVER_COPY_SEC && ex.exact,
      exact: ex.exact,
      data: { bareSec: bare, serviceSec: service, overSec, methods: [...methods], phases, checks: ex.notes },
    };
  },
};

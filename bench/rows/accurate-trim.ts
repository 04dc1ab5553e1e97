import { bareReencodeTrim, settle, warmPageCache } from '../bare.js';
import { jobPhases } from '../api.js';
import type { BenchContext, Row } from '../context.js';
import { checkTrim } from '../frames.js';
import { median, secs } from '../measure.js';
import { checkJobOutput, summarizeExactness } from '../output-check.js';
import { measureBareCopyTrim } from './copy-trim.js';

const START = 121.5;
const END = 421.5;
const MIN_SPEEDUP = 30;
const MAX_OVER_COPY = 3;
// A service run this slow is itself a full re-encode; like the baseline, it is measured once.
const LONG_RUN_SEC = 60;

export const accurateTrimRow: Row = {
  key: 'accurate',
  title: `accurate trim ${START}–${END} s`,
  target: `≥ ${MIN_SPEEDUP}× faster than re-encode, ≤ ${MAX_OVER_COPY}× bare copy trim`,
  timeoutMs: 45 * 60_000,
  async measure(ctx: BenchContext) {
    const videoId = await ctx.uploaded(ctx.media.source);
    await warmPageCache(ctx.media.source);
    if (ctx.shared.bareCopySec === undefined) {
      const copies: number[] = [];
      for (let i = 0; i < ctx.runs; i++) {
        await settle();
        copies.push(await measureBareCopyTrim(ctx));
      }
      ctx.shared.bareCopySec = median(copies);
    }
    const bareCopySec = ctx.shared.bareCopySec;
    await settle();
    const reencodeSec = await bareReencodeTrim(ctx.media.source, START, END, ctx.scratch);
    ctx.log(`  bare re-encode ${secs(reencodeSec)}`);

    const service: number[] = [];
    const checks = [];
    const phases = [];
    const methods = new Set<string>();
    for (let i = 0; i < ctx.runs; i++) {
      const job = await ctx.api.trim(videoId, START, END, 'accurate');
      await settle();
      const done = await ctx.api.runAndWait(job.id, 20 * 60_000);
      service.push(done.seconds);
      phases.push(jobPhases(done.job));
      methods.add(done.job.method ?? 'unknown');
      checks.push(await checkJobOutput(ctx, done.job, (f) => checkTrim(f, START, END, 'accurate')));
      ctx.log(`  run ${i + 1}: service ${secs(done.seconds)} (${done.job.method}), ${checks[i]!.exact ? 'exact' : 'NOT exact'}`);
      if (done.seconds > LONG_RUN_SEC) break;
    }
    const serviceSec = median(service);
    const speedup = reencodeSec / serviceSec;
    const overCopy = serviceSec / bareCopySec;
    const ex = summarizeExactness(checks);
    return {
      service: `${secs(serviceSec)} · ${ex.label} · method ${[...methods].join('/')}${service.length < ctx.runs ? ` · ${service.length} run` : ''}`,
      beside: `re-encode ${secs(reencodeSec)} (1 run) · bare copy ${secs(bareCopySec)}`,
      verdict: `${speedup.toFixed(1)}× faster · ${overCopy.toFixed(1)}× copy`,
      pass: speedup >= MIN_SPEEDUP && overCopy <= MAX_OVER_COPY && ex.exact,
      exact: ex.exact,
      data: { serviceSec: service, reencodeSec, bareCopySec, speedup, overCopy, methods: [...methods], phases, checks: ex.notes },
    };
  },
};

import { bareConcat, settle, warmPageCache } from '../bare.js';
import { jobPhases } from '../api.js';
import type { BenchContext, Row } from '../context.js';
import { checkConcat } from '../frames.js';
import { median, secs } from '../measure.js';
import { checkJobOutput, summarizeExactness } from '../output-check.js';

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
    const bare: number[] = [];
    const service: number[] = [];
    const checks = [];
    const phases = [];
    const methods = new Set<string>();
    for (let i = 0; i < ctx.runs; i++) {
      await settle();
      bare.push(await bareConcat([...pieces], ctx.scratch));
      const job = await ctx.api.concat(ids);
      await settle();
      const done = await ctx.api.runAndWait(job.id, 10 * 60_000);
      service.push(done.seconds);
      phases.push(jobPhases(done.job));
      methods.add(done.job.method ?? 'unknown');
      checks.push(await checkJobOutput(ctx, done.job, (f) => checkConcat(f, PIECE_SECONDS)));
      ctx.log(`  run ${i + 1}: bare ${secs(bare[i]!)}, service ${secs(done.seconds)}, ${checks[i]!.exact ? 'exact' : 'NOT exact'}`);
    }
    const bareSec = median(bare);
    const serviceSec = median(service);
    const ratio = serviceSec / bareSec;
    const ex = summarizeExactness(checks);
    return {
      service: `${secs(serviceSec)} · ${ex.label} · ${[...methods].join('/')}`,
      beside: secs(bareSec),
      verdict: `ratio ${ratio.toFixed(2)}`,
      pass: ratio <= MAX_RATIO && ex.exact,
      exact: ex.exact,
      data: { bareSec: bare, serviceSec: service, ratio, methods: [...methods], phases, checks: ex.notes },
    };
  },
};

import { settle } from '../bare.js';
import { jobPhases, type Job } from '../api.js';
import type { BenchContext } from '../context.js';
import type { Exactness } from '../frames.js';
import { median, secs } from '../measure.js';
import { checkJobOutput, summarizeExactness } from '../output-check.js';

export interface BesideBare<T extends Exactness> {
  /** Runs the bare FFmpeg command once; its seconds. */
  bare: () => Promise<number>;
  /** Records the job to run (pending). */
  record: () => Promise<Job>;
  /** Checks the job's output file. */
  check: (file: string) => Promise<T>;
}

export interface BesideBareRuns<T extends Exactness> {
  bare: number[];
  service: number[];
  bareSec: number;
  serviceSec: number;
  checks: T[];
  phases: ReturnType<typeof jobPhases>[];
  methods: string[];
  exactness: ReturnType<typeof summarizeExactness>;
}

/** `ctx.runs` times, each on a settled machine: the bare command, then the job through the service (run → completed), then its output checked. */
export async function measureBesideBare<T extends Exactness>(ctx: BenchContext, m: BesideBare<T>): Promise<BesideBareRuns<T>> {
  const bare: number[] = [];
  const service: number[] = [];
  const checks: T[] = [];
  const phases: ReturnType<typeof jobPhases>[] = [];
  const methods = new Set<string>();
  for (let i = 0; i < ctx.runs; i++) {
    await settle();
    bare.push(await m.bare());
    const job = await m.record();
    await settle();
    const done = await ctx.api.runAndWait(job.id, 10 * 60_000);
    service.push(done.seconds);
    phases.push(jobPhases(done.job));
    methods.add(done.job.method ?? 'unknown');
    ctx.shared.sampleJobId ??= job.id;
    checks.push(await checkJobOutput(ctx, done.job, m.check));
    ctx.log(`  run ${i + 1}: bare ${secs(bare[i]!)}, service ${secs(done.seconds)} (${done.job.method}), ${checks[i]!.exact ? 'exact' : 'NOT exact'}`);
  }
  return { bare, service, bareSec: median(bare), serviceSec: median(service), checks, phases, methods: [...methods], exactness: summarizeExactness(checks) };
}

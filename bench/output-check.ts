import { rm } from 'node:fs/promises';
import path from 'node:path';
import type { Job } from './api.js';
import type { BenchContext } from './context.js';
import type { Exactness } from './frames.js';

/**
 * Downloads a job's output through the API (untimed), runs `check` on the file, then removes the
 * local copy and the service's video so that storage does not grow run after run.
 */
export async function checkJobOutput<T extends Exactness>(ctx: BenchContext, job: Job, check: (file: string) => Promise<T>): Promise<T> {
  const file = path.join(ctx.scratch, `output-${job.outputVideoId}.mp4`);
  try {
    const got = await ctx.api.download(job.outputVideoId, file, 5 * 60_000);
    if (got.status !== '200') throw new Error(`download of output ${job.outputVideoId} answered ${got.status}`);
    return await check(file);
  } finally {
    await rm(file, { force: true });
    await ctx.api.deleteVideo(job.outputVideoId).catch(() => {});
  }
}

export function summarizeExactness(checks: Exactness[]): { exact: boolean; label: string; notes: string[] } {
  const exact = checks.length > 0 && checks.every((c) => c.exact);
  const wrong = checks.filter((c) => !c.exact).length;
  const label = exact ? 'exact ✓' : `NOT exact (${wrong}/${checks.length} runs)`;
  return { exact, label, notes: checks.map((c) => c.note) };
}

import type { BenchContext, Row } from '../context.js';
import { median, ms, timed } from '../measure.js';

const JOBS = 1000;
const MAX_SECONDS = 1;
const CREATE_CONCURRENCY = 8;

async function createTrims(ctx: BenchContext, videoId: string, count: number): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < count) {
      next++;
      await ctx.api.trim(videoId, 0, 10, 'copy');
    }
  };
  await Promise.all(Array.from({ length: CREATE_CONCURRENCY }, lane));
}

export const runPendingRow: Row = {
  key: 'run1000',
  title: `run ${JOBS.toLocaleString('en')} pending jobs`,
  target: `< ${MAX_SECONDS} s`,
  timeoutMs: 15 * 60_000,
  async measure(ctx: BenchContext) {
    const videoId = await ctx.uploaded(ctx.media.pieces[0]);
    // With no worker the queued jobs stay put, and nothing competes with the run for the CPU.
    await ctx.stopWorker();
    const times: number[] = [];
    const counts: number[] = [];
    for (let i = 0; i < ctx.runs; i++) {
      await createTrims(ctx, videoId, JOBS);
      const { value, seconds } = await timed(() => ctx.api.run());
      const left = await ctx.api.request<{ total: number }>('GET', '/api/jobs?status=pending&limit=1');
      times.push(seconds);
      counts.push(left.total === 0 ? value.queued.length : -1);
      ctx.log(`  run ${i + 1}: ${ms(seconds * 1000)}, queued ${value.queued.length}, pending left ${left.total}`);
    }
    const exact = counts.every((c) => c === JOBS);
    const sec = median(times);
    return {
      service: `${ms(sec * 1000)} · ${exact ? `exact ✓ (${JOBS} queued, none left pending)` : `NOT exact (queued ${counts.join('/')})`}`,
      beside: '—',
      verdict: ms(sec * 1000),
      pass: sec < MAX_SECONDS && exact,
      exact,
      data: { seconds: times, queued: counts },
    };
  },
};

import autocannon from 'autocannon';
import type { BenchContext, Row } from '../context.js';
import { median, ms } from '../measure.js';

const CONNECTIONS = 100;
const DURATION_SEC = 10;
const MAX_P99_MS = 20;

export const getJobLoadRow: Row = {
  key: 'getload',
  title: 'GET /api/jobs/:id under load',
  target: `p99 < ${MAX_P99_MS} ms (${CONNECTIONS} connections, ${DURATION_SEC} s)`,
  timeoutMs: 5 * 60_000,
  async measure(ctx: BenchContext) {
    let jobId = ctx.shared.sampleJobId;
    if (jobId === undefined) {
      jobId = (await ctx.api.trim(await ctx.uploaded(ctx.media.pieces[0]), 0, 10, 'copy')).id;
      ctx.shared.sampleJobId = jobId;
    }
    const runs = [];
    for (let i = 0; i < ctx.runs; i++) {
      const r = await autocannon({ url: `${ctx.api.base}/api/jobs/${jobId}`, connections: CONNECTIONS, duration: DURATION_SEC });
      runs.push({ p50: r.latency.p50, p99: r.latency.p99, max: r.latency.max, rps: r.requests.average, total: r.requests.total, errors: r.errors, timeouts: r.timeouts, non2xx: r.non2xx });
      ctx.log(`  run ${i + 1}: p50 ${ms(r.latency.p50)}, p99 ${ms(r.latency.p99)}, ${r.requests.average.toFixed(0)} req/s, errors ${r.errors + r.timeouts + r.non2xx}`);
    }
    const exact = runs.every((r) => r.errors === 0 && r.timeouts === 0 && r.non2xx === 0 && r.total > 0);
    const p99 = median(runs.map((r) => r.p99));
    const p50 = median(runs.map((r) => r.p50));
    const rps = median(runs.map((r) => r.rps));
    return {
      service: `p99 ${ms(p99)} · p50 ${ms(p50)} · ${rps.toFixed(0)} req/s · ${exact ? 'all 200 ✓' : 'errors or non-2xx'}`,
      beside: '—',
      verdict: `p99 ${ms(p99)}`,
      pass: p99 < MAX_P99_MS && exact,
      exact,
      data: { runs },
    };
  },
};

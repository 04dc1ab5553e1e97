import postgres from 'postgres';
import type { BenchContext, Row } from '../context.js';
import { median, ms, timed } from '../measure.js';
import { DATABASE_URL } from '../service.js';

const JOBS = 100_000;
const SAMPLES = 20;
const MAX_MS = 50;

const QUERIES = [
  { query: 'status=completed', where: `status = 'completed'` },
  { query: 'status=queued&type=trim', where: `status = 'queued' AND type = 'trim'` },
];

/**
 * A history of finished and waiting jobs spread over ~28 hours, shaped like the service's own rows:
 * mostly completed, some failed or cancelled, a queue of waiting ones; three trims to one concat.
 */
const INSERT_JOBS = `
  INSERT INTO jobs (id, type, status, params, input_video_ids, output_video_id, progress, attempts, error, method,
                    created_at, updated_at, queued_at, started_at, finished_at)
  SELECT gen_random_uuid(), t.type, t.status,
         CASE WHEN t.type = 'trim' THEN jsonb_build_object('start', 0, 'end', 10, 'mode', 'copy') ELSE '{}'::jsonb END,
         CASE WHEN t.type = 'trim' THEN ARRAY[$1::uuid] ELSE ARRAY[$1::uuid, $1::uuid] END,
         gen_random_uuid(),
         CASE WHEN t.status = 'completed' THEN 100 ELSE 0 END,
         CASE WHEN t.status IN ('pending', 'queued') THEN 0 ELSE 1 END,
         CASE WHEN t.status = 'failed' THEN 'ffmpeg exited with code 1' END,
         CASE WHEN t.status = 'completed' THEN CASE WHEN t.type = 'trim' THEN 'stream-copy' ELSE 'concat-copy' END END,
         t.at, t.at,
         CASE WHEN t.status <> 'pending' THEN t.at END,
         CASE WHEN t.status IN ('in_progress', 'completed', 'failed') THEN t.at END,
         CASE WHEN t.status IN ('completed', 'failed', 'cancelled') THEN t.at + interval '2 seconds' END
  FROM (
    SELECT now() - g * interval '1 second' AS at,
           CASE WHEN g % 4 = 0 THEN 'concat' ELSE 'trim' END AS type,
           CASE WHEN g % 100 < 70 THEN 'completed' WHEN g % 100 < 80 THEN 'queued' WHEN g % 100 < 88 THEN 'failed'
                WHEN g % 100 < 93 THEN 'cancelled' WHEN g % 100 < 96 THEN 'in_progress' ELSE 'pending' END AS status
    FROM generate_series(1, ${JOBS}) AS g
  ) AS t`;

export const listJobsRow: Row = {
  key: 'list',
  title: `GET /api/jobs?status=… with ${JOBS.toLocaleString('en')} jobs`,
  target: `< ${MAX_MS} ms`,
  timeoutMs: 10 * 60_000,
  async measure(ctx: BenchContext) {
    const videoId = await ctx.uploaded(ctx.media.pieces[0]);
    const sql = postgres(DATABASE_URL, { max: 1, onnotice: () => {}, connection: { search_path: ctx.iso.schema } });
    const results = [];
    try {
      await sql.unsafe(INSERT_JOBS, [videoId]);
      await sql.unsafe('ANALYZE jobs');
      for (const q of QUERIES) {
        const [row] = await sql.unsafe<{ n: number }[]>(`SELECT count(*)::int AS n FROM jobs WHERE ${q.where}`);
        const path = `/api/jobs?${q.query}`;
        await ctx.api.request('GET', path);
        const times: number[] = [];
        let exact = true;
        for (let i = 0; i < SAMPLES; i++) {
          const { value, seconds } = await timed(() => ctx.api.request<{ total: number; items: unknown[] }>('GET', path));
          times.push(seconds * 1000);
          exact &&= value.total === row!.n && value.items.length === Math.min(20, row!.n);
        }
        results.push({ query: q.query, medianMs: median(times), times, total: row!.n, exact });
        ctx.log(`  ${path}: median ${ms(median(times))} (total ${row!.n})`);
      }
    } finally {
      await sql.end({ timeout: 5 });
    }
    const exact = results.every((r) => r.exact);
    const worst = Math.max(...results.map((r) => r.medianMs));
    return {
      service: `${results.map((r) => `${r.query} ${ms(r.medianMs)}`).join(' · ')} · ${exact ? 'exact ✓ (totals match SQL)' : 'NOT exact'}`,
      beside: '—',
      verdict: `worst median ${ms(worst)}`,
      pass: worst < MAX_MS && exact,
      exact,
      data: { results },
    };
  },
};

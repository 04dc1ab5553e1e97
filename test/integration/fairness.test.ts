import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../helpers/harness.js';
import { makeClip } from '../helpers/media.js';
import { until } from '../helpers/poll.js';

// Tenant A queues 40 short jobs, then tenant B queues one, on a worker with 2 slots.
const A_JOBS = 40;
const ROOT_KEY = 'fairness-root-key';
let media: string;
let clip: string;

beforeAll(async () => {
  media = await mkdtemp(path.join(os.tmpdir(), 'vj-media-'));
  clip = await makeClip(media, { durationSec: 2, width: 160, height: 120, fps: 25, audio: false });
});

afterAll(async () => {
  await rm(media, { recursive: true, force: true });
});

interface Race {
  /** A's jobs that had started when B's started. */
  aStartedBeforeB: number;
  /** From B's run to B's start. */
  bWaitMs: number;
  aFinished: number;
  /** The most attempts any job took: a parked claim must spend none. */
  maxAttempts: number;
}

async function race(env: Record<string, string>): Promise<Race> {
  const h: Harness = await startHarness({ env: { API_KEY: ROOT_KEY, WORKER_CONCURRENCY: '2', ...env } });
  try {
    const keyOf = async (tenant: string) => (await h.api.post('/api/keys').set('Authorization', `Bearer ${ROOT_KEY}`).send({ tenant, scopes: ['write'] })).body.key as string;
    const [a, b] = [await keyOf('tenant-a'), await keyOf('tenant-b')];
    const as = (key: string) => ({ post: (url: string) => h.api.post(url).set('Authorization', `Bearer ${key}`) });
    const videoOf = async (key: string) => (await as(key).post('/api/videos').attach('file', clip)).body.id as string;
    const [va, vb] = [await videoOf(a), await videoOf(b)];
    const trim = async (key: string, videoId: string) => {
      const res = await as(key).post(`/api/videos/${videoId}/trim`).send({ start: 0, end: 1, mode: 'copy' });
      expect(res.status).toBe(201);
      return res.body.id as string;
    };
    for (let i = 0; i < A_JOBS; i++) await trim(a, va);
    const bJob = await trim(b, vb);

    expect((await as(a).post('/api/jobs/run').send({})).status).toBe(202);
    expect((await as(b).post('/api/jobs/run').send({})).status).toBe(202);

    await until('every job completes', 120_000, async () => {
      const [row] = await h.infra.sql<{ open: number }[]>`SELECT count(*)::int AS open FROM jobs WHERE status <> 'completed'`;
      return row!.open === 0 ? true : undefined;
    }, 200);
    const [b1] = await h.infra.sql<{ startedAt: Date; queuedAt: Date }[]>`SELECT started_at, queued_at FROM jobs WHERE id = ${bJob}`;
    const [before] = await h.infra.sql<{ n: number }[]>`
      SELECT count(*)::int AS n FROM jobs WHERE tenant_id = 'tenant-a' AND started_at < ${b1!.startedAt}`;
    const [done] = await h.infra.sql<{ n: number; maxAttempts: number }[]>`
      SELECT count(*)::int AS n, max(attempts)::int AS max_attempts FROM jobs WHERE tenant_id = 'tenant-a' AND status = 'completed'`;
    return { aStartedBeforeB: before!.n, bWaitMs: b1!.startedAt.getTime() - b1!.queuedAt.getTime(), aFinished: done!.n, maxAttempts: done!.maxAttempts };
  } finally {
    await h.close();
  }
}

describe('fairness between tenants', () => {
  it("when A has 40 jobs queued before B's one, then with the default cap (half of 2 slots) B's starts after at most one slot's worth of A's; without a cap, after most of them", async () => {
    const capped = await race({});
    const uncapped = await race({ TENANT_MAX_RUNNING: '2' });
    console.log(
      `fairness: B's job waited ${capped.bWaitMs} ms with the cap (${capped.aStartedBeforeB} of A's ${A_JOBS} jobs started before it), ` +
        `${uncapped.bWaitMs} ms without (${uncapped.aStartedBeforeB} of A's started before it)`,
    );
    // Both slots may hold A's jobs when B arrives; the next free slot is B's.
    expect(capped.aStartedBeforeB).toBeLessThanOrEqual(3);
    expect(uncapped.aStartedBeforeB).toBeGreaterThan(A_JOBS / 2);
    // Parking spent no attempt, and every job of A still ran.
    expect(capped.aFinished).toBe(A_JOBS);
    expect(capped.maxAttempts).toBe(1);
  });
});

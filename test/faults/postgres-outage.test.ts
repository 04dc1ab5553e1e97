import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run, trim, upload, waitForJob } from '../helpers/api-flow.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import { makeClip } from '../helpers/media.js';
import { TcpProxy } from '../helpers/tcp-proxy.js';

let proxy: TcpProxy;
let h: Harness;
let media: string;

beforeAll(async () => {
  proxy = await TcpProxy.start(5432);
  h = await startHarness({ worker: true, databaseUrl: `postgres://postgres@127.0.0.1:${proxy.port}/test` });
  media = await mkdtemp(path.join(os.tmpdir(), 'vj-media-'));
});

afterAll(async () => {
  await proxy.up().catch(() => {});
  await h?.close();
  await proxy.down();
  await rm(media, { recursive: true, force: true });
});

describe('PostgreSQL outage', () => {
  it('when PostgreSQL is unreachable, then every endpoint that needs it answers 503 within 2 s, and all recovers without a restart', async () => {
    const clip = await makeClip(media, { durationSec: 2, width: 160, height: 120, fps: 25, audio: true });
    const v = await upload(h, clip);
    const job = await trim(h, v.id, { start: 0, end: 1 });
    await proxy.down();

    const calls: [string, () => Promise<{ status: number; body: { detail?: string } }>][] = [
      ['list videos', () => h.api.get('/api/videos')],
      ['get video', () => h.api.get(`/api/videos/${v.id}`)],
      ['list jobs', () => h.api.get('/api/jobs')],
      ['get job', () => h.api.get(`/api/jobs/${job.id}`)],
      ['trim', () => h.api.post(`/api/videos/${v.id}/trim`).send({ start: 0, end: 1 })],
      ['run', () => h.api.post('/api/jobs/run')],
      ['cancel', () => h.api.post(`/api/jobs/${job.id}/cancel`)],
      ['download', () => h.api.get(`/api/videos/${v.id}/download`)],
      ['upload', () => h.api.post('/api/videos').attach('file', clip)],
    ];
    for (const [name, call] of calls) {
      const t = Date.now();
      const res = await call();
      const ms = Date.now() - t;
      expect(res.status, name).toBe(503);
      expect(ms, name).toBeLessThan(2_000);
    }
    const ready = await h.api.get('/readyz');
    expect(ready.status).toBe(503);
    expect(ready.body.detail).toMatch(/postgres/);
    expect((await h.api.get('/healthz')).status).toBe(200);

    await proxy.up();
    let status = 0;
    for (let i = 0; i < 50 && status !== 200; i++) {
      status = (await h.api.get('/api/videos')).status;
      if (status !== 200) await new Promise((r) => setTimeout(r, 200));
    }
    expect(status).toBe(200);
    expect(await run(h)).toContain(job.id);
    expect((await waitForJob(h, job.id)).status).toBe('completed');
  });
});

import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OutboxRepository } from '../../src/repositories/outbox.repository.js';
import { run, trim, upload, waitForJob } from '../helpers/api-flow.js';
import { startHarness, TEST_DATABASE_URL, type Harness } from '../helpers/harness.js';
import { makeClip } from '../helpers/media.js';
import { ROOT } from '../helpers/processes.js';
import { listen, openEvents } from '../helpers/sse.js';

let h: Harness;
let media: string;
let server: Server;
let baseUrl: string;

beforeAll(async () => {
  h = await startHarness({ worker: true });
  media = await mkdtemp(path.join(os.tmpdir(), 'vj-media-'));
  ({ server, url: baseUrl } = await listen(h.app));
});

afterAll(async () => {
  server?.closeAllConnections();
  server?.close();
  await h?.close();
  await rm(media, { recursive: true, force: true });
});

const counts = async () => ({
  jobs: (await h.api.get('/api/jobs')).body.total as number,
  videos: (await h.api.get('/api/videos')).body.total as number,
});

describe('input errors', () => {
  it('when a trim range holds no frame, then it is a 422 naming the field and no job or video is recorded', async () => {
    const v = await upload(h, await makeClip(media, { durationSec: 2, width: 64, height: 48, fps: 25, audio: false }));
    const before = await counts();
    const res = await h.api.post(`/api/videos/${v.id}/trim`).send({ start: 1.01, end: 1.02 });
    expect(res.status).toBe(422);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
    expect(res.body).toMatchObject({ status: 422, field: 'end' });
    expect(res.body.detail).toMatch(/holds no frame/);
    expect(await counts()).toEqual(before);
  });

  it('when a worker meets an input error, then the job fails at once with one attempt', async () => {
    const v = await upload(h, await makeClip(media, { durationSec: 4, width: 64, height: 48, fps: 25, audio: false }));
    const producer = await trim(h, v.id, { start: 1, end: 3 });
    // Its input is not produced yet, so the range can only be checked when the job runs.
    const bad = await trim(h, producer.outputVideoId, { start: 1.01, end: 1.02 });
    await run(h, [bad.id]);
    const failed = await waitForJob(h, bad.id);
    expect(failed).toMatchObject({ status: 'failed', attempts: 1 });
    expect(failed.error).toMatch(/holds no frame/);
    expect((await waitForJob(h, producer.id)).status).toBe('completed');
    expect((await h.api.get(`/api/videos/${bad.outputVideoId}`)).body.status).toBe('failed');
  });
});

describe('events', () => {
  it('when a client reconnects with Last-Event-ID, then it first gets the events it missed, each once', async () => {
    const v = await upload(h, await makeClip(media, { durationSec: 1, width: 64, height: 48, fps: 10, audio: false }));
    const first = await openEvents(baseUrl);
    const seen = await trim(h, v.id, { start: 0, end: 0.5 });
    const last = await first.waitFor((m) => m.event === 'job' && m.data.id === seen.id);
    first.close();
    expect(Number(last.id)).toBeGreaterThan(0);

    // While nobody listens: another command and a cancel.
    const missed = await trim(h, v.id, { start: 0, end: 0.6 });
    await h.api.post(`/api/jobs/${missed.id}/cancel`).expect(200);

    const again = await openEvents(baseUrl, { 'Last-Event-ID': last.id! });
    await again.waitFor((m) => m.event === 'job' && m.data.id === missed.id && m.data.status === 'cancelled');
    const ids = again.messages.map((m) => Number(m.id));
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.every((id) => id > Number(last.id))).toBe(true);
    expect(again.messages.filter((m) => m.event === 'job' && m.data.id === missed.id).map((m) => m.data.status)).toEqual(['pending', 'cancelled']);
    expect(again.messages.some((m) => m.event === 'video' && m.data.id === missed.outputVideoId && m.data.status === 'failed')).toBe(true);
    again.close();
  });

  it('when a job runs, then its events carry rising ids and the job resource as the API returns it', async () => {
    const v = await upload(h, await makeClip(media, { durationSec: 1, width: 64, height: 48, fps: 10, audio: false }));
    const client = await openEvents(baseUrl);
    const j = await trim(h, v.id, { start: 0, end: 0.5 });
    await run(h, [j.id]);
    const done = await client.waitFor((m) => m.event === 'job' && m.data.id === j.id && m.data.status === 'completed', 30_000);
    expect(done.data).toEqual((await h.api.get(`/api/jobs/${j.id}`)).body);
    const mine = client.messages.filter((m) => m.event === 'job' && m.data.id === j.id);
    expect(mine.map((m) => m.data.status)).toEqual(expect.arrayContaining(['pending', 'queued', 'in_progress', 'completed']));
    const ids = mine.map((m) => Number(m.id));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
    client.close();
  });
});

describe('outbox relay', () => {
  it('when two relay processes run at once, then each runnable event is handed over exactly once', async () => {
    // Only the two child relays may deliver these.
    await h.infra.relay.stop();
    const outbox = new OutboxRepository(h.infra.sql);
    const ids: string[] = Array.from({ length: 300 }, () => randomUUID());
    const env = { ...process.env, DATABASE_URL: TEST_DATABASE_URL, DB_SCHEMA: h.config.dbSchema };
    const handed: { handed: string; pid: number }[] = [];
    const ready = new Set<number>();
    const children = [0, 1].map(() => {
      const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'test/helpers/relay-child.ts')], { cwd: ROOT, env, stdio: ['pipe', 'pipe', 'inherit'] });
      let pending = '';
      child.stdout!.on('data', (chunk: Buffer) => {
        const lines = (pending + chunk.toString()).split('\n');
        pending = lines.pop()!;
        for (const l of lines) {
          const msg = JSON.parse(l);
          if (msg.handed) handed.push(msg);
          if (msg.ready) ready.add(msg.ready);
        }
      });
      return child;
    });
    try {
      const deadline = Date.now() + 30_000;
      while (ready.size < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      for (let i = 0; i < ids.length; i += 100) {
        await outbox.append(
          ids.slice(i, i + 100).map((id) => ({ type: 'job.runnable' as const, subject: 'job' as const, subjectId: id, seq: 1, payload: { id, type: 'trim' }, dispatch: true })),
        );
      }
      while (Date.now() < deadline) {
        const [row] = await h.infra.sql<{ n: number }[]>`
          SELECT count(*)::int AS n FROM outbox WHERE dispatch AND dispatched_at IS NULL AND subject_id = ANY(${ids}::uuid[])`;
        if (row!.n === 0) break;
        await new Promise((r) => setTimeout(r, 100));
      }
    } finally {
      await Promise.all(
        children.map(
          (c) =>
            new Promise<void>((resolve) => {
              c.once('exit', () => resolve());
              c.stdin!.end();
            }),
        ),
      );
      h.infra.relay.start();
    }
    const mine = handed.filter((x) => ids.includes(x.handed));
    expect(mine.length).toBe(ids.length);
    expect(new Set(mine.map((x) => x.handed)).size).toBe(ids.length);
    expect(new Set(mine.map((x) => x.pid)).size).toBe(2);
  });
});

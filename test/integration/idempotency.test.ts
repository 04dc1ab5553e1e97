import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import express, { type Express } from 'express';
import supertest from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildApp } from '../../src/app.js';
import { buildAppDeps } from '../../src/deps.js';
import { conflict, unavailable } from '../../src/domain/errors.js';
import { errorHandler } from '../../src/http/error-handler.js';
import { idempotency } from '../../src/http/idempotency.middleware.js';
import { IdempotencyKeyRepository } from '../../src/repositories/idempotency-key.repository.js';
import { RetentionService } from '../../src/services/retention.service.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import { makeClip } from '../helpers/media.js';

// No worker: what a request creates stays where it left it. An API key, so keys have a scope.
const API_KEY = 'first-key';
let h: Harness;
let media: string;
let clip: string;
let otherClip: string;
let videoId: string;
let secondVideoId: string;

const auth = { Authorization: `Bearer ${API_KEY}` };
const post = (url: string, key?: string) => {
  const req = h.api.post(url).set(auth);
  return key === undefined ? req : req.set('Idempotency-Key', key);
};
const get = (url: string) => h.api.get(url).set(auth);
const jobCount = async () => (await get('/api/jobs')).body.total as number;
const videoCount = async () => (await get('/api/videos')).body.total as number;

beforeAll(async () => {
  h = await startHarness({ worker: false, env: { API_KEY } });
  media = await mkdtemp(path.join(os.tmpdir(), 'vj-media-'));
  clip = await makeClip(media, { durationSec: 2, width: 64, height: 48, fps: 25, audio: false });
  otherClip = await makeClip(media, { durationSec: 1, width: 64, height: 48, fps: 25, audio: false });
  videoId = (await post('/api/videos').attach('file', clip)).body.id;
  secondVideoId = (await post('/api/videos').attach('file', otherClip)).body.id;
});

afterAll(async () => {
  await h?.close();
  await rm(media, { recursive: true, force: true });
});

describe('Idempotency-Key on the routes that create something', () => {
  it('when a trim is sent twice with one key, then the second answer is the first (status, body, Location) and one job exists', async () => {
    const key = randomUUID();
    const before = await jobCount();
    const first = await post(`/api/videos/${videoId}/trim`, key).send({ start: 0, end: 1, metadata: { a: 1 } });
    const second = await post(`/api/videos/${videoId}/trim`, key).send({ metadata: { a: 1 }, end: 1, start: 0 });
    expect(first.status).toBe(201);
    expect(first.headers['idempotent-replayed']).toBeUndefined();
    expect(second.status).toBe(201);
    expect(second.headers['idempotent-replayed']).toBe('true');
    expect(second.headers.location).toBe(first.headers.location);
    expect(second.headers['content-type']).toBe(first.headers['content-type']);
    expect(second.body).toEqual(first.body);
    expect(await jobCount()).toBe(before + 1);
    expect((await get(`/api/jobs/${first.body.id}`)).body.status).toBe('pending');
  });

  it('when an upload is sent twice with one key, then one video exists, both answers name it, and no temp file is left', async () => {
    const key = randomUUID();
    const before = await videoCount();
    const first = await post('/api/videos', key).attach('file', clip, 'same.mp4');
    const second = await post('/api/videos', key).attach('file', clip, 'same.mp4');
    expect(first.status).toBe(201);
    expect(second.status).toBe(201);
    expect(second.body).toEqual(first.body);
    expect(second.headers.location).toBe(`/api/videos/${first.body.id}`);
    expect(await videoCount()).toBe(before + 1);
    expect(await readdir(path.join(h.storageDir, 'tmp'))).toEqual([]);

    const otherFile = await post('/api/videos', key).attach('file', otherClip, 'same.mp4');
    expect(otherFile.status).toBe(422);
    expect(otherFile.body.code).toBe('idempotency_key_reused');
    expect(await videoCount()).toBe(before + 1);
    expect(await readdir(path.join(h.storageDir, 'tmp'))).toEqual([]);
  });

  it('when concat and run are sent twice with one key, then each answers as the first time and acts once', async () => {
    const concatKey = randomUUID();
    const c1 = await post('/api/videos/concat', concatKey).send({ videoIds: [videoId, secondVideoId] });
    const c2 = await post('/api/videos/concat', concatKey).send({ videoIds: [videoId, secondVideoId] });
    expect(c1.status).toBe(201);
    expect(c2.body).toEqual(c1.body);
    expect((await get('/api/jobs?type=concat')).body.items.filter((j: { id: string }) => j.id === c1.body.id)).toHaveLength(1);

    const runKey = randomUUID();
    const r1 = await post('/api/jobs/run', runKey).send({ jobIds: [c1.body.id] });
    const r2 = await post('/api/jobs/run', runKey).send({ jobIds: [c1.body.id] });
    expect(r1.status).toBe(202);
    expect(r1.body.queued).toEqual([c1.body.id]);
    expect(r2.status).toBe(202);
    expect(r2.body).toEqual(r1.body);
    // Without the key, the same request meets a job that is no longer pending.
    expect((await post('/api/jobs/run').send({ jobIds: [c1.body.id] })).body.code).toBe('job_not_pending');
  });

  it('when a deterministic refusal is sent again with its key, then it is replayed; a retryable one is not stored', async () => {
    const job = (await post(`/api/videos/${videoId}/trim`).send({ start: 0, end: 1 })).body;
    const key = randomUUID();
    const first = await post(`/api/jobs/${job.id}/retry`, key);
    const second = await post(`/api/jobs/${job.id}/retry`, key);
    expect(first.status).toBe(409);
    expect(first.body.code).toBe('job_not_failed');
    expect(second.status).toBe(409);
    expect(second.headers['idempotent-replayed']).toBe('true');
    expect(second.body).toEqual(first.body);
  });

  it('when one key comes with another body or another route, then 422 idempotency_key_reused and nothing is created', async () => {
    const key = randomUUID();
    expect((await post(`/api/videos/${videoId}/trim`, key).send({ start: 0, end: 1 })).status).toBe(201);
    const before = await jobCount();
    const otherBody = await post(`/api/videos/${videoId}/trim`, key).send({ start: 0, end: 1.5 });
    expect(otherBody.status).toBe(422);
    expect(otherBody.body).toMatchObject({ code: 'idempotency_key_reused', retryable: false, field: 'Idempotency-Key' });
    const otherRoute = await post('/api/videos/concat', key).send({ videoIds: [videoId, videoId] });
    expect(otherRoute.status).toBe(422);
    expect(otherRoute.body.code).toBe('idempotency_key_reused');
    expect(await jobCount()).toBe(before);
  });

  it('when the key is longer than 255 characters, then 400 invalid_idempotency_key and nothing is created', async () => {
    const before = await jobCount();
    const res = await post(`/api/videos/${videoId}/trim`, 'k'.repeat(256)).send({ start: 0, end: 1 });
    expect(res.status).toBe(400);
    expect(res.body.code).toBe('invalid_idempotency_key');
    expect((await post(`/api/videos/${videoId}/trim`, 'k'.repeat(255)).send({ start: 0, end: 1 })).status).toBe(201);
    expect(await jobCount()).toBe(before + 1);
  });

  it('when eight requests with one key arrive at once, then one job is created and every answer is it or a 409 to retry', async () => {
    const key = randomUUID();
    const before = await jobCount();
    const answers = await Promise.all(Array.from({ length: 8 }, () => post(`/api/videos/${videoId}/trim`, key).send({ start: 0.5, end: 1.5 })));
    const created = answers.filter((a) => a.status === 201);
    const busy = answers.filter((a) => a.status === 409);
    expect(created.length + busy.length).toBe(8);
    expect(created.length).toBeGreaterThan(0);
    expect(new Set(created.map((a) => a.body.id)).size).toBe(1);
    for (const b of busy) {
      expect(b.body.code).toBe('idempotency_key_in_flight');
      expect(b.headers['retry-after']).toBe('1');
    }
    expect(await jobCount()).toBe(before + 1);
    const later = await post(`/api/videos/${videoId}/trim`, key).send({ start: 0.5, end: 1.5 });
    expect(later.body).toEqual(created[0]!.body);
  });

  it('when the same key and body come with another API key, then they are another request: a second job', async () => {
    const deps = await buildAppDeps({ ...h.config, apiKey: 'second-key' }, h.infra, h.logger);
    try {
      const other = supertest(buildApp(deps));
      const key = randomUUID();
      const body = { start: 0, end: 1 };
      const mine = await post(`/api/videos/${videoId}/trim`, key).send(body);
      const theirs = await other.post(`/api/videos/${videoId}/trim`).set('Authorization', 'Bearer second-key').set('Idempotency-Key', key).send(body);
      const theirsAgain = await other.post(`/api/videos/${videoId}/trim`).set('Authorization', 'Bearer second-key').set('Idempotency-Key', key).send(body);
      expect(mine.status).toBe(201);
      expect(theirs.status).toBe(201);
      expect(theirs.body.id).not.toBe(mine.body.id);
      expect(theirsAgain.body).toEqual(theirs.body);
      // And a request without the right key never reaches the key store.
      const refused = await h.api.post(`/api/videos/${videoId}/trim`).set('Idempotency-Key', key).send(body);
      expect(refused.status).toBe(401);
      expect(refused.body).toMatchObject({ code: 'unauthorized', retryable: false });
    } finally {
      await deps.close();
    }
  });

  it('when the first request died after committing but before its answer was stored, then the retry answers what it created and creates nothing', async () => {
    // The state such a crash leaves: the resource committed, the key still in flight, its lease lapsed.
    const crashAfterCommit = (key: string) =>
      h.infra.sql`UPDATE idempotency_keys SET response_status = NULL, response_headers = NULL, response_body = NULL, locked_until = now() - interval '1 second' WHERE key = ${key}`;
    const [trimKey, uploadKey, hookKey] = [randomUUID(), randomUUID(), randomUUID()];
    const trimmed = await post(`/api/videos/${videoId}/trim`, trimKey).send({ start: 0, end: 1 });
    const uploaded = await post('/api/videos', uploadKey).attach('file', otherClip);
    const hook = await post('/api/webhooks', hookKey).send({ url: 'https://receiver.example.com/hook' });
    await Promise.all([crashAfterCommit(trimKey), crashAfterCommit(uploadKey), crashAfterCommit(hookKey)]);
    const [jobs, videos, hooks] = [await jobCount(), await videoCount(), (await get('/api/webhooks')).body.items.length];

    const trimAgain = await post(`/api/videos/${videoId}/trim`, trimKey).send({ start: 0, end: 1 });
    const uploadAgain = await post('/api/videos', uploadKey).attach('file', otherClip);
    const hookAgain = await post('/api/webhooks', hookKey).send({ url: 'https://receiver.example.com/hook' });
    expect([trimAgain.status, uploadAgain.status, hookAgain.status]).toEqual([201, 201, 201]);
    expect(trimAgain.body.id).toBe(trimmed.body.id);
    expect(trimAgain.body.outputVideoId).toBe(trimmed.body.outputVideoId);
    expect(uploadAgain.body.id).toBe(uploaded.body.id);
    expect(hookAgain.body).toMatchObject({ id: hook.body.id, secret: hook.body.secret });
    expect([await jobCount(), await videoCount(), (await get('/api/webhooks')).body.items.length]).toEqual([jobs, videos, hooks]);
    expect(await readdir(path.join(h.storageDir, 'tmp'))).toEqual([]);
    await get(`/api/webhooks/${hook.body.id}`).expect(200);
    await h.api.delete(`/api/webhooks/${hook.body.id}`).set(auth).expect(204);

    // A key reused after it expired is a new request: the same body creates a second job.
    await h.infra.sql`UPDATE idempotency_keys SET expires_at = now() - interval '1 second' WHERE key = ${trimKey}`;
    const afterExpiry = await post(`/api/videos/${videoId}/trim`, trimKey).send({ start: 0, end: 1 });
    expect(afterExpiry.status).toBe(201);
    expect(afterExpiry.body.id).not.toBe(trimmed.body.id);
  });

  it('when a key is older than 24 h, then it no longer replays, and the retention pass deletes expired keys', async () => {
    const key = randomUUID();
    const first = await post(`/api/videos/${videoId}/trim`, key).send({ start: 0, end: 1 });
    await h.infra.sql`UPDATE idempotency_keys SET expires_at = now() - interval '1 second' WHERE key = ${key}`;
    const fresh = await post(`/api/videos/${videoId}/trim`, key).send({ start: 0, end: 1.5 });
    expect(fresh.status).toBe(201);
    expect(fresh.body.id).not.toBe(first.body.id);

    const stale = randomUUID();
    await post(`/api/videos/${videoId}/trim`, stale).send({ start: 0, end: 1 });
    await h.infra.sql`UPDATE idempotency_keys SET expires_at = now() - interval '1 second' WHERE key = ${stale}`;
    const report = await new RetentionService({
      videos: h.infra.uow.read.videos,
      outbox: h.infra.outbox,
      storage: h.infra.storage,
      idempotencyKeys: h.infra.idempotencyKeys,
      retentionHours: 168,
      outboxRetentionHours: 24,
      batchSize: 1,
    }).runOnce();
    expect(report.idempotencyKeysDeleted).toBe(1);
    const left = await h.infra.sql<{ key: string }[]>`SELECT key FROM idempotency_keys WHERE key IN (${key}, ${stale})`;
    expect(left.map((r) => r.key)).toEqual([key]);
  });
});

/** The middleware over the real key store, in front of a handler the test releases by hand. */
function gatedApp(waitMs: number) {
  const store = new IdempotencyKeyRepository(h.infra.sql);
  let calls = 0;
  let open!: () => void;
  const gate = new Promise<void>((r) => (open = r));
  const failures: Error[] = [];
  const app: Express = express();
  app.use(express.json());
  app.post(
    '/things',
    idempotency({ store, scopeOf: () => `test-${waitMs}`, waitMs, pollMs: 20 }),
    async (_req, res) => {
      calls += 1;
      const failure = failures.shift();
      if (failure) throw failure;
      await gate;
      res.status(201).location(`/things/${calls}`).json({ n: calls });
    },
  );
  app.use(errorHandler(h.logger));
  return { api: supertest(app), calls: () => calls, open: () => open(), failNext: (e: Error) => failures.push(e) };
}

async function until(check: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('the idempotency middleware while the first request is running', () => {
  it('when a second request comes and the first does not answer within the wait, then 409 in flight with Retry-After; once it answers, its answer', async () => {
    const g = gatedApp(200);
    const key = randomUUID();
    const first = g.api.post('/things').set('Idempotency-Key', key).send({ x: 1 }).then((r) => r);
    await until(() => g.calls() === 1);
    const second = await g.api.post('/things').set('Idempotency-Key', key).send({ x: 1 });
    expect(second.status).toBe(409);
    expect(second.body).toMatchObject({ code: 'idempotency_key_in_flight', retryable: true });
    expect(second.headers['retry-after']).toBe('1');
    g.open();
    const firstRes = await first;
    expect(firstRes.status).toBe(201);
    const third = await g.api.post('/things').set('Idempotency-Key', key).send({ x: 1 });
    expect(third.status).toBe(201);
    expect(third.body).toEqual(firstRes.body);
    expect(third.headers.location).toBe('/things/1');
    expect(g.calls()).toBe(1);
  });

  it('when a second request comes and the first answers within the wait, then the second waits and gets that answer', async () => {
    const g = gatedApp(10_000);
    const key = randomUUID();
    const first = g.api.post('/things').set('Idempotency-Key', key).send({ x: 2 }).then((r) => r);
    await until(() => g.calls() === 1);
    const second = g.api.post('/things').set('Idempotency-Key', key).send({ x: 2 }).then((r) => r);
    await new Promise((r) => setTimeout(r, 100));
    g.open();
    const [a, b] = await Promise.all([first, second]);
    expect(a.status).toBe(201);
    expect(b.status).toBe(201);
    expect(b.body).toEqual(a.body);
    expect(b.headers['idempotent-replayed']).toBe('true');
    expect(g.calls()).toBe(1);
  });

  it('when the first answer is a 5xx or a retryable problem, then it is not stored and the retry runs again', async () => {
    const g = gatedApp(1_000);
    g.open();
    const key = randomUUID();
    g.failNext(new Error('a bug'));
    g.failNext(unavailable('PostgreSQL is away'));
    g.failNext(conflict('busy', 'video_in_use'));
    expect((await g.api.post('/things').set('Idempotency-Key', key).send({ y: 1 })).status).toBe(500);
    expect((await g.api.post('/things').set('Idempotency-Key', key).send({ y: 1 })).status).toBe(503);
    expect((await g.api.post('/things').set('Idempotency-Key', key).send({ y: 1 })).status).toBe(409);
    const ok = await g.api.post('/things').set('Idempotency-Key', key).send({ y: 1 });
    expect(ok.status).toBe(201);
    expect(g.calls()).toBe(4);
    expect((await g.api.post('/things').set('Idempotency-Key', key).send({ y: 1 })).body).toEqual(ok.body);
    expect(g.calls()).toBe(4);
  });
});

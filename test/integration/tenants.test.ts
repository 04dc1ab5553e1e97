import { mkdtemp, rm } from 'node:fs/promises';
import type { Server } from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../helpers/harness.js';
import { makeClip } from '../helpers/media.js';
import { until } from '../helpers/poll.js';
import { listen, openEvents } from '../helpers/sse.js';

// Two tenants with keys of their own, on one server: neither sees or touches the other's records.
const ROOT_KEY = 'tenants-root-key';
let h: Harness;
let media: string;
let clip: string;
let server: Server;
let baseUrl: string;
const keys: Record<'a' | 'b' | 'aReader', string> = { a: '', b: '', aReader: '' };

type Json = Record<string, any>;
const as = (key: string) => ({
  get: (url: string) => h.api.get(url).set('Authorization', `Bearer ${key}`),
  post: (url: string) => h.api.post(url).set('Authorization', `Bearer ${key}`),
  patch: (url: string) => h.api.patch(url).set('Authorization', `Bearer ${key}`),
  delete: (url: string) => h.api.delete(url).set('Authorization', `Bearer ${key}`),
});
const root = as(ROOT_KEY);

async function keyFor(tenant: string, scopes: string[]): Promise<string> {
  const res = await root.post('/api/keys').send({ tenant, scopes });
  expect(res.status).toBe(201);
  return res.body.key;
}

async function uploadAs(key: string): Promise<Json> {
  const res = await as(key).post('/api/videos').attach('file', clip);
  expect(res.status).toBe(201);
  return res.body;
}

async function trimAs(key: string, videoId: string): Promise<Json> {
  const res = await as(key).post(`/api/videos/${videoId}/trim`).send({ start: 0, end: 1 });
  expect(res.status).toBe(201);
  return res.body;
}

beforeAll(async () => {
  // No worker: recorded and queued jobs stay where the API leaves them.
  h = await startHarness({ worker: false, env: { API_KEY: ROOT_KEY } });
  media = await mkdtemp(path.join(os.tmpdir(), 'vj-media-'));
  clip = await makeClip(media, { durationSec: 2, width: 160, height: 120, fps: 25 });
  keys.a = await keyFor('tenant-a', ['write']);
  keys.b = await keyFor('tenant-b', ['write']);
  keys.aReader = await keyFor('tenant-a', ['read']);
  ({ server, url: baseUrl } = await listen(h.app));
});

afterAll(async () => {
  server?.close();
  await h?.close();
  await rm(media, { recursive: true, force: true });
});

describe('two tenants', () => {
  it("when B asks for A's video by id, then every route answers 404, and A's video is untouched", async () => {
    const video = await uploadAs(keys.a);
    const b = as(keys.b);
    const paths = ['', '/download', '/thumbnail', '/storyboard', '/storyboard.jpg', '/keyframes'];
    for (const p of paths) {
      const res = await b.get(`/api/videos/${video.id}${p}`);
      expect(res.status, p).toBe(404);
      expect(res.body.code, p).toBe('video_not_found');
    }
    expect((await b.delete(`/api/videos/${video.id}`)).status).toBe(404);
    expect((await b.post(`/api/videos/${video.id}/trim`).send({ start: 0, end: 1 })).status).toBe(404);
    expect((await as(keys.a).get(`/api/videos/${video.id}`)).status).toBe(200);
    expect((await as(keys.a).get(`/api/videos/${video.id}/download`)).status).toBe(200);
  });

  it("when B names A's records on the ingest, link and callback routes, then 404, and what B creates there is B's", async () => {
    const video = await uploadAs(keys.a);
    const job = await trimAs(keys.a, video.id);
    const b = as(keys.b);
    expect((await b.post(`/api/videos/${video.id}/links`).send({ expiresInSec: 60 })).status).toBe(404);
    expect((await as(keys.a).post(`/api/videos/${video.id}/links`).send({ expiresInSec: 60 })).status).toBe(201);
    expect((await b.get(`/api/jobs/${job.id}/callbacks`)).status).toBe(404);
    expect((await as(keys.a).get(`/api/jobs/${job.id}/callbacks`)).status).toBe(200);

    const created = await as(keys.a).post('/api/uploads').set('Tus-Resumable', '1.0.0').set('Upload-Length', '10');
    expect(created.status).toBe(201);
    const upload = created.headers.location as string;
    expect((await as(keys.a).get(upload)).status).toBe(200);
    for (const res of [
      await b.get(upload),
      await h.api.head(upload).set('Authorization', `Bearer ${keys.b}`).set('Tus-Resumable', '1.0.0'),
      await b.patch(upload).set('Tus-Resumable', '1.0.0').set('Upload-Offset', '0').set('Content-Type', 'application/offset+octet-stream').send(Buffer.alloc(10)),
      await b.delete(upload).set('Tus-Resumable', '1.0.0'),
    ]) expect(res.status).toBe(404);
    expect((await as(keys.a).get(upload)).body).toMatchObject({ status: 'receiving', offset: 0 });
    // No header the client sends changes whose upload it is: the key's tenant owns it.
    const forged = await b.post('/api/uploads').set('Tus-Resumable', '1.0.0').set('Upload-Length', '10').set('X-Video-Jobs-Owner-Tenant', 'tenant-a');
    const forgedUpload = forged.headers.location as string;
    expect((await as(keys.a).get(forgedUpload)).status).toBe(404);
    expect((await b.get(forgedUpload)).status).toBe(200);

    const imported = await b.post('/api/videos/import').send({ url: 'https://media.example.com/clip.mp4' });
    expect(imported.status).toBe(202);
    expect((await as(keys.a).get(`/api/videos/${imported.body.id}`)).status).toBe(404);
    expect((await b.get(`/api/videos/${imported.body.id}`)).status).toBe(200);
  });

  it("when each lists videos and jobs, then each sees its own only; the admin sees both, and ?tenant= filters", async () => {
    const va = await uploadAs(keys.a);
    const vb = await uploadAs(keys.b);
    const ja = await trimAs(keys.a, va.id);
    const jb = await trimAs(keys.b, vb.id);
    const ids = async (key: string, url: string) => ((await as(key).get(url)).body.items as Json[]).map((x) => x.id);

    const aVideos = await ids(keys.a, '/api/videos?limit=100');
    expect(aVideos).toContain(va.id);
    expect(aVideos).not.toContain(vb.id);
    const bJobs = await ids(keys.b, '/api/jobs?limit=100');
    expect(bJobs).toContain(jb.id);
    expect(bJobs).not.toContain(ja.id);
    // A key of tenant A cannot widen its view with ?tenant=.
    expect(await ids(keys.a, '/api/jobs?limit=100&tenant=tenant-b')).not.toContain(jb.id);

    expect(await ids(ROOT_KEY, '/api/jobs?limit=100')).toEqual(expect.arrayContaining([ja.id, jb.id]));
    const onlyB = await ids(ROOT_KEY, '/api/jobs?limit=100&tenant=tenant-b');
    expect(onlyB).toContain(jb.id);
    expect(onlyB).not.toContain(ja.id);
    expect((await as(keys.b).get(`/api/jobs/${ja.id}`)).status).toBe(404);
    expect((await root.get(`/api/jobs/${ja.id}`)).status).toBe(200);
  });

  it("when B concats A's video with its own, then 404 naming A's video, and nothing is recorded", async () => {
    const va = await uploadAs(keys.a);
    const vb = await uploadAs(keys.b);
    const before = (await root.get('/api/jobs')).body.total;
    const res = await as(keys.b).post('/api/videos/concat').send({ videoIds: [vb.id, va.id] });
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ code: 'video_not_found' });
    expect(res.body.detail).toContain(va.id);
    expect((await root.get('/api/jobs')).body.total).toBe(before);
    expect((await as(keys.b).post('/api/videos/concat').send({ videoIds: [vb.id, vb.id] })).status).toBe(201);
  });

  it("when A runs without ids, then only A's pending jobs are queued; B's stay pending; B naming A's job is 404", async () => {
    const ja = await trimAs(keys.a, (await uploadAs(keys.a)).id);
    const jb = await trimAs(keys.b, (await uploadAs(keys.b)).id);
    const named = await as(keys.b).post('/api/jobs/run').send({ jobIds: [ja.id] });
    expect(named.status).toBe(404);
    expect(named.body.code).toBe('job_not_found');
    const dry = await as(keys.a).post('/api/jobs/run').send({ dryRun: true });
    expect((dry.body.plans as Json[]).map((p) => p.jobId)).not.toContain(jb.id);

    const run = await as(keys.a).post('/api/jobs/run').send({});
    expect(run.status).toBe(202);
    expect(run.body.queued).toContain(ja.id);
    expect(run.body.queued).not.toContain(jb.id);
    expect((await as(keys.b).get(`/api/jobs/${jb.id}`)).body.status).toBe('pending');
    const [row] = await h.infra.sql<{ status: string }[]>`SELECT status FROM jobs WHERE id = ${jb.id}`;
    expect(row!.status).toBe('pending');
  });

  it("when B cancels or retries A's job, then 404 and A's job is unchanged", async () => {
    const ja = await trimAs(keys.a, (await uploadAs(keys.a)).id);
    expect((await as(keys.b).post(`/api/jobs/${ja.id}/cancel`)).status).toBe(404);
    expect((await as(keys.b).post(`/api/jobs/${ja.id}/retry`)).status).toBe(404);
    expect((await as(keys.a).get(`/api/jobs/${ja.id}`)).body.status).toBe('pending');
    expect((await as(keys.a).post(`/api/jobs/${ja.id}/cancel`)).status).toBe(200);
  });

  it("when B asks for A's webhook, then 404; each lists its own; an event of A is delivered to A's endpoint only", async () => {
    const wa = await as(keys.a).post('/api/webhooks').send({ url: 'https://a.example.com/hook' });
    const wb = await as(keys.b).post('/api/webhooks').send({ url: 'https://b.example.com/hook' });
    expect(wa.status).toBe(201);
    const b = as(keys.b);
    expect((await b.get(`/api/webhooks/${wa.body.id}`)).status).toBe(404);
    expect((await b.patch(`/api/webhooks/${wa.body.id}`).send({ enabled: false })).status).toBe(404);
    expect((await b.post(`/api/webhooks/${wa.body.id}/rotate-secret`)).status).toBe(404);
    expect((await b.get(`/api/webhooks/${wa.body.id}/deliveries`)).status).toBe(404);
    expect((await b.delete(`/api/webhooks/${wa.body.id}`)).status).toBe(404);
    const listed = ((await b.get('/api/webhooks')).body.items as Json[]).map((w) => w.id);
    expect(listed).toEqual([wb.body.id]);

    const ja = await trimAs(keys.a, (await uploadAs(keys.a)).id);
    expect((await as(keys.a).post('/api/jobs/run').send({ jobIds: [ja.id] })).status).toBe(202);
    const deliveries = await until('the job.queued event is fanned out', 10_000, async () => {
      const rows = await h.infra.sql<{ webhookId: string }[]>`SELECT webhook_id FROM webhook_deliveries WHERE subject_id = ${ja.id} AND event_type = 'job.queued'`;
      return rows.length > 0 ? rows : undefined;
    });
    expect(deliveries.map((d) => d.webhookId)).toEqual([wa.body.id]);
  });

  it("when each follows the event stream, then each sees its own tenant's events and never the other's", async () => {
    const sa = await openEvents(baseUrl, { Authorization: `Bearer ${keys.a}` });
    const sb = await openEvents(baseUrl, { Authorization: `Bearer ${keys.b}` });
    try {
      const vb = await uploadAs(keys.b);
      const va = await uploadAs(keys.a);
      await sa.waitFor((m) => m.data?.id === va.id, 10_000);
      await sb.waitFor((m) => m.data?.id === vb.id, 10_000);
      // A's event came after B's: by the time A saw its own, B's had been fanned out too.
      expect(sa.messages.some((m) => m.data?.id === vb.id)).toBe(false);
      expect(sb.messages.some((m) => m.data?.id === va.id)).toBe(false);
    } finally {
      sa.close();
      sb.close();
    }
  });

  it('when a read key of A reads, then it sees A; when it records, runs, cancels or deletes, then 403 insufficient_scope', async () => {
    const va = await uploadAs(keys.a);
    const reader = as(keys.aReader);
    expect((await reader.get(`/api/videos/${va.id}`)).status).toBe(200);
    for (const res of [
      await reader.post(`/api/videos/${va.id}/trim`).send({ start: 0, end: 1 }),
      await reader.post('/api/jobs/run').send({}),
      await reader.delete(`/api/videos/${va.id}`),
      await reader.post('/api/webhooks').send({ url: 'https://a.example.com/x' }),
    ]) {
      expect(res.status).toBe(403);
      expect(res.body.code).toBe('insufficient_scope');
    }
    expect((await reader.get(`/api/videos/${va.id}`)).status).toBe(200);
  });

  it('when two tenants send the same Idempotency-Key, then each gets its own job', async () => {
    const va = await uploadAs(keys.a);
    const vb = await uploadAs(keys.b);
    const key = `shared-${Date.now()}`;
    const ra = await as(keys.a).post(`/api/videos/${va.id}/trim`).set('Idempotency-Key', key).send({ start: 0, end: 1 });
    const rb = await as(keys.b).post(`/api/videos/${vb.id}/trim`).set('Idempotency-Key', key).send({ start: 0, end: 1 });
    expect(ra.status).toBe(201);
    expect(rb.status).toBe(201);
    expect(rb.body.id).not.toBe(ra.body.id);
  });
});

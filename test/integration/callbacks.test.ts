import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run, upload, waitForJob } from '../helpers/api-flow.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import { makeClip } from '../helpers/media.js';
import { WebhookReceiver } from '../helpers/webhook-receiver.js';

const SECRET = `whsec_${Buffer.from('a service-wide secret of 32 bytes').toString('base64')}`;

let h: Harness;
let media: string;
let clip: string;
let r: WebhookReceiver;

beforeAll(async () => {
  h = await startHarness({ worker: true, env: { WEBHOOK_ALLOW_PRIVATE: 'true', WEBHOOK_RETRY_BASE_MS: '200', WEBHOOK_SECRET: SECRET } });
  media = await mkdtemp(path.join(os.tmpdir(), 'vj-media-'));
  clip = await makeClip(media, { durationSec: 2, width: 64, height: 48, fps: 10, audio: false });
  r = await WebhookReceiver.start();
});

afterAll(async () => {
  await r?.close();
  await h?.close();
  await rm(media, { recursive: true, force: true });
});

const types = (subjectId: string) => r.about(subjectId).map((x) => x.event.type);

describe('per-command callbackUrl', () => {
  it('when a trim names a callbackUrl, then that receiver gets the job and output events, signed with WEBHOOK_SECRET, and the job lists them', async () => {
    const v = await upload(h, clip);
    const rec = await h.api.post(`/api/videos/${v.id}/trim`).send({ start: 0, end: 1, callbackUrl: r.url });
    expect(rec.status).toBe(201);
    expect(rec.body.callbackUrl).toBe(r.url);
    await run(h, [rec.body.id]);
    expect((await waitForJob(h, rec.body.id)).status).toBe('completed');

    await r.waitFor(() => types(rec.body.id).includes('job.completed') && types(rec.body.outputVideoId).includes('video.ready'));
    expect(types(rec.body.id)).toEqual(['job.queued', 'job.started', 'job.completed']);
    const verifier = new Webhook(SECRET);
    for (const got of [...r.about(rec.body.id), ...r.about(rec.body.outputVideoId)]) expect(verifier.verify(got.body, got.headers)).toEqual(got.event);
    expect(r.about(rec.body.id).at(-1)!.event.data).toEqual((await h.api.get(`/api/jobs/${rec.body.id}`)).body);

    const log = (await h.api.get(`/api/jobs/${rec.body.id}/callbacks`)).body;
    expect(log.items.map((d: any) => d.eventType).sort()).toEqual(['job.completed', 'job.queued', 'job.started', 'video.ready']);
    expect(log.items.every((d: any) => d.status === 'delivered' && d.webhookId === null && d.url === r.url)).toBe(true);

    const first = log.items.find((d: any) => d.eventType === 'job.queued');
    const before = r.received.length;
    const replayed = await h.api.post(`/api/jobs/${rec.body.id}/callbacks/${first.id}/replay`);
    expect(replayed.status).toBe(202);
    await r.waitFor((got) => got.length > before);
    expect(r.received.at(-1)!.headers['webhook-id']).toBe(first.eventId);
  });

  it('when a concat names a callbackUrl whose receiver fails twice, then it is retried until delivered; other jobs send nothing there', async () => {
    const a = await upload(h, clip);
    const b = await upload(h, clip);
    const plain = await h.api.post(`/api/videos/${a.id}/trim`).send({ start: 0, end: 1 });
    r.answer(500, 500);
    const c = await h.api.post('/api/videos/concat').send({ videoIds: [a.id, b.id], callbackUrl: r.url });
    expect(c.status).toBe(201);
    await run(h, [c.body.id, plain.body.id]);
    expect((await waitForJob(h, c.body.id)).status).toBe('completed');
    expect((await waitForJob(h, plain.body.id)).status).toBe('completed');
    await r.waitFor(() => types(c.body.id).includes('job.completed'));
    expect(types(c.body.id)).toEqual(['job.queued', 'job.started', 'job.completed']);
    expect(r.about(plain.body.id)).toEqual([]);
    expect((await h.api.get(`/api/jobs/${plain.body.id}/callbacks`)).body.items).toEqual([]);
  });

  it('when a callbackUrl is not http(s), then the command is refused and nothing is recorded', async () => {
    const v = await upload(h, clip);
    const before = (await h.api.get('/api/jobs')).body.total;
    const res = await h.api.post(`/api/videos/${v.id}/trim`).send({ start: 0, end: 1, callbackUrl: 'ftp://example.com/x' });
    expect(res.status).toBe(422);
    expect((await h.api.get('/api/jobs')).body.total).toBe(before);
  });
});

describe('without WEBHOOK_SECRET or WEBHOOK_ALLOW_PRIVATE', () => {
  it('when the service starts, then it keeps a generated secret in DATA_DIR (0600), and a private callbackUrl is refused with nothing recorded', async () => {
    const g = await startHarness({ worker: false });
    try {
      const file = path.join(g.config.dataDir, 'webhook-secret');
      expect((await readFile(file, 'utf8')).trim()).toMatch(/^whsec_[A-Za-z0-9+/]{32,}={0,2}$/);
      expect((await stat(file)).mode & 0o777).toBe(0o600);

      const v = await upload(g, clip);
      const res = await g.api.post(`/api/videos/${v.id}/trim`).send({ start: 0, end: 1, callbackUrl: 'http://127.0.0.1:9/hook' });
      expect(res.status).toBe(422);
      expect(res.body.code).toBe('webhook_url_refused');
      expect((await g.api.get('/api/jobs')).body.total).toBe(0);
      expect((await g.api.get('/api/videos')).body.total).toBe(1);
    } finally {
      await g.close();
    }
  });
});

import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Webhook } from 'standardwebhooks';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { run, trim, upload, waitForJob } from '../helpers/api-flow.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import { makeClip } from '../helpers/media.js';
import { until } from '../helpers/poll.js';
import { WebhookReceiver } from '../helpers/webhook-receiver.js';

let h: Harness;
let media: string;
let clip: string;
const receivers: WebhookReceiver[] = [];

beforeAll(async () => {
  h = await startHarness({ worker: true, env: { WEBHOOK_ALLOW_PRIVATE: 'true', WEBHOOK_RETRY_BASE_MS: '200' } });
  media = await mkdtemp(path.join(os.tmpdir(), 'vj-media-'));
  clip = await makeClip(media, { durationSec: 2, width: 64, height: 48, fps: 10, audio: false });
});

afterEach(async () => {
  // One endpoint per test: the others' deliveries would only get in the way.
  for (const w of (await h.api.get('/api/webhooks')).body.items) await h.api.delete(`/api/webhooks/${w.id}`);
  await Promise.all(receivers.splice(0).map((r) => r.close()));
});

afterAll(async () => {
  await h?.close();
  await rm(media, { recursive: true, force: true });
});

async function receiver(): Promise<WebhookReceiver> {
  const r = await WebhookReceiver.start();
  receivers.push(r);
  return r;
}

async function endpoint(url: string, events?: string[]): Promise<{ id: string; secret: string }> {
  const res = await h.api.post('/api/webhooks').send({ url, ...(events ? { events } : {}) });
  expect(res.status).toBe(201);
  return res.body;
}

/** A trim of a fresh upload, run to completion. */
async function completedTrim(): Promise<Record<string, any>> {
  const v = await upload(h, clip);
  const j = await trim(h, v.id, { start: 0, end: 1 });
  await run(h, [j.id]);
  expect((await waitForJob(h, j.id)).status).toBe('completed');
  return j;
}

const types = (r: WebhookReceiver, subjectId: string) => r.about(subjectId).map((x) => x.event.type);

describe('webhooks', () => {
  it('when a job runs, then the endpoint gets its events in order, signed as Standard Webhooks says, and the secret is shown once', async () => {
    const r = await receiver();
    const hook = await endpoint(r.url);
    expect(hook.secret).toMatch(/^whsec_/);
    expect((await h.api.get(`/api/webhooks/${hook.id}`)).body.secret).toBeUndefined();

    const j = await completedTrim();
    await r.waitFor(() => types(r, j.id).includes('job.completed') && types(r, j.outputVideoId).includes('video.ready'));
    expect(types(r, j.id)).toEqual(['job.queued', 'job.started', 'job.completed']);
    const verifier = new Webhook(hook.secret);
    for (const got of r.about(j.id)) {
      expect(verifier.verify(got.body, got.headers)).toEqual(got.event);
      expect(got.headers['webhook-id']).toBe(got.event.id);
    }
    const completed = r.about(j.id).at(-1)!.event;
    expect(completed.data).toEqual((await h.api.get(`/api/jobs/${j.id}`)).body);
    expect(() => new Webhook(`whsec_${Buffer.from('another secret!!').toString('base64')}`).verify(r.about(j.id)[0]!.body, r.about(j.id)[0]!.headers)).toThrow();
  });

  it('when the receiver answers 500 three times, then the fourth attempt delivers the event and the log shows every attempt', async () => {
    const r = await receiver();
    r.answer(500, 500, 500);
    const hook = await endpoint(r.url, ['job.completed']);
    const j = await completedTrim();
    await r.waitFor(() => r.about(j.id).length === 1);
    expect(r.received.filter((x) => x.event.data.id === j.id).map((x) => x.answeredWith)).toEqual([500, 500, 500, 200]);
    const log = (await h.api.get(`/api/webhooks/${hook.id}/deliveries`)).body;
    expect(log.items).toHaveLength(1);
    expect(log.items[0]).toMatchObject({ status: 'delivered', attempts: 4, lastStatusCode: 200, eventType: 'job.completed', lastError: null });
    expect(log.items[0].lastResponse).toBe('answered 200');
  });

  it('when the receiver is down and comes back, then it gets every event, in order per job', async () => {
    const probe = await WebhookReceiver.start();
    const port = probe.port;
    await probe.close();
    const hook = await endpoint(`http://127.0.0.1:${port}/hook`);
    const jobs = [await completedTrim(), await completedTrim()];
    const failing = (await h.api.get(`/api/webhooks/${hook.id}/deliveries`)).body.items;
    expect(failing.length).toBeGreaterThan(0);

    const r = await WebhookReceiver.start(port);
    receivers.push(r);
    await r.waitFor(() => jobs.every((j) => types(r, j.id).includes('job.completed')), 30_000);
    for (const j of jobs) expect(types(r, j.id)).toEqual(['job.queued', 'job.started', 'job.completed']);
  });

  it('when a delivery is replayed, then it is sent again with the same id; after a rotation the next one is signed with the new secret', async () => {
    const r = await receiver();
    const hook = await endpoint(r.url, ['job.completed']);
    const first = await completedTrim();
    await r.waitFor(() => r.about(first.id).length === 1);
    const [delivery] = (await h.api.get(`/api/webhooks/${hook.id}/deliveries`)).body.items;
    const replay = await h.api.post(`/api/webhooks/${hook.id}/deliveries/${delivery.id}/replay`);
    expect(replay.status).toBe(202);
    await r.waitFor(() => r.about(first.id).length === 2);
    expect(r.about(first.id)[1]!.headers['webhook-id']).toBe(r.about(first.id)[0]!.headers['webhook-id']);

    const rotated = (await h.api.post(`/api/webhooks/${hook.id}/rotate-secret`)).body;
    expect(rotated.secret).not.toBe(hook.secret);
    const second = await completedTrim();
    await r.waitFor(() => r.about(second.id).length === 1);
    const got = r.about(second.id)[0]!;
    expect(new Webhook(rotated.secret).verify(got.body, got.headers)).toEqual(got.event);
    expect(() => new Webhook(hook.secret).verify(got.body, got.headers)).toThrow();
  });

  it('when the receiver answers 410, then the endpoint is disabled and gets nothing more', async () => {
    const r = await receiver();
    r.answer(410);
    const hook = await endpoint(r.url, ['job.completed']);
    const j = await completedTrim();
    await r.waitFor(() => r.received.length === 1);
    // The receiver has answered; the dispatcher records the 410 a moment later.
    const disabled = await until('the endpoint disabled', 10_000, async () => {
      const w = (await h.api.get(`/api/webhooks/${hook.id}`)).body;
      return w.enabled === false ? w : undefined;
    });
    expect(disabled.disabledReason).toMatch(/410/);
    await completedTrim();
    const [latest] = (await h.api.get(`/api/webhooks/${hook.id}/deliveries`)).body.items;
    expect(latest.eventId).toBe(r.received[0]!.event.id);
    expect(r.received.map((x) => x.event.data.id)).toEqual([j.id]);
  });

  it('when a body is bad, then it is refused with a problem and no endpoint is made', async () => {
    for (const body of [{ url: 'ftp://example.com/x' }, { url: 'not a url' }, { url: 'https://example.com/', events: ['job.exploded'] }, { url: 'https://example.com', extra: 1 }]) {
      const res = await h.api.post('/api/webhooks').send(body);
      expect(res.status, JSON.stringify(body)).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      expect(res.headers['content-type']).toMatch(/problem\+json/);
    }
    expect((await h.api.get('/api/webhooks')).body.items).toEqual([]);
    expect((await h.api.get('/api/webhooks/00000000-0000-4000-8000-000000000000')).status).toBe(404);
  });
});

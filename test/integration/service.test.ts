import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { trim, upload } from '../helpers/api-flow.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import { makeClip } from '../helpers/media.js';

let h: Harness;
let media: string;
let clip: string;

beforeAll(async () => {
  h = await startHarness({ worker: false });
  media = await mkdtemp(path.join(os.tmpdir(), 'vj-media-'));
  clip = await makeClip(media, { durationSec: 1, width: 160, height: 120, fps: 25, audio: false });
});

afterAll(async () => {
  await h?.close();
  await rm(media, { recursive: true, force: true });
});

describe('service endpoints', () => {
  it('when /healthz is asked, then 200', async () => {
    expect((await h.api.get('/healthz')).status).toBe(200);
  });

  it('when PostgreSQL, Redis and FFmpeg answer, then /readyz is 200 naming each', async () => {
    const res = await h.api.get('/readyz');
    expect(res.status).toBe(200);
    expect(res.body.checks).toEqual({ postgres: 'ok', redis: 'ok', ffmpeg: 'ok' });
  });

  it('when /metrics is scraped, then it has jobs per state, job durations and HTTP latency', async () => {
    const v = await upload(h, clip);
    await trim(h, v.id, { start: 0, end: 0.5 });
    const res = await h.api.get('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/plain/);
    expect(res.text).toMatch(/video_jobs\{status="pending"\} [1-9]/);
    expect(res.text).toContain('video_job_duration_seconds');
    expect(res.text).toMatch(/http_request_duration_seconds_count\{method="POST",route="\/api\/videos",status="201"\} 1/);
    expect(res.text).toContain('video_queue_jobs');
  });

  it('when the OpenAPI document is asked, then it is 3.1 and lists every endpoint of the contract', async () => {
    const res = await h.api.get('/api/openapi.json');
    expect(res.status).toBe(200);
    expect(res.body.openapi).toBe('3.1.0');
    const paths = res.body.paths;
    const expected: [string, string][] = [
      ['/api/videos', 'post'], ['/api/videos', 'get'], ['/api/videos/{id}', 'get'], ['/api/videos/{id}/download', 'get'],
      ['/api/videos/{id}', 'delete'], ['/api/videos/{id}/trim', 'post'], ['/api/videos/concat', 'post'], ['/api/jobs/run', 'post'],
      ['/api/jobs', 'get'], ['/api/jobs/{id}', 'get'], ['/api/jobs/{id}/cancel', 'post'], ['/api/jobs/{id}/retry', 'post'],
      ['/api/events', 'get'], ['/healthz', 'get'], ['/readyz', 'get'], ['/metrics', 'get'], ['/api/openapi.json', 'get'],
    ];
    for (const [p, m] of expected) expect(paths[p]?.[m], `${m} ${p}`).toBeTruthy();
    const trimBody = paths['/api/videos/{id}/trim'].post.requestBody.content['application/json'].schema;
    expect(trimBody.properties.mode.enum).toEqual(['accurate', 'copy']);
    expect(trimBody.additionalProperties).toBe(false);
    expect(res.body.components.schemas.Job.properties.status.enum).toContain('in_progress');
  });

  it('when any response goes out, then it carries the security headers', async () => {
    const res = await h.api.get('/api/videos');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-frame-options']).toBe('SAMEORIGIN');
    expect(res.headers['strict-transport-security']).toBeTruthy();
    expect(res.headers['x-powered-by']).toBeUndefined();
  });

  it('when a JSON body is larger than 64 kB, then 413 and nothing is recorded', async () => {
    const before = (await h.api.get('/api/jobs')).body.total;
    const res = await h.api.post('/api/videos/concat').set('Content-Type', 'application/json').send(JSON.stringify({ videoIds: [], pad: 'x'.repeat(70_000) }));
    expect(res.status).toBe(413);
    expect(res.headers['content-type']).toMatch(/problem\+json/);
    expect((await h.api.get('/api/jobs')).body.total).toBe(before);
  });

  it('when an unknown route is asked, then a 404 problem document', async () => {
    const res = await h.api.get('/api/nothing-here');
    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toMatch(/application\/problem\+json/);
  });

  it('when a job changes, then /api/events streams a job event', async () => {
    const v = await upload(h, clip);
    const server = http.createServer(h.app).listen(0);
    const port = (server.address() as AddressInfo).port;
    try {
      const received = new Promise<string>((resolve, reject) => {
        const req = http.get(`http://127.0.0.1:${port}/api/events`, (res) => {
          expect(res.headers['content-type']).toMatch(/text\/event-stream/);
          let buf = '';
          res.on('data', (chunk: Buffer) => {
            buf += chunk.toString();
            if (buf.includes('event: job')) {
              req.destroy();
              resolve(buf);
            }
          });
          res.once('readable', () => void trim(h, v.id, { start: 0, end: 0.5 }));
        });
        req.on('error', (err) => (err.message.includes('aborted') ? undefined : reject(err)));
        setTimeout(() => reject(new Error('no event within 5 s')), 5_000).unref();
      });
      const text = await received;
      const data = JSON.parse(text.split('event: job\ndata: ')[1]!.split('\n')[0]!);
      expect(data).toMatchObject({ type: 'trim', status: 'pending' });
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});

describe('API_KEY', () => {
  let secured: Harness;
  beforeAll(async () => {
    secured = await startHarness({ worker: false, env: { API_KEY: 's3cret' } });
  });
  afterAll(async () => {
    await secured?.close();
  });

  it('when set, then /api needs the bearer key and health stays open', async () => {
    expect((await secured.api.get('/api/videos')).status).toBe(401);
    expect((await secured.api.get('/api/videos').set('Authorization', 'Bearer wrong')).status).toBe(401);
    const ok = await secured.api.get('/api/videos').set('Authorization', 'Bearer s3cret');
    expect(ok.status).toBe(200);
    const denied = await secured.api.get('/api/jobs');
    expect(denied.headers['content-type']).toMatch(/problem\+json/);
    expect((await secured.api.get('/healthz')).status).toBe(200);
    expect((await secured.api.get('/readyz')).status).toBe(200);
  });

  it('when set, then the OpenAPI document is open and declares the bearer token on /api routes only', async () => {
    const res = await secured.api.get('/api/openapi.json');
    expect(res.status).toBe(200);
    expect(res.body.security).toEqual([{ bearer: [] }]);
    expect(res.body.paths['/api/openapi.json'].get.security).toEqual([]);
    expect(res.body.paths['/healthz'].get.security).toEqual([]);
    expect(res.body.paths['/api/videos'].get.security).toBeUndefined();
    expect(res.body.paths['/api/videos'].get.responses['401'].content['application/problem+json']).toBeTruthy();
  });
});

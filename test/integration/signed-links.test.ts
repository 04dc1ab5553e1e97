import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../helpers/harness.js';
import { makeClip } from '../helpers/media.js';
import { problemShapeErrors } from '../helpers/problem-codes.js';
import { until } from '../helpers/poll.js';
import { startS3Server, type S3Server } from '../helpers/s3-server.js';

const API_KEY = 'links-key';
const auth = { Authorization: `Bearer ${API_KEY}` };
let s3: S3Server;
let media: string;
let clip: string;
let clipBytes: Buffer;

beforeAll(async () => {
  s3 = await startS3Server();
  media = await mkdtemp(path.join(os.tmpdir(), 'vj-links-'));
  clip = await makeClip(media, { name: 'linked', durationSec: 2, width: 160, height: 120, fps: 25, audio: true });
  clipBytes = await readFile(clip);
});
afterAll(async () => {
  await s3?.close();
  await rm(media, { recursive: true, force: true });
});

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const binary = (r: import('superagent').Request) =>
  r.buffer(true).parse((res, cb) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => cb(null, Buffer.concat(chunks)));
  });
/** The path and query of a link, for the in-process app. */
const local = (url: string) => {
  const u = new URL(url);
  return `${u.pathname}${u.search}`;
};

const backends: [string, () => Promise<Record<string, string>>][] = [
  ['fs', async () => ({})],
  ['s3', async () => s3.env(await s3.newBucket())],
];

describe.each(backends)('downloads and signed links on the %s backend', (_name, envOf) => {
  let h: Harness;
  let videoId: string;
  const uploadClip = async () => {
    const res = await h.api.post('/api/videos').set(auth).attach('file', clip);
    expect(res.status).toBe(201);
    return res.body.id as string;
  };
  const link = async (body: object) => h.api.post(`/api/videos/${videoId}/links`).set(auth).send(body);

  beforeAll(async () => {
    h = await startHarness({ worker: false, env: { API_KEY, ...(await envOf()) } });
    videoId = await uploadClip();
  });
  afterAll(async () => {
    await h?.close();
  });

  it('when downloaded with the key, then the whole file, a Range, HEAD and If-None-Match behave as before', async () => {
    const whole = await binary(h.api.get(`/api/videos/${videoId}/download`).set(auth));
    expect(whole.status).toBe(200);
    expect(sha(whole.body)).toBe(sha(clipBytes));
    expect(whole.headers['content-disposition']).toMatch(/^attachment; filename="linked\.mp4"/);
    const part = await binary(h.api.get(`/api/videos/${videoId}/download`).set(auth).set('Range', 'bytes=100-1099'));
    expect(part.status).toBe(206);
    expect(part.headers['content-range']).toBe(`bytes 100-1099/${clipBytes.length}`);
    expect(part.body).toEqual(clipBytes.subarray(100, 1100));
    const head = await h.api.head(`/api/videos/${videoId}/download`).set(auth);
    expect(head.status).toBe(200);
    expect(head.headers['content-length']).toBe(String(clipBytes.length));
    const again = await h.api.get(`/api/videos/${videoId}/download`).set(auth).set('If-None-Match', whole.headers.etag!);
    expect(again.status).toBe(304);
    const beyond = await h.api.get(`/api/videos/${videoId}/download`).set(auth).set('Range', `bytes=${clipBytes.length}-`);
    expect(beyond.status).toBe(416);
  });

  it('when a link is made, then it downloads without the key, with Range and HEAD, until it expires', async () => {
    const made = await link({ expiresInSec: 3600 });
    expect(made.status).toBe(201);
    expect(made.body.url).toMatch(/^http:\/\/[^/]+\/api\/signed\/videos\/[0-9a-f-]{36}\/download\?expires=\d+&signature=[\w-]{43}$/);
    expect(Math.abs(Date.parse(made.body.expiresAt) - (Date.now() + 3_600_000))).toBeLessThan(60_000);
    expect((await h.api.get(`/api/videos/${videoId}/download`)).status).toBe(401);

    const whole = await binary(h.api.get(local(made.body.url)));
    expect(whole.status).toBe(200);
    expect(sha(whole.body)).toBe(sha(clipBytes));
    expect(whole.headers['content-disposition']).toMatch(/^attachment; filename="linked\.mp4"/);
    const part = await binary(h.api.get(local(made.body.url)).set('Range', 'bytes=-500'));
    expect(part.status).toBe(206);
    expect(part.body).toEqual(clipBytes.subarray(clipBytes.length - 500));
    const head = await h.api.head(local(made.body.url));
    expect(head.status).toBe(200);
    expect(head.headers['content-length']).toBe(String(clipBytes.length));
  });

  it('when a link is tampered with, then it is refused with 403 link_invalid', async () => {
    const { url } = (await link({ expiresInSec: 600 })).body;
    const u = new URL(url);
    const sig = u.searchParams.get('signature')!;
    const flipped = `${sig.slice(0, 10)}${sig[10] === 'A' ? 'B' : 'A'}${sig.slice(11)}`;
    const other = await uploadClip();
    const tampered = [
      `${u.pathname}?expires=${u.searchParams.get('expires')}&signature=${flipped}`,
      `${u.pathname}?expires=${Number(u.searchParams.get('expires')) + 3600}&signature=${sig}`,
      `${u.pathname.replace(videoId, other)}${u.search}`,
      `${u.pathname}?expires=${u.searchParams.get('expires')}`,
      u.pathname,
    ];
    for (const p of tampered) {
      const res = await h.api.get(p);
      expect(res.status, p).toBe(403);
      expect(res.body.code, p).toBe('link_invalid');
      expect(problemShapeErrors(res.status, res.headers['content-type'], res.body, 'GET', p)).toEqual([]);
    }
  });

  it('when a link has expired, then it is refused with 403 link_expired', async () => {
    const made = await link({ expiresInSec: 2 });
    expect((await h.api.head(local(made.body.url))).status).toBe(200);
    const refused = await until('the link to expire', 10_000, async () => {
      const res = await h.api.get(local(made.body.url));
      return res.status === 200 ? undefined : res;
    }, 200);
    expect(refused.status).toBe(403);
    expect(refused.body).toMatchObject({ code: 'link_expired', retryable: false });
    expect(problemShapeErrors(refused.status, refused.headers['content-type'], refused.body, 'GET', local(made.body.url))).toEqual([]);
  });

  it('when the video is deleted, then its links are refused with 403 link_revoked', async () => {
    const doomed = await uploadClip();
    const made = await h.api.post(`/api/videos/${doomed}/links`).set(auth).send({});
    expect(made.status).toBe(201);
    expect((await h.api.head(local(made.body.url))).status).toBe(200);
    expect((await h.api.delete(`/api/videos/${doomed}`).set(auth)).status).toBe(204);
    const res = await h.api.get(local(made.body.url));
    expect(res.status).toBe(403);
    expect(res.body.code).toBe('link_revoked');
    expect(problemShapeErrors(res.status, res.headers['content-type'], res.body, 'GET', local(made.body.url))).toEqual([]);
  });

  it('when a link is asked for badly, then 4xx problems say why and no link is made', async () => {
    for (const [body, status, code] of [
      [{ expiresInSec: 0 }, 422, 'validation_failed'],
      [{ expiresInSec: 7 * 24 * 3600 + 1 }, 422, 'validation_failed'],
      [{ expiresInSec: 1.5 }, 400, 'invalid_body'],
      [{ expiresInSec: '60' }, 400, 'invalid_body'],
      [{ expiresInSec: 60, extra: true }, 400, 'invalid_body'],
    ] as const) {
      const res = await link(body);
      expect(res.status, JSON.stringify(body)).toBe(status);
      expect(res.body.code, JSON.stringify(body)).toBe(code);
      expect(problemShapeErrors(res.status, res.headers['content-type'], res.body, 'POST', `/api/videos/${videoId}/links`)).toEqual([]);
    }
    expect((await h.api.post(`/api/videos/${videoId}/links`).send({ expiresInSec: 60 })).status).toBe(401);
    const unknown = await h.api.post('/api/videos/00000000-0000-4000-8000-000000000000/links').set(auth).send({});
    expect(unknown.status).toBe(404);
    expect(unknown.body.code).toBe('video_not_found');
    const longest = await link({ expiresInSec: 7 * 24 * 3600 });
    expect(longest.status).toBe(201);
  });
});

describe('with S3_DOWNLOADS=redirect', () => {
  let h: Harness;
  let videoId: string;
  beforeAll(async () => {
    h = await startHarness({ worker: false, env: { API_KEY, ...s3.env(await s3.newBucket()), S3_DOWNLOADS: 'redirect' } });
    videoId = (await h.api.post('/api/videos').set(auth).attach('file', clip)).body.id;
  });
  afterAll(async () => {
    await h?.close();
  });

  const follow = async (location: string, headers: Record<string, string> = {}) => {
    const res = await fetch(location, { headers });
    return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) };
  };

  it('when a download is asked for, then it is a 302 to a presigned URL of the bucket that serves the file, ranges and its filename', async () => {
    const res = await h.api.get(`/api/videos/${videoId}/download`).set(auth);
    expect(res.status).toBe(302);
    expect(res.headers.location!.startsWith(s3.endpoint)).toBe(true);
    expect(res.headers.location).toMatch(/X-Amz-Signature=/);
    const whole = await follow(res.headers.location!);
    expect(whole.status).toBe(200);
    expect(sha(whole.body)).toBe(sha(clipBytes));
    expect(whole.headers.get('content-disposition')).toMatch(/^attachment; filename="linked\.mp4"/);
    const part = await follow(res.headers.location!, { Range: 'bytes=10-19' });
    expect(part.status).toBe(206);
    expect(part.body).toEqual(clipBytes.subarray(10, 20));
  });

  it('when a signed link is followed, then it checks the signature first and then redirects to the bucket', async () => {
    const made = await h.api.post(`/api/videos/${videoId}/links`).set(auth).send({ expiresInSec: 120 });
    const res = await h.api.get(local(made.body.url));
    expect(res.status).toBe(302);
    expect(new URL(res.headers.location!).searchParams.get('X-Amz-Expires')).toMatch(/^(1[01]\d|120|\d{1,2})$/);
    const part = await follow(res.headers.location!, { Range: 'bytes=0-99' });
    expect(part.status).toBe(206);
    expect(part.body).toEqual(clipBytes.subarray(0, 100));
    const bad = await h.api.get(local(made.body.url).replace(/signature=./, 'signature=_'));
    expect(bad.status).toBe(403);
  });
});

import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../helpers/harness.js';
import { makeClip } from '../helpers/media.js';
import { problemShapeErrors } from '../helpers/problem-codes.js';

let media: string;
let clip: string;
let clipBytes: number;
let quotaH: Harness;
let rateH: Harness;
const ROOT_KEY = 'limits-root-key';

beforeAll(async () => {
  media = await mkdtemp(path.join(os.tmpdir(), 'vj-media-'));
  clip = await makeClip(media, { durationSec: 2, width: 160, height: 120, fps: 25 });
  clipBytes = (await stat(clip)).size;
  // Room for one upload of the clip, not two.
  quotaH = await startHarness({ worker: false, env: { TENANT_QUOTA_BYTES: String(Math.floor(clipBytes * 1.5)) } });
  rateH = await startHarness({ worker: false, env: { API_KEY: ROOT_KEY, RATE_LIMIT_PER_MINUTE: '5' } });
});

afterAll(async () => {
  await quotaH?.close();
  await rateH?.close();
  await rm(media, { recursive: true, force: true });
});

const filesIn = async (dir: string) => (await readdir(dir).catch(() => [])).filter((n) => !n.startsWith('.'));

describe('storage quota', () => {
  it('when an upload would put the tenant past its quota, then 507 quota_exceeded and nothing is left behind', async () => {
    const first = await quotaH.api.post('/api/videos').attach('file', clip);
    expect(first.status).toBe(201);
    const videosBefore = await filesIn(path.join(quotaH.storageDir, 'videos'));

    const second = await quotaH.api.post('/api/videos').attach('file', clip);
    expect(second.status).toBe(507);
    expect(second.body).toMatchObject({ code: 'quota_exceeded', retryable: false });
    expect(second.body.detail).toContain('quota');
    expect(problemShapeErrors(second.status, second.headers['content-type'], second.body, 'POST', '/api/videos')).toEqual([]);

    expect((await quotaH.api.get('/api/videos')).body.total).toBe(1);
    expect(await filesIn(path.join(quotaH.storageDir, 'videos'))).toEqual(videosBefore);
    expect(await filesIn(quotaH.infra.storage.scratch.tmpDir)).toEqual([]);
  });

  it("when the tenant's own quota is already used up, then a trim is refused with 507 and no job is recorded; raising it lets the trim in", async () => {
    const video = (await quotaH.api.get('/api/videos')).body.items[0];
    await quotaH.infra.sql`UPDATE tenants SET quota_bytes = ${video.sizeBytes} WHERE id = 'default'`;
    const refused = await quotaH.api.post(`/api/videos/${video.id}/trim`).send({ start: 0, end: 1 });
    expect(refused.status).toBe(507);
    expect(refused.body.code).toBe('quota_exceeded');
    expect((await quotaH.api.get('/api/jobs')).body.total).toBe(0);
    expect((await quotaH.api.get('/api/videos')).body.total).toBe(1);

    await quotaH.infra.sql`UPDATE tenants SET quota_bytes = ${video.sizeBytes * 10} WHERE id = 'default'`;
    expect((await quotaH.api.post(`/api/videos/${video.id}/trim`).send({ start: 0, end: 1 })).status).toBe(201);
  });
});

describe('rate limit', () => {
  it('when a key makes more than RATE_LIMIT_PER_MINUTE requests in a minute, then 429 with Retry-After; another key is unaffected', async () => {
    const keyOf = async () => (await rateH.api.post('/api/keys').set('Authorization', `Bearer ${ROOT_KEY}`).send({ tenant: 'busy', scopes: ['read'] })).body.key as string;
    const [busy, calm] = [await keyOf(), await keyOf()];
    const get = (key: string) => rateH.api.get('/api/jobs').set('Authorization', `Bearer ${key}`);
    for (let i = 0; i < 5; i++) expect((await get(busy)).status).toBe(200);
    const limited = await get(busy);
    expect(limited.status).toBe(429);
    expect(limited.body).toMatchObject({ code: 'rate_limited', retryable: true });
    const retryAfter = Number(limited.headers['retry-after']);
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(60);
    expect(problemShapeErrors(limited.status, limited.headers['content-type'], limited.body, 'GET', '/api/jobs')).toEqual([]);
    expect((await get(calm)).status).toBe(200);
  });
});

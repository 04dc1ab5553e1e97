import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { S3BlobStore } from '../../src/storage/s3-blob-store.js';
import { concat, download, run, trim, upload, waitForJob } from '../helpers/api-flow.js';
import { TEST_DATABASE_URL, startHarness, type Harness } from '../helpers/harness.js';
import { countFrames, makeClip } from '../helpers/media.js';
import { envSharing, startWorkerProcess, type ServiceProcess } from '../helpers/processes.js';
import { startS3Server, type S3Server } from '../helpers/s3-server.js';

// The API in-process and two worker processes, each with a STORAGE_DIR of its own: they share
// PostgreSQL, Redis and the bucket, and no directory.
let s3: S3Server;
let s3Env: Record<string, string>;
let h: Harness;
let media: string;
const workerDirs: string[] = [];
const workers: ServiceProcess[] = [];

beforeAll(async () => {
  s3 = await startS3Server();
  s3Env = s3.env(await s3.newBucket());
  h = await startHarness({ worker: false, env: s3Env });
  media = await mkdtemp(path.join(os.tmpdir(), 'vj-media-'));
  for (let i = 0; i < 2; i++) {
    const dir = await mkdtemp(path.join(os.tmpdir(), `vj-worker${i}-`));
    workerDirs.push(dir);
    workers.push(await startWorkerProcess({ ...envSharing(h, TEST_DATABASE_URL), ...s3Env, STORAGE_DIR: dir, SCRATCH_MAX_BYTES: String(64 * 1024 * 1024) }));
  }
});

afterAll(async () => {
  await Promise.all(workers.map((w) => w.stop('SIGKILL')));
  await h?.close();
  await s3?.close();
  for (const d of [media, ...workerDirs]) if (d) await rm(d, { recursive: true, force: true });
});

const filesUnder = async (dir: string): Promise<string[]> => {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) if (e.isFile()) out.push(path.relative(dir, path.join(e.parentPath, e.name)));
  return out;
};

describe('STORAGE_BACKEND=s3 with two workers that share no directory', () => {
  it('when clips are uploaded, trimmed, concatenated and run, then every job completes on the workers and the result downloads with Range', async () => {
    const a = await upload(h, await makeClip(media, { name: 'a', durationSec: 3, width: 320, height: 240, fps: 25, audio: true }));
    const b = await upload(h, await makeClip(media, { name: 'b', durationSec: 2, width: 320, height: 240, fps: 25, audio: true }));
    const trims = [];
    for (let i = 0; i < 6; i++) trims.push(await trim(h, (i % 2 ? b : a).id, { start: 0.4, end: 1.4, ...(i % 3 === 2 ? { mode: 'copy' } : {}) }));
    // Inputs made by other jobs, possibly on the other worker: staged from the bucket too.
    const joined = await concat(h, [trims[0]!.outputVideoId, trims[1]!.outputVideoId, b.id]);
    expect((await run(h)).length).toBe(7);

    for (const j of [...trims, joined]) expect((await waitForJob(h, j.id, undefined, 120_000)).status, j.id).toBe('completed');
    const handled = workers.map((w) => w.logs.filter((l) => l.msg === 'job handled' && l.outcome === 'completed').length);
    expect(handled.every((n) => n > 0), `jobs per worker: ${handled}`).toBe(true);
    expect(handled.reduce((x, y) => x + y, 0)).toBe(7);

    const out = (await h.api.get(`/api/videos/${joined.outputVideoId}`)).body;
    expect(out.status).toBe('ready');
    const bytes = await download(h, joined.outputVideoId);
    expect(bytes.length).toBe(out.sizeBytes);
    const file = path.join(media, 'joined.mp4');
    await writeFile(file, bytes);
    expect(await countFrames(file)).toBe(25 + 25 + 50);
    const part = await h.api.get(`/api/videos/${joined.outputVideoId}/download`).set('Range', 'bytes=1000-4999').buffer(true).parse((r, cb) => {
      const chunks: Buffer[] = [];
      r.on('data', (c: Buffer) => chunks.push(c));
      r.on('end', () => cb(null, Buffer.concat(chunks)));
    });
    expect(part.status).toBe(206);
    expect(part.body).toEqual(bytes.subarray(1000, 5000));

    // The API stages from the bucket too: previews, and the smart-cut forecast of a dry run.
    const thumb = await h.api.get(`/api/videos/${a.id}/thumbnail`);
    expect(thumb.status).toBe(200);
    expect(thumb.headers['content-type']).toBe('image/jpeg');
    expect((await h.api.get(`/api/videos/${joined.outputVideoId}/keyframes`)).body.keyframes[0]).toBe(0);
    const pending = await trim(h, a.id, { start: 0.5, end: 2.5 });
    const plan = await h.api.post('/api/jobs/run').send({ jobIds: [pending.id], dryRun: true });
    expect(plan.status).toBe(200);
    expect(plan.body.plans[0]).toMatchObject({ jobId: pending.id, method: 'smart-cut' });

    // Every stored file is in the bucket and in no one's directory; the workers kept only staged copies.
    const store = new S3BlobStore(loadConfig(s3Env).storage.s3!);
    const keys = await store.keysOlderThan(new Date(Date.now() + 3_600_000));
    store.close();
    const ready = (await h.api.get('/api/videos?limit=100&status=ready')).body.items.map((v: { id: string }) => v.id);
    expect(ready).toHaveLength(2 + 7);
    for (const id of ready) expect(keys.some((k) => k.startsWith(id)), id).toBe(true);
    for (const dir of [h.storageDir, ...workerDirs]) expect(existsSync(path.join(dir, 'videos')), dir).toBe(false);
    const staged = await Promise.all(workerDirs.map(async (d) => (await filesUnder(d)).filter((f) => f.startsWith('scratch/inputs/'))));
    expect(staged.flat().length).toBeGreaterThan(0);
    for (const files of staged) expect(files.filter((f) => f.endsWith('.partial'))).toEqual([]);
    for (const dir of workerDirs) expect(await readdir(path.join(dir, 'tmp'))).toEqual([]);
  });
});

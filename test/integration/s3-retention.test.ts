import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RetentionService } from '../../src/services/retention.service.js';
import { upload } from '../helpers/api-flow.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import { makeClip } from '../helpers/media.js';
import { startS3Server, type S3Server } from '../helpers/s3-server.js';

let s3: S3Server;
let h: Harness;
let media: string;

beforeAll(async () => {
  s3 = await startS3Server();
  h = await startHarness({ worker: false, env: s3.env(await s3.newBucket()) });
  media = await mkdtemp(path.join(os.tmpdir(), 'vj-media-'));
});
afterAll(async () => {
  await h?.close();
  await s3?.close();
  await rm(media, { recursive: true, force: true });
});

describe('retention on STORAGE_BACKEND=s3', () => {
  it('when an object no video names is old enough, then it is deleted from the bucket, and the objects videos name are kept', async () => {
    const v = await upload(h, await makeClip(media, { durationSec: 1, width: 64, height: 48, fps: 10, audio: false }));
    const { blobs } = h.infra.storage;
    const orphanKey = `${randomUUID()}.2.mp4`;
    const orphanFile = path.join(media, 'orphan');
    await writeFile(orphanFile, 'finished but never recorded');
    await blobs.put(orphanFile, orphanKey);
    const retention = new RetentionService({ videos: h.infra.uow.read.videos, outbox: h.infra.outbox, storage: h.infra.storage, retentionHours: 2, outboxRetentionHours: 2 });

    // The bucket keeps its own times: judge them from three hours on instead of ageing them.
    const report = await retention.runOnce(new Date(Date.now() + 3 * 3_600_000));
    expect(report.orphanFilesDeleted).toBe(1);
    expect(await blobs.stat(orphanKey)).toBeUndefined();
    const key = (await h.infra.uow.read.videos.findById(v.id))!.storageKey!;
    expect(await blobs.stat(key)).toBeDefined();
    expect((await h.api.get(`/api/videos/${v.id}/download`)).status).toBe(200);
  });

  it('when a video is deleted, then its object leaves the bucket', async () => {
    const v = await upload(h, await makeClip(media, { durationSec: 1, width: 64, height: 48, fps: 10, audio: false }));
    const key = (await h.infra.uow.read.videos.findById(v.id))!.storageKey!;
    expect(await h.infra.storage.blobs.stat(key)).toBeDefined();
    expect((await h.api.delete(`/api/videos/${v.id}`)).status).toBe(204);
    expect(await h.infra.storage.blobs.stat(key)).toBeUndefined();
  });
});

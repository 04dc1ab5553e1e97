import { randomUUID } from 'node:crypto';
import { mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { concat, trim, upload } from '../helpers/api-flow.js';
import { startHarness, type Harness } from '../helpers/harness.js';
import { makeClip } from '../helpers/media.js';
import { RetentionService } from '../../src/services/retention.service.js';

let h: Harness;
let media: string;

beforeAll(async () => {
  h = await startHarness({ worker: false });
  media = await mkdtemp(path.join(os.tmpdir(), 'vj-media-'));
});

afterAll(async () => {
  await h?.close();
  await rm(media, { recursive: true, force: true });
});

/** Two hours of retention, batches of two: small enough to see the batching. */
const retention = () =>
  new RetentionService({ videos: h.infra.uow.read.videos, outbox: h.infra.outbox, storage: h.infra.storage, retentionHours: 2, outboxRetentionHours: 2, batchSize: 2 });

describe('retention', () => {
  it('when failed and cancelled outputs, stray temp files and files no video names are old enough, then they are deleted in bounded batches and the rest is kept', async () => {
    const v = await upload(h, await makeClip(media, { durationSec: 1, width: 64, height: 48, fps: 10, audio: false }));
    const cancelled = [];
    for (let i = 0; i < 5; i++) {
      const j = await trim(h, v.id, { start: 0, end: 0.5 });
      await h.api.post(`/api/jobs/${j.id}/cancel`);
      cancelled.push(j);
    }
    const recent = await trim(h, v.id, { start: 0, end: 0.5 });
    await h.api.post(`/api/jobs/${recent.id}/cancel`);
    const pending = await concat(h, [v.id, v.id]);
    const old = cancelled.map((j) => j.outputVideoId);
    await h.infra.sql`UPDATE videos SET updated_at = now() - interval '3 hours' WHERE id = ANY(${old}::uuid[])`;
    await h.infra.sql`UPDATE videos SET updated_at = now() - interval '3 hours' WHERE id = ${v.id}`;

    const strayOld = path.join(h.storageDir, 'tmp', 'job-stray.old.out');
    const strayNew = path.join(h.storageDir, 'tmp', 'job-stray.new.out');
    await writeFile(strayOld, 'partial');
    await writeFile(strayNew, 'partial');
    const threeHoursAgo = new Date(Date.now() - 3 * 3_600_000);
    await utimes(strayOld, threeHoursAgo, threeHoursAgo);
    // A crash between renaming an output into videos/ and committing it leaves a file no record names.
    const orphan = path.join(h.storageDir, 'videos', `${randomUUID()}.2.mp4`);
    const orphanNew = path.join(h.storageDir, 'videos', `${randomUUID()}.1.mp4`);
    await writeFile(orphan, 'finished but never recorded');
    await writeFile(orphanNew, 'about to be recorded');
    await utimes(orphan, threeHoursAgo, threeHoursAgo);
    const uploaded = path.join(h.storageDir, 'videos', (await h.infra.uow.read.videos.findById(v.id))!.storageKey!);
    await utimes(uploaded, threeHoursAgo, threeHoursAgo);

    const report = await retention().runOnce();
    expect(report).toEqual({ videosDeleted: 5, batches: 3, tempFilesDeleted: 1, orphanFilesDeleted: 1, outboxEventsDeleted: 0, idempotencyKeysDeleted: 0 });
    for (const id of old) expect((await h.api.get(`/api/videos/${id}`)).status).toBe(404);
    expect((await h.api.get(`/api/videos/${recent.outputVideoId}`)).body.status).toBe('failed');
    expect((await h.api.get(`/api/videos/${v.id}`)).status).toBe(200);
    expect((await h.api.get(`/api/videos/${pending.outputVideoId}`)).body.status).toBe('pending');
    expect(await readdir(path.join(h.storageDir, 'tmp'))).toEqual(['job-stray.new.out']);
    const kept = await readdir(path.join(h.storageDir, 'videos'));
    expect(kept).toContain(path.basename(uploaded));
    expect(kept).toContain(path.basename(orphanNew));
    expect(kept).not.toContain(path.basename(orphan));
    expect((await h.api.get(`/api/videos/${v.id}/download`)).status).toBe(200);
  });

  it('when events are older than OUTBOX_RETENTION_HOURS, then the delivered ones are deleted in batches and one still to hand over stays', async () => {
    const v = await upload(h, await makeClip(media, { durationSec: 1, width: 64, height: 48, fps: 10, audio: false }));
    await trim(h, v.id, { start: 0, end: 0.5 });
    // The relay must not deliver this one: it stands for a hand-off Redis has not taken yet.
    await h.infra.relay.stop();
    try {
      const jobId = randomUUID();
      await h.infra.outbox.append([{ type: 'job.runnable', subject: 'job', subjectId: jobId, seq: 1, payload: { id: jobId, type: 'trim' }, dispatch: true }]);
      await h.infra.sql`UPDATE outbox SET created_at = now() - interval '3 hours'`;
      const [row] = await h.infra.sql<{ n: number }[]>`SELECT count(*)::int AS n FROM outbox WHERE NOT dispatch OR dispatched_at IS NOT NULL`;
      const report = await retention().runOnce();
      expect(row!.n).toBeGreaterThan(2);
      expect(report.outboxEventsDeleted).toBe(row!.n);
      const left = await h.infra.sql<{ subjectId: string; dispatchedAt: Date | null }[]>`SELECT subject_id, dispatched_at FROM outbox`;
      expect(left.map((r) => r.subjectId)).toContain(jobId);
      expect(left.every((r) => r.dispatchedAt === null)).toBe(true);
    } finally {
      h.infra.relay.start();
    }
  });
});

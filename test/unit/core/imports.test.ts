import { beforeEach, describe, expect, it } from 'vitest';
import { ImportLifecycle } from '../../../src/core/imports.js';
import type { ProbedMetadata } from '../../../src/domain/video.js';
import { MemoryUnitOfWork } from '../../helpers/memory-stores.js';

let uow: MemoryUnitOfWork;
let imports: ImportLifecycle;
const probed: ProbedMetadata = { sizeBytes: 1000, durationSec: 2, width: 64, height: 48, fps: 25, videoCodec: 'h264', audioCodec: null, container: 'mp4', media: {} };
const eventTypes = (subjectId: string) => uow.events.filter((e) => e.subjectId === subjectId).map((e) => e.type);

beforeEach(() => {
  uow = new MemoryUnitOfWork();
  imports = new ImportLifecycle(uow);
});

describe('the import lifecycle', () => {
  it('when an import is requested, then a processing video with its source and the hand-off event are recorded together', async () => {
    const v = await imports.request('https://example.com/a.mp4', 'a.mp4');
    expect(v).toMatchObject({ kind: 'upload', status: 'processing', sourceUrl: 'https://example.com/a.mp4', originalName: 'a.mp4', storageKey: null });
    expect(eventTypes(v.id)).toEqual(['video.created', 'video.import_requested']);
    expect(await imports.pending(v.id)).toMatchObject({ id: v.id });
  });

  it('when it completes, then it is ready with video.ready, and a second completion or a late failure changes nothing', async () => {
    const v = await imports.request('https://example.com/a.mp4', null);
    const ready = await imports.complete(v.id, `${v.id}.1.ab.mp4`, probed);
    expect(ready).toMatchObject({ status: 'ready', storageKey: `${v.id}.1.ab.mp4`, width: 64 });
    expect(await imports.complete(v.id, `${v.id}.2.cd.mp4`, probed)).toBeUndefined();
    expect(await imports.fail(v.id, 'source_timeout', 'late')).toBeUndefined();
    expect((await uow.read.videos.findById(v.id))!.storageKey).toBe(`${v.id}.1.ab.mp4`);
    expect(eventTypes(v.id)).toEqual(['video.created', 'video.import_requested', 'video.ready']);
    expect(await imports.pending(v.id)).toBeUndefined();
  });

  it('when it fails, then the video says why with video.failed, and a late completion changes nothing', async () => {
    const v = await imports.request('https://example.com/a.mp4', null);
    expect(await imports.fail(v.id, 'source_http_error', 'https://example.com/a.mp4 answered 404')).toMatchObject({
      status: 'failed',
      errorCode: 'source_http_error',
      error: 'https://example.com/a.mp4 answered 404',
    });
    expect(await imports.complete(v.id, `${v.id}.1.ab.mp4`, probed)).toBeUndefined();
    expect(eventTypes(v.id)).toEqual(['video.created', 'video.import_requested', 'video.failed']);
  });
});

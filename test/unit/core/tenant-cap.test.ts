import { beforeEach, describe, expect, it } from 'vitest';
import { JobLifecycle, type Execution } from '../../../src/core/lifecycle.js';
import { insertReadyUpload, MemoryUnitOfWork } from '../../helpers/memory-stores.js';

// The scheduler's per-tenant cap, over in-memory stores: one job in progress per tenant while another waits.
let uow: MemoryUnitOfWork;
let core: JobLifecycle;

beforeEach(() => {
  uow = new MemoryUnitOfWork();
  core = new JobLifecycle(uow, { maxAttempts: 3, leaseMs: 5_000, tenantMaxRunning: 1 });
});

async function queuedTrimOf(tenant: string): Promise<string> {
  const video = await insertReadyUpload(uow.read.videos, { tenantId: tenant });
  const job = await core.record('trim', [video.id], { start: 1, end: 2, mode: 'accurate' }, {}, { owner: tenant, sees: tenant });
  await core.run([job.id], tenant);
  return job.id;
}

async function claimed(jobId: string): Promise<Execution> {
  const result = await core.claim(jobId);
  if (result.kind !== 'claimed') throw new Error(`expected a claim, got ${result.kind}`);
  return result.execution;
}

const runnableEvents = (jobId: string) => uow.events.filter((e) => e.subjectId === jobId && e.type === 'job.runnable').length;
const output = { method: 'reencode', storageKey: 'out.1.mp4', metadata: { sizeBytes: 10, durationSec: 1, width: 64, height: 48, fps: 25, videoCodec: 'h264', audioCodec: null, container: 'mp4', media: {} } };

describe('the per-tenant cap', () => {
  it('when a tenant at its cap has another job delivered while another tenant waits, then that job is parked, queued, with no attempt spent', async () => {
    const a1 = await queuedTrimOf('a');
    const a2 = await queuedTrimOf('a');
    await queuedTrimOf('b');
    await claimed(a1);
    expect(await core.claim(a2)).toEqual({ kind: 'parked' });
    expect(await uow.read.jobs.findById(a2)).toMatchObject({ status: 'queued', attempts: 0 });
  });

  it('when no other tenant has work waiting, then a tenant may use more slots than its cap', async () => {
    const a1 = await queuedTrimOf('a');
    const a2 = await queuedTrimOf('a');
    await claimed(a1);
    expect((await core.claim(a2)).kind).toBe('claimed');
  });

  it("when the tenant's running job completes, then its parked job is handed to the queue again and can be claimed", async () => {
    const a1 = await queuedTrimOf('a');
    const a2 = await queuedTrimOf('a');
    await queuedTrimOf('b');
    const first = await claimed(a1);
    await core.claim(a2);
    const before = runnableEvents(a2);
    expect(await core.complete(first, output)).toBe(true);
    expect(runnableEvents(a2)).toBe(before + 1);
    expect((await core.claim(a2)).kind).toBe('claimed');
  });

  it('when no cap is configured, then nothing is ever parked', async () => {
    core = new JobLifecycle(uow, { maxAttempts: 3, leaseMs: 5_000 });
    const a1 = await queuedTrimOf('a');
    const a2 = await queuedTrimOf('a');
    await queuedTrimOf('b');
    await claimed(a1);
    expect((await core.claim(a2)).kind).toBe('claimed');
  });
});

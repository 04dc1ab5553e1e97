import type { JobLifecycle } from '../core/lifecycle.js';
import { unavailable } from '../domain/errors.js';
import type { Job } from '../domain/job.js';
import type { TenantFilter } from '../domain/tenant.js';
import type { JobQueue } from '../queue/job-queue.js';

/**
 * POST /api/jobs/run. The lifecycle queues the jobs; the outbox relay hands the runnable ones to
 * Redis after the commit. With Redis away nothing is queued and the client hears so at once.
 */
export class RunService {
  constructor(
    private readonly lifecycle: JobLifecycle,
    private readonly queue: JobQueue,
    /** Told once the run committed, so that its runnable jobs are handed over without waiting for the relay's interval. */
    private readonly onQueued: () => void = () => {},
  ) {}

  /** Only `tenant`'s pending jobs (null: every tenant's). */
  async run(jobIds?: string[], tenant: TenantFilter = null): Promise<Job[]> {
    try {
      await this.queue.ping();
    } catch (err) {
      throw unavailable(`The job queue (Redis) is unreachable: ${(err as Error).message}`);
    }
    const queued = await this.lifecycle.run(jobIds, tenant);
    if (queued.length > 0) this.onQueued();
    return queued;
  }
}

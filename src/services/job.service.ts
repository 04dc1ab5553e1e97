import type { JobLifecycle } from '../core/lifecycle.js';
import type { JobListFilter, JobStore } from '../core/ports.js';
import { notFound } from '../domain/errors.js';
import type { Job } from '../domain/job.js';
import type { LocalScratch } from '../storage/scratch.js';
import { visibleTo, type TenantFilter } from '../domain/tenant.js';

/** Job queries, cancel and retry. */
export class JobService {
  constructor(
    private readonly jobs: JobStore,
    private readonly lifecycle: JobLifecycle,
    private readonly scratch: LocalScratch,
  ) {}

  /** Another tenant's job is unknown to the caller: 404, never 403. */
  async get(id: string, tenant: TenantFilter = null): Promise<Job> {
    const job = await this.jobs.findById(id);
    if (!job || !visibleTo(job, tenant)) throw notFound(`Job ${id} does not exist.`, 'job_not_found');
    return job;
  }

  list(filter: JobListFilter) {
    return this.jobs.list(filter);
  }

  /**
   * Whoever ends a job removes its temp files (those on this host; a worker elsewhere removes its own when it next sees the job ended): a worker that died mid-job never will, and a running
   * one, fenced by the cancel, only writes to files that are already unlinked.
   */
  async cancel(id: string, tenant: TenantFilter = null): Promise<Job> {
    const { job, ended } = await this.lifecycle.cancel(id, tenant);
    await Promise.all(ended.map((j) => this.scratch.discardJobTemps(j.id)));
    return job;
  }

  retry(id: string, tenant: TenantFilter = null): Promise<Job> {
    return this.lifecycle.retry(id, tenant);
  }
}

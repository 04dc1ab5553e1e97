import type { JobLifecycle } from '../core/lifecycle.js';
import type { JobListFilter, JobStore } from '../core/ports.js';
import { notFound } from '../domain/errors.js';
import type { Job } from '../domain/job.js';

/** Job queries, cancel and retry. */
export class JobService {
  constructor(
    private readonly jobs: JobStore,
    private readonly lifecycle: JobLifecycle,
  ) {}

  async get(id: string): Promise<Job> {
    const job = await this.jobs.findById(id);
    if (!job) throw notFound(`Job ${id} does not exist.`);
    return job;
  }

  list(filter: JobListFilter) {
    return this.jobs.list(filter);
  }

  cancel(id: string): Promise<Job> {
    return this.lifecycle.cancel(id);
  }

  retry(id: string): Promise<Job> {
    return this.lifecycle.retry(id);
  }
}

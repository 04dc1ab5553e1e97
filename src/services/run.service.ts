import type { Sql, TxSql } from '../db/sql-client.js';
import { conflict, notFound } from '../domain/errors.js';
import type { Job } from '../domain/job.js';
import { orderByDependencies } from '../domain/job-order.js';
import type { JobQueue } from '../queue/job-queue.js';
import { JobRepository } from '../repositories/job.repository.js';
import { VideoRepository } from '../repositories/video.repository.js';
import { enqueueOrUnavailable } from './enqueue.js';
import type { Notifier } from './notifier.js';

/**
 * POST /api/jobs/run. Jobs move pending → queued in one transaction of guarded updates, so two
 * concurrent runs split the jobs between them and never both take one. A queued job goes to the
 * queue as soon as every job it depends on has completed; the rest are handed over by the worker
 * that completes their last dependency.
 */
export class RunService {
  constructor(
    private readonly sql: Sql,
    private readonly jobs: JobRepository,
    private readonly queue: JobQueue,
    private readonly notify: Notifier,
  ) {}

  async run(jobIds?: string[]): Promise<Job[]> {
    const { queued, failed, enqueued } = await this.sql.begin(async (tx) => {
      const jobs = new JobRepository(tx);
      const selected = jobIds ? await this.selectNamed(jobs, jobIds) : await jobs.findPending();
      const queued = await jobs.markQueued(selected.map((j) => j.id));
      if (jobIds) {
        const taken = new Set(queued.map((j) => j.id));
        const lost = jobIds.find((id) => !taken.has(id));
        if (lost) throw conflict(`Job ${lost} is not pending: it was queued by another request.`);
      }
      const failed = await this.failThoseWithFailedDependencies(tx, queued);
      const runnable = await jobs.findRunnable(queued.map((j) => j.id));
      // Inside the transaction: if Redis refuses, nothing was queued and the caller gets a 503.
      await enqueueOrUnavailable(this.queue, runnable);
      return { queued, failed, enqueued: new Set(runnable.map((j) => j.id)) };
    });

    // A dependency that completed while the transaction ran is seen now that it has committed.
    const waiting = queued.filter((j) => !enqueued.has(j.id)).map((j) => j.id);
    if (waiting.length > 0) {
      const late = await this.jobs.findRunnable(waiting);
      await this.queue.enqueue(late).catch(() => {});
    }
    const failedIds = new Set(failed.map((j) => j.id));
    this.notify.jobs(queued.filter((j) => !failedIds.has(j.id)));
    this.notify.jobs(failed);
    return orderByDependencies(queued);
  }

  private async selectNamed(jobs: JobRepository, jobIds: string[]): Promise<Job[]> {
    const named = await jobs.findByIds(jobIds);
    const byId = new Map(named.map((j) => [j.id, j]));
    const unknown = jobIds.find((id) => !byId.has(id));
    if (unknown) throw notFound(`Job ${unknown} does not exist.`);
    const notPending = named.find((j) => j.status !== 'pending');
    if (notPending) throw conflict(`Job ${notPending.id} is not pending: it is ${notPending.status}.`);
    const deps = await jobs.findDependenciesTransitive(jobIds);
    const pendingDeps = deps.filter((d) => d.status === 'pending' && !byId.has(d.id));
    return [...named, ...pendingDeps];
  }

  /** A job whose input can never be produced fails at once instead of waiting forever. */
  private async failThoseWithFailedDependencies(tx: TxSql, queued: Job[]): Promise<Job[]> {
    const depIds = [...new Set(queued.flatMap((j) => j.dependsOn))];
    if (depIds.length === 0) return [];
    const jobs = new JobRepository(tx);
    const deps = await jobs.findByIds(depIds);
    const dead = new Map(deps.filter((d) => d.status === 'failed' || d.status === 'cancelled').map((d) => [d.id, d]));
    const failed: Job[] = [];
    for (const job of orderByDependencies(queued)) {
      const cause = job.dependsOn.map((id) => dead.get(id)).find(Boolean);
      if (!cause) continue;
      const rows = await jobs.fail([job.id], `Dependency job ${cause.id} is ${cause.status}.`);
      failed.push(...rows);
      for (const r of rows) dead.set(r.id, r);
      await new VideoRepository(tx).setStatus(job.outputVideoId, ['pending', 'processing'], 'failed');
    }
    return failed;
  }
}

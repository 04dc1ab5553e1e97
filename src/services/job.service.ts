import type { Sql } from '../db/sql-client.js';
import { conflict, notFound } from '../domain/errors.js';
import { isFinished, type Job } from '../domain/job.js';
import type { JobQueue } from '../queue/job-queue.js';
import { JobRepository, type JobListFilter } from '../repositories/job.repository.js';
import { VideoRepository } from '../repositories/video.repository.js';
import { enqueueOrUnavailable } from './enqueue.js';
import type { Notifier } from './notifier.js';

/** Job queries, cancel and retry. */
export class JobService {
  constructor(
    private readonly sql: Sql,
    private readonly jobs: JobRepository,
    private readonly queue: JobQueue,
    private readonly notify: Notifier,
  ) {}

  async get(id: string): Promise<Job> {
    const job = await this.jobs.findById(id);
    if (!job) throw notFound(`Job ${id} does not exist.`);
    return job;
  }

  list(filter: JobListFilter) {
    return this.jobs.list(filter);
  }

  /**
   * Cancels the job and every unfinished job that depends on it. A worker running one of them sees
   * the status change, stops its FFmpeg and removes the partial output.
   */
  async cancel(id: string): Promise<Job> {
    const { cancelled, videos } = await this.sql.begin(async (tx) => {
      const jobs = new JobRepository(tx);
      const job = await jobs.findById(id);
      if (!job) throw notFound(`Job ${id} does not exist.`);
      if (isFinished(job.status)) throw conflict(`Job ${id} is already ${job.status}.`);
      const dependants = (await jobs.findDependantsTransitive([id])).filter((j) => !isFinished(j.status));
      const cancelled = await jobs.cancel([id, ...dependants.map((j) => j.id)]);
      if (!cancelled.some((j) => j.id === id)) {
        const now = await jobs.findById(id);
        throw conflict(`Job ${id} is already ${now?.status ?? 'gone'}.`);
      }
      const videos = await new VideoRepository(tx).setStatusMany(
        cancelled.map((j) => j.outputVideoId),
        ['pending', 'processing'],
        'failed',
      );
      return { cancelled, videos };
    });
    await Promise.all(cancelled.map((j) => this.queue.discard(j.id)));
    this.notify.jobs(cancelled);
    this.notify.videos(videos);
    return cancelled.find((j) => j.id === id)!;
  }

  /**
   * Puts a failed job back in the queue, with the failed jobs it depends on: a job that failed
   * because its input failed can only succeed if that input is produced this time.
   */
  async retry(id: string): Promise<Job> {
    const { requeued, videos } = await this.sql.begin(async (tx) => {
      const jobs = new JobRepository(tx);
      const job = await jobs.findById(id);
      if (!job) throw notFound(`Job ${id} does not exist.`);
      if (job.status !== 'failed') throw conflict(`Job ${id} is ${job.status}, not failed: only a failed job can be retried.`);
      const failedDeps = (await jobs.findDependenciesTransitive([id])).filter((d) => d.status === 'failed');
      const requeued: Job[] = [];
      for (const candidate of [job, ...failedDeps]) {
        const row = await jobs.requeueFailed(candidate.id);
        if (row) requeued.push(row);
      }
      if (!requeued.some((j) => j.id === id)) throw conflict(`Job ${id} was retried by another request.`);
      const videos = await new VideoRepository(tx).setStatusMany(
        requeued.map((j) => j.outputVideoId),
        ['failed'],
        'pending',
      );
      const runnable = await jobs.findRunnable(requeued.map((j) => j.id));
      await enqueueOrUnavailable(this.queue, runnable);
      return { requeued, videos };
    });
    this.notify.jobs(requeued);
    this.notify.videos(videos);
    return requeued.find((j) => j.id === id)!;
  }
}

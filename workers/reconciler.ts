import type { Logger } from 'pino';
import type { JobQueue } from '../src/queue/job-queue.js';
import type { JobRepository } from '../src/repositories/job.repository.js';

const BATCH = 500;

/**
 * PostgreSQL is the truth, Redis only transport: jobs the database says are queued (and free to
 * run) or in progress are put back in the queue. Job ids are deterministic, so a job the queue
 * still holds is not added twice; run at worker start and then periodically.
 */
export class Reconciler {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<number> | undefined;

  constructor(
    private readonly jobs: JobRepository,
    private readonly queue: JobQueue,
    private readonly logger: Logger,
  ) {}

  async reconcileOnce(): Promise<number> {
    let after: string | null = null;
    let handed = 0;
    for (;;) {
      const batch = await this.jobs.findReconcilable(after, BATCH);
      if (batch.length === 0) break;
      await this.queue.enqueue(batch);
      handed += batch.length;
      after = batch[batch.length - 1]!.id;
      if (batch.length < BATCH) break;
    }
    return handed;
  }

  start(intervalMs: number): void {
    const tick = () => {
      if (this.running) return;
      this.running = this.reconcileOnce()
        .catch((err: unknown) => {
          this.logger.warn({ err: (err as Error).message }, 'reconcile failed; will try again');
          return 0;
        })
        .finally(() => (this.running = undefined));
    };
    tick();
    this.timer = setInterval(tick, intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await this.running;
  }
}

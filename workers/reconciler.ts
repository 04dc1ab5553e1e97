import type { Logger } from 'pino';
import type { JobLifecycle } from '../src/core/lifecycle.js';
import type { JobStore } from '../src/core/ports.js';
import { Poller } from '../src/outbox/poller.js';
import type { JobQueue } from '../src/queue/job-queue.js';
import type { WebhookDispatcher } from '../src/webhooks/dispatcher.js';

const BATCH = 500;

/**
 * PostgreSQL is the truth, Redis only transport. The relay delivers what the outbox holds; this
 * repairs what Redis lost: queued jobs free to run and running jobs whose worker is gone go back
 * in the queue (job ids are deterministic, so one the queue still holds is not added twice), and
 * queued jobs whose dependency failed or was cancelled fail, and overdue webhook deliveries go back
 * in their queue. Runs at worker start, then periodically.
 */
export class Reconciler {
  private readonly poller: Poller;

  constructor(
    private readonly jobs: JobStore,
    private readonly lifecycle: JobLifecycle,
    private readonly queue: JobQueue,
    private readonly webhooks: Pick<WebhookDispatcher, 'requeueOverdue'>,
    private readonly logger: Logger,
    intervalMs: number,
  ) {
    this.poller = new Poller(() => this.reconcileOnce(), intervalMs, (err) =>
      this.logger.warn({ err: (err as Error).message }, 'reconcile failed; will try again'),
    );
  }

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
    while ((await this.lifecycle.failBlocked(BATCH)) === BATCH);
    while ((await this.lifecycle.unparkEligible(BATCH)) === BATCH);
    while ((await this.webhooks.requeueOverdue(BATCH)) === BATCH);
    return handed;
  }

  start(): void {
    this.poller.start();
  }

  stop(): Promise<void> {
    return this.poller.stop();
  }
}

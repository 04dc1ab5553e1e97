import type { Logger } from 'pino';
import type { JobLifecycle } from '../src/core/lifecycle.js';
import type { JobStore, VideoStore } from '../src/core/ports.js';
import type { ImportQueue } from '../src/queue/import-queue.js';
import { Poller } from '../src/outbox/poller.js';
import type { JobQueue } from '../src/queue/job-queue.js';
import type { WebhookDispatcher } from '../src/webhooks/dispatcher.js';

const BATCH = 500;

/** What the reconciler needs to put imports Redis lost back in their queue. */
export interface ImportReconcile {
  videos: Pick<VideoStore, 'findStalledImports'>;
  queue: Pick<ImportQueue, 'add'>;
  /** An import unchanged this long may have lost its queue entry (re-adding one still queued adds nothing). */
  staleAfterMs: number;
}

/**
 * PostgreSQL is the truth, Redis only transport. The relay delivers what the outbox holds; this
 * repairs what Redis lost: queued jobs free to run and running jobs whose worker is gone go back
 * in the queue (job ids are deterministic, so one the queue still holds is not added twice), and
 * queued jobs whose dependency failed or was cancelled fail, overdue webhook deliveries and imports
 * still processing go back in their queues. Runs at worker start, then periodically.
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
    private readonly imports?: ImportReconcile,
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
    if (this.imports) {
      const stalled = await this.imports.videos.findStalledImports(new Date(Date.now() - this.imports.staleAfterMs), BATCH);
      await this.imports.queue.add(stalled.map((v) => v.id));
    }
    return handed;
  }

  start(): void {
    this.poller.start();
  }

  stop(): Promise<void> {
    return this.poller.stop();
  }
}

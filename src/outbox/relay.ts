import type { Logger } from 'pino';
import type { JobType } from '../domain/job.js';
import type { EnqueueItem } from '../queue/job-queue.js';
import type { OutboxRepository, OutboxRow } from '../repositories/outbox.repository.js';
import { Poller } from './poller.js';

/** Where runnable jobs go: the queue (BullMQ), or a recorder in tests. */
export interface HandOff {
  enqueue(items: readonly EnqueueItem[]): Promise<void>;
}

/** Where imports from a URL go: the import queue. */
export interface ImportHandOff {
  add(videoIds: readonly string[]): Promise<void>;
}

/** Where the events that webhooks carry go: the dispatcher makes their deliveries. */
export interface FanOut {
  fanOut(rows: readonly OutboxRow[]): Promise<void>;
}

export interface RelayOptions {
  intervalMs?: number;
  batchSize?: number;
  /** How long a claimed batch is this relay's before another may take it. */
  claimMs?: number;
}

/**
 * Hands outbox events that need it to their receivers: a runnable job to the queue, an import to the import queue, the events
 * webhooks carry to the webhook dispatcher. Runs in every
 * process; SKIP LOCKED claims split the rows, so each event is handed over once (and at least once:
 * a relay that dies holding a claim loses it after claimMs). BullMQ job ids are deterministic, so a
 * job handed over twice is queued once.
 */
export class OutboxRelay {
  private readonly poller: Poller;
  private readonly batchSize: number;
  private readonly claimMs: number;

  constructor(
    private readonly outbox: OutboxRepository,
    private readonly queue: HandOff,
    private readonly logger: Logger,
    opts: RelayOptions = {},
    private readonly webhooks?: FanOut,
    private readonly imports?: ImportHandOff,
  ) {
    this.batchSize = opts.batchSize ?? 100;
    this.claimMs = opts.claimMs ?? 30_000;
    this.poller = new Poller(() => this.relayOnce(), opts.intervalMs ?? 200, (err) =>
      this.logger.warn({ err: (err as Error).message }, 'outbox relay pass failed; will try again'),
    );
  }

  /** Hands over everything claimable now; returns how many events it delivered. */
  async relayOnce(): Promise<number> {
    let delivered = 0;
    for (;;) {
      const rows = await this.outbox.claimDispatchable(this.batchSize, this.claimMs);
      if (rows.length === 0) return delivered;
      try {
        await this.webhooks?.fanOut(rows);
        await this.queue.enqueue(rows.filter((r) => r.type === 'job.runnable').map(toEnqueueItem));
        await this.imports?.add(rows.filter((r) => r.type === 'video.import_requested').map((r) => r.subjectId));
      } catch (err) {
        await this.outbox.releaseClaims(rows.map((r) => r.id)).catch(() => {});
        throw err;
      }
      await this.outbox.markDispatched(rows.map((r) => r.id));
      delivered += rows.length;
      if (rows.length < this.batchSize) return delivered;
    }
  }

  start(): void {
    this.poller.start();
  }

  /** Hands over now what was just committed, rather than at the next interval (a run waits no poll). */
  nudge(): void {
    this.poller.kick();
  }

  stop(): Promise<void> {
    return this.poller.stop();
  }
}

function toEnqueueItem(row: OutboxRow): EnqueueItem {
  return { id: row.subjectId, type: row.payload.type as JobType };
}

import type { Logger } from 'pino';
import type { EventType } from '../core/ports.js';
import type { FeedCursor, OutboxRepository, OutboxRow } from '../repositories/outbox.repository.js';
import { Poller } from './poller.js';

export interface FeedEvent {
  /** The outbox id: the SSE event id a client sends back as Last-Event-ID. */
  id: number;
  /** `job` or `video`: the SSE event name. */
  type: 'job' | 'video';
  event: EventType;
  /** The subject's own sequence number. */
  seq: number;
  data: Record<string, unknown>;
  /** Only this tenant's clients (and admins) may see it. */
  tenantId: string;
}

export type FeedListener = (e: FeedEvent) => void;

const BATCH = 500;
const MAX_REPLAY = 10_000;

function toFeedEvent(r: OutboxRow): FeedEvent {
  return { id: r.id, type: r.subject, event: r.type, seq: r.seq, data: r.payload, tenantId: r.tenantId };
}

function after(a: FeedCursor, b: FeedCursor | null): boolean {
  if (!b) return true;
  const ta = BigInt(a.tx);
  const tb = BigInt(b.tx);
  return ta > tb || (ta === tb && a.id > b.id);
}

/**
 * The outbox read in commit order, fanned out to this process's listeners (SSE clients, metrics).
 * Every API process runs one; each sees every event.
 */
export class EventFeed {
  private readonly listeners = new Set<FeedListener>();
  private readonly poller: Poller;
  /** undefined until the feed knows where the outbox ends; null: it is empty. */
  private cursor: FeedCursor | null | undefined;
  private started = false;

  constructor(
    private readonly outbox: OutboxRepository,
    private readonly logger: Logger,
    intervalMs = 200,
  ) {
    this.poller = new Poller(() => this.pollOnce(), intervalMs, (err) =>
      this.logger.warn({ err: (err as Error).message }, 'event feed read failed; will try again'),
    );
  }

  /** Starts at the current end of the outbox: events before now are only for replays. */
  async start(): Promise<void> {
    if (this.started) return;
    this.started = true;
    this.cursor = await this.outbox.head().catch(() => undefined);
    this.poller.start();
  }

  stop(): Promise<void> {
    return this.poller.stop();
  }

  on(listener: FeedListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Where the feed stands: every event up to here has gone to the listeners. */
  position(): FeedCursor | null {
    return this.cursor ?? null;
  }

  /** The events after the one with id `lastId` up to `upTo`; undefined when that event is no longer kept. */
  async replay(lastId: number, upTo: FeedCursor | null): Promise<FeedEvent[] | undefined> {
    let from: FeedCursor | null | undefined = await this.outbox.cursorOf(lastId);
    if (!from) return undefined;
    const out: FeedEvent[] = [];
    while (upTo && after(upTo, from) && out.length < MAX_REPLAY) {
      const rows = await this.outbox.readAfter(from, BATCH);
      const inRange = rows.filter((r) => !after(r, upTo));
      out.push(...inRange.map(toFeedEvent));
      if (inRange.length < rows.length || rows.length < BATCH) break;
      from = rows.at(-1)!;
    }
    return out;
  }

  private async pollOnce(): Promise<void> {
    // Never from the start of the outbox: a feed that could not find its end yet finds it first.
    if (this.cursor === undefined) {
      this.cursor = await this.outbox.head();
      return;
    }
    for (;;) {
      const rows = await this.outbox.readAfter(this.cursor, BATCH);
      for (const r of rows) {
        this.cursor = { tx: r.tx, id: r.id };
        const e = toFeedEvent(r);
        for (const l of this.listeners) {
          try {
            l(e);
          } catch (err) {
            this.logger.warn({ err: (err as Error).message }, 'event listener failed');
          }
        }
      }
      if (rows.length < BATCH) return;
    }
  }
}

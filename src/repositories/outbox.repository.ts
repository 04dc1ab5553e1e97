import { randomUUID } from 'node:crypto';
import type { Queryable } from '../db/sql-client.js';
import { DEFAULT_TENANT } from '../domain/tenant.js';
import type { EventType, NewEvent, OutboxStore } from '../core/ports.js';

export interface OutboxRow {
  id: number;
  eventId: string;
  /** The id of the transaction that wrote it (xid8, as text). */
  tx: string;
  type: EventType;
  subject: 'job' | 'video';
  subjectId: string;
  seq: number;
  payload: Record<string, unknown>;
  tenantId: string;
  createdAt: Date;
}

/** A position in commit order: rows are read by (tx, id), never by id alone (ids are not commit order). */
export interface FeedCursor {
  tx: string;
  id: number;
}

// Internal events are for the relay; readers of the feed (SSE, metrics) never see them.
const INTERNAL: EventType[] = ['job.runnable', 'video.import_requested'];

/** The only SQL for the outbox: writes inside units of work, reads and claims for the relay and the feed. */
export class OutboxRepository implements OutboxStore {
  constructor(private readonly sql: Queryable) {}

  async append(events: readonly NewEvent[]): Promise<void> {
    if (events.length === 0) return;
    const rows = events.map((e) => ({
      event_id: randomUUID(),
      type: e.type,
      subject: e.subject,
      subject_id: e.subjectId,
      seq: e.seq,
      payload: e.payload,
      dispatch: e.dispatch,
      tenant_id: e.tenantId ?? DEFAULT_TENANT,
    }));
    await this.sql`INSERT INTO outbox ${this.sql(rows as never, 'event_id', 'type', 'subject', 'subject_id', 'seq', 'payload', 'dispatch', 'tenant_id')}`;
  }

  /**
   * Claims up to `limit` rows to hand over, for `claimMs`: a short statement with SKIP LOCKED, so
   * relays in many processes split the rows and none holds a lock while it talks to Redis.
   */
  async claimDispatchable(limit: number, claimMs: number): Promise<OutboxRow[]> {
    // In id order: RETURNING gives rows in no particular order, and the queue hands jobs out in the order they are added.
    return this.sql<OutboxRow[]>`
      WITH claimed AS (
        UPDATE outbox SET claimed_until = now() + ${claimMs} * interval '1 millisecond'
        WHERE id IN (
          SELECT id FROM outbox
          WHERE dispatch AND dispatched_at IS NULL AND (claimed_until IS NULL OR claimed_until < now())
          ORDER BY id LIMIT ${limit} FOR UPDATE SKIP LOCKED)
        RETURNING id, event_id, tx::text AS tx, type, subject, subject_id, seq, payload, tenant_id, created_at)
      SELECT * FROM claimed ORDER BY id`;
  }

  async markDispatched(ids: readonly number[]): Promise<void> {
    if (ids.length === 0) return;
    await this.sql`UPDATE outbox SET dispatched_at = now() WHERE id = ANY(${ids as number[]}::bigint[])`;
  }

  async releaseClaims(ids: readonly number[]): Promise<void> {
    if (ids.length === 0) return;
    await this.sql`UPDATE outbox SET claimed_until = NULL WHERE id = ANY(${ids as number[]}::bigint[]) AND dispatched_at IS NULL`;
  }

  /**
   * Public events after `cursor` in commit order. Only rows of transactions older than every one
   * still running are read: a row that commits later can never sort before one already read.
   */
  async readAfter(cursor: FeedCursor | null, limit: number): Promise<OutboxRow[]> {
    const tx = cursor?.tx ?? null;
    const id = cursor?.id ?? 0;
    return this.sql<OutboxRow[]>`
      SELECT id, event_id, tx::text AS tx, type, subject, subject_id, seq, payload, tenant_id, created_at FROM outbox
      WHERE tx < pg_snapshot_xmin(pg_current_snapshot())
        AND (${tx}::xid8 IS NULL OR (tx, id) > (${tx}::xid8, ${id}::bigint))
        AND type <> ALL(${INTERNAL}::text[])
      ORDER BY tx, id LIMIT ${limit}`;
  }

  /** Where the feed stands now: after every row whose transaction has ended. */
  async head(): Promise<FeedCursor | null> {
    const [row] = await this.sql<{ id: number; tx: string }[]>`
      SELECT id, tx::text AS tx FROM outbox WHERE tx < pg_snapshot_xmin(pg_current_snapshot())
      ORDER BY tx DESC, id DESC LIMIT 1`;
    return row ? { tx: row.tx, id: row.id } : null;
  }

  /** The cursor of the event a client last saw (its SSE id), if that row is still kept. */
  async cursorOf(id: number): Promise<FeedCursor | undefined> {
    const [row] = await this.sql<{ id: number; tx: string }[]>`SELECT id, tx::text AS tx FROM outbox WHERE id = ${id}`;
    return row ? { tx: row.tx, id: row.id } : undefined;
  }

  /** Deletes up to `limit` rows older than `before` that need no hand-off any more; returns how many. */
  async deleteDeliveredBefore(before: Date, limit: number): Promise<number> {
    const rows = await this.sql`
      DELETE FROM outbox WHERE id IN (
        SELECT id FROM outbox WHERE created_at < ${before} AND (NOT dispatch OR dispatched_at IS NOT NULL)
        ORDER BY id LIMIT ${limit} FOR UPDATE SKIP LOCKED)
      RETURNING id`;
    return rows.length;
  }
}

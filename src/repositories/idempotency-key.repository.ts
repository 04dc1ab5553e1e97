import type { Queryable } from '../db/sql-client.js';

/** The answer stored for a key: replayed byte for byte. */
export interface StoredResponse {
  status: number;
  /** Lower-case header name → value (Location, Content-Type). */
  headers: Record<string, string>;
  body: string;
}

export interface IdempotencyRecord {
  scope: string;
  key: string;
  fingerprint: string;
  owner: string;
  lockedUntil: Date;
  /** null while the first request is in flight. */
  responseStatus: number | null;
  responseHeaders: Record<string, string> | null;
  responseBody: string | null;
  createdAt: Date;
  expiresAt: Date;
}

export interface ClaimRequest {
  scope: string;
  key: string;
  fingerprint: string;
  owner: string;
  leaseMs: number;
  ttlMs: number;
}

/**
 * `resourceId`: the id the request gives what it creates. A request that takes over an abandoned
 * key gets its first owner's, so it finds what that one committed rather than creating it again.
 */
export type ClaimResult = { claimed: true; resourceId: string } | { claimed: false; existing: IdempotencyRecord };

export interface IdempotencyKeyStore {
  /**
   * Takes the key for `owner`: when no live row holds it, or the one that does expired, or is an
   * abandoned in-flight row of the same request (its owner's lease lapsed). Otherwise the row that holds it.
   */
  claim(c: ClaimRequest): Promise<ClaimResult>;
  /** Stores the answer; false when `owner` no longer holds the key. */
  complete(scope: string, key: string, owner: string, response: StoredResponse): Promise<boolean>;
  /** Gives the key up (the answer is not to be replayed): the next request with it runs afresh. */
  release(scope: string, key: string, owner: string): Promise<void>;
  deleteExpiredBefore(now: Date, limit: number): Promise<number>;
}

/** The PostgreSQL side of idempotency keys: the only SQL for them. */
export class IdempotencyKeyRepository implements IdempotencyKeyStore {
  constructor(private readonly sql: Queryable) {}

  async claim(c: ClaimRequest): Promise<ClaimResult> {
    for (;;) {
      const [taken] = await this.sql<{ resourceId: string }[]>`
        INSERT INTO idempotency_keys AS k (scope, key, fingerprint, owner, locked_until, expires_at, resource_id)
        VALUES (${c.scope}, ${c.key}, ${c.fingerprint}, ${c.owner},
          now() + ${c.leaseMs} * interval '1 millisecond', now() + ${c.ttlMs} * interval '1 millisecond', gen_random_uuid())
        ON CONFLICT (scope, key) DO UPDATE SET
          fingerprint = EXCLUDED.fingerprint, owner = EXCLUDED.owner, locked_until = EXCLUDED.locked_until,
          expires_at = EXCLUDED.expires_at, created_at = now(),
          response_status = NULL, response_headers = NULL, response_body = NULL,
          resource_id = CASE WHEN k.expires_at <= now() THEN EXCLUDED.resource_id ELSE k.resource_id END
        WHERE k.expires_at <= now()
          OR (k.response_status IS NULL AND k.locked_until <= now() AND k.fingerprint = EXCLUDED.fingerprint)
        RETURNING resource_id`;
      if (taken) return { claimed: true, resourceId: taken.resourceId };
      const [existing] = await this.sql<IdempotencyRecord[]>`SELECT * FROM idempotency_keys WHERE scope = ${c.scope} AND key = ${c.key}`;
      // Released between the two statements: try again.
      if (existing) return { claimed: false, existing };
    }
  }

  async complete(scope: string, key: string, owner: string, r: StoredResponse): Promise<boolean> {
    const rows = await this.sql`
      UPDATE idempotency_keys SET response_status = ${r.status}, response_headers = ${this.sql.json(r.headers)}, response_body = ${r.body}
      WHERE scope = ${scope} AND key = ${key} AND owner = ${owner} AND response_status IS NULL
      RETURNING key`;
    return rows.length > 0;
  }

  async release(scope: string, key: string, owner: string): Promise<void> {
    await this.sql`DELETE FROM idempotency_keys WHERE scope = ${scope} AND key = ${key} AND owner = ${owner} AND response_status IS NULL`;
  }

  async deleteExpiredBefore(now: Date, limit: number): Promise<number> {
    const rows = await this.sql`
      DELETE FROM idempotency_keys WHERE (scope, key) IN (
        SELECT scope, key FROM idempotency_keys WHERE expires_at <= ${now}
        ORDER BY expires_at LIMIT ${limit} FOR UPDATE SKIP LOCKED)
      RETURNING key`;
    return rows.length;
  }
}

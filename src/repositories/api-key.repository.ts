import type { Queryable } from '../db/sql-client.js';
import type { ApiKey, Scope, TenantFilter } from '../domain/tenant.js';

export interface NewApiKey {
  id: string;
  tenantId: string;
  name: string;
  keyHash: string;
  prefix: string;
  scopes: Scope[];
  expiresAt: Date | null;
}

export type StoredApiKey = ApiKey & { keyHash: string };

const COLUMNS = ['id', 'tenant_id', 'name', 'prefix', 'scopes', 'created_at', 'last_used_at', 'expires_at', 'revoked_at'] as const;

/** The only SQL for tenants and API keys. A key's secret is never here: only its SHA-256. */
export class ApiKeyRepository {
  constructor(private readonly sql: Queryable) {}

  /** Creates the key, and its tenant when it is the first of that tenant. */
  async insert(k: NewApiKey): Promise<ApiKey> {
    const [row] = await this.sql<ApiKey[]>`
      WITH tenant AS (INSERT INTO tenants (id) VALUES (${k.tenantId}) ON CONFLICT DO NOTHING)
      INSERT INTO api_keys (id, tenant_id, name, key_hash, prefix, scopes, expires_at)
      VALUES (${k.id}, ${k.tenantId}, ${k.name}, ${k.keyHash}, ${k.prefix}, ${k.scopes}::text[], ${k.expiresAt})
      RETURNING ${this.sql(COLUMNS)}`;
    return row!;
  }

  async findByHash(keyHash: string): Promise<StoredApiKey | undefined> {
    const [row] = await this.sql<StoredApiKey[]>`SELECT * FROM api_keys WHERE key_hash = ${keyHash}`;
    return row;
  }

  async findById(id: string): Promise<StoredApiKey | undefined> {
    const [row] = await this.sql<StoredApiKey[]>`SELECT * FROM api_keys WHERE id = ${id}`;
    return row;
  }

  async list(tenant: TenantFilter): Promise<ApiKey[]> {
    return this.sql<ApiKey[]>`
      SELECT ${this.sql(COLUMNS)} FROM api_keys WHERE (${tenant}::text IS NULL OR tenant_id = ${tenant})
      ORDER BY created_at DESC, id DESC`;
  }

  async revoke(id: string): Promise<ApiKey | undefined> {
    const [row] = await this.sql<ApiKey[]>`
      UPDATE api_keys SET revoked_at = COALESCE(revoked_at, now()) WHERE id = ${id} RETURNING ${this.sql(COLUMNS)}`;
    return row;
  }

  /** At most one write a minute per key: last use is for people, not an audit log. */
  async touch(id: string): Promise<void> {
    await this.sql`
      UPDATE api_keys SET last_used_at = now()
      WHERE id = ${id} AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')`;
  }

  /** Whether any key was ever created: from then on the API needs one. */
  async anyExists(): Promise<boolean> {
    const [row] = await this.sql<{ exists: boolean }[]>`SELECT EXISTS (SELECT 1 FROM api_keys) AS exists`;
    return row!.exists;
  }
}

-- Tenants and their API keys. Every video, job, webhook and outbox event belongs to one tenant; rows
-- made before tenants existed (and everything made on an open server) belong to 'default'.
CREATE TABLE IF NOT EXISTS tenants (
  id           text PRIMARY KEY CHECK (id ~ '^[a-z0-9][a-z0-9_-]{0,62}$'),
  -- NULL: TENANT_QUOTA_BYTES (or no quota) / TENANT_MAX_RUNNING (or its default).
  quota_bytes  bigint CHECK (quota_bytes >= 0),
  max_running  integer CHECK (max_running > 0),
  created_at   timestamptz NOT NULL DEFAULT now()
);
INSERT INTO tenants (id) VALUES ('default') ON CONFLICT DO NOTHING;

-- Only the SHA-256 of a key is kept; `prefix` (its first characters) lets people tell keys apart.
CREATE TABLE IF NOT EXISTS api_keys (
  id            uuid PRIMARY KEY,
  tenant_id     text NOT NULL REFERENCES tenants (id),
  name          text NOT NULL,
  key_hash      text NOT NULL UNIQUE,
  prefix        text NOT NULL,
  scopes        text[] NOT NULL CHECK (scopes <@ ARRAY['read', 'write', 'admin']::text[] AND cardinality(scopes) > 0),
  created_at    timestamptz NOT NULL DEFAULT now(),
  last_used_at  timestamptz,
  expires_at    timestamptz,
  revoked_at    timestamptz
);
CREATE INDEX IF NOT EXISTS api_keys_tenant_idx ON api_keys (tenant_id, created_at DESC);

ALTER TABLE videos ADD COLUMN IF NOT EXISTS tenant_id text NOT NULL DEFAULT 'default';
ALTER TABLE jobs ADD COLUMN IF NOT EXISTS tenant_id text NOT NULL DEFAULT 'default';
ALTER TABLE webhooks ADD COLUMN IF NOT EXISTS tenant_id text NOT NULL DEFAULT 'default';
ALTER TABLE outbox ADD COLUMN IF NOT EXISTS tenant_id text NOT NULL DEFAULT 'default';
-- Set when a claim was refused because the tenant had its cap of jobs in progress: the job waits in
-- `queued`, out of the queue, until one of its tenant's jobs ends and hands it over again.
ALTER TABLE jobs ADD COLUMN IF NOT EXISTS parked_at timestamptz;

CREATE INDEX IF NOT EXISTS videos_tenant_created_idx ON videos (tenant_id, created_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS jobs_tenant_created_idx ON jobs (tenant_id, created_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS jobs_tenant_running_idx ON jobs (tenant_id) WHERE status = 'in_progress';
CREATE INDEX IF NOT EXISTS jobs_tenant_pending_idx ON jobs (tenant_id, id) WHERE status = 'pending';
CREATE INDEX IF NOT EXISTS jobs_parked_idx ON jobs (tenant_id, parked_at, id) WHERE status = 'queued' AND parked_at IS NOT NULL;
CREATE INDEX IF NOT EXISTS webhooks_tenant_idx ON webhooks (tenant_id, created_at DESC, id DESC);

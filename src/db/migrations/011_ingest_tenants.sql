-- A resumable upload belongs to the tenant of the key that created it, like the video it becomes.
ALTER TABLE resumable_uploads ADD COLUMN IF NOT EXISTS tenant_id text NOT NULL DEFAULT 'default';

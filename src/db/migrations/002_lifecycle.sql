-- Fencing: `attempts` is the token of the execution that owns a running job; `lease_until` is how
-- long that execution's claim holds without a heartbeat. `attempt_base` is `attempts` when the
-- current run began (a retry starts a new run with a fresh attempt budget).
ALTER TABLE jobs ADD COLUMN IF NOT EXISTS lease_until timestamptz;
ALTER TABLE jobs ADD COLUMN IF NOT EXISTS attempt_base integer NOT NULL DEFAULT 0;
ALTER TABLE jobs ADD COLUMN IF NOT EXISTS event_seq integer NOT NULL DEFAULT 0;
ALTER TABLE videos ADD COLUMN IF NOT EXISTS event_seq integer NOT NULL DEFAULT 0;

-- The transactional outbox: every status or progress change writes its event here in the same
-- transaction. `tx` orders rows by commit visibility (readers only take rows of transactions older
-- than every running one). `dispatch` rows are handed over by the relay (the queue hand-off).
CREATE TABLE IF NOT EXISTS outbox (
  id             bigserial PRIMARY KEY,
  event_id       uuid NOT NULL UNIQUE,
  tx             xid8 NOT NULL DEFAULT pg_current_xact_id(),
  type           text NOT NULL,
  subject        text NOT NULL CHECK (subject IN ('job', 'video')),
  subject_id     uuid NOT NULL,
  seq            integer NOT NULL,
  payload        jsonb NOT NULL,
  dispatch       boolean NOT NULL DEFAULT false,
  claimed_until  timestamptz,
  dispatched_at  timestamptz,
  created_at     timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX IF NOT EXISTS outbox_commit_order_idx ON outbox (tx, id);
CREATE INDEX IF NOT EXISTS outbox_undispatched_idx ON outbox (id) WHERE dispatch AND dispatched_at IS NULL;
CREATE INDEX IF NOT EXISTS outbox_created_idx ON outbox (created_at);
CREATE INDEX IF NOT EXISTS videos_storage_key_idx ON videos (storage_key);

-- Client metadata: a JSON object the client attached to a trim or concat, kept on the job and on
-- its output video and returned with both.
ALTER TABLE jobs ADD COLUMN IF NOT EXISTS client_metadata jsonb;
ALTER TABLE videos ADD COLUMN IF NOT EXISTS client_metadata jsonb;

-- Idempotency keys: the first answer to a request carrying `Idempotency-Key`, replayed to a retry
-- with the same key and request. `scope` is the SHA-256 of the API key ('' on an open server);
-- `fingerprint` the SHA-256 of method, path and body. A row without `response_status` is in flight,
-- owned by `owner` until `locked_until` (after which a retry of the same request may take it over).
CREATE TABLE IF NOT EXISTS idempotency_keys (
  scope            text NOT NULL,
  key              text NOT NULL,
  fingerprint      text NOT NULL,
  owner            uuid NOT NULL,
  locked_until     timestamptz NOT NULL,
  response_status  integer,
  response_headers jsonb,
  response_body    text,
  created_at       timestamptz NOT NULL DEFAULT now(),
  expires_at       timestamptz NOT NULL,
  PRIMARY KEY (scope, key)
);

CREATE INDEX IF NOT EXISTS idempotency_keys_expires_idx ON idempotency_keys (expires_at);

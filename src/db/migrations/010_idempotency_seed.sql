-- The id a request with an Idempotency-Key gives what it creates. It survives a takeover of the key
-- (the first request's process died in flight), so a retry finds what the first one committed
-- instead of creating it again; a key reused after it expired gets a new one.
ALTER TABLE idempotency_keys ADD COLUMN IF NOT EXISTS resource_id uuid NOT NULL DEFAULT gen_random_uuid();

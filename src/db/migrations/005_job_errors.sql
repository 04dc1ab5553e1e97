-- A failed job (or a failed attempt of one) says why in a stable code beside its `error` text; a
-- completed trim or concat records what it achieved, read from its output (method, first frame,
-- frame count, duration, seconds re-encoded, and why a smart cut fell back, if it did).
ALTER TABLE jobs ADD COLUMN IF NOT EXISTS error_code text;
ALTER TABLE jobs ADD COLUMN IF NOT EXISTS result jsonb;

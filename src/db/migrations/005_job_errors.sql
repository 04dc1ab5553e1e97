-- A failed job (or a failed attempt of one) says why in a stable code beside its `error` text; a
-- completed trim or concat records what it achieved, read from its output (method, first frame,
-- frame count, duration, seconds re-encoded, and why a smart cut fell back, if it did).
ALTER TABLE jobs ADD COLUMN IF NOT EXISTS error_code text;
ALTER TABLE jobs ADD COLUMN IF NOT EXISTS result jsonb;

-- A dry run estimates run times from the speed of the latest completed jobs with a result.
CREATE INDEX IF NOT EXISTS jobs_completed_result_idx ON jobs (finished_at DESC) WHERE status = 'completed' AND result IS NOT NULL;

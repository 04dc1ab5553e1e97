-- Resumable (tus) uploads: the row is the truth about an upload's outcome; its bytes live under
-- tmp/uploads/ until it finishes. `finishing` is held by the one request that turns it into a video.
CREATE TABLE IF NOT EXISTS resumable_uploads (
  id             text PRIMARY KEY,
  status         text NOT NULL CHECK (status IN ('receiving', 'finishing', 'completed', 'failed')),
  length         bigint,
  original_name  text,
  video_id       uuid,
  error_code     text,
  error          text,
  expires_at     timestamptz NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS resumable_uploads_expiry_idx ON resumable_uploads (expires_at) WHERE status IN ('receiving', 'finishing');
CREATE INDEX IF NOT EXISTS resumable_uploads_finished_idx ON resumable_uploads (updated_at) WHERE status IN ('completed', 'failed');

-- Imports from a URL: the video row says where it comes from, and why it failed when it did.
ALTER TABLE videos ADD COLUMN IF NOT EXISTS source_url text;
ALTER TABLE videos ADD COLUMN IF NOT EXISTS error text;
ALTER TABLE videos ADD COLUMN IF NOT EXISTS error_code text;

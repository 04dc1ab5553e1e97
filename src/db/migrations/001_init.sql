CREATE TABLE IF NOT EXISTS videos (
  id              uuid PRIMARY KEY,
  kind            text NOT NULL CHECK (kind IN ('upload', 'trim', 'concat')),
  status          text NOT NULL CHECK (status IN ('pending', 'processing', 'ready', 'failed')),
  original_name   text,
  storage_key     text,
  size_bytes      bigint,
  duration_sec    double precision,
  width           integer,
  height          integer,
  fps             double precision,
  video_codec     text,
  audio_codec     text,
  container       text,
  media           jsonb,
  source_job_id   uuid,
  created_at      timestamptz NOT NULL DEFAULT now(),
  updated_at      timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX IF NOT EXISTS videos_created_idx ON videos (created_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS videos_kind_created_idx ON videos (kind, created_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS videos_status_created_idx ON videos (status, created_at DESC, id DESC);

CREATE TABLE IF NOT EXISTS jobs (
  id               uuid PRIMARY KEY,
  type             text NOT NULL CHECK (type IN ('trim', 'concat')),
  status           text NOT NULL CHECK (status IN ('pending', 'queued', 'in_progress', 'completed', 'failed', 'cancelled')),
  params           jsonb NOT NULL DEFAULT '{}'::jsonb,
  input_video_ids  uuid[] NOT NULL,
  output_video_id  uuid NOT NULL,
  depends_on       uuid[] NOT NULL DEFAULT '{}',
  progress         real NOT NULL DEFAULT 0 CHECK (progress >= 0 AND progress <= 100),
  attempts         integer NOT NULL DEFAULT 0,
  error            text,
  method           text,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  queued_at        timestamptz,
  started_at       timestamptz,
  finished_at      timestamptz
);

CREATE INDEX IF NOT EXISTS jobs_created_idx ON jobs (created_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS jobs_status_created_idx ON jobs (status, created_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS jobs_type_created_idx ON jobs (type, created_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS jobs_depends_on_idx ON jobs USING gin (depends_on);
CREATE INDEX IF NOT EXISTS jobs_input_videos_idx ON jobs USING gin (input_video_ids);
CREATE INDEX IF NOT EXISTS jobs_output_video_idx ON jobs (output_video_id);

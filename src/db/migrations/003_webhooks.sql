-- Webhook endpoints and one row per delivery of an event to an endpoint (the delivery log).
CREATE TABLE IF NOT EXISTS webhooks (
  id               uuid PRIMARY KEY,
  url              text NOT NULL,
  -- NULL: the default set (every type but job.progress).
  events           text[],
  description      text,
  secret           text NOT NULL,
  enabled          boolean NOT NULL DEFAULT true,
  disabled_reason  text,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS webhook_deliveries (
  id                uuid PRIMARY KEY,
  webhook_id        uuid NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
  event_id          uuid NOT NULL,
  event_type        text NOT NULL,
  subject_id        uuid NOT NULL,
  -- Commit order of the event (its outbox id): deliveries of one subject go out in this order.
  event_order       bigint NOT NULL,
  body              text NOT NULL,
  status            text NOT NULL CHECK (status IN ('pending', 'delivered', 'failed')),
  attempts          integer NOT NULL DEFAULT 0,
  last_status_code  integer,
  last_response     text,
  last_error        text,
  next_attempt_at   timestamptz,
  delivered_at      timestamptz,
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now(),
  UNIQUE (webhook_id, event_id)
);

CREATE INDEX IF NOT EXISTS webhook_deliveries_webhook_idx ON webhook_deliveries (webhook_id, created_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS webhook_deliveries_pending_idx ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX IF NOT EXISTS webhook_deliveries_order_idx ON webhook_deliveries (webhook_id, subject_id, event_order) WHERE status = 'pending';

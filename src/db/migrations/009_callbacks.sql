-- Per-command callbacks: a trim or concat may name a one-off receiver for the events of its job
-- and output video. Its deliveries share the delivery log with the endpoints' (webhook_id NULL,
-- callback_url set) and are signed with the service-wide secret.
ALTER TABLE jobs ADD COLUMN IF NOT EXISTS callback_url text;

ALTER TABLE webhook_deliveries ALTER COLUMN webhook_id DROP NOT NULL;
ALTER TABLE webhook_deliveries ADD COLUMN IF NOT EXISTS callback_url text;
ALTER TABLE webhook_deliveries DROP CONSTRAINT IF EXISTS webhook_deliveries_one_target;
ALTER TABLE webhook_deliveries ADD CONSTRAINT webhook_deliveries_one_target CHECK ((webhook_id IS NULL) <> (callback_url IS NULL));

CREATE UNIQUE INDEX IF NOT EXISTS webhook_deliveries_callback_event_idx ON webhook_deliveries (event_id) WHERE webhook_id IS NULL;
CREATE INDEX IF NOT EXISTS webhook_deliveries_callback_order_idx ON webhook_deliveries (callback_url, subject_id, event_order) WHERE webhook_id IS NULL AND status = 'pending';

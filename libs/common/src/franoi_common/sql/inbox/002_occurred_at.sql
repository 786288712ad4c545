-- When the event happened (the CloudEvent's time), next to when it was applied: read
-- models that count by month count by the event's own time, so a rebuild that replays
-- the topics months later files every event where the live projection did.
ALTER TABLE processed_events ADD COLUMN occurred_at timestamptz;

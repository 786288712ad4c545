-- Reporting completeness by the month an event happened, not the month it reached the
-- projection: a partner that recorded in March is not silent in March because the
-- projection was down or rebuilt in April, and a rebuild files every event where the
-- live projection did. ``last_event_at`` is the time of the partner's latest event.
-- Inbox rows written before the inbox knew the event time keep their arrival time.
CREATE OR REPLACE FUNCTION record_partner_activity() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    happened timestamptz := coalesce(NEW.occurred_at, NEW.processed_at);
BEGIN
    INSERT INTO partner_activity AS a (partner_id, month, axis, events, last_event_at)
    SELECT p.partner_id,
           date_trunc('month', happened AT TIME ZONE 'UTC')::date,
           split_part(NEW.source, '/', 4),
           1,
           happened
    FROM partners p
    WHERE p.partner_id = split_part(NEW.source, '/', 3)
    ON CONFLICT (partner_id, month, axis) DO UPDATE
        SET events = a.events + 1,
            last_event_at = greatest(a.last_event_at, excluded.last_event_at);
    RETURN NULL;
END;
$$;

TRUNCATE partner_activity;
INSERT INTO partner_activity (partner_id, month, axis, events, last_event_at)
SELECT p.partner_id,
       date_trunc('month', coalesce(e.occurred_at, e.processed_at) AT TIME ZONE 'UTC')::date,
       split_part(e.source, '/', 4),
       count(*),
       max(coalesce(e.occurred_at, e.processed_at))
FROM processed_events e
JOIN partners p ON p.partner_id = split_part(e.source, '/', 3)
GROUP BY 1, 2, 3;

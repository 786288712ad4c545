-- Network views (issue 13): the partner directory's details, the monthly indicator
-- counts the views read instead of scanning facts, and each partner's reporting activity.

ALTER TABLE partners
    ADD COLUMN kind text NOT NULL DEFAULT 'other'
        CHECK (kind IN ('cooperative', 'association', 'foundation', 'public_body', 'other')),
    ADD COLUMN axes text[] NOT NULL DEFAULT '{}'
        CHECK (axes <@ ARRAY['housing', 'employment', 'hosting', 'events', 'cases']::text[]),
    ADD COLUMN active_since date;

-- One counter per indicator × partner × month × disaggregation, kept up to date by the
-- projection's statements (the retract/assert pair around each fact change). dimension
-- 'all' (key '') holds the indicator's total; 'sex', 'age_band', 'protection_status' hold
-- one row per value. Stock indicators store monthly changes (the value is their running sum).
CREATE TABLE indicator_counts (
    dimension    text   NOT NULL,
    indicator_id text   NOT NULL,
    partner_id   text   NOT NULL REFERENCES partners (partner_id),
    month        date   NOT NULL,
    key          text   NOT NULL,
    n            bigint NOT NULL,
    PRIMARY KEY (dimension, indicator_id, partner_id, month, key)
);
CREATE INDEX indicator_counts_by_month ON indicator_counts (dimension, month)
    INCLUDE (indicator_id, partner_id, n);

-- Reporting completeness: events each partner sent per axis and month of arrival, and
-- when the last one arrived. Kept by the inbox itself (one row per applied event in
-- processed_events, whatever the domain), so every axis is covered without each domain's
-- handlers repeating it; an event that is later refused rolls back with its inbox row.
CREATE TABLE partner_activity (
    partner_id    text        NOT NULL REFERENCES partners (partner_id),
    month         date        NOT NULL,
    axis          text        NOT NULL,
    events        bigint      NOT NULL,
    last_event_at timestamptz NOT NULL,
    PRIMARY KEY (partner_id, month, axis)
);

CREATE FUNCTION record_partner_activity() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO partner_activity AS a (partner_id, month, axis, events, last_event_at)
    SELECT p.partner_id,
           date_trunc('month', NEW.processed_at AT TIME ZONE 'UTC')::date,
           split_part(NEW.source, '/', 4),
           1,
           NEW.processed_at
    FROM partners p
    WHERE p.partner_id = split_part(NEW.source, '/', 3)
    ON CONFLICT (partner_id, month, axis) DO UPDATE
        SET events = a.events + 1,
            last_event_at = greatest(a.last_event_at, excluded.last_event_at);
    RETURN NULL;
END;
$$;

CREATE TRIGGER processed_events_activity AFTER INSERT ON processed_events
    FOR EACH ROW EXECUTE FUNCTION record_partner_activity();

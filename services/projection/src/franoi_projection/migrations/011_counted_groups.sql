-- Indicators that count groups of rows once (the labs with a meeting in the month, the
-- stays visited in the month) recount a whole group whenever one of its rows changes
-- (projectors/counters.py): these indexes find a group's rows by the expression the
-- statements name it with. Persons are found by the person_ref indexes already there.
CREATE INDEX events_community_events_lab
    ON events_community_events (partner_id, (coalesce(lab_series_id, community_event_id)::text));
CREATE INDEX hosting_visits_stay ON hosting_visits (partner_id, (stay_id::text));

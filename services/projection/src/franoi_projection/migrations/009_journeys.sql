-- Pseudonymous journeys (issue 13): every person's records across partners and axes, read
-- from the fact tables by person_ref, and the outcome indicators computed from them
-- (domain/journeys.py states the rules; docs/indicators.md says them in words).
--
-- Nothing is copied: journey_milestones is a view over the fact tables, so erasure (which
-- rewrites the fact tables) and every correction reach the journeys by construction.
-- What a person contributes to indicator_counts is remembered in journey_counted; after
-- any change to one of the person's records the projection recomputes the person's
-- contributions and adds the difference (journey_refresh), so the counters stay exact in
-- any order of events, with duplicates and with several records of one person in a batch.

CREATE INDEX IF NOT EXISTS housing_requests_by_ref ON housing_requests (person_ref);
CREATE INDEX IF NOT EXISTS housing_placements_by_ref ON housing_placements (person_ref);
CREATE INDEX IF NOT EXISTS employment_consultations_by_ref
    ON employment_consultations (person_ref);
CREATE INDEX IF NOT EXISTS employment_enrolments_by_ref ON employment_enrolments (person_ref);
CREATE INDEX IF NOT EXISTS employment_internships_by_ref ON employment_internships (person_ref);
CREATE INDEX IF NOT EXISTS hosting_requests_by_ref ON hosting_requests (person_ref);
CREATE INDEX IF NOT EXISTS hosting_stays_by_ref ON hosting_stays (person_ref);
CREATE INDEX IF NOT EXISTS events_access_persons_by_ref ON events_access_persons (person_ref);

-- One row per dated step of a person's journey. kind: 'contact' (a record that opens or
-- continues the person's contact with a partner), 'hire' (on: start, until: end or planned
-- end), 'plan_closed', 'placement_ended', 'internship_ended', 'stay_ended' (detail: the
-- coded outcome), 'request' of housing (detail: the need).
CREATE VIEW journey_records AS
    -- Every branch one table, no WHERE, its columns typed alike: so the planner can look a
    -- person up in each fact table by its person_ref index (a branch with a filter or a
    -- join would be scanned whole). A step that has not happened has a NULL on_date.
    SELECT person_ref, partner_id, 'cases'::text AS axis, 'contact'::text AS kind,
           registered_on AS on_date, NULL::date AS until_date, NULL::text AS detail
    FROM cases_persons
    UNION ALL
    SELECT person_ref, partner_id, 'cases'::text, 'contact'::text, opened_on, NULL::date,
           NULL::text
    FROM cases_plans
    UNION ALL
    SELECT person_ref, partner_id, 'cases'::text, 'plan_closed'::text, closed_on, NULL::date,
           outcome
    FROM cases_plans
    UNION ALL
    SELECT person_ref, partner_id, 'housing'::text, 'contact'::text, submitted_on, NULL::date,
           NULL::text
    FROM housing_requests
    UNION ALL
    SELECT person_ref, partner_id, 'housing'::text, 'request'::text, submitted_on, NULL::date,
           need
    FROM housing_requests
    UNION ALL
    SELECT person_ref, partner_id, 'housing'::text, 'contact'::text, started_on, NULL::date,
           NULL::text
    FROM housing_placements
    UNION ALL
    SELECT person_ref, partner_id, 'housing'::text, 'placement_ended'::text, ended_on,
           NULL::date, exit_outcome
    FROM housing_placements
    UNION ALL
    SELECT person_ref, partner_id, 'employment'::text, 'contact'::text, held_on, NULL::date,
           NULL::text
    FROM employment_consultations
    UNION ALL
    SELECT a.person_ref, a.partner_id, 'employment'::text, 'contact'::text,
           (SELECT g.held_on FROM employment_group_activities g
            WHERE g.partner_id = a.partner_id AND g.group_activity_id = a.group_activity_id
              AND g.status = 'held'),
           NULL::date, NULL::text
    FROM employment_group_attendees a
    UNION ALL
    SELECT person_ref, partner_id, 'employment'::text, 'contact'::text, starts_on, NULL::date,
           NULL::text
    FROM employment_enrolments
    UNION ALL
    SELECT person_ref, partner_id, 'employment'::text, 'contact'::text, started_on,
           NULL::date, NULL::text
    FROM employment_internships
    UNION ALL
    SELECT person_ref, partner_id, 'employment'::text, 'internship_ended'::text, ended_on,
           NULL::date, NULL::text
    FROM employment_internships
    UNION ALL
    SELECT person_ref, partner_id, 'employment'::text, 'hire'::text, started_on,
           coalesce(ended_on, ends_on), NULL::text
    FROM employment_hires
    UNION ALL
    SELECT person_ref, partner_id, 'hosting'::text, 'contact'::text, submitted_on, NULL::date,
           NULL::text
    FROM hosting_requests
    UNION ALL
    SELECT person_ref, partner_id, 'hosting'::text, 'contact'::text, started_on, NULL::date,
           NULL::text
    FROM hosting_stays
    UNION ALL
    SELECT person_ref, partner_id, 'hosting'::text, 'stay_ended'::text, ended_on, NULL::date,
           outcome
    FROM hosting_stays
    UNION ALL
    SELECT person_ref, partner_id, 'events'::text, 'contact'::text, accessed_on, NULL::date,
           NULL::text
    FROM events_access_persons;

CREATE VIEW journey_milestones AS
    SELECT * FROM journey_records WHERE on_date IS NOT NULL;

-- The indicator_counts rows each person's journey currently contributes (so a change is
-- applied as a difference). partner_id and person_ref: erasure rewrites these rows too.
CREATE TABLE journey_counted (
    person_ref   text   NOT NULL,
    dimension    text   NOT NULL,
    indicator_id text   NOT NULL,
    partner_id   text   NOT NULL REFERENCES partners (partner_id),
    month        date   NOT NULL,
    key          text   NOT NULL,
    n            bigint NOT NULL,
    PRIMARY KEY (person_ref, dimension, indicator_id, partner_id, month, key)
);

-- The references of the persons whose journeys changed in the statements being applied;
-- emptied by journey_refresh() in the same transaction, so it holds nothing at rest.
CREATE TABLE journey_dirty (
    ref text NOT NULL
);

-- The contributions of the journeys of ``refs``: rows of
-- indicator_counts, one person each. The rules, in order:
--   first contact   earliest 'contact' (tie: lowest partner id); counted in its month at
--                   its partner, with the axes touched (every axis with any record) in the
--                   dimension 'axes' (key: axes joined by '+', in alphabetical order);
--   first hire      earliest hire start on or after the first contact; dimension 'days':
--                   days from the first contact;
--   autonomy        earliest of: a plan closed 'completed_autonomy_reached'; or an exit to
--                   autonomous housing with work — an exit to autonomy (placement ended
--                   'autonomous_rent' or 'public_housing', stay ended
--                   'completed_with_autonomy') and a hire not ended before it: reached on
--                   the later of the exit and the hire's start, at that record's partner;
--   in work at 6 m  the first internship or stay that ended (earliest end): six months
--                   later, a hire that started by then and had not ended (end or planned
--                   end before that day) — cohort and numerator in the month of that day;
--   back in reception within 6 / 12 months of the first exit to autonomy: a placement
--                   ended 'back_to_reception' or a housing request for 'exit_from_reception'
--                   after the exit and no later than 6 / 12 months after it — cohort and
--                   numerator in the month the window closes, at the exit's partner.
CREATE FUNCTION journey_contributions(refs text[])
RETURNS TABLE (person_ref text, dimension text, indicator_id text, partner_id text,
               month date, key text, n bigint)
LANGUAGE sql STABLE AS $$
-- One pass: window minima give each step its person's first contact, first exit to
-- autonomy and first ended internship or stay; one GROUP BY per person gives the rest. No
-- join between the parts, so the cost grows with the steps, whatever the planner guesses.
-- "first" = the earliest (date, partner id), compared as the text 'YYYY-MM-DD pNN'.
WITH m AS MATERIALIZED (
    -- one index look-up per reference and fact table, however many references
    SELECT j.*,
           to_char(j.on_date, 'YYYY-MM-DD') || ' ' || j.partner_id AS at,
           (j.kind = 'placement_ended' AND j.detail IN ('autonomous_rent', 'public_housing'))
           OR (j.kind = 'stay_ended' AND j.detail = 'completed_with_autonomy') AS is_exit,
           (j.kind = 'placement_ended' AND j.detail = 'back_to_reception')
           OR (j.kind = 'request' AND j.detail = 'exit_from_reception') AS is_return
    FROM (SELECT DISTINCT unnest(refs) AS ref) r
    CROSS JOIN LATERAL (SELECT * FROM journey_milestones v WHERE v.person_ref = r.ref) j
),
w AS (
    SELECT m.*,
           min(m.at) FILTER (WHERE m.kind = 'contact') OVER p AS first_contact,
           min(m.at) FILTER (WHERE m.is_exit) OVER p AS first_exit,
           min(m.at) FILTER (WHERE m.kind IN ('internship_ended', 'stay_ended')) OVER p
               AS first_end
    FROM m WINDOW p AS (PARTITION BY m.person_ref)
),
x AS (
    SELECT w.*,
           split_part(w.first_contact, ' ', 1)::date AS contact_on,
           split_part(w.first_exit, ' ', 1)::date AS exit_on,
           (split_part(w.first_end, ' ', 1)::date + interval '6 months')::date AS check_on
    FROM w
),
person AS (
    SELECT x.person_ref,
           min(x.first_contact) AS first_contact,
           min(x.contact_on) AS contact_on,
           string_agg(DISTINCT x.axis, '+' ORDER BY x.axis) AS axes,
           min(x.at) FILTER (WHERE x.kind = 'hire' AND x.on_date >= x.contact_on) AS first_hire,
           min(CASE
                   WHEN x.kind = 'plan_closed' AND x.detail = 'completed_autonomy_reached'
                       THEN x.at
                   WHEN x.kind = 'hire' AND x.exit_on IS NOT NULL
                        AND (x.until_date IS NULL OR x.until_date >= x.exit_on)
                       THEN CASE WHEN x.on_date > x.exit_on THEN x.at ELSE x.first_exit END
               END) AS autonomy,
           min(x.first_exit) AS first_exit,
           min(x.exit_on) AS exit_on,
           coalesce(bool_or(x.is_return AND x.on_date > x.exit_on
                            AND x.on_date <= (x.exit_on + interval '6 months')::date), false)
               AS back_6,
           coalesce(bool_or(x.is_return AND x.on_date > x.exit_on
                            AND x.on_date <= (x.exit_on + interval '12 months')::date), false)
               AS back_12,
           min(x.first_end) AS first_end,
           min(x.check_on) AS check_on,
           coalesce(bool_or(x.kind = 'hire' AND x.on_date <= x.check_on
                            AND (x.until_date IS NULL OR x.until_date >= x.check_on)), false)
               AS in_work
    FROM x GROUP BY x.person_ref
),
facts (person_ref, dimension, indicator_id, partner_id, on_date, key) AS (
    SELECT p.person_ref, d.dimension, 'journeys_first_contacts', split_part(p.first_contact, ' ', 2),
           p.contact_on, d.key
    FROM person p CROSS JOIN LATERAL (VALUES ('all', ''), ('axes', p.axes)) AS d(dimension, key)
    WHERE p.first_contact IS NOT NULL
    UNION ALL
    SELECT p.person_ref, d.dimension, 'journeys_first_hires', split_part(p.first_hire, ' ', 2),
           split_part(p.first_hire, ' ', 1)::date, d.key
    FROM person p CROSS JOIN LATERAL (
        VALUES ('all', ''),
               ('days', (split_part(p.first_hire, ' ', 1)::date - p.contact_on)::text)
    ) AS d(dimension, key)
    WHERE p.first_hire IS NOT NULL
    UNION ALL
    SELECT p.person_ref, 'all', 'journeys_autonomy_reached', split_part(p.autonomy, ' ', 2),
           split_part(p.autonomy, ' ', 1)::date, ''
    FROM person p WHERE p.autonomy IS NOT NULL
    UNION ALL
    SELECT p.person_ref, 'all', i.indicator_id, split_part(p.first_end, ' ', 2), p.check_on, ''
    FROM person p CROSS JOIN LATERAL (
        VALUES ('journeys_followed_6_months', true), ('journeys_in_work_6_months', p.in_work)
    ) AS i(indicator_id, counts)
    WHERE p.first_end IS NOT NULL AND i.counts
    UNION ALL
    SELECT p.person_ref, 'all', i.indicator_id, split_part(p.first_exit, ' ', 2),
           (p.exit_on + make_interval(months => i.months))::date, ''
    FROM person p CROSS JOIN LATERAL (
        VALUES ('journeys_exits_to_autonomy_6_months', 6, true),
               ('journeys_back_in_reception_6_months', 6, p.back_6),
               ('journeys_exits_to_autonomy_12_months', 12, true),
               ('journeys_back_in_reception_12_months', 12, p.back_12)
    ) AS i(indicator_id, months, counts)
    WHERE p.first_exit IS NOT NULL AND i.counts
)
SELECT f.person_ref, f.dimension, f.indicator_id, f.partner_id,
       date_trunc('month', f.on_date)::date, f.key, 1::bigint
FROM facts f
$$;

-- Recompute the journeys of the persons in journey_dirty and move indicator_counts by the
-- difference from what they contributed so far. Run after the statements of each event
-- type; a second run in the same batch finds nothing to do.
CREATE FUNCTION journey_refresh() RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    refs  text[];
    fresh journey_counted[];
BEGIN
    WITH gone AS (DELETE FROM journey_dirty RETURNING ref)
    SELECT array_agg(DISTINCT ref) INTO refs FROM gone;
    IF refs IS NULL THEN
        RETURN;
    END IF;
    SELECT coalesce(array_agg(ROW(c.*)::journey_counted), '{}') INTO fresh
    FROM journey_contributions(refs) c;
    INSERT INTO indicator_counts AS c (dimension, indicator_id, partner_id, month, key, n)
    SELECT d.dimension, d.indicator_id, d.partner_id, d.month, d.key, sum(d.n)
    FROM (
        SELECT f.dimension, f.indicator_id, f.partner_id, f.month, f.key, f.n
        FROM unnest(fresh) f
        UNION ALL
        SELECT j.dimension, j.indicator_id, j.partner_id, j.month, j.key, -j.n
        FROM journey_counted j WHERE j.person_ref = ANY(refs)
    ) d
    GROUP BY 1, 2, 3, 4, 5
    HAVING sum(d.n) <> 0
    ON CONFLICT (dimension, indicator_id, partner_id, month, key)
        DO UPDATE SET n = c.n + excluded.n;
    -- A journey counter that came back to zero goes: which ones pass through zero depends
    -- on the order events arrived in, and a rebuild must end with the same rows as live.
    DELETE FROM indicator_counts c
    USING (
        SELECT f.dimension, f.indicator_id, f.partner_id, f.month, f.key FROM unnest(fresh) f
        UNION
        SELECT j.dimension, j.indicator_id, j.partner_id, j.month, j.key
        FROM journey_counted j WHERE j.person_ref = ANY(refs)
    ) k
    WHERE c.n = 0 AND c.dimension = k.dimension AND c.indicator_id = k.indicator_id
      AND c.partner_id = k.partner_id AND c.month = k.month AND c.key = k.key;
    DELETE FROM journey_counted j WHERE j.person_ref = ANY(refs);
    INSERT INTO journey_counted SELECT * FROM unnest(fresh);
END;
$$;

SELECT franoi_install_erasure_triggers();

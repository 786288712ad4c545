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
CREATE VIEW journey_milestones AS
    SELECT person_ref, partner_id, 'cases' AS axis, 'contact' AS kind,
           registered_on AS on_date, NULL::date AS until_date, NULL::text AS detail
    FROM cases_persons
    UNION ALL
    SELECT person_ref, partner_id, 'cases', 'contact', opened_on, NULL, NULL FROM cases_plans
    UNION ALL
    SELECT person_ref, partner_id, 'cases', 'plan_closed', closed_on, NULL, outcome
    FROM cases_plans WHERE closed_on IS NOT NULL
    UNION ALL
    SELECT person_ref, partner_id, 'housing', 'contact', submitted_on, NULL, NULL
    FROM housing_requests
    UNION ALL
    SELECT person_ref, partner_id, 'housing', 'request', submitted_on, NULL, need
    FROM housing_requests
    UNION ALL
    SELECT person_ref, partner_id, 'housing', 'contact', started_on, NULL, NULL
    FROM housing_placements
    UNION ALL
    SELECT person_ref, partner_id, 'housing', 'placement_ended', ended_on, NULL, exit_outcome
    FROM housing_placements WHERE ended_on IS NOT NULL
    UNION ALL
    SELECT person_ref, partner_id, 'employment', 'contact', held_on, NULL, NULL
    FROM employment_consultations
    UNION ALL
    SELECT a.person_ref, a.partner_id, 'employment', 'contact', g.held_on, NULL, NULL
    FROM employment_group_attendees a
    JOIN employment_group_activities g USING (partner_id, group_activity_id)
    WHERE g.status = 'held'
    UNION ALL
    SELECT person_ref, partner_id, 'employment', 'contact', starts_on, NULL, NULL
    FROM employment_enrolments
    UNION ALL
    SELECT person_ref, partner_id, 'employment', 'contact', started_on, NULL, NULL
    FROM employment_internships
    UNION ALL
    SELECT person_ref, partner_id, 'employment', 'internship_ended', ended_on, NULL, NULL
    FROM employment_internships WHERE ended_on IS NOT NULL
    UNION ALL
    SELECT person_ref, partner_id, 'employment', 'hire', started_on,
           coalesce(ended_on, ends_on), NULL
    FROM employment_hires
    UNION ALL
    SELECT person_ref, partner_id, 'hosting', 'contact', submitted_on, NULL, NULL
    FROM hosting_requests
    UNION ALL
    SELECT person_ref, partner_id, 'hosting', 'contact', started_on, NULL, NULL
    FROM hosting_stays
    UNION ALL
    SELECT person_ref, partner_id, 'hosting', 'stay_ended', ended_on, NULL, outcome
    FROM hosting_stays WHERE ended_on IS NOT NULL
    UNION ALL
    SELECT person_ref, partner_id, 'events', 'contact', accessed_on, NULL, NULL
    FROM events_access_persons;

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
WITH m AS MATERIALIZED (
    SELECT * FROM journey_milestones j WHERE j.person_ref = ANY(refs)
),
first_contact AS (
    SELECT DISTINCT ON (m.person_ref) m.person_ref, m.partner_id, m.on_date
    FROM m WHERE m.kind = 'contact'
    ORDER BY m.person_ref, m.on_date, m.partner_id
),
axes AS (
    SELECT m.person_ref, string_agg(DISTINCT m.axis, '+' ORDER BY m.axis) AS axes
    FROM m GROUP BY m.person_ref
),
first_hire AS (
    SELECT DISTINCT ON (m.person_ref) m.person_ref, m.partner_id, m.on_date,
           m.on_date - f.on_date AS days
    FROM m JOIN first_contact f USING (person_ref)
    WHERE m.kind = 'hire' AND m.on_date >= f.on_date
    ORDER BY m.person_ref, m.on_date, m.partner_id
),
exits AS (
    SELECT m.person_ref, m.partner_id, m.on_date FROM m
    WHERE (m.kind = 'placement_ended' AND m.detail IN ('autonomous_rent', 'public_housing'))
       OR (m.kind = 'stay_ended' AND m.detail = 'completed_with_autonomy')
),
hires AS (SELECT * FROM m WHERE m.kind = 'hire'),
autonomy AS (
    SELECT DISTINCT ON (a.person_ref) a.person_ref, a.partner_id, a.on_date
    FROM (
        SELECT m.person_ref, m.partner_id, m.on_date FROM m
        WHERE m.kind = 'plan_closed' AND m.detail = 'completed_autonomy_reached'
        UNION ALL
        SELECT x.person_ref,
               CASE WHEN h.on_date > x.on_date THEN h.partner_id ELSE x.partner_id END,
               greatest(x.on_date, h.on_date)
        FROM exits x JOIN hires h USING (person_ref)
        WHERE h.until_date IS NULL OR h.until_date >= x.on_date
    ) a
    ORDER BY a.person_ref, a.on_date, a.partner_id
),
first_end AS (
    SELECT DISTINCT ON (m.person_ref) m.person_ref, m.partner_id,
           (m.on_date + interval '6 months')::date AS check_on
    FROM m WHERE m.kind IN ('internship_ended', 'stay_ended')
    ORDER BY m.person_ref, m.on_date, m.partner_id
),
first_exit AS (
    SELECT DISTINCT ON (x.person_ref) x.person_ref, x.partner_id, x.on_date
    FROM exits x ORDER BY x.person_ref, x.on_date, x.partner_id
),
windows AS (
    SELECT x.person_ref, x.partner_id, w.months,
           (x.on_date + make_interval(months => w.months))::date AS closes_on,
           EXISTS (
               SELECT 1 FROM m
               WHERE m.person_ref = x.person_ref
                 AND ((m.kind = 'placement_ended' AND m.detail = 'back_to_reception')
                      OR (m.kind = 'request' AND m.detail = 'exit_from_reception'))
                 AND m.on_date > x.on_date
                 AND m.on_date <= (x.on_date + make_interval(months => w.months))::date
           ) AS back
    FROM first_exit x CROSS JOIN (VALUES (6), (12)) AS w(months)
),
facts (person_ref, dimension, indicator_id, partner_id, on_date, key) AS (
    SELECT f.person_ref, 'all', 'journeys_first_contacts', f.partner_id, f.on_date, ''
    FROM first_contact f
    UNION ALL
    SELECT f.person_ref, 'axes', 'journeys_first_contacts', f.partner_id, f.on_date, a.axes
    FROM first_contact f JOIN axes a USING (person_ref)
    UNION ALL
    SELECT h.person_ref, 'all', 'journeys_first_hires', h.partner_id, h.on_date, ''
    FROM first_hire h
    UNION ALL
    SELECT h.person_ref, 'days', 'journeys_first_hires', h.partner_id, h.on_date,
           h.days::text
    FROM first_hire h
    UNION ALL
    SELECT a.person_ref, 'all', 'journeys_autonomy_reached', a.partner_id, a.on_date, ''
    FROM autonomy a
    UNION ALL
    SELECT e.person_ref, 'all', 'journeys_followed_6_months', e.partner_id, e.check_on, ''
    FROM first_end e
    UNION ALL
    SELECT e.person_ref, 'all', 'journeys_in_work_6_months', e.partner_id, e.check_on, ''
    FROM first_end e
    WHERE EXISTS (
        SELECT 1 FROM hires h
        WHERE h.person_ref = e.person_ref AND h.on_date <= e.check_on
          AND (h.until_date IS NULL OR h.until_date >= e.check_on)
    )
    UNION ALL
    SELECT w.person_ref, 'all', 'journeys_exits_to_autonomy_' || w.months || '_months',
           w.partner_id, w.closes_on, ''
    FROM windows w
    UNION ALL
    SELECT w.person_ref, 'all', 'journeys_back_in_reception_' || w.months || '_months',
           w.partner_id, w.closes_on, ''
    FROM windows w WHERE w.back
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
    DELETE FROM journey_counted j WHERE j.person_ref = ANY(refs);
    INSERT INTO journey_counted SELECT * FROM unnest(fresh);
END;
$$;

SELECT franoi_install_erasure_triggers();

-- Cases read models: the persons the partners registered and their individual
-- plans, as pseudonyms and coarse attributes only. Rebuilt from the cases topics.

CREATE TABLE cases_persons (
    partner_id        text NOT NULL REFERENCES partners (partner_id),
    person_id         uuid NOT NULL,
    person_ref        text NOT NULL,
    registered_on     date NOT NULL,
    sex               text NOT NULL,
    age_band          text NOT NULL,
    protection_status text NOT NULL,
    PRIMARY KEY (partner_id, person_id)
);
CREATE INDEX cases_persons_registered ON cases_persons (partner_id, registered_on);
CREATE INDEX cases_persons_by_ref ON cases_persons (person_ref);

CREATE TABLE cases_plans (
    partner_id          text NOT NULL REFERENCES partners (partner_id),
    plan_id             uuid NOT NULL,
    person_ref          text NOT NULL,
    opened_on           date NOT NULL,
    axes                text[] NOT NULL,
    planned_months      integer NOT NULL,
    reviews             integer NOT NULL DEFAULT 0,
    last_reviewed_on    date,
    -- axis -> progress at the last review
    last_progress       jsonb,
    closed_on           date,
    outcome             text,
    interruption_reason text,
    PRIMARY KEY (partner_id, plan_id)
);
CREATE INDEX cases_plans_span ON cases_plans (partner_id, opened_on, closed_on);
CREATE INDEX cases_plans_by_ref ON cases_plans (person_ref);

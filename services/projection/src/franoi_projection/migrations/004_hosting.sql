-- Family-hosting read models, rebuilt from the franoi.<partner>.hosting.v1 topics.
-- Host families appear by id, municipality and coarse attributes only; guests and
-- requesters only as person_ref. Rows are keyed by (partner_id, aggregate id).

CREATE TABLE hosting_families (
    partner_id        text NOT NULL REFERENCES partners (partner_id),
    family_id         uuid NOT NULL,
    municipality_code text NOT NULL,
    rooms_offered     integer NOT NULL,
    household_size    integer NOT NULL,
    languages         text[] NOT NULL,
    applied_on        date NOT NULL,
    interview_on      date,
    home_visit_on     date,
    approved_on       date,
    rejected_on       date,
    rejection_reason  text,
    withdrawn_on      date,
    PRIMARY KEY (partner_id, family_id)
);

-- Periods an approved family did not take new guests (resumed_on NULL: still paused).
CREATE TABLE hosting_family_pauses (
    partner_id text NOT NULL REFERENCES partners (partner_id),
    family_id  uuid NOT NULL,
    paused_on  date NOT NULL,
    resumed_on date,
    PRIMARY KEY (partner_id, family_id, paused_on)
);

CREATE TABLE hosting_requests (
    partner_id         text NOT NULL REFERENCES partners (partner_id),
    request_id         uuid NOT NULL,
    person_ref         text NOT NULL,
    kind               text NOT NULL,
    household_size     integer NOT NULL,
    submitted_on       date NOT NULL,
    sex                text NOT NULL,
    age_band           text NOT NULL,
    protection_status  text NOT NULL,
    status             text NOT NULL DEFAULT 'open',
    closed_on          date,
    unsatisfied_reason text,
    PRIMARY KEY (partner_id, request_id)
);
CREATE INDEX hosting_requests_submitted ON hosting_requests (partner_id, submitted_on);
CREATE INDEX hosting_requests_closed ON hosting_requests (partner_id, closed_on);

CREATE TABLE hosting_matches (
    partner_id   text NOT NULL REFERENCES partners (partner_id),
    match_id     uuid NOT NULL,
    family_id    uuid NOT NULL,
    request_id   uuid,
    person_ref   text NOT NULL,
    proposed_on  date NOT NULL,
    status       text NOT NULL DEFAULT 'proposed',
    accepted_on  date,
    declined_on  date,
    declined_by  text,
    cancelled_on date,
    cancelled_by text,
    PRIMARY KEY (partner_id, match_id)
);
CREATE INDEX hosting_matches_proposed ON hosting_matches (partner_id, proposed_on);
CREATE INDEX hosting_matches_accepted ON hosting_matches (partner_id, accepted_on);

CREATE TABLE hosting_stays (
    partner_id               text NOT NULL REFERENCES partners (partner_id),
    stay_id                  uuid NOT NULL,
    match_id                 uuid NOT NULL,
    family_id                uuid NOT NULL,
    request_id               uuid,
    person_ref               text NOT NULL,
    started_on               date NOT NULL,
    planned_months           integer NOT NULL,
    planned_end_on           date NOT NULL,
    monthly_contribution_eur integer NOT NULL,
    sex                      text NOT NULL,
    age_band                 text NOT NULL,
    protection_status        text NOT NULL,
    ended_on                 date,
    outcome                  text,
    PRIMARY KEY (partner_id, stay_id)
);
CREATE INDEX hosting_stays_span ON hosting_stays (partner_id, started_on, ended_on);

CREATE TABLE hosting_visits (
    partner_id       text NOT NULL REFERENCES partners (partner_id),
    visit_id         uuid NOT NULL,
    stay_id          uuid NOT NULL,
    family_id        uuid NOT NULL,
    visited_on       date NOT NULL,
    guest_wellbeing  integer NOT NULL,
    family_wellbeing integer NOT NULL,
    flags            text[] NOT NULL,
    PRIMARY KEY (partner_id, visit_id)
);
CREATE INDEX hosting_visits_on ON hosting_visits (partner_id, visited_on);

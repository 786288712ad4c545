-- The consortium's read models. Rows are keyed by partner; persons appear only
-- as person_ref. Everything here can be rebuilt from the topics.

CREATE TABLE partners (
    partner_id text PRIMARY KEY CHECK (partner_id ~ '^p[0-9]{2,3}$'),
    name       text NOT NULL,
    region     text NOT NULL,
    province   text NOT NULL
);

CREATE TABLE housing_units (
    partner_id        text NOT NULL REFERENCES partners (partner_id),
    unit_id           uuid NOT NULL,
    municipality_code text NOT NULL,
    beds              integer NOT NULL,
    monthly_rent_eur  integer NOT NULL,
    rent_regime       text NOT NULL,
    provider          text NOT NULL,
    available_from    date NOT NULL,
    withdrawn_on      date,
    PRIMARY KEY (partner_id, unit_id)
);

CREATE TABLE housing_requests (
    partner_id        text NOT NULL REFERENCES partners (partner_id),
    request_id        uuid NOT NULL,
    person_ref        text NOT NULL,
    household_size    integer NOT NULL,
    need              text NOT NULL,
    submitted_on      date NOT NULL,
    sex               text NOT NULL,
    age_band          text NOT NULL,
    protection_status text NOT NULL,
    status            text NOT NULL DEFAULT 'open',
    closed_on         date,
    PRIMARY KEY (partner_id, request_id)
);
CREATE INDEX housing_requests_submitted ON housing_requests (partner_id, submitted_on);
CREATE INDEX housing_requests_closed ON housing_requests (partner_id, closed_on);

CREATE TABLE housing_placements (
    partner_id        text NOT NULL REFERENCES partners (partner_id),
    placement_id      uuid NOT NULL,
    unit_id           uuid NOT NULL,
    request_id        uuid,
    person_ref        text NOT NULL,
    household_size    integer NOT NULL,
    started_on        date NOT NULL,
    planned_end_on    date,
    ended_on          date,
    exit_outcome      text,
    sex               text NOT NULL,
    age_band          text NOT NULL,
    protection_status text NOT NULL,
    PRIMARY KEY (partner_id, placement_id)
);
CREATE INDEX housing_placements_span ON housing_placements (partner_id, started_on, ended_on);

-- Housing service schema. Every row carries the partner it belongs to; every
-- query filters by it. Persons appear only as person_ref (a keyed pseudonym).

CREATE TABLE agreements (
    agreement_id     uuid PRIMARY KEY,
    partner_id       text NOT NULL,
    counterpart_kind text NOT NULL,
    -- Local label of the agency or owner; personal data when the owner is a
    -- private person, so it never leaves this service (no event carries it).
    counterpart_name text,
    signed_on        date NOT NULL,
    valid_until      date,
    units_pledged    integer CHECK (units_pledged >= 0),
    ended_on         date,
    created_at       timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX agreements_by_partner ON agreements (partner_id, created_at, agreement_id);

CREATE TABLE housing_units (
    unit_id           uuid PRIMARY KEY,
    partner_id        text NOT NULL,
    municipality_code text NOT NULL CHECK (municipality_code ~ '^[A-Z][0-9]{3}$'),
    beds              integer NOT NULL CHECK (beds BETWEEN 1 AND 50),
    monthly_rent_eur  integer NOT NULL CHECK (monthly_rent_eur >= 0),
    rent_regime       text NOT NULL,
    provider          text NOT NULL,
    agreement_id      uuid REFERENCES agreements (agreement_id),
    available_from    date NOT NULL,
    withdrawn_on      date,
    created_at        timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX housing_units_by_partner ON housing_units (partner_id, created_at, unit_id);

CREATE TABLE housing_requests (
    request_id         uuid PRIMARY KEY,
    partner_id         text NOT NULL,
    person_ref         text NOT NULL CHECK (person_ref ~ '^[0-9a-f]{64}$'),
    household_size     integer NOT NULL CHECK (household_size BETWEEN 1 AND 20),
    need               text NOT NULL,
    submitted_on       date NOT NULL,
    sex                text NOT NULL,
    age_band           text NOT NULL,
    protection_status  text NOT NULL,
    status             text NOT NULL,
    closed_on          date,
    placement_id       uuid,
    unsatisfied_reason text,
    created_at         timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX housing_requests_by_partner ON housing_requests (partner_id, created_at, request_id);

CREATE TABLE placements (
    placement_id      uuid PRIMARY KEY,
    partner_id        text NOT NULL,
    unit_id           uuid NOT NULL REFERENCES housing_units (unit_id),
    request_id        uuid REFERENCES housing_requests (request_id),
    person_ref        text NOT NULL CHECK (person_ref ~ '^[0-9a-f]{64}$'),
    household_size    integer NOT NULL CHECK (household_size BETWEEN 1 AND 20),
    started_on        date NOT NULL,
    planned_end_on    date,
    sex               text NOT NULL,
    age_band          text NOT NULL,
    protection_status text NOT NULL,
    status            text NOT NULL,
    ended_on          date,
    exit_outcome      text,
    created_at        timestamptz NOT NULL DEFAULT clock_timestamp(),
    CHECK (ended_on IS NULL OR ended_on >= started_on)
);
CREATE INDEX placements_by_partner ON placements (partner_id, created_at, placement_id);
CREATE INDEX placements_active_by_unit ON placements (unit_id) WHERE status = 'active';
-- The database backs the domain rule "one active placement per person".
CREATE UNIQUE INDEX placements_one_active_per_person
    ON placements (partner_id, person_ref) WHERE status = 'active';

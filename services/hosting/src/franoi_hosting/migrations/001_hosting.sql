-- Family-hosting service schema. Every row carries the partner it belongs to;
-- every query filters by it. Guests and requesters appear only as person_ref
-- (a keyed pseudonym). A host family's members, address and contacts live in
-- host_family_private only: no event, log line or list endpoint carries them.

CREATE TABLE host_families (
    family_id         uuid PRIMARY KEY,
    partner_id        text NOT NULL,
    municipality_code text NOT NULL CHECK (municipality_code ~ '^[A-Z][0-9]{3}$'),
    rooms_offered     integer NOT NULL CHECK (rooms_offered BETWEEN 1 AND 10),
    household_size    integer NOT NULL CHECK (household_size BETWEEN 1 AND 20),
    languages         text[] NOT NULL CHECK (cardinality(languages) BETWEEN 1 AND 12),
    applied_on        date NOT NULL,
    vetting           text NOT NULL
                      CHECK (vetting IN ('applied', 'assessed', 'approved', 'rejected')),
    availability      text CHECK (availability IN ('active', 'paused', 'withdrawn')),
    interview_on      date,
    home_visit_on     date,
    approved_on       date,
    rejected_on       date,
    rejection_reason  text,
    paused_on         date,
    withdrawn_on      date,
    created_at        timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX host_families_by_partner ON host_families (partner_id, created_at, family_id);

-- Personal data of private persons (the family's members): kept here, shown only
-- to the partner's own staff on the family's own page, never published.
CREATE TABLE host_family_private (
    family_id  uuid PRIMARY KEY REFERENCES host_families (family_id) ON DELETE CASCADE,
    partner_id text NOT NULL,
    members    jsonb NOT NULL DEFAULT '[]'::jsonb,
    address    text,
    phone      text,
    email      text
);

CREATE TABLE family_requests (
    request_id         uuid PRIMARY KEY,
    partner_id         text NOT NULL,
    person_ref         text NOT NULL CHECK (person_ref ~ '^[0-9a-f]{64}$'),
    kind               text NOT NULL,
    household_size     integer NOT NULL CHECK (household_size BETWEEN 1 AND 20),
    submitted_on       date NOT NULL,
    sex                text NOT NULL,
    age_band           text NOT NULL,
    protection_status  text NOT NULL,
    status             text NOT NULL,
    closed_on          date,
    stay_id            uuid,
    unsatisfied_reason text,
    created_at         timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX family_requests_by_partner ON family_requests (partner_id, created_at, request_id);
CREATE INDEX family_requests_by_person ON family_requests (partner_id, person_ref);

CREATE TABLE matches (
    match_id     uuid PRIMARY KEY,
    partner_id   text NOT NULL,
    family_id    uuid NOT NULL REFERENCES host_families (family_id),
    person_ref   text NOT NULL CHECK (person_ref ~ '^[0-9a-f]{64}$'),
    proposed_on  date NOT NULL,
    request_id   uuid REFERENCES family_requests (request_id),
    status       text NOT NULL
                 CHECK (status IN ('proposed', 'accepted', 'declined', 'cancelled', 'started')),
    accepted_on  date,
    declined_on  date,
    declined_by  text,
    cancelled_on date,
    cancelled_by text,
    stay_id      uuid,
    created_at   timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX matches_by_partner ON matches (partner_id, created_at, match_id);
CREATE INDEX matches_open_by_family ON matches (family_id)
    WHERE status IN ('proposed', 'accepted');
CREATE INDEX matches_by_person ON matches (partner_id, person_ref);
-- The database backs the domain rule "one accepted match waiting per person".
CREATE UNIQUE INDEX matches_one_accepted_per_person
    ON matches (partner_id, person_ref) WHERE status = 'accepted';

CREATE TABLE hosting_stays (
    stay_id                  uuid PRIMARY KEY,
    partner_id               text NOT NULL,
    match_id                 uuid NOT NULL UNIQUE REFERENCES matches (match_id),
    family_id                uuid NOT NULL REFERENCES host_families (family_id),
    person_ref               text NOT NULL CHECK (person_ref ~ '^[0-9a-f]{64}$'),
    request_id               uuid REFERENCES family_requests (request_id),
    started_on               date NOT NULL,
    planned_months           integer NOT NULL CHECK (planned_months BETWEEN 1 AND 36),
    planned_end_on           date NOT NULL,
    monthly_contribution_eur integer NOT NULL CHECK (monthly_contribution_eur BETWEEN 0 AND 3000),
    sex                      text NOT NULL,
    age_band                 text NOT NULL,
    protection_status        text NOT NULL,
    status                   text NOT NULL CHECK (status IN ('active', 'ended')),
    ended_on                 date,
    outcome                  text,
    last_visit_on            date,
    created_at               timestamptz NOT NULL DEFAULT clock_timestamp(),
    CHECK (ended_on IS NULL OR ended_on >= started_on),
    CHECK ((status = 'ended') = (outcome IS NOT NULL))
);
CREATE INDEX hosting_stays_by_partner ON hosting_stays (partner_id, created_at, stay_id);
CREATE INDEX hosting_stays_active_by_family ON hosting_stays (family_id) WHERE status = 'active';
CREATE INDEX hosting_stays_by_person ON hosting_stays (partner_id, person_ref);
-- The database backs the domain rule "one active stay per person".
CREATE UNIQUE INDEX hosting_stays_one_active_per_person
    ON hosting_stays (partner_id, person_ref) WHERE status = 'active';

CREATE TABLE monitoring_visits (
    visit_id         uuid PRIMARY KEY,
    partner_id       text NOT NULL,
    stay_id          uuid NOT NULL REFERENCES hosting_stays (stay_id),
    family_id        uuid NOT NULL REFERENCES host_families (family_id),
    visited_on       date NOT NULL,
    guest_wellbeing  integer NOT NULL CHECK (guest_wellbeing BETWEEN 1 AND 5),
    family_wellbeing integer NOT NULL CHECK (family_wellbeing BETWEEN 1 AND 5),
    flags            text[] NOT NULL DEFAULT '{}',
    created_at       timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX monitoring_visits_by_stay ON monitoring_visits (stay_id, visited_on, created_at);

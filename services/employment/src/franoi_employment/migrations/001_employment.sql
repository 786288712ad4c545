-- Employment service schema (a partner's work desk). Every row carries the partner it
-- belongs to; every query filters by it. Persons appear only as person_ref (a keyed
-- pseudonym) with coarse attributes. Company names, course titles and providers are
-- kept here for the workers and never leave this service (no event carries them).

CREATE TABLE company_agreements (
    company_agreement_id uuid PRIMARY KEY,
    partner_id           text NOT NULL,
    company_name         text NOT NULL CHECK (length(company_name) BETWEEN 1 AND 200),
    sector               text NOT NULL CHECK (sector ~ '^[A-U]$'),
    places_offered       integer NOT NULL CHECK (places_offered BETWEEN 0 AND 1000),
    signed_on            date NOT NULL,
    valid_until          date,
    ended_on             date,
    created_at           timestamptz NOT NULL DEFAULT clock_timestamp(),
    CHECK (valid_until IS NULL OR valid_until >= signed_on),
    CHECK (ended_on IS NULL OR ended_on >= signed_on)
);
CREATE INDEX company_agreements_by_partner
    ON company_agreements (partner_id, created_at, company_agreement_id);

CREATE TABLE consultations (
    consultation_id   uuid PRIMARY KEY,
    partner_id        text NOT NULL,
    person_ref        text NOT NULL CHECK (person_ref ~ '^[0-9a-f]{64}$'),
    held_on           date NOT NULL,
    topic             text NOT NULL,
    minutes           integer NOT NULL CHECK (minutes BETWEEN 1 AND 480),
    worker_role       text NOT NULL,
    sex               text NOT NULL,
    age_band          text NOT NULL,
    protection_status text NOT NULL,
    created_at        timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX consultations_by_partner ON consultations (partner_id, created_at, consultation_id);
CREATE INDEX consultations_by_person ON consultations (partner_id, person_ref, held_on);

CREATE TABLE group_activities (
    group_activity_id   uuid PRIMARY KEY,
    partner_id          text NOT NULL,
    kind                text NOT NULL,
    scheduled_on        date NOT NULL,
    status              text NOT NULL,
    held_on             date,
    anonymous_attendees integer CHECK (anonymous_attendees BETWEEN 0 AND 5000),
    cancelled_on        date,
    created_at          timestamptz NOT NULL DEFAULT clock_timestamp(),
    -- Attendance exists exactly for a held activity.
    CHECK ((status = 'held') = (held_on IS NOT NULL AND anonymous_attendees IS NOT NULL))
);
CREATE INDEX group_activities_by_partner
    ON group_activities (partner_id, created_at, group_activity_id);

CREATE TABLE group_activity_attendees (
    group_activity_id uuid NOT NULL REFERENCES group_activities (group_activity_id),
    partner_id        text NOT NULL,
    person_ref        text NOT NULL CHECK (person_ref ~ '^[0-9a-f]{64}$'),
    PRIMARY KEY (group_activity_id, person_ref)
);
CREATE INDEX group_activity_attendees_by_person
    ON group_activity_attendees (partner_id, person_ref);

CREATE TABLE skills_profiles (
    skills_profile_id uuid PRIMARY KEY,
    partner_id        text NOT NULL,
    person_ref        text NOT NULL CHECK (person_ref ~ '^[0-9a-f]{64}$'),
    created_at        timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX skills_profiles_by_partner ON skills_profiles (partner_id, created_at, skills_profile_id);
-- One profile per person at a partner; its versions are the assessments.
CREATE UNIQUE INDEX skills_profiles_one_per_person ON skills_profiles (partner_id, person_ref);

CREATE TABLE skills_assessments (
    skills_profile_id   uuid NOT NULL REFERENCES skills_profiles (skills_profile_id),
    version             integer NOT NULL CHECK (version >= 1),
    assessed_on         date NOT NULL,
    education_level     text NOT NULL,
    italian_level       text NOT NULL,
    italian_assessed_on date NOT NULL,
    other_languages     text[] NOT NULL,
    prior_sectors       text[] NOT NULL,
    driving_licence     text NOT NULL,
    created_at          timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (skills_profile_id, version),
    CHECK (italian_assessed_on <= assessed_on)
);

CREATE TABLE enrolments (
    enrolment_id      uuid PRIMARY KEY,
    partner_id        text NOT NULL,
    person_ref        text NOT NULL CHECK (person_ref ~ '^[0-9a-f]{64}$'),
    course_title      text NOT NULL CHECK (length(course_title) BETWEEN 1 AND 200),
    provider          text NOT NULL CHECK (length(provider) BETWEEN 1 AND 200),
    course_kind       text NOT NULL,
    hours             integer NOT NULL CHECK (hours BETWEEN 1 AND 2000),
    starts_on         date NOT NULL,
    ends_on           date NOT NULL,
    sex               text NOT NULL,
    age_band          text NOT NULL,
    protection_status text NOT NULL,
    status            text NOT NULL,
    closed_on         date,
    created_at        timestamptz NOT NULL DEFAULT clock_timestamp(),
    CHECK (ends_on >= starts_on),
    CHECK (closed_on IS NULL OR closed_on >= starts_on)
);
CREATE INDEX enrolments_by_partner ON enrolments (partner_id, created_at, enrolment_id);
CREATE INDEX enrolments_by_person ON enrolments (partner_id, person_ref, starts_on);

CREATE TABLE internships (
    internship_id        uuid PRIMARY KEY,
    partner_id           text NOT NULL,
    person_ref           text NOT NULL CHECK (person_ref ~ '^[0-9a-f]{64}$'),
    company_agreement_id uuid NOT NULL REFERENCES company_agreements (company_agreement_id),
    sector               text NOT NULL CHECK (sector ~ '^[A-U]$'),
    started_on           date NOT NULL,
    planned_end_on       date NOT NULL,
    monthly_stipend_eur  integer NOT NULL CHECK (monthly_stipend_eur BETWEEN 0 AND 3000),
    stipend_paid_by      text NOT NULL,
    sex                  text NOT NULL,
    age_band             text NOT NULL,
    protection_status    text NOT NULL,
    status               text NOT NULL,
    ended_on             date,
    outcome              text,
    interrupted_by       text,
    outcome_recorded_on  date,
    created_at           timestamptz NOT NULL DEFAULT clock_timestamp(),
    CHECK (planned_end_on >= started_on),
    CHECK (ended_on IS NULL OR ended_on >= started_on),
    -- The outcome comes only after the end, on or after it.
    CHECK (outcome IS NULL OR (ended_on IS NOT NULL AND outcome_recorded_on >= ended_on))
);
CREATE INDEX internships_by_partner ON internships (partner_id, created_at, internship_id);
CREATE INDEX internships_by_person ON internships (partner_id, person_ref, started_on);
-- The database backs the domain rule "one open internship per person".
CREATE UNIQUE INDEX internships_one_open_per_person
    ON internships (partner_id, person_ref) WHERE status = 'open';

CREATE TABLE hires (
    hire_id              uuid PRIMARY KEY,
    partner_id           text NOT NULL,
    person_ref           text NOT NULL CHECK (person_ref ~ '^[0-9a-f]{64}$'),
    company_agreement_id uuid REFERENCES company_agreements (company_agreement_id),
    internship_id        uuid REFERENCES internships (internship_id),
    sector               text NOT NULL CHECK (sector ~ '^[A-U]$'),
    contract_type        text NOT NULL,
    weekly_hours         integer NOT NULL CHECK (weekly_hours BETWEEN 1 AND 60),
    started_on           date NOT NULL,
    ends_on              date,
    sex                  text NOT NULL,
    age_band             text NOT NULL,
    protection_status    text NOT NULL,
    status               text NOT NULL,
    ended_on             date,
    end_reason           text,
    created_at           timestamptz NOT NULL DEFAULT clock_timestamp(),
    CHECK (ends_on IS NULL OR ends_on >= started_on),
    CHECK (ended_on IS NULL OR ended_on >= started_on)
);
CREATE INDEX hires_by_partner ON hires (partner_id, created_at, hire_id);
CREATE INDEX hires_by_person ON hires (partner_id, person_ref, started_on);

-- Events service schema. Every row carries the partner it belongs to; every
-- query filters by it. Persons appear only as person_ref (a keyed pseudonym).
-- Hub names, event and series titles and opening hours are public labels kept
-- here only: no event carries them.

CREATE TABLE hubs (
    hub_id            uuid PRIMARY KEY,
    partner_id        text NOT NULL,
    name              text NOT NULL CHECK (length(name) BETWEEN 1 AND 160),
    municipality_code text NOT NULL CHECK (municipality_code ~ '^[A-Z][0-9]{3}$'),
    kind              text NOT NULL,
    -- [{"weekday": 1, "opens": "09:00:00", "closes": "12:30:00"}, ...]
    opening_hours     jsonb NOT NULL DEFAULT '[]'::jsonb,
    opened_on         date NOT NULL,
    closed_on         date,
    created_at        timestamptz NOT NULL DEFAULT clock_timestamp(),
    CHECK (closed_on IS NULL OR closed_on >= opened_on)
);
CREATE INDEX hubs_by_partner ON hubs (partner_id, created_at, hub_id);

CREATE TABLE lab_series (
    lab_series_id          uuid PRIMARY KEY,
    partner_id             text NOT NULL,
    kind                   text NOT NULL CHECK (kind IN ('socialisation_lab', 'community_lab')),
    title                  text NOT NULL CHECK (length(title) BETWEEN 1 AND 160),
    hub_id                 uuid REFERENCES hubs (hub_id),
    municipality_code      text NOT NULL CHECK (municipality_code ~ '^[A-Z][0-9]{3}$'),
    started_on             date NOT NULL,
    closed_on              date,
    sessions_held          integer CHECK (sessions_held >= 0),
    distinct_participants  integer CHECK (distinct_participants >= 0),
    distinct_beneficiaries integer CHECK (distinct_beneficiaries >= 0),
    distinct_volunteers    integer CHECK (distinct_volunteers >= 0),
    created_at             timestamptz NOT NULL DEFAULT clock_timestamp(),
    CHECK (closed_on IS NULL OR closed_on >= started_on),
    CHECK (distinct_beneficiaries + distinct_volunteers <= distinct_participants)
);
CREATE INDEX lab_series_by_partner ON lab_series (partner_id, created_at, lab_series_id);

CREATE TABLE community_events (
    community_event_id          uuid PRIMARY KEY,
    partner_id                  text NOT NULL,
    kind                        text NOT NULL,
    title                       text NOT NULL CHECK (length(title) BETWEEN 1 AND 160),
    hub_id                      uuid REFERENCES hubs (hub_id),
    municipality_code           text NOT NULL CHECK (municipality_code ~ '^[A-Z][0-9]{3}$'),
    lab_series_id               uuid REFERENCES lab_series (lab_series_id),
    starts_on                   date NOT NULL,
    duration_minutes            integer NOT NULL CHECK (duration_minutes > 0),
    co_organising_associations  integer NOT NULL DEFAULT 0 CHECK (co_organising_associations >= 0),
    co_organising_public_bodies integer NOT NULL DEFAULT 0 CHECK (co_organising_public_bodies >= 0),
    co_organising_companies     integer NOT NULL DEFAULT 0 CHECK (co_organising_companies >= 0),
    co_organising_others        integer NOT NULL DEFAULT 0 CHECK (co_organising_others >= 0),
    status                      text NOT NULL,
    held_on                     date,
    participants                integer CHECK (participants >= 0),
    beneficiaries               integer CHECK (beneficiaries >= 0),
    volunteers                  integer CHECK (volunteers >= 0),
    cancelled_on                date,
    cancellation_reason         text,
    created_at                  timestamptz NOT NULL DEFAULT clock_timestamp(),
    CHECK (held_on IS NULL OR held_on >= starts_on),
    CHECK (beneficiaries + volunteers <= participants)
);
CREATE INDEX community_events_by_partner
    ON community_events (partner_id, created_at, community_event_id);
CREATE INDEX community_events_by_hub ON community_events (hub_id, starts_on);
CREATE INDEX community_events_by_series ON community_events (lab_series_id);

-- One row per recorded day's batch; the client chooses access_batch_id, so a
-- retried request finds its batch instead of counting the accesses twice.
CREATE TABLE access_batches (
    access_batch_id uuid PRIMARY KEY,
    partner_id      text NOT NULL,
    hub_id          uuid NOT NULL REFERENCES hubs (hub_id),
    accessed_on     date NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX access_batches_by_partner ON access_batches (partner_id, created_at, access_batch_id);
CREATE INDEX access_batches_by_hub ON access_batches (hub_id, accessed_on);

CREATE TABLE access_counts (
    access_batch_id uuid NOT NULL REFERENCES access_batches (access_batch_id) ON DELETE CASCADE,
    topic           text NOT NULL,
    referred        boolean NOT NULL,
    accesses        integer NOT NULL CHECK (accesses >= 0),
    PRIMARY KEY (access_batch_id, topic, referred)
);

CREATE TABLE access_known_persons (
    access_batch_id uuid NOT NULL REFERENCES access_batches (access_batch_id) ON DELETE CASCADE,
    partner_id      text NOT NULL,
    person_ref      text NOT NULL CHECK (person_ref ~ '^[0-9a-f]{64}$'),
    topic           text NOT NULL,
    referred        boolean NOT NULL,
    PRIMARY KEY (access_batch_id, person_ref, topic)
);
CREATE INDEX access_known_persons_by_person ON access_known_persons (partner_id, person_ref);

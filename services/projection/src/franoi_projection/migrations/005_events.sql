-- Community events read models (events domain): hubs, lab series, community
-- events and walk-in accesses per partner. No title, hub name or opening hours
-- reach the consortium; persons appear only as person_ref, in the accesses of
-- people the partner follows. Everything here can be rebuilt from the topics.

CREATE TABLE events_hubs (
    partner_id        text NOT NULL REFERENCES partners (partner_id),
    hub_id            uuid NOT NULL,
    municipality_code text NOT NULL,
    kind              text NOT NULL,
    opened_on         date NOT NULL,
    closed_on         date,
    PRIMARY KEY (partner_id, hub_id)
);

CREATE TABLE events_lab_series (
    partner_id             text NOT NULL REFERENCES partners (partner_id),
    lab_series_id          uuid NOT NULL,
    kind                   text NOT NULL,
    hub_id                 uuid,
    municipality_code      text NOT NULL,
    started_on             date NOT NULL,
    closed_on              date,
    sessions_held          integer,
    distinct_participants  integer,
    distinct_beneficiaries integer,
    distinct_volunteers    integer,
    PRIMARY KEY (partner_id, lab_series_id)
);
CREATE INDEX events_lab_series_closed ON events_lab_series (partner_id, closed_on);

CREATE TABLE events_community_events (
    partner_id                  text NOT NULL REFERENCES partners (partner_id),
    community_event_id          uuid NOT NULL,
    kind                        text NOT NULL,
    hub_id                      uuid,
    municipality_code           text NOT NULL,
    lab_series_id               uuid,
    starts_on                   date NOT NULL,
    duration_minutes            integer NOT NULL,
    co_organising_associations  integer NOT NULL,
    co_organising_public_bodies integer NOT NULL,
    co_organising_companies     integer NOT NULL,
    co_organising_others        integer NOT NULL,
    status                      text NOT NULL DEFAULT 'scheduled',
    held_on                     date,
    participants                integer,
    beneficiaries               integer,
    volunteers                  integer,
    cancelled_on                date,
    cancellation_reason         text,
    PRIMARY KEY (partner_id, community_event_id)
);
CREATE INDEX events_community_events_held ON events_community_events (partner_id, held_on);
CREATE INDEX events_community_events_cancelled
    ON events_community_events (partner_id, cancelled_on);

-- A day's batch of accesses, one row per (topic, referred): anonymous and known
-- persons' accesses added together. The key includes the client-chosen batch id,
-- so a batch is counted once however often it is delivered.
CREATE TABLE events_access_counts (
    partner_id      text NOT NULL REFERENCES partners (partner_id),
    access_batch_id uuid NOT NULL,
    hub_id          uuid NOT NULL,
    accessed_on     date NOT NULL,
    topic           text NOT NULL,
    referred        boolean NOT NULL,
    accesses        integer NOT NULL CHECK (accesses >= 0),
    PRIMARY KEY (partner_id, access_batch_id, topic, referred)
);
CREATE INDEX events_access_counts_day ON events_access_counts (partner_id, accessed_on);

-- Accesses of persons the partner follows (pseudonymous journeys).
CREATE TABLE events_access_persons (
    partner_id      text NOT NULL REFERENCES partners (partner_id),
    access_batch_id uuid NOT NULL,
    person_ref      text NOT NULL,
    topic           text NOT NULL,
    referred        boolean NOT NULL,
    hub_id          uuid NOT NULL,
    accessed_on     date NOT NULL,
    PRIMARY KEY (partner_id, access_batch_id, person_ref, topic)
);
CREATE INDEX events_access_persons_day ON events_access_persons (partner_id, accessed_on);
CREATE INDEX events_access_persons_person ON events_access_persons (partner_id, person_ref);

-- Cases service schema: the only place where a person's identity lives.
-- Every row carries the partner it belongs to; every query filters by it.
--
-- Document numbers and contacts are encrypted by the application (AES-GCM, key
-- from the service's settings) before they reach this database: the *_enc
-- columns hold ciphertext only. Lookups by document number use a keyed hash of
-- the normalised number (a blind index, *_index), never the plaintext.

CREATE TABLE persons (
    person_id              uuid PRIMARY KEY,
    partner_id             text NOT NULL,
    given_names            text NOT NULL,
    family_name            text NOT NULL,
    -- Both names without accents, case-folded: what search compares (substring).
    search_name            text NOT NULL,
    born_on                date NOT NULL,
    sex                    text NOT NULL,
    citizenship            text NOT NULL CHECK (citizenship ~ '^[A-Z]{2}$'),
    languages              text[] NOT NULL DEFAULT '{}',
    protection_status      text NOT NULL,
    protection_expires_on  date,
    tax_code_enc           bytea,
    tax_code_index         text CHECK (tax_code_index ~ '^[0-9a-f]{64}$'),
    residence_permit_enc   bytea,
    residence_permit_index text CHECK (residence_permit_index ~ '^[0-9a-f]{64}$'),
    phone_enc              bytea,
    email_enc              bytea,
    household              jsonb NOT NULL DEFAULT '[]',
    person_ref             text CHECK (person_ref ~ '^[0-9a-f]{64}$'),
    registered_on          date NOT NULL,
    merged_into            uuid REFERENCES persons (person_id),
    created_at             timestamptz NOT NULL DEFAULT clock_timestamp(),
    updated_at             timestamptz NOT NULL DEFAULT clock_timestamp(),
    CHECK ((tax_code_enc IS NULL) = (tax_code_index IS NULL)),
    CHECK ((residence_permit_enc IS NULL) = (residence_permit_index IS NULL))
);
CREATE INDEX persons_by_partner ON persons (partner_id, family_name, given_names, person_id);
CREATE INDEX persons_by_birth ON persons (partner_id, born_on);
CREATE INDEX persons_by_ref ON persons (partner_id, person_ref);
-- The database backs the rule "a person's record is not created twice for the
-- same document identifier" (per partner: two partners may follow one person).
CREATE UNIQUE INDEX persons_one_per_tax_code
    ON persons (partner_id, tax_code_index) WHERE tax_code_index IS NOT NULL;
CREATE UNIQUE INDEX persons_one_per_residence_permit
    ON persons (partner_id, residence_permit_index) WHERE residence_permit_index IS NOT NULL;

CREATE TABLE plans (
    plan_id             uuid PRIMARY KEY,
    partner_id          text NOT NULL,
    person_id           uuid NOT NULL REFERENCES persons (person_id),
    person_ref          text NOT NULL CHECK (person_ref ~ '^[0-9a-f]{64}$'),
    opened_on           date NOT NULL,
    axes                text[] NOT NULL CHECK (cardinality(axes) BETWEEN 1 AND 6),
    -- Goals per axis: coded values or short texts; never published.
    goals               jsonb NOT NULL DEFAULT '{}',
    planned_months      integer NOT NULL CHECK (planned_months BETWEEN 1 AND 36),
    key_worker          text NOT NULL,
    status              text NOT NULL CHECK (status IN ('open', 'closed')),
    closed_on           date,
    outcome             text,
    interruption_reason text,
    created_at          timestamptz NOT NULL DEFAULT clock_timestamp(),
    CHECK (closed_on IS NULL OR closed_on >= opened_on),
    CHECK ((status = 'closed') = (closed_on IS NOT NULL AND outcome IS NOT NULL))
);
CREATE INDEX plans_by_partner ON plans (partner_id, created_at, plan_id);
CREATE INDEX plans_by_person ON plans (partner_id, person_id);
-- The database backs the rule "one open plan per person".
CREATE UNIQUE INDEX plans_one_open_per_person ON plans (partner_id, person_id)
    WHERE status = 'open';

CREATE TABLE plan_reviews (
    plan_id     uuid NOT NULL REFERENCES plans (plan_id),
    position    integer NOT NULL CHECK (position >= 1),
    reviewed_on date NOT NULL,
    -- axis -> progress
    progress    jsonb NOT NULL,
    PRIMARY KEY (plan_id, position)
);

-- Who read or changed which person's record, when, in which role. Append-only:
-- the trigger refuses UPDATE and DELETE (TRUNCATE too), whoever the database user is.
CREATE TABLE access_log (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    partner_id  text NOT NULL,
    person_id   uuid NOT NULL,
    operation   text NOT NULL,
    actor       text NOT NULL,
    role        text NOT NULL,
    at          timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX access_log_by_partner ON access_log (partner_id, id);
CREATE INDEX access_log_by_person ON access_log (partner_id, person_id, id);

CREATE FUNCTION access_log_is_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the access log is append-only (% refused)', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER access_log_no_update_or_delete
    BEFORE UPDATE OR DELETE ON access_log
    FOR EACH ROW EXECUTE FUNCTION access_log_is_append_only();
CREATE TRIGGER access_log_no_truncate
    BEFORE TRUNCATE ON access_log
    FOR EACH STATEMENT EXECUTE FUNCTION access_log_is_append_only();

-- Registration despite possible duplicates keeps its reason; consent to processing is
-- recorded with its day, scopes and who recorded it (the last one on the record, every
-- change in consents). Neither leaves this service: no event carries them.

ALTER TABLE persons
    ADD COLUMN duplicate_reason    text CHECK (char_length(duplicate_reason) BETWEEN 3 AND 300),
    ADD COLUMN consent_given_on    date,
    ADD COLUMN consent_scopes      text[],
    ADD COLUMN consent_recorded_by text,
    ADD COLUMN consent_recorded_at timestamptz,
    ADD CONSTRAINT persons_consent_whole CHECK (
        (consent_given_on IS NULL) = (consent_scopes IS NULL)
        AND (consent_given_on IS NULL) = (consent_recorded_by IS NULL)
        AND (consent_given_on IS NULL) = (consent_recorded_at IS NULL)
    );

CREATE TABLE consents (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    partner_id  text NOT NULL,
    person_id   uuid NOT NULL REFERENCES persons (person_id),
    given_on    date NOT NULL,
    scopes      text[] NOT NULL
                CHECK (scopes <@ ARRAY['processing', 'sharing_within_network', 'contact']),
    recorded_by text NOT NULL,
    recorded_at timestamptz NOT NULL
);
CREATE INDEX consents_by_person ON consents (partner_id, person_id, id);

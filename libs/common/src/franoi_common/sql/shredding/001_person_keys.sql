-- Crypto-shredding of person_ref on the stream: a partner's key store.
--
-- One row per (partner, person): the token under which the person's reference is
-- published. The token is 32 random bytes in hex, so the row is the key of a
-- one-time pad over the reference (pad = token XOR reference): whoever holds the
-- row can open the token, nobody can once it is deleted. The column is `ref`, not
-- `person_ref`: the erasure trigger must not swap a surrogate in; an erasure
-- deletes the row (franoi_common.shredding.KeyStore.shred).
CREATE TABLE person_keys (
    partner_id text NOT NULL CHECK (partner_id ~ '^p[0-9]{2,3}$'),
    ref        text NOT NULL CHECK (ref ~ '^[0-9a-f]{64}$'),
    token      text NOT NULL CHECK (token ~ '^[0-9a-f]{64}$' AND token <> ref),
    created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (partner_id, ref),
    UNIQUE (partner_id, token)
);

-- The references this database holds for a partner that have no token in person_keys yet
-- (rows never published: a service that asks the key store to seal them learns their
-- tokens, and which of them the partner erased). Surrogates of earlier erasures are not
-- references: left out.
CREATE FUNCTION franoi_refs_without_key(partner text) RETURNS SETOF text
LANGUAGE plpgsql STABLE AS $$
DECLARE
    t record;
BEGIN
    FOR t IN
        SELECT c.table_name FROM information_schema.columns c
        JOIN information_schema.columns p
          ON p.table_schema = c.table_schema AND p.table_name = c.table_name
         AND p.column_name = 'partner_id'
        JOIN information_schema.tables tb
          ON tb.table_schema = c.table_schema AND tb.table_name = c.table_name
        WHERE c.table_schema = current_schema() AND c.column_name = 'person_ref'
          AND tb.table_type = 'BASE TABLE'
    LOOP
        RETURN QUERY EXECUTE format(
            'SELECT DISTINCT r.person_ref FROM %I r WHERE r.partner_id = $1'
            ' AND r.person_ref IS NOT NULL'
            ' AND NOT EXISTS (SELECT 1 FROM person_keys k'
            '                 WHERE k.partner_id = $1 AND k.ref = r.person_ref)'
            ' AND NOT EXISTS (SELECT 1 FROM erased_persons e WHERE e.surrogate = r.person_ref)',
            t.table_name)
        USING partner;
    END LOOP;
END;
$$;

-- A consumer's erasure of a person that an erasure event names by its token (shredding)
-- or, for a person whose events went out before shredding, by its reference. A token
-- whose key this database keeps (learnt when it opened the person's events) stands for
-- its reference: the reference is erased with the token as its surrogate, so the rows
-- become what a replay, which can no longer open the token, records; the key goes. The
-- tombstone of the reference then gets a surrogate of its own: nothing here pairs a
-- reference one could recompute from a document with the token the topics carry.
-- Anything else is erased as a reference (franoi_erase_person). Returns the surrogate.
CREATE FUNCTION franoi_erase_token(partner text, named text, erased date) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    held text;
BEGIN
    DELETE FROM person_keys WHERE partner_id = partner AND token = named
    RETURNING ref INTO held;
    IF held IS NULL THEN
        RETURN franoi_erase_person(partner, named, erased);
    END IF;
    INSERT INTO erased_persons (ref_hash, surrogate, erased_on)
    VALUES (franoi_erased_ref_hash(partner, held), named, erased)
    ON CONFLICT DO NOTHING;
    PERFORM franoi_erase_person(partner, held, erased);
    UPDATE erased_persons SET surrogate = franoi_new_surrogate()
    WHERE ref_hash = franoi_erased_ref_hash(partner, held) AND surrogate = named;
    RETURN named;
END;
$$;

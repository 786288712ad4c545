-- Erasure (GDPR art. 17) in any database that holds person_ref: tombstones and
-- the trigger that keeps an erased person's reference out for good.
--
-- A tombstone is keyed by a one-way hash of (partner_id, person_ref), never the
-- reference itself. It holds the surrogate that replaced the reference in that
-- partner's rows: a random 64-hex token, the same for all the person's rows, so
-- distinct counts and journeys across axes stay what they were.
CREATE TABLE erased_persons (
    ref_hash    text PRIMARY KEY CHECK (ref_hash ~ '^[0-9a-f]{64}$'),
    surrogate   text NOT NULL UNIQUE CHECK (surrogate ~ '^[0-9a-f]{64}$'),
    erased_on   date NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT clock_timestamp()
);

CREATE FUNCTION franoi_erased_ref_hash(partner text, ref text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$
    SELECT encode(sha256(convert_to(partner || ':' || ref, 'UTF8')), 'hex')
$$;

CREATE FUNCTION franoi_new_surrogate() RETURNS text
LANGUAGE sql VOLATILE AS $$
    SELECT replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', '')
$$;

-- Record the tombstone (once: a second erasure finds it) and return its surrogate.
CREATE FUNCTION franoi_tombstone(partner text, ref text, erased date) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    found_surrogate text;
BEGIN
    INSERT INTO erased_persons (ref_hash, surrogate, erased_on)
    VALUES (franoi_erased_ref_hash(partner, ref), franoi_new_surrogate(), erased)
    ON CONFLICT (ref_hash) DO NOTHING;
    SELECT surrogate INTO found_surrogate
    FROM erased_persons WHERE ref_hash = franoi_erased_ref_hash(partner, ref);
    RETURN found_surrogate;
END;
$$;

-- BEFORE INSERT OR UPDATE on every table holding a person's reference: a tombstoned
-- reference is swapped for its surrogate, so a late event (a rebuild replays topics
-- in no cross-topic order) or a later command never re-creates the link.
-- Arguments: the columns to check; none: every 64-hex token anywhere in the row
-- (the outbox's jsonb data, where references may be nested). An erasure event still
-- waiting in the outbox keeps its reference until it is sent: it must be published.
CREATE FUNCTION franoi_swap_erased_refs() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    row_json   jsonb;
    row_text   text;
    partner    text;
    token      text;
    column_name text;
    replacement text;
    changed    boolean := false;
BEGIN
    IF NOT EXISTS (SELECT 1 FROM erased_persons) THEN
        RETURN NEW;
    END IF;
    row_json := to_jsonb(NEW);
    partner := row_json ->> 'partner_id';
    IF partner IS NULL THEN
        RETURN NEW;
    END IF;
    IF row_json ->> 'event_type' LIKE '%.person.erased.v1' AND row_json ->> 'sent_at' IS NULL THEN
        RETURN NEW;
    END IF;
    row_text := row_json::text;
    IF TG_NARGS > 0 THEN
        FOREACH column_name IN ARRAY TG_ARGV LOOP
            token := row_json ->> column_name;
            CONTINUE WHEN token IS NULL;
            SELECT surrogate INTO replacement FROM erased_persons
            WHERE ref_hash = franoi_erased_ref_hash(partner, token);
            IF FOUND THEN
                row_json := jsonb_set(row_json, ARRAY[column_name], to_jsonb(replacement));
                changed := true;
            END IF;
        END LOOP;
        IF changed THEN
            NEW := jsonb_populate_record(NEW, row_json);
        END IF;
        RETURN NEW;
    END IF;
    FOR token IN
        SELECT DISTINCT m[1] FROM regexp_matches(row_text, '([0-9a-f]{64})', 'g') AS m
    LOOP
        SELECT surrogate INTO replacement FROM erased_persons
        WHERE ref_hash = franoi_erased_ref_hash(partner, token);
        IF FOUND THEN
            row_text := replace(row_text, token, replacement);
            changed := true;
        END IF;
    END LOOP;
    IF changed THEN
        NEW := jsonb_populate_record(NEW, row_text::jsonb);
    END IF;
    RETURN NEW;
END;
$$;

-- Put the trigger on every table of the current schema with a person_ref column, and on
-- the outbox if there is one (whole-row check). Idempotent: a migration that adds a table
-- holding person_ref calls it again.
CREATE FUNCTION franoi_install_erasure_triggers() RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    t record;
    installed integer := 0;
BEGIN
    FOR t IN
        SELECT c.table_name FROM information_schema.columns c
        JOIN information_schema.tables tb
          ON tb.table_schema = c.table_schema AND tb.table_name = c.table_name
        WHERE c.table_schema = current_schema() AND c.column_name = 'person_ref'
          AND tb.table_type = 'BASE TABLE'
    LOOP
        -- Only where the reference can change: an update of other columns cannot
        -- bring an erased reference back, so it costs nothing.
        EXECUTE format(
            'CREATE OR REPLACE TRIGGER franoi_erased_refs'
            ' BEFORE INSERT OR UPDATE OF person_ref ON %I'
            ' FOR EACH ROW EXECUTE FUNCTION franoi_swap_erased_refs(%L)',
            t.table_name, 'person_ref');
        installed := installed + 1;
    END LOOP;
    IF to_regclass('outbox') IS NOT NULL THEN
        -- New rows and changed data; and the one row whose reference waits for its send:
        -- an erasure event, detached once the relay marks it sent. The relay's marking of
        -- every other row does not run the function.
        EXECUTE 'CREATE OR REPLACE TRIGGER franoi_erased_refs'
                ' BEFORE INSERT OR UPDATE OF data ON outbox'
                ' FOR EACH ROW EXECUTE FUNCTION franoi_swap_erased_refs()';
        EXECUTE 'CREATE OR REPLACE TRIGGER franoi_erased_refs_sent'
                ' BEFORE UPDATE OF sent_at ON outbox FOR EACH ROW'
                ' WHEN (NEW.event_type LIKE ''%.person.erased.v1'')'
                ' EXECUTE FUNCTION franoi_swap_erased_refs()';
        installed := installed + 1;
    END IF;
    RETURN installed;
END;
$$;

-- Detach an erased person's reference from every row of the partner: each table with a
-- person_ref column gets the surrogate (the trigger above does the swap), and the
-- outbox's data too, sent or not (unsent rows then publish the surrogate). Returns the
-- surrogate. Safe to run twice.
CREATE FUNCTION franoi_erase_person(partner text, ref text, erased date) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    t record;
    new_ref text;
BEGIN
    new_ref := franoi_tombstone(partner, ref, erased);
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
        EXECUTE format('UPDATE %I SET person_ref = $3 WHERE partner_id = $1 AND person_ref = $2',
                       t.table_name)
        USING partner, ref, new_ref;
    END LOOP;
    IF to_regclass('outbox') IS NOT NULL THEN
        UPDATE outbox SET data = replace(data::text, ref, new_ref)::jsonb
        WHERE partner_id = partner AND strpos(data::text, ref) > 0
          AND NOT (event_type LIKE '%.person.erased.v1' AND sent_at IS NULL);
    END IF;
    RETURN new_ref;
END;
$$;

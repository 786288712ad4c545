-- Each event's position among its aggregate's events, published as the CloudEvents
-- "sequence" extension (ce_sequence): 1 for the aggregate's first event, then one more
-- for each event, with no gaps, in the order the transactions that wrote them commit.
-- A consumer compares it with the last one it handled for the aggregate to tell a
-- redelivery (at-least-once: a relay stopped between the broker's acknowledgement and
-- its mark sends its batch again) from a new event.
CREATE TABLE outbox_sequences (
    aggregate_id text   PRIMARY KEY,
    last         bigint NOT NULL CHECK (last > 0)
);

ALTER TABLE outbox ADD COLUMN sequence bigint;

-- Rows written before: numbered in id order, per aggregate.
UPDATE outbox SET sequence = numbered.sequence
FROM (
    SELECT id, row_number() OVER (PARTITION BY aggregate_id ORDER BY id) AS sequence
    FROM outbox
) AS numbered
WHERE outbox.id = numbered.id;
INSERT INTO outbox_sequences (aggregate_id, last)
SELECT aggregate_id, max(sequence) FROM outbox GROUP BY aggregate_id;

ALTER TABLE outbox ALTER COLUMN sequence SET NOT NULL;

-- Every new row takes its aggregate's next number in the inserting transaction. The
-- counter's row stays locked until that transaction ends, so another transaction writing
-- the same aggregate's events waits, then continues from the committed number (a rolled
-- back transaction gives its numbers back). The row's id is drawn after that lock, so an
-- aggregate's ids, and with them the relay's order, follow its sequence.
CREATE FUNCTION franoi_outbox_sequence() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO outbox_sequences AS counter (aggregate_id, last)
    VALUES (NEW.aggregate_id, 1)
    ON CONFLICT (aggregate_id) DO UPDATE SET last = counter.last + 1
    RETURNING counter.last INTO NEW.sequence;
    NEW.id := nextval(pg_get_serial_sequence('outbox', 'id'));
    RETURN NEW;
END;
$$;

CREATE TRIGGER franoi_outbox_sequence BEFORE INSERT ON outbox
FOR EACH ROW EXECUTE FUNCTION franoi_outbox_sequence();

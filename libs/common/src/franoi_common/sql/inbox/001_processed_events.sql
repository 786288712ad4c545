-- The idempotent consumer's record of what it has applied: (source, id)
-- identifies a CloudEvent; the row is written in the same transaction as the
-- read-model change, so a redelivered event changes nothing.
CREATE TABLE processed_events (
    source       text        NOT NULL,
    event_id     text        NOT NULL,
    event_type   text        NOT NULL,
    topic        text        NOT NULL,
    kafka_partition integer  NOT NULL,
    kafka_offset bigint      NOT NULL,
    processed_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (source, event_id)
);

-- What the consumer could not process and sent to the dead-letter topic.
CREATE TABLE dead_letters (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    topic        text        NOT NULL,
    kafka_partition integer  NOT NULL,
    kafka_offset bigint      NOT NULL,
    event_id     text,
    event_type   text,
    reason       text        NOT NULL,
    dead_lettered_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    UNIQUE (topic, kafka_partition, kafka_offset)
);

-- What each running consumer instance says of itself (counters since its start, the
-- partitions it holds, its last error), written by the consumer every few seconds, so
-- that a status read by any process tells the truth wherever the consumer runs.
CREATE TABLE consumer_reports (
    instance_id         text        PRIMARY KEY,
    group_id            text        NOT NULL,
    started_at          timestamptz NOT NULL,
    reported_at         timestamptz NOT NULL,
    processed           bigint      NOT NULL,
    duplicates          bigint      NOT NULL,
    dead_lettered       bigint      NOT NULL,
    assigned_partitions integer     NOT NULL,
    last_error          text
);

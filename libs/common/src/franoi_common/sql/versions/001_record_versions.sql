-- Optimistic concurrency: how many times each record was changed (1: never). A read of
-- one record answers it as its ETag; a change sent with If-Match is refused (412) when
-- the record changed meanwhile, so nobody overwrites a change they never saw.
CREATE TABLE record_versions (
    resource_id uuid PRIMARY KEY,
    version     bigint NOT NULL
);

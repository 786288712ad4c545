-- The partner's imports from spreadsheets: what each did and what it found wrong, by row
-- and column (codes and parameters, never a cell's content); the file itself is not kept.
CREATE TABLE imports (
    import_id      uuid PRIMARY KEY,
    partner_id     text NOT NULL,
    sheet          text NOT NULL,
    check_only     boolean NOT NULL,
    status         text NOT NULL CHECK (status IN
                       ('checking', 'importing', 'checked', 'done', 'refused', 'failed',
                        'interrupted')),
    total_rows     integer NOT NULL,
    checked_rows   integer NOT NULL DEFAULT 0,
    imported_rows  integer NOT NULL DEFAULT 0,
    tally          jsonb NOT NULL DEFAULT '{}',
    problems       jsonb NOT NULL DEFAULT '[]',
    problems_total integer NOT NULL DEFAULT 0,
    started_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
    updated_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
    finished_at    timestamptz
);
CREATE INDEX imports_by_partner ON imports (partner_id, started_at DESC);
-- One import at a time per partner: two files racing for the same records would refuse
-- each other's rows.
CREATE UNIQUE INDEX imports_one_running ON imports (partner_id)
    WHERE status IN ('checking', 'importing');

-- Reporting periods (issue 25): when each event was entered, the data-quality flags and
-- their explanations, the periods the consortium reports to the fund by, each partner's
-- submission and the consortium's decision, and the figures of every approved version.
--
-- Only event_entries and quality_flags are derived from the topics; the rest is the
-- consortium's and the partners' own record, carried over by a rebuild at its switch
-- (franoi_projection.rebuild.REPORTING_TABLES).

-- One row per applied event that says on which day something happened: the record (the
-- event's aggregate), that day and when the partner's service recorded it (the envelope's
-- time). Timeliness is measured on it, and an approved period's late entries are found in it.
CREATE TABLE event_entries (
    partner_id  text        NOT NULL,
    event_id    text        NOT NULL,
    event_type  text        NOT NULL,
    record_id   text        NOT NULL,
    dated_on    date        NOT NULL,
    entered_at  timestamptz NOT NULL,
    PRIMARY KEY (partner_id, event_id)
);
CREATE INDEX event_entries_partner_day ON event_entries (partner_id, dated_on);

-- The flags of the latest data-quality run of each partner (replaced whole by each run).
CREATE TABLE quality_flags (
    partner_id  text    NOT NULL REFERENCES partners (partner_id),
    flag_key    text    NOT NULL,
    rule_id     text    NOT NULL,
    subject     text    NOT NULL,
    record_ids  text[]  NOT NULL,
    dates       text    NOT NULL,   -- JSON: the named days that make the flag
    first_on    date    NOT NULL,
    last_on     date    NOT NULL,
    value       double precision,
    PRIMARY KEY (partner_id, flag_key)
);
CREATE INDEX quality_flags_partner_days ON quality_flags (partner_id, first_on, last_on);

CREATE TABLE quality_runs (
    partner_id  text        PRIMARY KEY REFERENCES partners (partner_id),
    checked_on  date        NOT NULL,
    ran_at      timestamptz NOT NULL,
    flags       integer     NOT NULL
);

-- A flag marked explained: not raised again (the key names the rule, the records and the
-- dates, so a record changed since raises a new flag).
CREATE TABLE quality_explanations (
    partner_id   text        NOT NULL REFERENCES partners (partner_id),
    flag_key     text        NOT NULL,
    rule_id      text        NOT NULL,
    comment      text        NOT NULL CHECK (length(comment) BETWEEN 1 AND 2000),
    explained_by text        NOT NULL,
    explained_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (partner_id, flag_key)
);

CREATE TABLE reporting_periods (
    period_id   text        PRIMARY KEY CHECK (period_id ~ '^[a-z0-9][a-z0-9-]{0,39}$'),
    label_it    text        NOT NULL,
    label_en    text        NOT NULL,
    first_month date        NOT NULL CHECK (extract(day FROM first_month) = 1),
    last_month  date        NOT NULL CHECK (extract(day FROM last_month) = 1),
    deadline    date        NOT NULL,
    version     integer     NOT NULL DEFAULT 1 CHECK (version >= 1),
    created_by  text        NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    CHECK (first_month <= last_month)
);

-- Each partner's state in a version of a period: submitted, approved or returned (no row:
-- not submitted yet).
CREATE TABLE reporting_states (
    period_id  text        NOT NULL REFERENCES reporting_periods (period_id),
    version    integer     NOT NULL,
    partner_id text        NOT NULL REFERENCES partners (partner_id),
    state      text        NOT NULL CHECK (state IN ('submitted', 'approved', 'returned')),
    comment    text,
    changed_by text        NOT NULL,
    changed_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (period_id, version, partner_id)
);

-- Every step, in order: who submitted, approved, returned or reopened what, and why.
CREATE TABLE reporting_history (
    step_id    bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    period_id  text        NOT NULL REFERENCES reporting_periods (period_id),
    version    integer     NOT NULL,
    partner_id text,
    action     text        NOT NULL,
    comment    text,
    done_by    text        NOT NULL,
    done_at    timestamptz NOT NULL DEFAULT now()
);

-- A version's figures as approved: every partner's sums of the monthly counters (sum over
-- the period, sum up to its end) and region, read in the transaction that approved the
-- last partner. Never updated: a reopening starts a new version.
CREATE TABLE reporting_versions (
    period_id   text        NOT NULL REFERENCES reporting_periods (period_id),
    version     integer     NOT NULL,
    approved_at timestamptz NOT NULL,
    approved_by text        NOT NULL,
    regions     jsonb       NOT NULL,
    sums        jsonb       NOT NULL,
    reopened_at timestamptz,
    reopened_by text,
    reopen_comment text,
    PRIMARY KEY (period_id, version)
);

-- Tasks of the individual plans: what is to be done for the person, by whom, by when.
-- Kept in this service only (no event). person_id follows the plan (a merge moves both).

CREATE TABLE tasks (
    task_id      uuid PRIMARY KEY,
    partner_id   text NOT NULL,
    plan_id      uuid NOT NULL REFERENCES plans (plan_id),
    person_id    uuid NOT NULL REFERENCES persons (person_id),
    title        text NOT NULL CHECK (char_length(title) BETWEEN 1 AND 200),
    axis         text,
    due_on       date NOT NULL,
    assignee     text NOT NULL,
    status       text NOT NULL CHECK (status IN ('open', 'done', 'cancelled')),
    done_on      date,
    cancelled_on date,
    created_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
    CHECK ((status = 'done') = (done_on IS NOT NULL)),
    CHECK ((status = 'cancelled') = (cancelled_on IS NOT NULL))
);
CREATE INDEX tasks_by_due ON tasks (partner_id, due_on, created_at, task_id);
CREATE INDEX tasks_by_assignee ON tasks (partner_id, assignee, status, due_on);
CREATE INDEX tasks_by_plan ON tasks (partner_id, plan_id);
CREATE INDEX tasks_by_person ON tasks (partner_id, person_id);

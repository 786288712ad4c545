-- Erasure (GDPR art. 17): which person ids were erased, and when. Nothing else of the
-- person stays (the access log keeps its lines: person id, operation, actor, role, time).
-- A second request for the same id finds its line and changes nothing.
CREATE TABLE erasures (
    partner_id text NOT NULL,
    person_id  uuid NOT NULL,
    erased_on  date NOT NULL,
    erased_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (partner_id, person_id)
);

-- The trigger that swaps an erased person's reference for its surrogate, on persons,
-- plans and the outbox (tombstones and functions: the shared "erasure" migrations).
SELECT franoi_install_erasure_triggers();

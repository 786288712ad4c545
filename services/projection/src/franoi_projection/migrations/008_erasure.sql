-- Erasure: every table holding person_ref gets the trigger that swaps an erased
-- person's reference for its surrogate (tombstones and functions: the shared
-- "erasure" migrations, applied before these). A later migration that adds a
-- table with person_ref calls franoi_install_erasure_triggers() again.
SELECT franoi_install_erasure_triggers();

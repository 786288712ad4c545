-- The unit's beds are counted on the dates a new placement concerns, any date: the
-- placements of a unit that share a day with it, found by their start. (A person's
-- placements are few: those of the person's index.) A person's two open placements always
-- share a day, so the unique index of one active placement per person stays true for
-- history recorded in any order.
CREATE INDEX placements_by_unit_dates ON placements (partner_id, unit_id, started_on);

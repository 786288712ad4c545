-- The family's rooms are counted on the dates a new stay concerns, any date: the stays of
-- a family that share a day with it, found by their start. (A person's stays are few: those
-- of the person's index.) A person's two open stays always share a day, so the unique index
-- of one active stay per person stays true for history recorded in any order.
CREATE INDEX hosting_stays_by_family_dates ON hosting_stays (partner_id, family_id, started_on);

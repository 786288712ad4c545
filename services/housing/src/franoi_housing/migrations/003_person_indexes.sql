-- A person's file and the desk's working lists ask for one person's (or a few persons')
-- requests and placements by their pseudonym: without these, each asks by scanning the
-- partner's whole history.
CREATE INDEX housing_requests_by_person ON housing_requests (partner_id, person_ref);
CREATE INDEX placements_by_person ON placements (partner_id, person_ref);

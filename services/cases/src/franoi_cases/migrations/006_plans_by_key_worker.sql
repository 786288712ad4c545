-- "My cases": the open plans a worker follows, asked by the desk at every visit of its
-- first page.
CREATE INDEX plans_open_by_key_worker ON plans (partner_id, key_worker, created_at)
    WHERE status = 'open';

-- Safe retries: the fingerprint of the request that created each resource with a
-- client-chosen id. An identical retry finds its fingerprint and answers the
-- existing resource; the same id with a different request is refused (409).
-- The fingerprint is an HMAC under the service's key: it reveals nothing of the request.
CREATE TABLE command_fingerprints (
    partner_id  text NOT NULL,
    resource    text NOT NULL,
    resource_id uuid NOT NULL,
    fingerprint text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (partner_id, resource, resource_id)
);

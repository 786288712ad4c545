-- Crypto-shredding of person_ref on the stream: a partner's key store.
--
-- One row per (partner, person): the token under which the person's reference is
-- published. The token is 32 random bytes in hex, so the row is the key of a
-- one-time pad over the reference (pad = token XOR reference): whoever holds the
-- row can open the token, nobody can once it is deleted. The column is `ref`, not
-- `person_ref`: the erasure trigger must not swap a surrogate in; an erasure
-- deletes the row (franoi_common.shredding.KeyStore.shred).
CREATE TABLE person_keys (
    partner_id text NOT NULL CHECK (partner_id ~ '^p[0-9]{2,3}$'),
    ref        text NOT NULL CHECK (ref ~ '^[0-9a-f]{64}$'),
    token      text NOT NULL CHECK (token ~ '^[0-9a-f]{64}$' AND token <> ref),
    created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (partner_id, ref),
    UNIQUE (partner_id, token)
);

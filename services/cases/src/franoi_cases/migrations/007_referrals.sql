-- Referrals between partners. Each partner keeps its own copy (its side): the referring
-- partner's ("sent": the person referred, their reference) and the receiving partner's
-- ("received": the sealed part as it arrived, opened only when read; the reference it
-- carried; the person registered on completion). "expired" is derived from expires_on.
-- The consent scopes that let identity fields cross to a receiving partner.

ALTER TABLE consents DROP CONSTRAINT consents_scopes_check;
ALTER TABLE consents ADD CONSTRAINT consents_scopes_check CHECK (scopes <@ ARRAY[
    'processing', 'sharing_within_network', 'contact',
    'referral_identity', 'referral_documents', 'referral_contacts'
]);

CREATE TABLE referrals (
    partner_id           text NOT NULL,
    referral_id          uuid NOT NULL,
    side                 text NOT NULL CHECK (side IN ('sent', 'received')),
    referring_partner_id text NOT NULL,
    receiving_partner_id text NOT NULL,
    axis                 text NOT NULL,
    reason               text NOT NULL,
    urgency              text NOT NULL,
    proposed_on          date NOT NULL,
    expires_on           date NOT NULL,
    sex                  text NOT NULL,
    age_band             text NOT NULL,
    protection_status    text NOT NULL,
    identity_shared      boolean NOT NULL,
    person_ref           text,
    person_id            uuid,
    sealed               bytea,
    state                text NOT NULL
                         CHECK (state IN ('proposed', 'accepted', 'declined', 'withdrawn', 'completed')),
    accepted_on          date,
    declined_on          date,
    decline_reason       text,
    withdrawn_on         date,
    withdrawal_reason    text,
    completed_on         date,
    created_at           timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (partner_id, referral_id),
    CHECK (partner_id = CASE side WHEN 'sent' THEN referring_partner_id ELSE receiving_partner_id END),
    CHECK (sealed IS NULL OR side = 'received')
);
CREATE INDEX referrals_by_state ON referrals (partner_id, side, state, expires_on);
CREATE INDEX referrals_by_person ON referrals (partner_id, person_id);

-- The erased references' surrogate goes in referrals too.
SELECT franoi_install_erasure_triggers();

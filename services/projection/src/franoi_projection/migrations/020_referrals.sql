-- Referrals between partners, as each partner published them: what a partner referred
-- (referrals_made: the referring partner's proposals and withdrawals, with the person as
-- pseudonym and coarse attributes) and what a partner answered (referrals_answered: the
-- receiving partner's acceptances, declines and completions). Each event carries the axis
-- and the day proposed, so each table counts on its own. The sealed part of a proposal
-- (what only the receiving partner can open) is never kept. Rebuilt from the referrals
-- topics.

CREATE TABLE referrals_made (
    partner_id           text NOT NULL REFERENCES partners (partner_id),
    referral_id          uuid NOT NULL,
    receiving_partner_id text NOT NULL,
    person_ref           text NOT NULL,
    sex                  text NOT NULL,
    age_band             text NOT NULL,
    protection_status    text NOT NULL,
    axis                 text NOT NULL,
    reason               text NOT NULL,
    urgency              text NOT NULL,
    proposed_on          date NOT NULL,
    expires_on           date NOT NULL,
    withdrawn_on         date,
    withdrawal_reason    text,
    PRIMARY KEY (partner_id, referral_id)
);
CREATE INDEX referrals_made_by_ref ON referrals_made (person_ref);

CREATE TABLE referrals_answered (
    partner_id           text NOT NULL REFERENCES partners (partner_id),
    referral_id          uuid NOT NULL,
    referring_partner_id text NOT NULL,
    axis                 text NOT NULL,
    proposed_on          date NOT NULL,
    accepted_on          date,
    declined_on          date,
    decline_reason       text,
    completed_on         date,
    PRIMARY KEY (partner_id, referral_id)
);

SELECT franoi_install_erasure_triggers();

"""How referral events change the network read models, as SQL statements per event type.

Each partner's events go to its own table's row: the referring partner's proposal and
withdrawal to ``referrals_made``, the receiving partner's answers to ``referrals_answered``
(every answer is an upsert: an acceptance, a decline and a completion each carry what the
row needs, and one referral's answers arrive in order, same Kafka key). The sealed part of
a proposal is not kept: the projection cannot open it, and has no use for it.
"""

from __future__ import annotations

from typing import Any

from franoi_common.projector import Projection, Statement
from franoi_contracts import referrals as ev

from franoi_projection.projectors.statements import update


def _answer(column: str, *, proposed: str = "proposed_on") -> Statement[Any]:
    """Record one answer's day (and, but for a decline, the day accepted) in the receiving
    partner's row. A completion does not carry the day proposed: its row (from the
    acceptance before it, same key, in order) has it; were it missing, the day accepted
    stands in for it."""
    days = list(dict.fromkeys(["accepted_on", column] if column != "declined_on" else [column]))
    values = ", ".join(f"${n}" for n in range(6, 6 + len(days)))
    sets = ", ".join(f"{d} = excluded.{d}" for d in days)
    return Statement(
        "INSERT INTO referrals_answered (partner_id, referral_id, referring_partner_id, axis,"  # noqa: S608
        f" proposed_on, {', '.join(days)}) VALUES ($1, $2, $3, $4, $5, {values})"
        f" ON CONFLICT (partner_id, referral_id) DO UPDATE SET {sets}",
        lambda p, e: (
            p,
            e.referral_id,
            e.referring_partner_id,
            e.axis.value,
            getattr(e, proposed),
            *(getattr(e, d) for d in days),
        ),
    )


REFERRALS: Projection = {
    ev.ReferralProposed: [
        Statement(
            "INSERT INTO referrals_made (partner_id, referral_id, receiving_partner_id,"
            " person_ref, sex, age_band, protection_status, axis, reason, urgency, proposed_on,"
            " expires_on) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)"
            " ON CONFLICT (partner_id, referral_id) DO UPDATE SET person_ref = $4",
            lambda p, e: (
                p,
                e.referral_id,
                e.receiving_partner_id,
                e.person_ref,
                e.sex.value,
                e.age_band.value,
                e.protection_status.value,
                e.axis.value,
                e.reason.value,
                e.urgency.value,
                e.proposed_on,
                e.expires_on,
            ),
        )
    ],
    ev.ReferralWithdrawn: [
        update("referrals_made", "referral_id", "withdrawn_on", "withdrawal_reason")
    ],
    ev.ReferralAccepted: [_answer("accepted_on")],
    ev.ReferralDeclined: [
        _answer("declined_on"),
        update("referrals_answered", "referral_id", "decline_reason"),
    ],
    ev.ReferralCompleted: [_answer("completed_on", proposed="accepted_on")],
}

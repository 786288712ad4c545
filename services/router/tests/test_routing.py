"""Where the router sends a referral event, and what it refuses (pure, no I/O)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import uuid4

import pytest
from franoi_contracts.referrals import ReferralAccepted, ReferralEvent, ReferralProposed
from franoi_router.domain.routing import Unroutable, inbox_topic, recipient

PARTNERS = {"p01", "p02", "p03"}
DAY = dt.date(2026, 3, 10).isoformat()


def proposal(**changes: Any) -> dict[str, Any]:
    return {
        "referral_id": str(uuid4()),
        "referring_partner_id": "p01",
        "receiving_partner_id": "p02",
        "axis": "work",
        "person_ref": "ab" * 32,
        "sex": "female",
        "age_band": "25-34",
        "protection_status": "refugee",
        "reason": "opportunity_elsewhere",
        "urgency": "routine",
        "proposed_on": DAY,
        "expires_on": DAY,
        "identity_shared": False,
        "sealed_for_receiver": "A" * 100,
        **changes,
    }


def answer(**changes: Any) -> dict[str, Any]:
    return {
        "referral_id": str(uuid4()),
        "referring_partner_id": "p01",
        "receiving_partner_id": "p02",
        "axis": "work",
        "proposed_on": DAY,
        "accepted_on": DAY,
        **changes,
    }


def test_each_event_goes_to_the_other_partners_inbox_only() -> None:
    assert recipient("p01", ReferralProposed.model_validate(proposal()), PARTNERS) == "p02"
    assert recipient("p02", ReferralAccepted.model_validate(answer()), PARTNERS) == "p01"
    assert inbox_topic("p02") == "franoi.p02.inbox.v1"


@pytest.mark.parametrize(
    ("sender", "event", "reason"),
    [
        ("p03", ReferralProposed.model_validate(proposal()), "cannot publish"),  # for A
        ("p02", ReferralProposed.model_validate(proposal()), "cannot publish"),  # B proposing
        ("p01", ReferralAccepted.model_validate(answer()), "cannot publish"),  # A accepting
        (
            "p01",
            ReferralProposed.model_validate(proposal(receiving_partner_id="p09")),
            "not in the network",
        ),
    ],
)
def test_what_cannot_be_routed(sender: str, event: ReferralEvent, reason: str) -> None:
    with pytest.raises(Unroutable, match=reason):
        recipient(sender, event, PARTNERS)

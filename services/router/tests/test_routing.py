"""Where the router sends a referral event, and what it refuses (pure, no I/O)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import uuid4

import pytest
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


PROPOSED = "it.franoi.referrals.referral.proposed.v1"
ACCEPTED = "it.franoi.referrals.referral.accepted.v1"


def test_each_event_goes_to_the_other_partners_inbox_only() -> None:
    assert recipient("p01", PROPOSED, proposal(), PARTNERS) == "p02"
    assert recipient("p02", ACCEPTED, answer(), PARTNERS) == "p01"
    assert inbox_topic("p02") == "franoi.p02.inbox.v1"


@pytest.mark.parametrize(
    ("sender", "event_type", "data", "reason"),
    [
        ("p03", PROPOSED, proposal(), "cannot publish"),  # a third partner speaking for A
        ("p02", PROPOSED, proposal(), "cannot publish"),  # the receiver proposing
        ("p01", ACCEPTED, answer(), "cannot publish"),  # the referrer accepting
        ("p01", PROPOSED, proposal(receiving_partner_id="p09"), "not in the network"),
        ("p01", PROPOSED, proposal(sex="unknown-value"), "invalid at sex"),
        ("p01", "it.franoi.cases.person.erased.v1", {}, "not a referral event"),
    ],
)
def test_what_cannot_be_routed(sender: str, event_type: str, data: Any, reason: str) -> None:
    with pytest.raises(Unroutable, match=reason):
        recipient(sender, event_type, data, PARTNERS)


def test_a_refusal_never_quotes_the_data() -> None:
    with pytest.raises(Unroutable) as refused:
        recipient("p01", PROPOSED, proposal(sealed_for_receiver="secret!"), PARTNERS)
    assert "secret" not in str(refused.value)

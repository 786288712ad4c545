"""The referrals contract: types, strictness, round trips, privacy, and who sends what."""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import uuid4

import pytest
from franoi_contracts import referrals as ev
from franoi_contracts.base import DomainEvent
from pydantic import ValidationError

from libs.contracts.tests.contract_rules import Contract

DAY = dt.date(2026, 3, 10)
BETWEEN = {"referring_partner_id": "p01", "receiving_partner_id": "p02"}

SAMPLES: dict[type[DomainEvent], dict[str, Any]] = {
    ev.ReferralProposed: {
        "referral_id": uuid4(),
        **BETWEEN,
        "axis": ev.ReferralAxis.WHOLE_CASE,
        "person_ref": "ab" * 32,
        "sex": "female",
        "age_band": "25-34",
        "protection_status": "refugee",
        "reason": ev.ReferralReason.SAFETY,
        "urgency": ev.Urgency.URGENT,
        "proposed_on": DAY,
        "expires_on": DAY + dt.timedelta(days=14),
        "identity_shared": True,
        "sealed_for_receiver": "A" * 120,
    },
    ev.ReferralWithdrawn: {
        "referral_id": uuid4(),
        **BETWEEN,
        "axis": ev.ReferralAxis.WORK,
        "withdrawn_on": DAY,
        "withdrawal_reason": ev.WithdrawalReason.PERSON_ERASED,
    },
    ev.ReferralAccepted: {
        "referral_id": uuid4(),
        **BETWEEN,
        "axis": ev.ReferralAxis.HOUSING,
        "proposed_on": DAY,
        "accepted_on": DAY,
    },
    ev.ReferralDeclined: {
        "referral_id": uuid4(),
        **BETWEEN,
        "axis": ev.ReferralAxis.COMMUNITY,
        "proposed_on": DAY,
        "declined_on": DAY,
        "decline_reason": ev.DeclineReason.NO_CAPACITY,
    },
    ev.ReferralCompleted: {
        "referral_id": uuid4(),
        **BETWEEN,
        "axis": ev.ReferralAxis.FAMILY_HOSTING,
        "accepted_on": DAY,
        "completed_on": DAY,
    },
}

CONTRACT = Contract(
    domain="referrals",
    module=ev,
    events=ev.REFERRAL_EVENTS,
    samples=SAMPLES,
    also_forbidden=("surname", "birth", "mail", "passport", "document", "contact", "worker"),
    extra_fields=({"notes": "free text"}, {"given_names": "Ngozi"}, {"referrer_email": "x@y.it"}),
)


def test_each_event_goes_from_its_side_to_the_other() -> None:
    by_referring = {cls for cls in ev.REFERRAL_EVENTS if CONTRACT.sample(cls).parties()[0] == "p01"}
    assert by_referring == {ev.ReferralProposed, ev.ReferralWithdrawn}
    for cls in ev.REFERRAL_EVENTS:
        sender, addressee = CONTRACT.sample(cls).parties()
        assert {sender, addressee} == {"p01", "p02"}


@pytest.mark.parametrize(
    ("cls", "changes", "message"),
    [
        (ev.ReferralProposed, {"receiving_partner_id": "p01"}, "itself"),
        (ev.ReferralProposed, {"expires_on": DAY - dt.timedelta(days=1)}, "expire"),
        (ev.ReferralProposed, {"sealed_for_receiver": "short"}, "sealed_for_receiver"),
        (ev.ReferralProposed, {"sealed_for_receiver": "A" * 100 + "/+="}, "sealed_for_receiver"),
        (ev.ReferralAccepted, {"accepted_on": DAY - dt.timedelta(days=1)}, "before"),
        (ev.ReferralCompleted, {"completed_on": DAY - dt.timedelta(days=1)}, "before"),
    ],
)
def test_what_a_referral_event_refuses(
    cls: type[DomainEvent], changes: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValidationError, match=message):
        cls.model_validate({**SAMPLES[cls], **changes})

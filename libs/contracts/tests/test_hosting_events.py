"""The family-hosting event contract: types, strictness, round trips and privacy.

A host family is a household of private persons: no event may carry a member's
name, the family's address or its contacts. The schemas are checked for names
and for any string that is not an enum, a pattern, a uuid or a date (free text
could carry them); arrays are allowed only of such constrained, bounded items.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import uuid4

import pytest
from franoi_contracts import hosting as ev
from franoi_contracts.base import DomainEvent
from pydantic import ValidationError

from libs.contracts.tests.contract_rules import Contract

PERSON = "cd" * 32
COARSE = {"sex": "male", "age_band": "18-24", "protection_status": "subsidiary_protection"}

SAMPLES: dict[type[DomainEvent], dict[str, Any]] = {
    ev.FamilyApplied: {
        "family_id": uuid4(),
        "municipality_code": "F205",
        "rooms_offered": 2,
        "household_size": 4,
        "languages": ["it", "en", "tir"],
        "applied_on": dt.date(2025, 1, 10),
    },
    ev.FamilyUpdated: {
        "family_id": uuid4(),
        "rooms_offered": 1,
        "household_size": 3,
        "languages": ["it"],
    },
    ev.FamilyAssessed: {
        "family_id": uuid4(),
        "interview_on": dt.date(2025, 1, 20),
        "home_visit_on": dt.date(2025, 1, 27),
    },
    ev.FamilyApproved: {"family_id": uuid4(), "approved_on": dt.date(2025, 2, 3)},
    ev.FamilyRejected: {
        "family_id": uuid4(),
        "rejected_on": dt.date(2025, 2, 3),
        "reason": ev.FamilyRejectionReason.HOME_UNSUITABLE,
    },
    ev.FamilyPaused: {"family_id": uuid4(), "paused_on": dt.date(2025, 7, 1)},
    ev.FamilyResumed: {"family_id": uuid4(), "resumed_on": dt.date(2025, 9, 1)},
    ev.FamilyWithdrawn: {"family_id": uuid4(), "withdrawn_on": dt.date(2026, 1, 31)},
    ev.RequestSubmitted: {
        "request_id": uuid4(),
        "person_ref": PERSON,
        "kind": ev.FamilyRequestKind.HOSTING,
        "household_size": 1,
        "submitted_on": dt.date(2025, 2, 1),
        **COARSE,
    },
    ev.RequestSatisfied: {
        "request_id": uuid4(),
        "closed_on": dt.date(2025, 3, 1),
        "stay_id": uuid4(),
    },
    ev.RequestUnsatisfied: {
        "request_id": uuid4(),
        "closed_on": dt.date(2025, 3, 1),
        "reason": ev.UnsatisfiedReason.NO_FAMILY_AVAILABLE,
    },
    ev.RequestWithdrawn: {"request_id": uuid4(), "closed_on": dt.date(2025, 3, 1)},
    ev.MatchProposed: {
        "match_id": uuid4(),
        "family_id": uuid4(),
        "request_id": uuid4(),
        "person_ref": PERSON,
        "proposed_on": dt.date(2025, 2, 10),
    },
    ev.MatchAccepted: {
        "match_id": uuid4(),
        "family_id": uuid4(),
        "accepted_on": dt.date(2025, 2, 15),
    },
    ev.MatchDeclined: {
        "match_id": uuid4(),
        "family_id": uuid4(),
        "declined_on": dt.date(2025, 2, 15),
        "declined_by": ev.DecidedBy.GUEST,
    },
    ev.MatchCancelled: {
        "match_id": uuid4(),
        "family_id": uuid4(),
        "cancelled_on": dt.date(2025, 2, 20),
        "cancelled_by": ev.DecidedBy.FAMILY,
    },
    ev.StayStarted: {
        "stay_id": uuid4(),
        "match_id": uuid4(),
        "family_id": uuid4(),
        "request_id": uuid4(),
        "person_ref": PERSON,
        "started_on": dt.date(2025, 3, 1),
        "planned_months": 6,
        "planned_end_on": dt.date(2025, 9, 1),
        "monthly_contribution_eur": 300,
        **COARSE,
    },
    ev.StayExtended: {
        "stay_id": uuid4(),
        "planned_months": 9,
        "planned_end_on": dt.date(2025, 12, 1),
    },
    ev.StayVisitRecorded: {
        "stay_id": uuid4(),
        "visit_id": uuid4(),
        "family_id": uuid4(),
        "visited_on": dt.date(2025, 4, 2),
        "guest_wellbeing": 4,
        "family_wellbeing": 2,
        "flags": [ev.VisitFlag.CONFLICT, ev.VisitFlag.DOCUMENTS],
    },
    ev.StayEnded: {
        "stay_id": uuid4(),
        "family_id": uuid4(),
        "ended_on": dt.date(2025, 9, 1),
        "outcome": ev.StayOutcome.COMPLETED_WITH_AUTONOMY,
    },
}


# What a social worker types about a family: none of it may fit into any event.
FAMILY_PRIVATE = {
    "members": [{"full_name": "Giulia Bianchi", "relationship": "reference"}],
    "reference_name": "Giulia Bianchi",
    "address": "Via Padova 12, Milano",
    "phone": "+39 333 1234567",
    "email": "giulia.bianchi@example.org",
    "notes": "free text about the family",
}

CONTRACT = Contract(
    domain="hosting",
    module=ev,
    events=ev.HOSTING_EVENTS,
    samples=SAMPLES,
    also_forbidden=("surname", "member", "street", "mobile", "mail", "contact", "birth"),
    extra_fields=({"notes": "free text"},),
    nested=frozenset(),
    unique_arrays=True,
)


def test_the_hosting_domain_has_its_20_event_types() -> None:
    assert len(CONTRACT.events) == 20


@pytest.mark.parametrize("cls", ev.HOSTING_EVENTS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("field", sorted(FAMILY_PRIVATE))
def test_no_family_member_identity_fits_in_any_event(cls: type[DomainEvent], field: str) -> None:
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        cls.model_validate({**SAMPLES[cls], field: FAMILY_PRIVATE[field]})


def test_a_language_cannot_smuggle_a_name() -> None:
    with pytest.raises(ValidationError):
        ev.FamilyApplied(**{**SAMPLES[ev.FamilyApplied], "languages": ["Giulia Bianchi"]})


@pytest.mark.parametrize(
    ("cls", "changes"),
    [
        (ev.FamilyApplied, {"rooms_offered": 0}),
        (ev.FamilyApplied, {"rooms_offered": 11}),
        (ev.FamilyApplied, {"household_size": 21}),
        (ev.FamilyApplied, {"municipality_code": "Via Padova 12"}),
        (ev.FamilyApplied, {"languages": []}),
        (ev.FamilyApplied, {"languages": ["it", "it"]}),
        (ev.FamilyApplied, {"languages": ["IT"]}),
        (ev.FamilyApplied, {"languages": [f"l{chr(97 + i)}" for i in range(13)]}),
        (ev.FamilyUpdated, {"languages": ["it", "it"]}),
        (ev.FamilyRejected, {"reason": "they were rude"}),
        (ev.RequestSubmitted, {"person_ref": "RSSMRA80A01H501U"}),
        (ev.RequestSubmitted, {"kind": "housing"}),
        (ev.RequestUnsatisfied, {"reason": "no families in town"}),
        (ev.MatchDeclined, {"declined_by": "Giulia Bianchi"}),
        (ev.StayStarted, {"planned_end_on": dt.date(2025, 2, 28)}),
        (ev.StayStarted, {"planned_months": 0}),
        (ev.StayStarted, {"planned_months": 37}),
        (ev.StayStarted, {"monthly_contribution_eur": 3001}),
        (ev.StayVisitRecorded, {"guest_wellbeing": 0}),
        (ev.StayVisitRecorded, {"family_wellbeing": 6}),
        (ev.StayVisitRecorded, {"flags": ["conflict", "conflict"]}),
        (ev.StayVisitRecorded, {"flags": ["the guest cried"]}),
        (ev.StayEnded, {"outcome": "went to Germany"}),
    ],
)
def test_invalid_values_rejected(cls: type[DomainEvent], changes: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        cls(**{**SAMPLES[cls], **changes})


def test_optional_fields_may_be_omitted() -> None:
    satisfied = ev.RequestSatisfied(request_id=uuid4(), closed_on=dt.date(2025, 3, 1))
    assert satisfied.stay_id is None
    proposed = ev.MatchProposed(**{**SAMPLES[ev.MatchProposed], "request_id": None})
    assert proposed.request_id is None
    visit = {k: v for k, v in SAMPLES[ev.StayVisitRecorded].items() if k != "flags"}
    assert ev.StayVisitRecorded(**visit).flags == []

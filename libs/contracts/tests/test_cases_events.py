"""The cases event contract: types, strictness, round trips and privacy.

The cases service holds names, birth dates, documents and contacts; none of it may
ever be publishable. These tests check the schemas themselves, so a field that
could carry such a value fails here before any code could fill it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import uuid4

import pytest
from franoi_contracts import cases as ev
from franoi_contracts.base import DomainEvent
from pydantic import ValidationError

from libs.contracts.tests.contract_rules import Contract

PERSON = "cd" * 32

SAMPLES: dict[type[DomainEvent], dict[str, Any]] = {
    ev.PersonRegistered: {
        "person_id": uuid4(),
        "person_ref": PERSON,
        "registered_on": dt.date(2025, 2, 3),
        "sex": "female",
        "age_band": "25-34",
        "protection_status": "refugee",
    },
    ev.PersonErased: {
        "person_id": uuid4(),
        "person_ref": PERSON,
        "erased_on": dt.date(2025, 6, 1),
    },
    ev.PlanOpened: {
        "plan_id": uuid4(),
        "person_ref": PERSON,
        "opened_on": dt.date(2025, 2, 10),
        "axes": [ev.PlanAxis.HOUSING, ev.PlanAxis.WORK, ev.PlanAxis.LANGUAGE],
        "planned_months": 12,
    },
    ev.PlanReviewed: {
        "plan_id": uuid4(),
        "reviewed_on": dt.date(2025, 5, 10),
        "progress": [
            {"axis": "housing", "progress": "in_progress"},
            {"axis": "work", "progress": "achieved"},
        ],
    },
    ev.PlanClosed: {
        "plan_id": uuid4(),
        "closed_on": dt.date(2026, 2, 10),
        "outcome": ev.PlanOutcome.INTERRUPTED,
        "interruption_reason": ev.InterruptionReason.LOST_CONTACT,
    },
}


CONTRACT = Contract(
    domain="cases",
    module=ev,
    events=ev.CASES_EVENTS,
    samples=SAMPLES,
    also_forbidden=(
        "surname",
        "birth",
        "dob",
        "mobile",
        "mail",
        "passport",
        "document",
        "contact",
        "citizenship",
        "nationality",
        "language",
        "household",
        "member",
        "goal",
        "worker",
    ),
    extra_fields=({"notes": "free text"}, {"surname": "Okonkwo"}, {"tax_code": "X"}),
    nested=None,
)


def test_the_cases_domain_has_its_5_event_types() -> None:
    assert len(CONTRACT.events) == 5


def test_nested_progress_rejects_extra_fields() -> None:
    progress = [{"axis": "work", "progress": "achieved", "comment": "found a job at Rossi"}]
    with pytest.raises(ValidationError):
        ev.PlanReviewed(**{**SAMPLES[ev.PlanReviewed], "progress": progress})


def test_person_registered_carries_nothing_else_of_the_person() -> None:
    assert set(ev.PersonRegistered.model_fields) == {
        "person_id", "person_ref", "registered_on", "sex", "age_band", "protection_status",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("cls", "changes"),
    [
        (ev.PersonRegistered, {"person_ref": "RSSMRA80A01H501U"}),
        (ev.PersonRegistered, {"person_ref": "AB" * 32}),
        (ev.PersonRegistered, {"age_band": "31"}),
        (ev.PersonRegistered, {"protection_status": "asylum seeker from Nigeria"}),
        (ev.PersonRegistered, {"sex": "F"}),
        (ev.PlanOpened, {"axes": []}),
        (ev.PlanOpened, {"axes": ["housing", "housing"]}),
        (ev.PlanOpened, {"axes": ["housing", "find a flat in Turin"]}),
        (ev.PlanOpened, {"planned_months": 0}),
        (ev.PlanOpened, {"planned_months": 37}),
        (ev.PlanReviewed, {"progress": []}),
        (ev.PlanReviewed, {"progress": [{"axis": "work", "progress": "good"}]}),
        (
            ev.PlanReviewed,
            {
                "progress": [
                    {"axis": "work", "progress": "achieved"},
                    {"axis": "work", "progress": "stalled"},
                ]
            },
        ),
        (ev.PlanClosed, {"outcome": "moved to Germany"}),
        (ev.PlanClosed, {"interruption_reason": None}),  # interrupted needs a reason
        (ev.PlanClosed, {"interruption_reason": "he left without saying goodbye"}),
        (ev.PlanClosed, {"outcome": "completed_partly"}),  # with a reason
    ],
)
def test_invalid_values_rejected(cls: type[DomainEvent], changes: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        cls(**{**SAMPLES[cls], **changes})


@pytest.mark.parametrize("outcome", [o for o in ev.PlanOutcome if o != ev.PlanOutcome.INTERRUPTED])
def test_outcomes_other_than_interrupted_need_no_reason(outcome: ev.PlanOutcome) -> None:
    closed = ev.PlanClosed(plan_id=uuid4(), closed_on=dt.date(2026, 1, 1), outcome=outcome)
    assert closed.interruption_reason is None
    assert closed.data()["interruption_reason"] is None


def test_an_erasure_carries_the_reference_and_nothing_else_of_the_person() -> None:
    """Only the key, the reference and the day: no attribute of the erased person."""
    assert set(ev.PersonErased.model_fields) == {"person_id", "person_ref", "erased_on"}
    with pytest.raises(ValidationError):
        ev.PersonErased(**{**SAMPLES[ev.PersonErased], "sex": "female"})
    with pytest.raises(ValidationError):
        ev.PersonErased(**{**SAMPLES[ev.PersonErased], "person_ref": "Ngozi Okonkwo"})

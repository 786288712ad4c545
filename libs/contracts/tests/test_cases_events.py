"""The cases event contract: types, strictness, round trips and privacy.

The cases service holds names, birth dates, documents and contacts; none of it may
ever be publishable. These tests check the schemas themselves, so a field that
could carry such a value fails here before any code could fill it.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from uuid import uuid4

import jsonschema
import pytest
from franoi_common.events import DomainEvent, event_class, event_types
from franoi_contracts import DOMAINS
from franoi_contracts import cases as ev
from franoi_contracts.catalogue import published_types
from franoi_contracts.catalogue import resolve_ref as _resolve
from franoi_contracts.catalogue import schema_nodes as _nodes
from pydantic import ValidationError

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

ALL = pytest.mark.parametrize("cls", ev.CASES_EVENTS, ids=lambda c: c.__name__)

CASES_TYPE = re.compile(r"^it\.franoi\.cases\.(person|plan)\.[a-z_]+\.v1$")
FORBIDDEN_IN_NAMES = (
    "name", "surname", "birth", "dob", "address", "phone", "mobile", "email", "mail", "tax",
    "fiscal", "permit", "passport", "document", "contact", "citizenship", "nationality",
    "language", "household", "member", "goal", "note", "comment", "description", "text",
    "worker",
)  # fmt: skip
SAFE_FORMATS = {"uuid", "date"}


def test_every_cases_event_is_registered_sampled_and_published() -> None:
    registered = event_types("cases")
    assert registered == {cls.TYPE: cls for cls in ev.CASES_EVENTS}
    assert len(registered) == 5
    assert set(SAMPLES) == set(ev.CASES_EVENTS)
    assert DOMAINS["cases"] is ev
    assert set(registered) <= set(published_types())


@ALL
def test_event_type_and_key(cls: type[DomainEvent]) -> None:
    match = CASES_TYPE.match(cls.TYPE)
    assert match, cls.TYPE
    entity = match.group(1)
    assert cls.__name__.lower().startswith(entity)
    assert cls.KEY == f"{entity}_id"
    assert event_class(cls.TYPE) is cls
    assert cls.domain() == "cases"


@ALL
def test_extra_fields_rejected(cls: type[DomainEvent]) -> None:
    for extra in ({"notes": "free text"}, {"surname": "Okonkwo"}, {"tax_code": "X"}):
        with pytest.raises(ValidationError):
            cls.model_validate({**SAMPLES[cls], **extra})


def test_nested_progress_rejects_extra_fields() -> None:
    progress = [{"axis": "work", "progress": "achieved", "comment": "found a job at Rossi"}]
    with pytest.raises(ValidationError):
        ev.PlanReviewed(**{**SAMPLES[ev.PlanReviewed], "progress": progress})


@ALL
def test_round_trip_through_json(cls: type[DomainEvent]) -> None:
    event = cls(**SAMPLES[cls])
    data = event.model_dump(mode="json")
    assert cls.model_validate(data) == event
    assert cls.model_validate_json(event.model_dump_json()) == event
    assert event.data() == data
    assert event.aggregate_id == str(SAMPLES[cls][cls.KEY])
    jsonschema.validate(data, cls.model_json_schema())


@ALL
def test_events_are_frozen(cls: type[DomainEvent]) -> None:
    event = cls(**SAMPLES[cls])
    with pytest.raises(ValidationError):
        setattr(event, cls.KEY, uuid4())


@ALL
def test_privacy_no_identifying_field_names(cls: type[DomainEvent]) -> None:
    schema = cls.model_json_schema()
    names = [n for node in _nodes(schema) for n in node.get("properties", {})]
    assert names
    for name in names:
        assert not any(word in name.lower() for word in FORBIDDEN_IN_NAMES), name


@ALL
def test_privacy_no_free_text(cls: type[DomainEvent]) -> None:
    """Strings are enums, patterns, uuids or dates; integers and arrays are bounded;
    nested objects are closed."""
    schema = cls.model_json_schema()
    assert schema.get("additionalProperties") is False
    for node in _nodes(schema):
        node = _resolve(node, schema)
        kind = node.get("type")
        if kind == "object":
            assert node.get("additionalProperties") is False, f"open object: {node}"
        if kind == "array":
            assert "maxItems" in node, f"unbounded array: {node}"
            items = _resolve(node["items"], schema)
            assert "enum" in items or items.get("additionalProperties") is False, node
        if kind == "string":
            has_enum = "enum" in node or "const" in node
            has_pattern = "pattern" in node
            has_format = node.get("format") in SAFE_FORMATS
            assert has_enum or has_pattern or has_format, f"free text in {cls.__name__}: {node}"
        if kind == "integer":
            assert "minimum" in node and "maximum" in node, f"unbounded int: {node}"


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


def test_enum_values_are_snake_case_english() -> None:
    for enum in (ev.PlanAxis, ev.Progress, ev.PlanOutcome, ev.InterruptionReason):
        for member in enum:
            assert re.fullmatch(r"[a-z]+(_[a-z]+)*", member.value), member


def test_an_erasure_carries_the_reference_and_nothing_else_of_the_person() -> None:
    """Only the key, the reference and the day: no attribute of the erased person."""
    assert set(ev.PersonErased.model_fields) == {"person_id", "person_ref", "erased_on"}
    with pytest.raises(ValidationError):
        ev.PersonErased(**{**SAMPLES[ev.PersonErased], "sex": "female"})
    with pytest.raises(ValidationError):
        ev.PersonErased(**{**SAMPLES[ev.PersonErased], "person_ref": "Ngozi Okonkwo"})

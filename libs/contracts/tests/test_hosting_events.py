"""The family-hosting event contract: types, strictness, round trips and privacy.

A host family is a household of private persons: no event may carry a member's
name, the family's address or its contacts. The schemas are checked for names
and for any string that is not an enum, a pattern, a uuid or a date (free text
could carry them); arrays are allowed only of such constrained, bounded items.
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
from franoi_contracts import hosting as ev
from franoi_contracts.catalogue import published_types, render
from franoi_contracts.catalogue import resolve_ref as _resolve
from franoi_contracts.catalogue import schema_nodes as _nodes
from pydantic import ValidationError

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

ALL = pytest.mark.parametrize("cls", ev.HOSTING_EVENTS, ids=lambda c: c.__name__)

HOSTING_TYPE = re.compile(r"^it\.franoi\.hosting\.(family|request|match|stay)\.[a-z_]+\.v1$")
FORBIDDEN_IN_NAMES = (
    "name", "surname", "member", "address", "street", "phone", "mobile", "email", "mail",
    "contact", "tax", "fiscal", "permit", "birth", "note", "comment", "description", "text",
)  # fmt: skip
SAFE_FORMATS = {"uuid", "date"}

# What a social worker types about a family: none of it may fit into any event.
FAMILY_PRIVATE = {
    "members": [{"full_name": "Giulia Bianchi", "relationship": "reference"}],
    "reference_name": "Giulia Bianchi",
    "address": "Via Padova 12, Milano",
    "phone": "+39 333 1234567",
    "email": "giulia.bianchi@example.org",
    "notes": "free text about the family",
}


def test_every_hosting_event_is_registered_published_and_sampled() -> None:
    registered = event_types("hosting")
    assert registered == {cls.TYPE: cls for cls in ev.HOSTING_EVENTS}
    assert len(registered) == 20
    assert set(SAMPLES) == set(ev.HOSTING_EVENTS)
    assert DOMAINS["hosting"] is ev
    published = published_types()
    assert all(published[cls.TYPE] is cls for cls in ev.HOSTING_EVENTS)
    files = render()
    for cls in ev.HOSTING_EVENTS:
        assert f"events/schemas/{cls.TYPE}.json" in files
    assert '"address": "franoi.{partnerId}.hosting.v1"' in files["events/asyncapi.json"]


@ALL
def test_event_type_and_key(cls: type[DomainEvent]) -> None:
    match = HOSTING_TYPE.match(cls.TYPE)
    assert match, cls.TYPE
    entity = match.group(1)
    assert cls.__name__.lower().startswith(entity)
    assert cls.KEY == f"{entity}_id"
    assert cls.KEY in cls.model_fields
    assert event_class(cls.TYPE) is cls
    assert cls.domain() == "hosting"


@ALL
def test_extra_fields_rejected(cls: type[DomainEvent]) -> None:
    with pytest.raises(ValidationError):
        cls.model_validate({**SAMPLES[cls], "notes": "free text"})


@ALL
@pytest.mark.parametrize("field", sorted(FAMILY_PRIVATE))
def test_no_family_member_identity_fits_in_any_event(cls: type[DomainEvent], field: str) -> None:
    with pytest.raises(ValidationError, match="Extra inputs are not permitted"):
        cls.model_validate({**SAMPLES[cls], field: FAMILY_PRIVATE[field]})


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
    """Strings are enums, patterns, uuids or dates; integers bounded; the only arrays are
    bounded lists of such strings (languages, flags); no nested objects."""
    schema = cls.model_json_schema()
    assert schema.get("additionalProperties") is False
    for node in _nodes(schema):
        node = _resolve(node, schema)
        kind = node.get("type")
        assert kind != "object" or node is schema, node
        if kind == "array":
            assert "maxItems" in node and node.get("uniqueItems") is True, node
            items = _resolve(node["items"], schema)
            assert items.get("type") == "string" and ("enum" in items or "pattern" in items)
        if kind == "string":
            has_enum = "enum" in node or "const" in node
            has_pattern = "pattern" in node
            has_format = node.get("format") in SAFE_FORMATS
            assert has_enum or has_pattern or has_format, f"free text in {cls.__name__}: {node}"
        if kind == "integer":
            assert "minimum" in node and "maximum" in node, f"unbounded int: {node}"


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


def test_enum_values_are_snake_case_english() -> None:
    enums = [
        ev.FamilyRejectionReason,
        ev.FamilyRequestKind,
        ev.UnsatisfiedReason,
        ev.DecidedBy,
        ev.StayOutcome,
        ev.VisitFlag,
    ]
    for enum in enums:
        for member in enum:
            assert re.fullmatch(r"[a-z]+(_[a-z]+)*", member.value), member

"""The community-events contract: types, strictness, round trips and privacy."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from uuid import uuid4

import jsonschema
import pytest
from franoi_common.events import DomainEvent, event_class, event_types
from franoi_contracts import DOMAINS
from franoi_contracts import events as ev
from franoi_contracts.catalogue import published_types
from franoi_contracts.catalogue import resolve_ref as _resolve
from franoi_contracts.catalogue import schema_nodes as _nodes
from pydantic import ValidationError

PERSON = "cd" * 32

SAMPLES: dict[type[DomainEvent], dict[str, Any]] = {
    ev.HubOpened: {
        "hub_id": uuid4(),
        "municipality_code": "H264",
        "kind": ev.HubKind.CAFE_HUB,
        "opened_on": dt.date(2025, 5, 4),
    },
    ev.HubClosed: {"hub_id": uuid4(), "closed_on": dt.date(2026, 6, 30)},
    ev.LabSeriesStarted: {
        "lab_series_id": uuid4(),
        "kind": ev.CommunityEventKind.SOCIALISATION_LAB,
        "hub_id": uuid4(),
        "municipality_code": "H264",
        "started_on": dt.date(2025, 9, 1),
    },
    ev.LabSeriesClosed: {
        "lab_series_id": uuid4(),
        "closed_on": dt.date(2025, 12, 15),
        "sessions_held": 12,
        "distinct_participants": 19,
        "distinct_beneficiaries": 11,
        "distinct_volunteers": 3,
    },
    ev.CommunityEventScheduled: {
        "community_event_id": uuid4(),
        "kind": ev.CommunityEventKind.SOCIALISATION_LAB,
        "hub_id": uuid4(),
        "municipality_code": "H264",
        "lab_series_id": uuid4(),
        "starts_on": dt.date(2025, 9, 8),
        "duration_minutes": 120,
        "co_organising_associations": 2,
        "co_organising_public_bodies": 1,
        "co_organising_companies": 0,
        "co_organising_others": 0,
    },
    ev.CommunityEventHeld: {
        "community_event_id": uuid4(),
        "held_on": dt.date(2025, 9, 8),
        "participants": 14,
        "beneficiaries": 9,
        "volunteers": 3,
    },
    ev.CommunityEventCancelled: {
        "community_event_id": uuid4(),
        "cancelled_on": dt.date(2025, 9, 7),
        "reason": ev.CancellationReason.WEATHER,
    },
    ev.AccessBatchRecorded: {
        "access_batch_id": uuid4(),
        "hub_id": uuid4(),
        "accessed_on": dt.date(2025, 10, 2),
        "anonymous": [
            {"topic": "housing", "referred": True, "accesses": 3},
            {"topic": "housing", "referred": False, "accesses": 5},
            {"topic": "documents", "referred": False, "accesses": 2},
        ],
        "known_persons": [{"person_ref": PERSON, "topic": "work", "referred": True}],
    },
}

ALL = pytest.mark.parametrize("cls", ev.EVENTS_EVENTS, ids=lambda c: c.__name__)

EVENTS_TYPE = re.compile(
    r"^it\.franoi\.events\.(hub|lab_series|community_event|access_batch)\.[a-z_]+\.v1$"
)
FORBIDDEN_IN_NAMES = (
    "name",
    "title",
    "address",
    "phone",
    "email",
    "tax",
    "fiscal",
    "permit",
    "note",
    "comment",
    "description",
    "text",
    "hours",
)
SAFE_FORMATS = {"uuid", "date"}
LINE_MODELS = {"AnonymousAccesses", "KnownPersonAccess"}
"""The only nested objects allowed: lines of a batch, themselves free of text."""


def test_every_events_event_is_registered_and_sampled() -> None:
    registered = event_types("events")
    assert registered == {cls.TYPE: cls for cls in ev.EVENTS_EVENTS}
    assert len(registered) == 8
    assert set(SAMPLES) == set(ev.EVENTS_EVENTS)


def test_the_domain_is_in_the_published_catalogue() -> None:
    assert DOMAINS["events"] is ev
    published = published_types()
    for cls in ev.EVENTS_EVENTS:
        assert published[cls.TYPE] is cls


@ALL
def test_event_type_and_key(cls: type[DomainEvent]) -> None:
    match = EVENTS_TYPE.match(cls.TYPE)
    assert match, cls.TYPE
    entity = match.group(1)
    assert cls.__name__.lower().startswith(entity.replace("_", ""))
    assert cls.KEY == f"{entity}_id"
    assert cls.KEY in cls.model_fields
    assert event_class(cls.TYPE) is cls
    assert cls.domain() == "events"


@ALL
def test_extra_fields_rejected(cls: type[DomainEvent]) -> None:
    with pytest.raises(ValidationError):
        cls.model_validate({**SAMPLES[cls], "title": "Laboratorio di cucina"})


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
    schema = cls.model_json_schema()
    assert schema.get("additionalProperties") is False
    for node in _nodes(schema):
        node = _resolve(node, schema)
        kind = node.get("type")
        if kind == "object" and node is not schema:
            assert node.get("title") in LINE_MODELS, node
            assert node.get("additionalProperties") is False, node
        if kind == "array":
            assert "maxItems" in node, f"unbounded list in {cls.__name__}: {node}"
            item = _resolve(node["items"], schema)
            assert item.get("title") in LINE_MODELS, node
        if kind == "string":
            has_enum = "enum" in node or "const" in node
            has_pattern = "pattern" in node
            has_format = node.get("format") in SAFE_FORMATS
            assert has_enum or has_pattern or has_format, f"free text in {cls.__name__}: {node}"
        if kind == "integer":
            assert "minimum" in node and "maximum" in node, f"unbounded int: {node}"


def _with(cls: type[DomainEvent], **changes: Any) -> dict[str, Any]:
    return {**SAMPLES[cls], **changes}


@pytest.mark.parametrize(
    ("cls", "changes"),
    [
        (ev.HubOpened, {"municipality_code": "Via Garibaldi 3, Rho"}),
        (ev.HubOpened, {"kind": "bar"}),
        (ev.LabSeriesStarted, {"kind": "festival"}),  # a series is a lab
        (ev.LabSeriesClosed, {"distinct_participants": -1}),
        (ev.LabSeriesClosed, {"distinct_beneficiaries": 17}),  # 17 + 3 > 19
        (ev.LabSeriesClosed, {"sessions_held": 1_001}),
        (ev.CommunityEventScheduled, {"kind": "public_event"}),  # with a lab series
        (ev.CommunityEventScheduled, {"duration_minutes": 0}),
        (ev.CommunityEventScheduled, {"duration_minutes": 14 * 24 * 60 + 1}),
        (ev.CommunityEventScheduled, {"co_organising_associations": -1}),
        (ev.CommunityEventScheduled, {"co_organising_others": 201}),
        (ev.CommunityEventHeld, {"participants": -1}),
        (ev.CommunityEventHeld, {"participants": 100_001}),
        (ev.CommunityEventHeld, {"volunteers": 6}),  # 9 + 6 > 14
        (ev.CommunityEventHeld, {"beneficiaries": -1}),
        (ev.CommunityEventCancelled, {"reason": "the speaker, Mario Rossi, was ill"}),
        (
            ev.AccessBatchRecorded,
            {"anonymous": [{"topic": "housing", "referred": True, "accesses": -2}]},
        ),
        (
            ev.AccessBatchRecorded,
            {"anonymous": [{"topic": "debts", "referred": True, "accesses": 2}]},
        ),
        (
            ev.AccessBatchRecorded,
            {
                "anonymous": [
                    {"topic": "work", "referred": True, "accesses": 2},
                    {"topic": "work", "referred": True, "accesses": 1},
                ]
            },
        ),
        (
            ev.AccessBatchRecorded,
            {
                "known_persons": [
                    {"person_ref": "RSSMRA80A01H501U", "topic": "work", "referred": False},
                ]
            },
        ),
        (
            ev.AccessBatchRecorded,
            {
                "known_persons": [
                    {"person_ref": PERSON, "topic": "work", "referred": False},
                    {"person_ref": PERSON, "topic": "work", "referred": True},
                ]
            },
        ),
        (
            ev.AccessBatchRecorded,
            {
                "anonymous": [
                    {"topic": "work", "referred": False, "accesses": 1, "who": "Ahmed"},
                ]
            },
        ),
    ],
)
def test_invalid_values_rejected(cls: type[DomainEvent], changes: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        cls(**_with(cls, **changes))


def test_optional_fields_may_be_omitted() -> None:
    scheduled = ev.CommunityEventScheduled(
        community_event_id=uuid4(),
        kind=ev.CommunityEventKind.FESTIVAL,
        municipality_code="H264",
        starts_on=dt.date(2025, 6, 1),
        duration_minutes=3 * 24 * 60,
    )
    assert (scheduled.hub_id, scheduled.lab_series_id) == (None, None)
    assert scheduled.co_organising_associations == 0
    batch = ev.AccessBatchRecorded(
        access_batch_id=uuid4(), hub_id=uuid4(), accessed_on=dt.date(2025, 1, 2), anonymous=[]
    )
    assert batch.known_persons == []
    assert batch.totals() == {}


def test_batch_totals_add_known_persons_to_anonymous_counts() -> None:
    batch = ev.AccessBatchRecorded(**SAMPLES[ev.AccessBatchRecorded])
    assert batch.totals() == {
        (ev.AccessTopic.HOUSING, True): 3,
        (ev.AccessTopic.HOUSING, False): 5,
        (ev.AccessTopic.DOCUMENTS, False): 2,
        (ev.AccessTopic.WORK, True): 1,
    }


def test_same_person_may_ask_about_two_topics_in_one_batch() -> None:
    batch = ev.AccessBatchRecorded(
        **_with(
            ev.AccessBatchRecorded,
            known_persons=[
                {"person_ref": PERSON, "topic": "work", "referred": True},
                {"person_ref": PERSON, "topic": "housing", "referred": False},
            ],
        )
    )
    assert len(batch.known_persons) == 2


def test_lab_kinds() -> None:
    assert {k for k in ev.CommunityEventKind if k.is_lab} == set(ev.LAB_KINDS)
    assert not ev.CommunityEventKind.FESTIVAL.is_lab


def test_enum_values_are_snake_case_english() -> None:
    enums = [
        ev.HubKind,
        ev.CommunityEventKind,
        ev.CancellationReason,
        ev.AccessTopic,
    ]
    for enum in enums:
        for member in enum:
            assert re.fullmatch(r"[a-z]+(_[a-z]+)*", member.value), member

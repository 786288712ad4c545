"""The community-events contract: types, strictness, round trips and privacy."""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import uuid4

import pytest
from franoi_contracts import events as ev
from franoi_contracts.base import DomainEvent
from pydantic import ValidationError

from libs.contracts.tests.contract_rules import Contract

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


LINE_MODELS = {"AnonymousAccesses", "KnownPersonAccess"}
"""The only nested objects allowed: lines of a batch, themselves free of text."""

CONTRACT = Contract(
    domain="events",
    module=ev,
    events=ev.EVENTS_EVENTS,
    samples=SAMPLES,
    also_forbidden=("title", "hours"),
    extra_fields=({"title": "Laboratorio di cucina"},),
    nested=LINE_MODELS,
)


def test_the_events_domain_has_its_8_event_types() -> None:
    assert len(CONTRACT.events) == 8


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

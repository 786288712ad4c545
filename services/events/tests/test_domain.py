"""Community aggregates: invariants, transitions and recorded events (pure, no I/O)."""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import uuid4

import pytest
from franoi_common.errors import DomainError
from franoi_common.persons import stand_in_ref as ref
from franoi_common.testing import AMINA, BOBO, days
from franoi_contracts.events import (
    AccessBatchRecorded,
    AccessTopic,
    AnonymousAccesses,
    CancellationReason,
    CommunityEventCancelled,
    CommunityEventHeld,
    CommunityEventKind,
    CommunityEventScheduled,
    HubClosed,
    HubKind,
    HubOpened,
    KnownPersonAccess,
    LabSeriesClosed,
    LabSeriesStarted,
)
from franoi_events.domain.model import (
    AccessBatch,
    Attendance,
    CommunityEvent,
    CommunityEventStatus,
    CoOrganisers,
    EventsError,
    Hub,
    HubNotOpen,
    InvalidDates,
    InvalidTransition,
    InvalidValue,
    LabSeries,
    OpeningSlot,
)

OPENED, DAY, TODAY = days("2025-05-04", "2025-09-08", "2025-12-31")
LAB = CommunityEventKind.SOCIALISATION_LAB


def make_hub(**kwargs: Any) -> Hub:
    args: dict[str, Any] = {
        "hub_id": uuid4(),
        "name": "OP Cafè Rho",
        "municipality_code": "H264",
        "kind": HubKind.CAFE_HUB,
        "opened_on": OPENED,
    }
    args.update(kwargs)
    hub = Hub.open(**args)
    hub.events.clear()
    return hub


def make_event(hub: Hub | None = None, **kwargs: Any) -> CommunityEvent:
    args: dict[str, Any] = {
        "community_event_id": uuid4(),
        "kind": CommunityEventKind.PUBLIC_EVENT,
        "title": "Festa di quartiere",
        "starts_on": DAY,
        "duration_minutes": 180,
    }
    if hub is None and "municipality_code" not in kwargs and "series" not in kwargs:
        args["municipality_code"] = "F704"
    args.update(kwargs)
    event = CommunityEvent.schedule(hub=hub, **args)
    event.events.clear()
    return event


def make_series(hub: Hub | None = None, **kwargs: Any) -> LabSeries:
    args: dict[str, Any] = {
        "lab_series_id": uuid4(),
        "kind": LAB,
        "title": "Laboratorio di cucina",
        "started_on": DAY,
    }
    if hub is None and "municipality_code" not in kwargs:
        args["municipality_code"] = "F704"
    args.update(kwargs)
    series = LabSeries.start(hub=hub, **args)
    series.events.clear()
    return series


def line(topic: str, referred: bool, accesses: int) -> AnonymousAccesses:
    return AnonymousAccesses(topic=AccessTopic(topic), referred=referred, accesses=accesses)


def known(person_ref: str, topic: str, referred: bool = False) -> KnownPersonAccess:
    return KnownPersonAccess(person_ref=person_ref, topic=AccessTopic(topic), referred=referred)


def unchecked_line(accesses: int) -> AnonymousAccesses:
    """A line that skipped the contract's validation: the domain must still refuse it."""
    return AnonymousAccesses.model_construct(
        topic=AccessTopic.WORK, referred=False, accesses=accesses
    )


# --- hubs --------------------------------------------------------------------------------


def test_open_hub_records_hub_opened_without_name_or_hours() -> None:
    hub_id = uuid4()
    slots = [OpeningSlot(2, dt.time(9), dt.time(12, 30)), OpeningSlot(1, dt.time(14), dt.time(18))]
    hub = Hub.open(hub_id, "  OP Cafè Lainate ", "E415", HubKind.CAFE_HUB, OPENED, slots)
    assert hub.name == "OP Cafè Lainate"
    assert [s.weekday for s in hub.opening_hours] == [1, 2]  # kept in order
    assert hub.events == [
        HubOpened(hub_id=hub_id, municipality_code="E415", kind=HubKind.CAFE_HUB, opened_on=OPENED)
    ]
    assert "Lainate" not in hub.events[0].model_dump_json()


@pytest.mark.parametrize(
    "changes",
    [
        {"name": ""},
        {"name": "   "},
        {"name": "x" * 161},
        {"name": "OP\x00Cafè"},
        {"municipality_code": "Rho"},
        {"municipality_code": "h264"},
        {
            "opening_hours": [
                OpeningSlot(1, dt.time(9), dt.time(12)),
                OpeningSlot(1, dt.time(11), dt.time(13)),
            ]
        },
        {"opening_hours": [OpeningSlot(1, dt.time(9), dt.time(10))] * 29},
    ],
)
def test_open_hub_refuses_bad_values(changes: dict[str, Any]) -> None:
    with pytest.raises(InvalidValue):
        Hub.open(**{"hub_id": uuid4(), "name": "OP Cafè", "municipality_code": "H264",
                    "kind": HubKind.HELP_DESK, "opened_on": OPENED, **changes})  # fmt: skip


def test_adjacent_opening_slots_are_fine() -> None:
    slots = [OpeningSlot(1, dt.time(9), dt.time(12)), OpeningSlot(1, dt.time(12), dt.time(13))]
    assert len(make_hub(opening_hours=slots).opening_hours) == 2


@pytest.mark.parametrize(
    ("weekday", "opens", "closes"),
    [(0, dt.time(9), dt.time(10)), (8, dt.time(9), dt.time(10)), (1, dt.time(10), dt.time(10))],
)
def test_opening_slot_refuses_bad_values(weekday: int, opens: dt.time, closes: dt.time) -> None:
    with pytest.raises(InvalidValue):
        OpeningSlot(weekday, opens, closes)


def test_describe_hub_changes_labels_without_event() -> None:
    hub = make_hub()
    hub.describe(name="OP Cafè Rho centro", opening_hours=[OpeningSlot(5, dt.time(9), dt.time(13))])
    assert hub.name == "OP Cafè Rho centro"
    assert hub.opening_hours == (OpeningSlot(5, dt.time(9), dt.time(13)),)
    hub.describe()
    assert hub.name == "OP Cafè Rho centro"
    assert hub.events == []
    with pytest.raises(InvalidValue):
        hub.describe(name="")
    assert hub.name == "OP Cafè Rho centro"


def test_close_hub_once() -> None:
    hub = make_hub()
    hub.close(TODAY, last_activity_on=DAY)
    assert hub.is_closed and hub.closed_on == TODAY
    assert hub.events == [HubClosed(hub_id=hub.hub_id, closed_on=TODAY)]
    hub.close(TODAY)  # a retry: nothing more happens
    with pytest.raises(InvalidTransition):
        hub.close(TODAY - dt.timedelta(days=1))
    assert hub.closed_on == TODAY and len(hub.events) == 1


def test_close_hub_dates_consistent() -> None:
    hub = make_hub()
    with pytest.raises(InvalidDates):
        hub.close(OPENED - dt.timedelta(days=1))
    with pytest.raises(InvalidDates):
        hub.close(DAY, last_activity_on=DAY + dt.timedelta(days=1))
    assert not hub.is_closed and hub.events == []
    hub.close(OPENED)  # the day it opened: fine
    assert hub.closed_on == OPENED


def test_is_open_on() -> None:
    hub = make_hub()
    assert not hub.is_open_on(OPENED - dt.timedelta(days=1))
    assert hub.is_open_on(OPENED) and hub.is_open_on(TODAY)
    hub.close(DAY)
    assert hub.is_open_on(DAY)
    assert not hub.is_open_on(DAY + dt.timedelta(days=1))


# --- walk-in accesses --------------------------------------------------------------------


def test_record_accesses_is_one_batch_with_one_event() -> None:
    hub = make_hub()
    batch_id = uuid4()
    batch = hub.record_accesses(
        batch_id,
        DAY,
        [line("work", False, 4), line("housing", True, 2), line("housing", False, 0)],
        [known(AMINA, "work", True), known(AMINA, "documents")],
        TODAY,
    )
    assert batch.total == 8
    assert batch.totals() == {
        (AccessTopic.HOUSING, True): 2,
        (AccessTopic.HOUSING, False): 0,
        (AccessTopic.WORK, False): 4,
        (AccessTopic.WORK, True): 1,
        (AccessTopic.DOCUMENTS, False): 1,
    }
    assert [(a.topic, a.referred) for a in batch.anonymous] == [
        (AccessTopic.HOUSING, False),
        (AccessTopic.HOUSING, True),
        (AccessTopic.WORK, False),
    ]
    assert len(batch.events) == 1
    (event,) = batch.events
    assert isinstance(event, AccessBatchRecorded)
    assert event.access_batch_id == batch_id and event.hub_id == hub.hub_id
    assert event.accessed_on == DAY
    assert event.totals() == batch.totals()
    assert hub.events == []  # the hub itself does not change


def test_an_empty_day_is_a_valid_batch() -> None:
    batch = make_hub().record_accesses(uuid4(), DAY, [], [], TODAY)
    assert batch.total == 0 and len(batch.events) == 1


def test_accesses_refuse_negative_or_oversized_counts() -> None:
    hub = make_hub()
    for accesses in (-1, 10_001):
        with pytest.raises(InvalidValue):
            hub.record_accesses(uuid4(), DAY, [unchecked_line(accesses)], [], TODAY)


def test_accesses_refuse_duplicate_lines() -> None:
    hub = make_hub()
    with pytest.raises(InvalidValue):
        hub.record_accesses(uuid4(), DAY, [line("work", True, 1), line("work", True, 2)], [], TODAY)
    with pytest.raises(InvalidValue):
        hub.record_accesses(
            uuid4(), DAY, [], [known(AMINA, "work", True), known(AMINA, "work", False)], TODAY
        )


def test_accesses_refuse_a_person_identifier() -> None:
    bad = KnownPersonAccess.model_construct(
        person_ref="RSSMRA80A01H501U", topic=AccessTopic.WORK, referred=False
    )
    with pytest.raises(InvalidValue):
        make_hub().record_accesses(uuid4(), DAY, [], [bad], TODAY)


def test_accesses_refuse_too_many_known_persons() -> None:
    persons = [known(ref(str(i)), "work") for i in range(501)]
    with pytest.raises(InvalidValue):
        make_hub().record_accesses(uuid4(), DAY, [], persons, TODAY)


def test_a_closed_hub_takes_no_accesses_after_its_closing_date() -> None:
    hub = make_hub()
    hub.close(DAY)
    assert hub.record_accesses(uuid4(), DAY, [line("work", False, 1)], [], TODAY).total == 1
    with pytest.raises(HubNotOpen):
        hub.record_accesses(uuid4(), DAY + dt.timedelta(days=1), [], [], TODAY)


def test_no_accesses_before_the_hub_opened_or_in_the_future() -> None:
    hub = make_hub()
    with pytest.raises(HubNotOpen):
        hub.record_accesses(uuid4(), OPENED - dt.timedelta(days=1), [], [], TODAY)
    with pytest.raises(InvalidDates):
        hub.record_accesses(uuid4(), TODAY + dt.timedelta(days=1), [], [], TODAY)


def test_same_content_tells_a_retry_from_a_different_batch() -> None:
    hub = make_hub()
    batch_id = uuid4()
    first = hub.record_accesses(
        batch_id, DAY, [line("work", False, 4), line("family", True, 1)], [known(BOBO, "work")],
        TODAY,
    )  # fmt: skip
    retry = hub.record_accesses(
        batch_id, DAY, [line("family", True, 1), line("work", False, 4)], [known(BOBO, "work")],
        TODAY,
    )  # fmt: skip
    other = hub.record_accesses(batch_id, DAY, [line("work", False, 5)], [], TODAY)
    other_day = hub.record_accesses(
        batch_id, DAY - dt.timedelta(days=1), [line("work", False, 4), line("family", True, 1)],
        [known(BOBO, "work")], TODAY,
    )  # fmt: skip
    assert first.same_content(retry)
    assert not first.same_content(other)
    assert not first.same_content(other_day)


def test_access_batches_compare_by_id() -> None:
    batch_id = uuid4()
    a = AccessBatch.record(batch_id, uuid4(), DAY, [], [])
    b = AccessBatch.record(batch_id, uuid4(), DAY, [line("work", True, 1)], [])
    assert a == b and hash(a) == hash(b)


# --- community events --------------------------------------------------------------------


def test_schedule_at_a_hub_takes_its_municipality() -> None:
    hub = make_hub()
    event_id = uuid4()
    event = CommunityEvent.schedule(
        event_id,
        CommunityEventKind.INFO_SESSION,
        "Come leggere un contratto d'affitto",
        DAY,
        90,
        hub=hub,
        co_organisers=CoOrganisers(associations=2, public_bodies=1),
    )
    assert event.status is CommunityEventStatus.SCHEDULED
    assert event.municipality_code == "H264"
    assert event.events == [
        CommunityEventScheduled(
            community_event_id=event_id,
            kind=CommunityEventKind.INFO_SESSION,
            hub_id=hub.hub_id,
            municipality_code="H264",
            starts_on=DAY,
            duration_minutes=90,
            co_organising_associations=2,
            co_organising_public_bodies=1,
        )
    ]
    assert "contratto" not in event.events[0].model_dump_json()


def test_schedule_in_a_municipality_without_hub() -> None:
    event = make_event(kind=CommunityEventKind.FESTIVAL, duration_minutes=3 * 24 * 60)
    assert event.hub_id is None and event.municipality_code == "F704"


@pytest.mark.parametrize(
    "changes",
    [
        {"title": ""},
        {"title": "a\nb"},
        {"duration_minutes": 0},
        {"duration_minutes": 14 * 24 * 60 + 1},
        {"municipality_code": "Settimo"},
    ],
)
def test_schedule_refuses_bad_values(changes: dict[str, Any]) -> None:
    with pytest.raises(InvalidValue):
        make_event(**changes)


@pytest.mark.parametrize(
    "counts",
    [{"associations": -1}, {"public_bodies": -1}, {"companies": 201}, {"others": 201}],
)
def test_co_organisers_are_bounded_counts(counts: dict[str, int]) -> None:
    with pytest.raises(InvalidValue):
        CoOrganisers(**counts)


def test_co_organisers_total() -> None:
    assert CoOrganisers(associations=2, public_bodies=1, companies=1, others=1).total == 5


def test_schedule_needs_a_place() -> None:
    with pytest.raises(InvalidValue):
        CommunityEvent.schedule(uuid4(), CommunityEventKind.PUBLIC_EVENT, "Festa", DAY, 60)


def test_schedule_at_a_hub_in_another_municipality_is_refused() -> None:
    with pytest.raises(InvalidValue):
        make_event(make_hub(), municipality_code="F704")


def test_no_event_at_a_hub_before_it_opened_or_after_it_closed() -> None:
    hub = make_hub()
    with pytest.raises(HubNotOpen):
        make_event(hub, starts_on=OPENED - dt.timedelta(days=1))
    hub.close(DAY)
    with pytest.raises(HubNotOpen):
        make_event(hub, starts_on=DAY + dt.timedelta(days=1))
    assert make_event(hub, starts_on=DAY).hub_id == hub.hub_id


def test_hold_records_attendance() -> None:
    event = make_event()
    event.hold(DAY, Attendance(participants=40, beneficiaries=25, volunteers=15), TODAY)
    assert event.status is CommunityEventStatus.HELD
    assert event.events == [
        CommunityEventHeld(
            community_event_id=event.community_event_id,
            held_on=DAY,
            participants=40,
            beneficiaries=25,
            volunteers=15,
        )
    ]


def test_an_event_with_nobody_can_be_held() -> None:
    event = make_event()
    event.hold(DAY, Attendance(0, 0, 0), TODAY)
    assert event.attendance == Attendance(0, 0, 0)


@pytest.mark.parametrize(
    ("participants", "beneficiaries", "volunteers"),
    [(-1, 0, 0), (10, -1, 0), (10, 0, -1), (10, 8, 3), (10, 11, 0), (10, 0, 11), (100_001, 0, 0)],
)
def test_attendance_invariants(participants: int, beneficiaries: int, volunteers: int) -> None:
    with pytest.raises(InvalidValue):
        Attendance(participants, beneficiaries, volunteers)


def test_attendance_at_the_limit() -> None:
    assert Attendance(10, 7, 3).participants == 10


def test_only_a_scheduled_event_can_be_held_or_cancelled_once() -> None:
    held = make_event()
    held.hold(DAY, Attendance(5, 1, 1), TODAY)
    held.hold(DAY, Attendance(5, 1, 1), TODAY)  # a retry: nothing more happens
    with pytest.raises(InvalidTransition):
        held.hold(DAY, Attendance(6, 1, 1), TODAY)
    with pytest.raises(InvalidTransition):
        held.hold(DAY + dt.timedelta(days=1), Attendance(5, 1, 1), TODAY)
    with pytest.raises(InvalidTransition):
        held.cancel(DAY, CancellationReason.WEATHER, TODAY)
    assert held.attendance == Attendance(5, 1, 1) and len(held.events) == 1

    cancelled = make_event()
    cancelled.cancel(DAY, CancellationReason.LOW_ENROLMENT, TODAY)
    assert cancelled.status is CommunityEventStatus.CANCELLED
    assert cancelled.events == [
        CommunityEventCancelled(
            community_event_id=cancelled.community_event_id,
            cancelled_on=DAY,
            reason=CancellationReason.LOW_ENROLMENT,
        )
    ]
    cancelled.cancel(DAY, CancellationReason.LOW_ENROLMENT, TODAY)  # a retry
    with pytest.raises(InvalidTransition):
        cancelled.cancel(DAY, CancellationReason.OTHER, TODAY)
    with pytest.raises(InvalidTransition):
        cancelled.hold(DAY, Attendance(5, 1, 1), TODAY)
    assert len(cancelled.events) == 1


def test_hold_dates_consistent() -> None:
    event = make_event()
    with pytest.raises(InvalidDates):
        event.hold(DAY - dt.timedelta(days=1), Attendance(5, 0, 0), TODAY)
    with pytest.raises(InvalidDates):
        event.hold(TODAY + dt.timedelta(days=1), Attendance(5, 0, 0), TODAY)
    assert event.is_scheduled and event.events == []
    event.hold(DAY + dt.timedelta(days=7), Attendance(5, 0, 0), TODAY)  # postponed a week
    assert event.held_on == DAY + dt.timedelta(days=7)


def test_an_event_at_a_hub_closed_meanwhile_cannot_be_held_after_the_closing() -> None:
    hub = make_hub()
    event = make_event(hub)
    hub.close(DAY)
    with pytest.raises(HubNotOpen):
        event.hold(DAY + dt.timedelta(days=1), Attendance(5, 0, 0), TODAY, hub)
    with pytest.raises(InvalidValue):
        event.hold(DAY, Attendance(5, 0, 0), TODAY, make_hub())
    event.hold(DAY, Attendance(5, 0, 0), TODAY, hub)
    assert event.status is CommunityEventStatus.HELD


def test_cancel_not_in_the_future() -> None:
    event = make_event()
    with pytest.raises(InvalidDates):
        event.cancel(TODAY + dt.timedelta(days=1), CancellationReason.WEATHER, TODAY)
    assert event.is_scheduled


# --- lab series --------------------------------------------------------------------------


def test_start_series() -> None:
    hub = make_hub()
    series_id = uuid4()
    series = LabSeries.start(series_id, CommunityEventKind.COMMUNITY_LAB, "Orto", DAY, hub=hub)
    assert series.municipality_code == "H264" and series.hub_id == hub.hub_id
    assert series.events == [
        LabSeriesStarted(
            lab_series_id=series_id,
            kind=CommunityEventKind.COMMUNITY_LAB,
            hub_id=hub.hub_id,
            municipality_code="H264",
            started_on=DAY,
        )
    ]


def test_series_refuses_non_labs_and_missing_places() -> None:
    with pytest.raises(InvalidValue):
        make_series(kind=CommunityEventKind.FESTIVAL)
    with pytest.raises(InvalidValue):
        LabSeries.start(uuid4(), LAB, "Cucina", DAY)
    with pytest.raises(InvalidValue):
        make_series(make_hub(), municipality_code="F704")
    hub = make_hub()
    hub.close(DAY)
    with pytest.raises(HubNotOpen):
        make_series(hub, started_on=DAY + dt.timedelta(days=1))


def test_sessions_take_the_series_place_and_kind() -> None:
    series = make_series()
    session = make_event(series=series, kind=LAB)
    assert session.lab_series_id == series.lab_series_id
    assert session.municipality_code == "F704"
    assert series.sessions == [session]
    with pytest.raises(InvalidValue):
        make_event(series=series, kind=CommunityEventKind.COMMUNITY_LAB)
    with pytest.raises(InvalidValue):
        make_event(series=series, kind=LAB, municipality_code="H264")
    with pytest.raises(InvalidValue):
        make_event(make_hub(), series=series, kind=LAB)
    with pytest.raises(InvalidDates):
        make_event(series=series, kind=LAB, starts_on=DAY - dt.timedelta(days=1))
    assert len(series.sessions) == 1


def test_sessions_of_a_hub_series_are_at_that_hub() -> None:
    hub = make_hub()
    series = make_series(hub)
    with pytest.raises(InvalidValue):
        make_event(series=series, kind=LAB)  # the hub must be given
    with pytest.raises(InvalidValue):
        make_event(make_hub(), series=series, kind=LAB)
    assert make_event(hub, series=series, kind=LAB).hub_id == hub.hub_id


def _series_with_sessions(*attendances: Attendance) -> LabSeries:
    series = make_series()
    for i, attendance in enumerate(attendances):
        session = make_event(series=series, kind=LAB, starts_on=DAY + dt.timedelta(days=7 * i))
        session.hold(session.starts_on, attendance, TODAY)
    return series


def test_close_series_with_distinct_participants() -> None:
    series = _series_with_sessions(Attendance(12, 8, 2), Attendance(15, 9, 3), Attendance(10, 6, 2))
    cancelled = make_event(series=series, kind=LAB, starts_on=DAY + dt.timedelta(days=21))
    cancelled.cancel(DAY, CancellationReason.WEATHER, TODAY)
    close_on = DAY + dt.timedelta(days=30)
    series.close(close_on, Attendance(participants=20, beneficiaries=12, volunteers=4), TODAY)
    assert series.is_closed
    assert series.figures is not None and series.figures.sessions_held == 3
    assert series.events == [
        LabSeriesClosed(
            lab_series_id=series.lab_series_id,
            closed_on=close_on,
            sessions_held=3,
            distinct_participants=20,
            distinct_beneficiaries=12,
            distinct_volunteers=4,
        )
    ]
    series.close(close_on, Attendance(20, 12, 4), TODAY)  # a retry: nothing more happens
    assert len(series.events) == 1
    with pytest.raises(InvalidTransition):
        series.close(close_on, Attendance(21, 12, 4), TODAY)
    with pytest.raises(InvalidTransition):
        make_event(series=series, kind=LAB, starts_on=close_on)


@pytest.mark.parametrize(
    "distinct",
    [
        Attendance(14, 9, 3),  # fewer participants than the largest session (15)
        Attendance(38, 9, 3),  # more than the sessions' total (37)
        Attendance(20, 8, 3),  # fewer beneficiaries than in one session (9)
        Attendance(30, 24, 3),  # more beneficiaries than the sessions' total (23)
        Attendance(20, 9, 8),  # more volunteers than the sessions' total (7)
    ],
)
def test_close_series_distinct_figures_bounded_by_sessions(distinct: Attendance) -> None:
    series = _series_with_sessions(Attendance(12, 8, 2), Attendance(15, 9, 3), Attendance(10, 6, 2))
    with pytest.raises(InvalidValue):
        series.close(TODAY, distinct, TODAY)
    assert not series.is_closed and series.events == []


def test_close_series_without_sessions_needs_zero_figures() -> None:
    series = make_series()
    with pytest.raises(InvalidValue):
        series.close(DAY, Attendance(1, 0, 0), TODAY)
    series.close(DAY, Attendance(0, 0, 0), TODAY)
    assert series.figures is not None and series.figures.sessions_held == 0


def test_close_series_refused_with_a_session_still_scheduled() -> None:
    series = _series_with_sessions(Attendance(5, 2, 1))
    make_event(series=series, kind=LAB, starts_on=DAY + dt.timedelta(days=14))
    with pytest.raises(InvalidTransition):
        series.close(TODAY, Attendance(5, 2, 1), TODAY)


def test_close_series_dates_consistent() -> None:
    series = _series_with_sessions(Attendance(5, 2, 1), Attendance(5, 2, 1))  # 2nd on DAY + 7
    with pytest.raises(InvalidDates):
        series.close(DAY - dt.timedelta(days=1), Attendance(5, 2, 1), TODAY)
    with pytest.raises(InvalidDates):
        series.close(DAY + dt.timedelta(days=6), Attendance(5, 2, 1), TODAY)
    with pytest.raises(InvalidDates):
        series.close(TODAY + dt.timedelta(days=1), Attendance(5, 2, 1), TODAY)
    series.close(DAY + dt.timedelta(days=7), Attendance(5, 2, 1), TODAY)
    assert series.closed_on == DAY + dt.timedelta(days=7)


@pytest.mark.parametrize(
    ("cls", "status"),
    [(InvalidTransition, 409), (HubNotOpen, 409), (InvalidDates, 422), (InvalidValue, 422)],
)
def test_every_domain_error_has_a_status_code_and_message(cls: type[EventsError], status: int):
    error = cls("why")
    assert isinstance(error, DomainError)
    assert error.message == "why" and str(error) == "why"
    assert cls.code != EventsError.code and cls.status == status

"""The events API's behaviour on a real PostgreSQL (no broker: the relay is off).

One instance serves several partners; each test works as its own partner, so
lists and totals are exact although the tests share the database. Every command
goes through :meth:`Api.call`, which checks the status and that exactly the
expected events were appended to the outbox (type, aggregate, topic, source,
schema) with data that validates against the event's pydantic model; a refused
command must append nothing.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from franoi_events.bootstrap import DEFINITION as EVENTS

from tests.support import (
    OutboxApi,
    Served,
    auth_header,
    ids,
    kafka_settings,
    partner_service_settings,
    serving,
)

PARTNERS = ("p40", "p41", "p42", "p43", "p44", "p45", "p46", "p47")
TODAY = dt.date.today()
TABLES = (
    "hubs",
    "lab_series",
    "community_events",
    "access_batches",
    "access_counts",
    "access_known_persons",
    "outbox",
)
IDENTIFIER = "HSSMHM90A01Z330K"


def day(offset: int = 0) -> str:
    return (TODAY + dt.timedelta(days=offset)).isoformat()


def hub_body(**changes: Any) -> dict[str, Any]:
    return {
        "name": "OP Cafè Rho",
        "municipality_code": "H264",
        "kind": "cafe_hub",
        "opened_on": day(-90),
        "opening_hours": [{"weekday": 2, "opens": "09:00", "closes": "12:30"}],
        **changes,
    }


def event_body(**changes: Any) -> dict[str, Any]:
    return {
        "kind": "public_event",
        "title": "Festa di quartiere",
        "starts_on": day(-10),
        "duration_minutes": 180,
        **changes,
    }


def attendance(p: int, b: int, v: int, on: str | None = None) -> dict[str, Any]:
    return {"held_on": on or day(-10), "participants": p, "beneficiaries": b, "volunteers": v}


class Api(OutboxApi):
    DOMAIN = "events"
    DEFAULT_ROLES = ("partner_admin",)


Events = Served[Api]


@pytest.fixture(scope="module")
async def events(databases) -> AsyncIterator[Events]:
    url = await databases.create("events_api")
    kafka = kafka_settings("127.0.0.1:1", False, create_topics=False)
    settings = partner_service_settings(url, kafka, PARTNERS, relay_enabled=False)
    async with serving(EVENTS, settings, Api, TABLES) as served:
        yield served


# --- hubs --------------------------------------------------------------------------------


async def test_hubs_open_describe_close_with_safe_retries(events: Events) -> None:
    admin, worker = events.api("p41"), events.api("p41", "social_worker")
    hub_id = str(uuid.uuid4())
    body = hub_body(hub_id=hub_id)
    hub = await admin.call("POST", "/v1/hubs", body, status=201, events=[("hub.opened", None)])
    assert hub["hub_id"] == hub_id and hub["partner_id"] == "p41"
    assert hub["opening_hours"] == [{"weekday": 2, "opens": "09:00:00", "closes": "12:30:00"}]
    assert hub["closed_on"] is None
    # the identical retry answers the hub and records nothing; another body with its id: 409
    assert await admin.call("POST", "/v1/hubs", body, status=201) == hub
    await admin.call("POST", "/v1/hubs", {**body, "name": "Altro"}, status=409)
    # only partner admins open, describe or close hubs; social workers read them
    await worker.call("POST", "/v1/hubs", hub_body(), status=403)
    await worker.call("POST", f"/v1/hubs/{hub_id}/close", {"closed_on": day()}, status=403)
    assert (await worker.get(f"/v1/hubs/{hub_id}"))["name"] == "OP Cafè Rho"

    slots = [{"weekday": 5, "opens": "14:00", "closes": "18:00"}]
    described = await admin.call(
        "PATCH",
        f"/v1/hubs/{hub_id}",
        {"name": "OP Cafè Rho centro", "opening_hours": slots},
        status=200,
    )
    assert described["name"] == "OP Cafè Rho centro"  # no event: the name stays here
    assert described["opening_hours"][0]["weekday"] == 5
    await admin.call("PATCH", f"/v1/hubs/{hub_id}", {}, status=422)

    closed = await admin.call(
        "POST",
        f"/v1/hubs/{hub_id}/close",
        {"closed_on": day(-1)},
        status=200,
        events=[("hub.closed", hub_id)],
    )
    assert closed["closed_on"] == day(-1)
    await admin.call("POST", f"/v1/hubs/{hub_id}/close", {"closed_on": day(-1)}, status=200)
    problem = await admin.call("POST", f"/v1/hubs/{hub_id}/close", {"closed_on": day()}, status=409)
    assert problem["code"] == "invalid_transition"


async def test_a_hub_cannot_close_before_what_it_recorded(events: Events) -> None:
    api = events.api("p41")
    hub = await api.call("POST", "/v1/hubs", hub_body(), status=201, events=[("hub.opened", None)])
    h = hub["hub_id"]
    await api.call(
        "POST",
        "/v1/access-batches",
        {
            "access_batch_id": str(uuid.uuid4()),
            "hub_id": h,
            "accessed_on": day(-5),
            "anonymous": [{"topic": "work", "referred": False, "accesses": 2}],
        },
        status=201,
        events=[("access_batch.recorded", None)],
    )
    problem = await api.call("POST", f"/v1/hubs/{h}/close", {"closed_on": day(-6)}, status=422)
    assert problem["code"] == "invalid_dates"
    problem = await api.call("POST", f"/v1/hubs/{h}/close", {"closed_on": day(-91)}, status=422)
    assert problem["code"] == "invalid_dates"
    # an event still planned after the closing date keeps the hub open until it is cancelled
    planned = await api.call(
        "POST",
        "/v1/community-events",
        event_body(hub_id=h, starts_on=day(3)),
        status=201,
        events=[("community_event.scheduled", None)],
    )
    e = planned["community_event_id"]
    problem = await api.call("POST", f"/v1/hubs/{h}/close", {"closed_on": day(-5)}, status=422)
    assert day(3) in problem["detail"]
    await api.call(
        "POST",
        f"/v1/community-events/{e}/cancel",
        {"cancelled_on": day(), "reason": "venue_unavailable"},
        status=200,
        events=[("community_event.cancelled", e)],
    )
    await api.call(
        "POST",
        f"/v1/hubs/{h}/close",
        {"closed_on": day(-5)},
        status=200,
        events=[("hub.closed", h)],
    )


# --- community events --------------------------------------------------------------------


async def test_community_events_scheduled_then_held_or_cancelled_once(events: Events) -> None:
    api = events.api("p42", "social_worker")
    admin = events.api("p42")
    hub = await admin.call(
        "POST", "/v1/hubs", hub_body(), status=201, events=[("hub.opened", None)]
    )
    h = hub["hub_id"]
    event = await api.call(
        "POST",
        "/v1/community-events",
        event_body(hub_id=h, co_organisers={"associations": 2, "public_bodies": 1}),
        status=201,
        events=[("community_event.scheduled", None)],
    )
    e = event["community_event_id"]
    assert (event["status"], event["municipality_code"], event["hub_id"]) == (
        "scheduled",
        "H264",
        h,
    )
    assert event["co_organisers"] == {
        "associations": 2,
        "public_bodies": 1,
        "companies": 0,
        "others": 0,
    }
    outbox = await events.db.fetchval("SELECT data FROM outbox WHERE aggregate_id = $1", e)
    assert "Festa" not in json.dumps(outbox)  # the title stays in the service

    # beneficiaries + volunteers > participants; held before its date; held in the future
    for body, code in [
        (attendance(10, 8, 3), "invalid_value"),
        (attendance(10, 2, 2, day(-11)), "invalid_dates"),
        (attendance(10, 2, 2, day(1)), "invalid_dates"),
    ]:
        status = 422
        problem = await api.call("POST", f"/v1/community-events/{e}/hold", body, status=status)
        assert problem["code"] == code, problem
    await api.call("POST", f"/v1/community-events/{e}/hold", attendance(-1, 0, 0), status=422)

    held = await api.call(
        "POST",
        f"/v1/community-events/{e}/hold",
        attendance(40, 25, 10),
        status=200,
        events=[("community_event.held", e)],
    )
    assert (held["status"], held["participants"], held["beneficiaries"], held["volunteers"]) == (
        "held",
        40,
        25,
        10,
    )
    # a retry changes nothing; other figures, or a cancellation, are refused
    await api.call("POST", f"/v1/community-events/{e}/hold", attendance(40, 25, 10), status=200)
    await api.call("POST", f"/v1/community-events/{e}/hold", attendance(41, 25, 10), status=409)
    await api.call(
        "POST",
        f"/v1/community-events/{e}/cancel",
        {"cancelled_on": day(-11), "reason": "weather"},
        status=409,
    )

    elsewhere = await api.call(
        "POST",
        "/v1/community-events",
        event_body(kind="festival", municipality_code="F704", duration_minutes=3 * 24 * 60),
        status=201,
        events=[("community_event.scheduled", None)],
    )
    x = elsewhere["community_event_id"]
    assert elsewhere["hub_id"] is None
    cancel = {"cancelled_on": day(-12), "reason": "public_health"}
    cancelled = await api.call(
        "POST",
        f"/v1/community-events/{x}/cancel",
        cancel,
        status=200,
        events=[("community_event.cancelled", x)],
    )
    assert (cancelled["status"], cancelled["cancellation_reason"]) == ("cancelled", "public_health")
    await api.call("POST", f"/v1/community-events/{x}/cancel", cancel, status=200)
    await api.call("POST", f"/v1/community-events/{x}/hold", attendance(5, 0, 0), status=409)

    # a place is needed; a closed hub hosts nothing after its closing date
    await api.call("POST", "/v1/community-events", event_body(), status=422)
    await api.call(
        "POST", "/v1/community-events", event_body(hub_id=h, municipality_code="F704"), status=422
    )
    await admin.call(
        "POST",
        f"/v1/hubs/{h}/close",
        {"closed_on": day(-10)},
        status=200,
        events=[("hub.closed", h)],
    )
    problem = await api.call(
        "POST", "/v1/community-events", event_body(hub_id=h, starts_on=day(-9)), status=409
    )
    assert problem["code"] == "hub_not_open"


async def test_lab_series_sessions_and_distinct_participants(events: Events) -> None:
    api = events.api("p43")
    hub = await api.call("POST", "/v1/hubs", hub_body(), status=201, events=[("hub.opened", None)])
    h = hub["hub_id"]
    series = await api.call(
        "POST",
        "/v1/lab-series",
        {
            "kind": "socialisation_lab",
            "title": "Cucina insieme",
            "hub_id": h,
            "started_on": day(-30),
        },
        status=201,
        events=[("lab_series.started", None)],
    )
    sid = series["lab_series_id"]
    assert (series["status"], series["distinct_participants"]) == ("open", None)
    await api.call(
        "POST",
        "/v1/lab-series",
        {"kind": "festival", "title": "X", "municipality_code": "F704", "started_on": day()},
        status=422,
    )

    sessions = []
    for offset, figures in ((-28, (12, 8, 2)), (-21, (15, 9, 3)), (-14, None)):
        session = await api.call(
            "POST",
            "/v1/community-events",
            event_body(  # the first names the series' hub; the others take it from the series
                kind="socialisation_lab",
                lab_series_id=sid,
                starts_on=day(offset),
                **({"hub_id": h} if offset == -28 else {}),
            ),
            status=201,
            events=[("community_event.scheduled", None)],
        )
        assert (session["hub_id"], session["municipality_code"]) == (h, "H264")
        sessions.append(session["community_event_id"])
        if figures is not None:
            await api.call(
                "POST",
                f"/v1/community-events/{session['community_event_id']}/hold",
                attendance(*figures, on=day(offset)),
                status=200,
                events=[("community_event.held", session["community_event_id"])],
            )
    # a session is of the series' kind
    await api.call(
        "POST",
        "/v1/community-events",
        event_body(kind="community_lab", hub_id=h, lab_series_id=sid),
        status=422,
    )
    close = {
        "closed_on": day(-1),
        "distinct_participants": 20,
        "distinct_beneficiaries": 12,
        "distinct_volunteers": 4,
    }
    problem = await api.call("POST", f"/v1/lab-series/{sid}/close", close, status=409)
    assert "scheduled" in problem["detail"]  # the third session is still scheduled
    await api.call(
        "POST",
        f"/v1/community-events/{sessions[2]}/cancel",
        {"cancelled_on": day(-15), "reason": "low_enrolment"},
        status=200,
        events=[("community_event.cancelled", sessions[2])],
    )
    for bad in (14, 28):  # fewer than the largest session (15), more than the total (27)
        await api.call(
            "POST",
            f"/v1/lab-series/{sid}/close",
            {**close, "distinct_participants": bad},
            status=422,
        )
    await api.call(
        "POST", f"/v1/lab-series/{sid}/close", {**close, "distinct_beneficiaries": 17}, status=422
    )
    closed = await api.call(
        "POST",
        f"/v1/lab-series/{sid}/close",
        close,
        status=200,
        events=[("lab_series.closed", sid)],
    )
    assert (closed["status"], closed["sessions_held"], closed["distinct_participants"]) == (
        "closed",
        2,
        20,
    )
    await api.call("POST", f"/v1/lab-series/{sid}/close", close, status=200)  # a retry
    await api.call(
        "POST",
        "/v1/community-events",
        event_body(kind="socialisation_lab", hub_id=h, lab_series_id=sid, starts_on=day()),
        status=409,
    )
    page = await api.get("/v1/community-events", lab_series_id=sid)
    assert page["total"] == 3
    # listed with its figures, running until the day it closed
    listed = await api.get("/v1/lab-series", hub_id=h, status="closed", **{"from": day(-1)})
    assert [(s["lab_series_id"], s["distinct_participants"]) for s in listed["items"]] == [
        (sid, 20)
    ]
    assert (await api.get("/v1/lab-series", hub_id=h, **{"from": day()}))["total"] == 0


# --- walk-in accesses --------------------------------------------------------------------


async def test_a_day_of_accesses_is_one_request_recorded_once(events: Events) -> None:
    api = events.api("p44", "social_worker")
    admin = events.api("p44")
    hub = await admin.call(
        "POST", "/v1/hubs", hub_body(), status=201, events=[("hub.opened", None)]
    )
    h = hub["hub_id"]
    batch_id = str(uuid.uuid4())
    body = {
        "access_batch_id": batch_id,
        "hub_id": h,
        "accessed_on": day(-1),
        "anonymous": [
            {"topic": "work", "referred": False, "accesses": 4},
            {"topic": "housing", "referred": True, "accesses": 2},
        ],
        "known_persons": [
            {"person_identifier": IDENTIFIER, "topic": "documents", "referred": True},
            {"person_ref": "ab" * 32, "topic": "work"},
        ],
    }
    batch = await api.call(
        "POST",
        "/v1/access-batches",
        body,
        status=201,
        events=[("access_batch.recorded", batch_id)],
    )
    assert batch["total"] == 8
    assert [(a["topic"], a["referred"], a["accesses"]) for a in batch["anonymous"]] == [
        ("housing", True, 2),
        ("work", False, 4),
    ]
    refs = {k["person_ref"] for k in batch["known_persons"]}
    assert "ab" * 32 in refs and len(refs) == 2
    assert IDENTIFIER not in json.dumps(batch)
    stored = await events.db.fetchval("SELECT data FROM outbox WHERE aggregate_id = $1", batch_id)
    assert IDENTIFIER not in json.dumps(stored)

    # the identical retry (its lines listed in another order) records nothing
    retry = {
        **body,
        "anonymous": body["anonymous"][::-1],
        "known_persons": body["known_persons"][::-1],
    }
    assert await api.call("POST", "/v1/access-batches", retry, status=201) == batch
    # the same batch id with other counts is refused
    other = {**body, "anonymous": [{"topic": "work", "referred": False, "accesses": 5}]}
    problem = await api.call("POST", "/v1/access-batches", other, status=409)
    assert problem["code"] == "already_exists"
    assert (
        await events.db.fetchval(
            "SELECT sum(accesses) FROM access_counts WHERE access_batch_id = $1",
            uuid.UUID(batch_id),
        )
        == 6
    )

    fresh = {**body, "access_batch_id": str(uuid.uuid4())}
    for changes, status in [
        ({"accessed_on": day(1)}, 422),  # in the future
        ({"accessed_on": day(-91)}, 409),  # before the hub opened
        ({"anonymous": [{"topic": "work", "referred": True, "accesses": -1}]}, 422),
        ({"anonymous": [{"topic": "debts", "referred": True, "accesses": 1}]}, 422),
        ({"anonymous": [{"topic": "work", "referred": True, "accesses": 1}] * 2}, 422),
        ({"known_persons": [{"person_ref": "ab" * 32, "topic": "work"}] * 2}, 422),
        (
            {
                "known_persons": [
                    {"person_identifier": IDENTIFIER, "person_ref": "ab" * 32, "topic": "work"}
                ]
            },
            422,
        ),
        ({"hub_id": str(uuid.uuid4())}, 404),
        ({"access_batch_id": None}, 422),
    ]:
        await api.call("POST", "/v1/access-batches", {**fresh, **changes}, status=status)

    await admin.call(
        "POST",
        f"/v1/hubs/{h}/close",
        {"closed_on": day(-1)},
        status=200,
        events=[("hub.closed", h)],
    )
    problem = await api.call(
        "POST", "/v1/access-batches", {**fresh, "accessed_on": day()}, status=409
    )
    assert problem["code"] == "hub_not_open"
    later = await api.call(
        "POST",
        "/v1/access-batches",
        {**fresh, "accessed_on": day(-1), "known_persons": []},
        status=201,
        events=[("access_batch.recorded", fresh["access_batch_id"])],
    )
    assert later["total"] == 6

    # the person's file: only the person's own lines, the day's anonymous counts left out
    person = next(k["person_ref"] for k in batch["known_persons"] if k["person_ref"] != "ab" * 32)
    records = await api.get(f"/v1/persons/{person}/records")
    assert records["domain"] == "events" and records["person_ref"] == person
    [held] = records["records"]["access_batches"]
    assert held["access_batch_id"] == batch_id and held["anonymous"] == []
    assert held["known_persons"] == [{"person_ref": person, "topic": "documents", "referred": True}]
    nobody = await api.get(f"/v1/persons/{'0' * 64}/records")
    assert nobody["records"] == {"access_batches": []}


# --- lists -------------------------------------------------------------------------------


async def test_lists_filter_by_hub_kind_period_and_paginate(events: Events) -> None:
    api = events.api("p45")
    a = (await api.call("POST", "/v1/hubs", hub_body(), status=201, events=[("hub.opened", None)]))[
        "hub_id"
    ]
    b = (
        await api.call(
            "POST",
            "/v1/hubs",
            hub_body(kind="help_desk", municipality_code="E415"),
            status=201,
            events=[("hub.opened", None)],
        )
    )["hub_id"]
    created = []
    for hub, kind, offset in [
        (a, "public_event", -40),
        (a, "info_session", -30),
        (a, "public_event", -20),
        (b, "public_event", -10),
        (b, "festival", -5),
    ]:
        event = await api.call(
            "POST",
            "/v1/community-events",
            event_body(hub_id=hub, kind=kind, starts_on=day(offset)),
            status=201,
            events=[("community_event.scheduled", None)],
        )
        created.append(event["community_event_id"])
    await api.call(
        "POST",
        f"/v1/community-events/{created[0]}/hold",
        attendance(5, 1, 1, day(-40)),
        status=200,
        events=[("community_event.held", created[0])],
    )

    everything = await api.get("/v1/community-events")
    assert everything["total"] == 5
    assert ids(everything, "community_event_id") == created[::-1]  # latest day first
    assert (await api.get("/v1/community-events", hub_id=a))["total"] == 3
    assert (await api.get("/v1/community-events", kind="public_event"))["total"] == 3
    assert (await api.get("/v1/community-events", hub_id=a, kind="public_event"))["total"] == 2
    assert ids(await api.get("/v1/community-events", status="held"), "community_event_id") == [
        created[0]
    ]
    period = await api.get("/v1/community-events", **{"from": day(-30), "to": day(-10)})
    assert ids(period, "community_event_id") == [created[3], created[2], created[1]]
    first = await api.get("/v1/community-events", limit=2, offset=0)
    second = await api.get("/v1/community-events", limit=2, offset=2)
    last = await api.get("/v1/community-events", limit=2, offset=4)
    assert (
        ids(first, "community_event_id")
        + ids(second, "community_event_id")
        + ids(last, "community_event_id")
        == created[::-1]
    )
    assert (first["total"], first["limit"], last["offset"]) == (5, 2, 4)

    assert (await api.get("/v1/hubs"))["total"] == 2
    assert ids(await api.get("/v1/hubs", kind="help_desk"), "hub_id") == [b]
    assert ids(await api.get("/v1/hubs", municipality_code="H264"), "hub_id") == [a]
    assert (await api.get("/v1/hubs", open_on=day(-100)))["total"] == 0
    assert (await api.get("/v1/hubs", open_on=day(-90), kind="help_desk"))["total"] == 1

    for offset, hub in ((-3, a), (-2, a), (-1, b)):
        await api.call(
            "POST",
            "/v1/access-batches",
            {
                "access_batch_id": str(uuid.uuid4()),
                "hub_id": hub,
                "accessed_on": day(offset),
                "anonymous": [{"topic": "family", "referred": False, "accesses": 1}],
            },
            status=201,
            events=[("access_batch.recorded", None)],
        )
    assert (await api.get("/v1/access-batches"))["total"] == 3
    assert (await api.get("/v1/access-batches", hub_id=a))["total"] == 2
    assert (await api.get("/v1/access-batches", **{"from": day(-2)}))["total"] == 2
    assert (await api.get("/v1/access-batches", **{"to": day(-3)}))["total"] == 1

    series = await api.call(
        "POST",
        "/v1/lab-series",
        {"kind": "community_lab", "title": "Orto", "hub_id": b, "started_on": day(-5)},
        status=201,
        events=[("lab_series.started", None)],
    )
    assert ids(await api.get("/v1/lab-series", hub_id=b, status="open"), "lab_series_id") == [
        series["lab_series_id"]
    ]
    assert (await api.get("/v1/lab-series", status="closed"))["total"] == 0
    assert (await api.get("/v1/lab-series", **{"to": day(-6)}))["total"] == 0
    assert (await api.get("/v1/lab-series", **{"from": day(), "to": day()}))["total"] == 1

    for path in ("/v1/community-events", "/v1/access-batches", "/v1/lab-series"):
        problem = await api.call("GET", path, params={"from": day(), "to": day(-1)}, status=422)
        assert problem["code"] == "invalid_dates"
    for params in (
        {"limit": 0},
        {"limit": 201},
        {"offset": -1},
        {"kind": "party"},
        {"hub_id": "not-a-uuid"},
        {"from": "2026-02-30"},
        {"from": "1900-01-01"},
    ):
        await api.call("GET", "/v1/community-events", params=params, status=422)


# --- isolation and bad input -------------------------------------------------------------


async def test_partners_see_and_change_only_their_own(events: Events) -> None:
    owner, neighbour = events.api("p46"), events.api("p47")
    hub = (
        await owner.call("POST", "/v1/hubs", hub_body(), status=201, events=[("hub.opened", None)])
    )["hub_id"]
    event = (
        await owner.call(
            "POST",
            "/v1/community-events",
            event_body(hub_id=hub),
            status=201,
            events=[("community_event.scheduled", None)],
        )
    )["community_event_id"]
    series = (
        await owner.call(
            "POST",
            "/v1/lab-series",
            {"kind": "community_lab", "title": "Orto", "hub_id": hub, "started_on": day(-5)},
            status=201,
            events=[("lab_series.started", None)],
        )
    )["lab_series_id"]
    batch_id = str(uuid.uuid4())
    await owner.call(
        "POST",
        "/v1/access-batches",
        {
            "access_batch_id": batch_id,
            "hub_id": hub,
            "accessed_on": day(-1),
            "known_persons": [{"person_ref": "cd" * 32, "topic": "savings"}],
        },
        status=201,
        events=[("access_batch.recorded", batch_id)],
    )
    before = await events.counts()

    for path in (
        f"/v1/hubs/{hub}",
        f"/v1/community-events/{event}",
        f"/v1/lab-series/{series}",
        f"/v1/access-batches/{batch_id}",
    ):
        await neighbour.call("GET", path, status=404)
    await neighbour.call("PATCH", f"/v1/hubs/{hub}", {"name": "Mio"}, status=404)
    await neighbour.call("POST", f"/v1/hubs/{hub}/close", {"closed_on": day()}, status=404)
    await neighbour.call(
        "POST", f"/v1/community-events/{event}/hold", attendance(1, 0, 0), status=404
    )
    await neighbour.call(
        "POST",
        f"/v1/community-events/{event}/cancel",
        {"cancelled_on": day(), "reason": "other"},
        status=404,
    )
    await neighbour.call(
        "POST",
        f"/v1/lab-series/{series}/close",
        {
            "closed_on": day(),
            "distinct_participants": 0,
            "distinct_beneficiaries": 0,
            "distinct_volunteers": 0,
        },
        status=404,
    )
    # the neighbour cannot use the owner's hub or series for its own records either
    await neighbour.call("POST", "/v1/community-events", event_body(hub_id=hub), status=404)
    await neighbour.call(
        "POST",
        "/v1/community-events",
        event_body(kind="community_lab", municipality_code="H264", lab_series_id=series),
        status=404,
    )
    await neighbour.call(
        "POST",
        "/v1/access-batches",
        {"access_batch_id": str(uuid.uuid4()), "hub_id": hub, "accessed_on": day()},
        status=404,
    )
    for path in ("/v1/hubs", "/v1/community-events", "/v1/lab-series", "/v1/access-batches"):
        page = await neighbour.get(path)
        assert page["total"] == 0 and page["items"] == []
    file = await neighbour.get(f"/v1/persons/{'cd' * 32}/records")
    assert file["records"] == {"access_batches": []}

    # staff of a partner this instance does not serve, or without a staff role: 403
    client = events.service.client
    for headers in (
        auth_header("p48"),
        auth_header("p48", "partner_admin"),
        auth_header("p46", "integrator"),
        auth_header("consortium", "consortium_analyst"),
    ):
        assert (await client.get(f"/v1/hubs/{hub}", headers=headers)).status_code == 403
        assert (await client.get("/v1/community-events", headers=headers)).status_code == 403
        response = await client.post("/v1/hubs", json=hub_body(), headers=headers)
        assert response.status_code == 403
    assert (await client.get("/v1/hubs")).status_code == 401
    assert await events.counts() == before


async def test_bad_input_is_refused_clearly_and_writes_nothing(events: Events) -> None:
    api = events.api("p46")
    hub = (
        await api.call("POST", "/v1/hubs", hub_body(), status=201, events=[("hub.opened", None)])
    )["hub_id"]
    event = (
        await api.call(
            "POST",
            "/v1/community-events",
            event_body(hub_id=hub),
            status=201,
            events=[("community_event.scheduled", None)],
        )
    )["community_event_id"]
    before = await events.counts()
    bad: list[tuple[str, str, Any]] = [
        ("POST", "/v1/hubs", hub_body(name="")),
        ("POST", "/v1/hubs", hub_body(name="OP\u0000Cafè")),
        ("POST", "/v1/hubs", hub_body(municipality_code="Rho")),
        ("POST", "/v1/hubs", hub_body(kind="bar")),
        ("POST", "/v1/hubs", hub_body(opened_on="2026-13-01")),
        ("POST", "/v1/hubs", hub_body(opened_on="1890-01-01")),
        ("POST", "/v1/hubs", hub_body(notes="free text")),
        (
            "POST",
            "/v1/hubs",
            hub_body(opening_hours=[{"weekday": 8, "opens": "09:00", "closes": "10:00"}]),
        ),
        (
            "POST",
            "/v1/hubs",
            hub_body(opening_hours=[{"weekday": 1, "opens": "10:00", "closes": "09:00"}]),
        ),
        (
            "POST",
            "/v1/hubs",
            hub_body(
                opening_hours=[
                    {"weekday": 1, "opens": "09:00", "closes": "12:00"},
                    {"weekday": 1, "opens": "11:00", "closes": "13:00"},
                ]
            ),
        ),
        ("POST", "/v1/hubs", [1, 2]),
        (
            "POST",
            "/v1/hubs",
            hub_body(opening_hours=[{"weekday": 1, "opens": "09:00+02:00", "closes": "10:00"}]),
        ),
        (
            "PATCH",
            f"/v1/hubs/{hub}",
            {"opening_hours": [{"weekday": 1, "opens": "09:00Z", "closes": "12:00"}]},
        ),
        ("POST", "/v1/community-events", event_body(hub_id=hub, duration_minutes=0)),
        ("POST", "/v1/community-events", event_body(hub_id=hub, kind="party")),
        ("POST", "/v1/community-events", event_body(hub_id=hub, title="x" * 161)),
        ("POST", "/v1/community-events", event_body(hub_id=hub, co_organisers={"others": -1})),
        ("POST", "/v1/community-events", event_body(hub_id=hub, co_organisers={"names": 1})),
        (
            "POST",
            "/v1/community-events",
            event_body(hub_id=hub, lab_series_id=None, kind="festival", starts_on=day(-100)),
        ),
        ("POST", "/v1/community-events", event_body(hub_id="nope")),
        ("POST", f"/v1/community-events/{event}/hold", {"held_on": day(-10)}),
        ("POST", f"/v1/community-events/{event}/hold", attendance(10, 11, 0)),
        (
            "POST",
            f"/v1/community-events/{event}/hold",
            {**attendance(3, 0, 0), "participants": "3 o 4"},
        ),
        ("POST", f"/v1/community-events/{event}/cancel", {"cancelled_on": day(), "reason": "ill"}),
        (
            "POST",
            f"/v1/community-events/{event}/cancel",
            {"cancelled_on": day(1), "reason": "other"},
        ),
        ("POST", "/v1/community-events/not-a-uuid/hold", attendance(3, 0, 0)),
        (
            "POST",
            "/v1/lab-series",
            {"kind": "socialisation_lab", "title": "X", "started_on": day()},
        ),
        ("POST", "/v1/access-batches", {"hub_id": hub, "accessed_on": day()}),
        ("GET", f"/v1/persons/{'X' * 64}/records", None),
    ]
    for method, path, body in bad:
        response = await api.service.client.request(method, path, json=body, headers=api.headers)
        assert response.status_code in (404, 409, 422), (path, body, response.text)
        assert response.status_code != 500
        problem = response.json()
        assert problem["status"] == response.status_code and problem["detail"], problem
    assert await events.counts() == before


# --- concurrency -------------------------------------------------------------------------


async def test_concurrent_retries_record_a_batch_once(events: Events) -> None:
    api = events.api("p40")
    hub = await api.call("POST", "/v1/hubs", hub_body(), status=201, events=[("hub.opened", None)])
    batch_id = str(uuid.uuid4())
    body = {
        "access_batch_id": batch_id,
        "hub_id": hub["hub_id"],
        "accessed_on": day(-1),
        "anonymous": [{"topic": "savings", "referred": True, "accesses": 4}],
    }
    client = events.service.client
    responses = await asyncio.gather(
        *(client.post("/v1/access-batches", json=body, headers=api.headers) for _ in range(6))
    )
    statuses = [r.status_code for r in responses]
    assert 201 in statuses and set(statuses) <= {201, 409}, statuses
    assert (
        await events.db.fetchval("SELECT count(*) FROM outbox WHERE aggregate_id = $1", batch_id)
        == 1
    )
    assert (
        await events.db.fetchval(
            "SELECT sum(accesses) FROM access_counts WHERE access_batch_id = $1",
            uuid.UUID(batch_id),
        )
        == 4
    )


async def test_a_hub_closing_and_a_late_batch_cannot_both_succeed(events: Events) -> None:
    api = events.api("p40")
    client = events.service.client
    for _ in range(3):
        hub = await api.call(
            "POST", "/v1/hubs", hub_body(), status=201, events=[("hub.opened", None)]
        )
        h = hub["hub_id"]
        close, record = await asyncio.gather(
            client.post(f"/v1/hubs/{h}/close", json={"closed_on": day(-2)}, headers=api.headers),
            client.post(
                "/v1/access-batches",
                json={"access_batch_id": str(uuid.uuid4()), "hub_id": h, "accessed_on": day(-1)},
                headers=api.headers,
            ),
        )
        # serialised on the hub's row: either the hub closed first (the batch is after its
        # closing date) or the batch came first (the hub cannot close before it)
        assert sorted([close.status_code, record.status_code]) in ([200, 409], [201, 422]), (
            close.text,
            record.text,
        )

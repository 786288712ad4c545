"""The network community-events view: exact figures over several months, batches counted
once, set-wise application, and the view's access rules.

Events are applied through the projection's real handler and database; the read
API is the real app (consumer off: the events pipeline test covers Kafka)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import asyncpg
import pytest
from franoi_contracts import events as ev
from franoi_contracts.base import DomainEvent
from franoi_projection.projectors.handler import HANDLER

from tests.support import (
    ANALYST,
    RunningService,
    auth_header,
    envelope_of,
    kafka_settings,
    monthly_view,
    projection_only,
)

D = dt.date
LAB = "socialisation_lab"


def ref(n: int) -> str:
    return f"{n:064x}"


async def apply(pool: asyncpg.Pool, partner: str, *events: DomainEvent) -> None:
    for event in events:
        async with pool.acquire() as conn, conn.transaction():
            await HANDLER.apply_one(conn, envelope_of(partner, "events", event))


@pytest.fixture
async def projection(databases, kafka_bootstrap, kafka_idempotent):
    kafka = kafka_settings(kafka_bootstrap, kafka_idempotent)
    async with projection_only(databases, kafka, ["p21"]) as served:
        yield served


async def monthly(service: RunningService, **params: str) -> dict[str, Any]:
    return await monthly_view(service, "events", **params)


def scheduled(event_id: uuid.UUID, kind: str, on: dt.date, **kwargs: Any) -> DomainEvent:
    return ev.CommunityEventScheduled(
        community_event_id=event_id,
        kind=kind,
        municipality_code="H264",
        starts_on=on,
        duration_minutes=120,
        **kwargs,
    )


def held(event_id: uuid.UUID, on: dt.date, p: int, b: int, v: int) -> DomainEvent:
    return ev.CommunityEventHeld(
        community_event_id=event_id, held_on=on, participants=p, beneficiaries=b, volunteers=v
    )


def batch(
    batch_id: uuid.UUID, hub: uuid.UUID, on: dt.date, *lines: tuple[str, bool, int], **kw: Any
) -> ev.AccessBatchRecorded:
    return ev.AccessBatchRecorded(
        access_batch_id=batch_id,
        hub_id=hub,
        accessed_on=on,
        anonymous=[{"topic": t, "referred": r, "accesses": n} for t, r, n in lines],
        **kw,
    )


async def test_monthly_events_figures(projection) -> None:
    service, pool = projection
    hub_a, hub_b, hub_c = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    series, short_series = uuid.uuid4(), uuid.uuid4()
    s = [uuid.uuid4() for _ in range(4)]  # sessions of the series
    single_lab, fair, talk, festival = (uuid.uuid4() for _ in range(4))
    b1, b2, b3 = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    await apply(
        pool,
        "p21",
        ev.HubOpened(hub_id=hub_a, municipality_code="H264", kind="cafe_hub",
                     opened_on=D(2026, 1, 10)),
        ev.HubOpened(hub_id=hub_b, municipality_code="E415", kind="help_desk",
                     opened_on=D(2026, 3, 1)),
        ev.HubOpened(hub_id=hub_c, municipality_code="G964", kind="other",
                     opened_on=D(2026, 1, 1)),
        ev.HubClosed(hub_id=hub_c, closed_on=D(2026, 1, 31)),
        ev.HubClosed(hub_id=hub_a, closed_on=D(2026, 3, 1)),
        ev.LabSeriesStarted(lab_series_id=series, kind=LAB, hub_id=hub_a,
                            municipality_code="H264", started_on=D(2026, 1, 12)),
        scheduled(s[0], LAB, D(2026, 1, 12), hub_id=hub_a, lab_series_id=series),
        scheduled(s[1], LAB, D(2026, 1, 19), hub_id=hub_a, lab_series_id=series),
        scheduled(s[2], LAB, D(2026, 2, 2), hub_id=hub_a, lab_series_id=series),
        scheduled(s[3], LAB, D(2026, 2, 9), hub_id=hub_a, lab_series_id=series),
        held(s[0], D(2026, 1, 12), 10, 6, 2),
        held(s[1], D(2026, 1, 19), 12, 7, 2),
        held(s[2], D(2026, 2, 2), 9, 5, 1),
        ev.CommunityEventCancelled(community_event_id=s[3], cancelled_on=D(2026, 2, 8),
                                   reason="weather"),
        ev.LabSeriesClosed(lab_series_id=series, closed_on=D(2026, 2, 10), sessions_held=3,
                           distinct_participants=16, distinct_beneficiaries=9,
                           distinct_volunteers=3),
        ev.LabSeriesStarted(lab_series_id=short_series, kind="community_lab",
                            municipality_code="F704", started_on=D(2026, 2, 1)),
        scheduled(single_lab, "community_lab", D(2026, 1, 25)),
        held(single_lab, D(2026, 1, 25), 7, 4, 3),
        scheduled(fair, "public_event", D(2026, 1, 30), co_organising_associations=3),
        held(fair, D(2026, 2, 1), 120, 30, 10),  # postponed into February
        scheduled(talk, "info_session", D(2026, 2, 20)),  # still scheduled
        scheduled(festival, "festival", D(2026, 3, 5)),
        ev.CommunityEventCancelled(community_event_id=festival, cancelled_on=D(2026, 3, 1),
                                   reason="public_health"),
        batch(b1, hub_a, D(2026, 1, 15), ("housing", True, 3), ("housing", False, 5),
              ("work", False, 4),
              known_persons=[{"person_ref": ref(1), "topic": "work", "referred": True},
                             {"person_ref": ref(2), "topic": "documents", "referred": False}]),
        batch(b2, hub_a, D(2026, 1, 16), ("savings", False, 2),
              known_persons=[{"person_ref": ref(1), "topic": "family", "referred": True}]),
        batch(b3, hub_b, D(2026, 2, 3), ("other", True, 1)),
    )  # fmt: skip
    body = await monthly(service, partner_id="p21", **{"from": "2026-01", "to": "2026-03"})
    assert (body["first_month"], body["last_month"]) == ("2026-01", "2026-03")
    rows = {row["month"]: row for row in body["rows"]}
    jan, feb, mar = rows["2026-01"], rows["2026-02"], rows["2026-03"]

    assert [r["events_held"] for r in (jan, feb, mar)] == [3, 2, 0]
    assert jan["events_held_by_kind"] == {LAB: 2, "community_lab": 1}
    assert feb["events_held_by_kind"] == {LAB: 1, "public_event": 1}
    assert mar["events_held_by_kind"] == {}
    assert [r["events_cancelled"] for r in (jan, feb, mar)] == [0, 1, 1]
    assert (jan["participants"], jan["beneficiaries"], jan["volunteers"]) == (29, 17, 7)
    assert (feb["participants"], feb["beneficiaries"], feb["volunteers"]) == (129, 35, 11)
    assert [r["lab_sessions_held"] for r in (jan, feb, mar)] == [3, 1, 0]
    assert [r["lab_session_participants"] for r in (jan, feb, mar)] == [29, 9, 0]
    # January: the series (2 sessions, once) and the single lab; February: the series again
    assert [r["labs_active"] for r in (jan, feb, mar)] == [2, 1, 0]
    # completed: the single lab in January (7 distinct), the series closed in February (16)
    assert [r["labs_completed"] for r in (jan, feb, mar)] == [1, 1, 0]
    assert [r["lab_distinct_participants"] for r in (jan, feb, mar)] == [7, 16, 0]
    # hub_c open in January only; hub_a Jan-Mar (closed 1 March); hub_b from March
    assert [r["hubs_open"] for r in (jan, feb, mar)] == [2, 1, 2]
    assert [r["accesses"] for r in (jan, feb, mar)] == [17, 1, 0]
    assert jan["accesses_by_topic"] == {
        "housing": 8, "work": 5, "documents": 1, "savings": 2, "family": 1,
    }  # fmt: skip
    assert [r["accesses_referred"] for r in (jan, feb, mar)] == [5, 1, 0]
    assert jan["accesses_referred_by_topic"] == {
        "housing": 3,
        "work": 1,
        "documents": 0,
        "savings": 0,
        "family": 1,
    }
    assert feb["accesses_referred_by_topic"] == {"other": 1}
    assert [r["persons_known"] for r in (jan, feb, mar)] == [2, 0, 0]

    # another partner of the directory sees nothing of p21's; the region filter narrows rows
    everyone = await monthly(service, **{"from": "2026-01", "to": "2026-01"})
    assert len(everyone["rows"]) == 43
    others = [r for r in everyone["rows"] if r["partner_id"] != "p21"]
    assert all(r["events_held"] == 0 and r["accesses"] == 0 for r in others)
    narrowed = await monthly(service, region=jan["region"], **{"from": "2026-01", "to": "2026-01"})
    assert {r["region"] for r in narrowed["rows"]} == {jan["region"]}


async def test_a_batch_is_counted_once_even_under_a_new_event_id(projection) -> None:
    """The inbox ignores a redelivered event id; a batch replayed under another event id
    (e.g. re-published) is still counted once, because the batch id keys its rows."""
    service, pool = projection
    hub, batch_id = uuid.uuid4(), uuid.uuid4()
    known = [{"person_ref": ref(7), "topic": "work", "referred": False}]
    event = batch(
        batch_id, hub, D(2026, 4, 2), ("work", True, 6), ("family", False, 2), known_persons=known
    )
    await apply(pool, "p21", event, event, event)
    row = (await monthly(service, partner_id="p21", **{"from": "2026-04", "to": "2026-04"}))[
        "rows"
    ][0]
    assert (row["accesses"], row["accesses_referred"], row["persons_known"]) == (9, 6, 1)
    assert row["accesses_by_topic"] == {"work": 7, "family": 2}


async def test_statements_apply_set_wise_like_one_by_one(projection) -> None:
    """Every event type applied with executemany gives the same rows as one at a time."""
    _, pool = projection
    hubs = [uuid.uuid4() for _ in range(3)]
    series = [uuid.uuid4() for _ in range(2)]
    events = [uuid.uuid4() for _ in range(3)]
    batches = [uuid.uuid4() for _ in range(2)]
    by_type: list[list[DomainEvent]] = [
        [ev.HubOpened(hub_id=h, municipality_code="H264", kind="cafe_hub",
                      opened_on=D(2026, 5, 1)) for h in hubs],
        [ev.HubClosed(hub_id=h, closed_on=D(2026, 6, 1)) for h in hubs[:2]],
        [ev.LabSeriesStarted(lab_series_id=s, kind=LAB, municipality_code="H264",
                             started_on=D(2026, 5, 2)) for s in series],
        [ev.LabSeriesClosed(lab_series_id=s, closed_on=D(2026, 5, 30), sessions_held=0,
                            distinct_participants=0, distinct_beneficiaries=0,
                            distinct_volunteers=0) for s in series],
        [scheduled(e, "public_event", D(2026, 5, 3)) for e in events],
        [held(e, D(2026, 5, 3), 10 + i, i, 1) for i, e in enumerate(events[:2])],
        [ev.CommunityEventCancelled(community_event_id=events[2], cancelled_on=D(2026, 5, 2),
                                    reason="other")],
        [batch(b, hubs[0], D(2026, 5, 4), ("work", False, 3),
               known_persons=[{"person_ref": ref(9), "topic": "work", "referred": True}])
         for b in batches],
    ]  # fmt: skip
    assert {type(group[0]) for group in by_type} == set(ev.EVENTS_EVENTS)
    async with pool.acquire() as conn, conn.transaction():
        for group in by_type:
            await HANDLER.apply_batch(conn, [("p21", e) for e in group])
        for group in by_type:  # the same again: nothing changes
            await HANDLER.apply_batch(conn, [("p21", e) for e in group])
    async with pool.acquire() as conn:
        assert await conn.fetchval(
            "SELECT count(*) FROM events_hubs WHERE partner_id = 'p21' AND closed_on IS NOT NULL"
        ) == 2  # fmt: skip
        assert await conn.fetchval(
            "SELECT count(*) FROM events_lab_series WHERE closed_on = '2026-05-30'"
        ) == 2  # fmt: skip
        statuses = await conn.fetch(
            "SELECT status, participants FROM events_community_events ORDER BY status, participants"
        )
        assert [(r["status"], r["participants"]) for r in statuses] == [
            ("cancelled", None), ("held", 10), ("held", 11),
        ]  # fmt: skip
        assert await conn.fetchval("SELECT sum(accesses) FROM events_access_counts") == 8
        assert await conn.fetchval("SELECT count(*) FROM events_access_persons") == 2


async def test_events_view_is_for_consortium_analysts_only(projection) -> None:
    service, _ = projection
    path = "/v1/events/monthly"
    assert (await service.client.get(path)).status_code == 401
    for headers in (auth_header("p21", "partner_admin"), auth_header("p21", "consortium_analyst")):
        assert (await service.client.get(path, headers=headers)).status_code == 403
    for params in ({"from": "2026-13"}, {"from": "2026-05", "to": "2026-04"}, {"region": "x" * 41},
                   {"partner_id": "21"}):  # fmt: skip
        response = await service.client.get(path, params=params, headers=ANALYST)
        assert response.status_code == 422, params

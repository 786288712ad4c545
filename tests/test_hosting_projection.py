"""The network family-hosting view: exact KPI figures over several months, and its API rules.

Events are applied through the projection's real handler and database (one by
one, and set-wise as the consumer's batches do); the read API is the real app
(consumer off: the pipeline test covers Kafka)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import asyncpg
import pytest
from franoi_common.consumer import Unprocessable
from franoi_common.envelope import Envelope
from franoi_contracts import hosting as ev
from franoi_contracts.base import DomainEvent
from franoi_projection.projectors.handler import HANDLER

from tests.support import (
    ANALYST,
    BAD_VIEW_PARAMS,
    RunningService,
    auth_header,
    envelope_of,
    kafka_settings,
    monthly_view,
    projection_only,
)

D = dt.date
PERSON = {"sex": "female", "age_band": "25-34", "protection_status": "refugee"}
PARTNER = "p19"


def ref(n: int) -> str:
    return f"{n:064x}"


def envelope(partner: str, event: DomainEvent) -> Envelope:
    return envelope_of(partner, "hosting", event)


async def apply(pool: asyncpg.Pool, *events: DomainEvent) -> None:
    for event in events:
        async with pool.acquire() as conn, conn.transaction():
            await HANDLER.apply_one(conn, envelope_of(PARTNER, "hosting", event))


@pytest.fixture
async def projection(databases, kafka_bootstrap, kafka_idempotent):
    kafka = kafka_settings(kafka_bootstrap, kafka_idempotent)
    async with projection_only(databases, kafka, [PARTNER]) as served:
        yield served


async def monthly(service: RunningService, **params: str) -> dict[str, Any]:
    return await monthly_view(service, "hosting", **params)


def family(fid: uuid.UUID, applied_on: dt.date, rooms: int = 2) -> ev.FamilyApplied:
    return ev.FamilyApplied(
        family_id=fid, municipality_code="F205", rooms_offered=rooms, household_size=3,
        languages=["it", "en"], applied_on=applied_on,
    )  # fmt: skip


def started(i: int, fid: uuid.UUID, sid: uuid.UUID, on: dt.date, request=None) -> ev.StayStarted:
    return ev.StayStarted(
        stay_id=sid, match_id=uuid.uuid4(), family_id=fid, request_id=request,
        person_ref=ref(i), started_on=on, planned_months=6,
        planned_end_on=on + dt.timedelta(days=180), monthly_contribution_eur=300, **PERSON,
    )  # fmt: skip


async def test_monthly_hosting_figures(projection) -> None:
    service, pool = projection
    f1, f2, f3 = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    r = [uuid.uuid4() for _ in range(5)]
    m = [uuid.uuid4() for _ in range(3)]
    s1, s2 = uuid.uuid4(), uuid.uuid4()
    await apply(
        pool,
        family(f1, D(2026, 9, 2)), family(f2, D(2026, 9, 5)), family(f3, D(2026, 10, 1)),
        ev.FamilyAssessed(family_id=f1, interview_on=D(2026, 9, 8), home_visit_on=D(2026, 9, 9)),
        ev.FamilyApproved(family_id=f1, approved_on=D(2026, 9, 10)),
        ev.FamilyAssessed(family_id=f2, interview_on=D(2026, 9, 8), home_visit_on=D(2026, 9, 9)),
        ev.FamilyApproved(family_id=f2, approved_on=D(2026, 10, 3)),
        ev.FamilyRejected(family_id=f3, rejected_on=D(2026, 10, 20), reason="home_unsuitable"),
        ev.FamilyUpdated(family_id=f1, rooms_offered=3, household_size=4, languages=["it"]),
        # f2 pauses in October and resumes in November: not active at October's end
        ev.FamilyPaused(family_id=f2, paused_on=D(2026, 10, 15)),
        ev.FamilyResumed(family_id=f2, resumed_on=D(2026, 11, 2)),
        *[ev.RequestSubmitted(request_id=r[i], person_ref=ref(i), kind="hosting",
                              household_size=1, submitted_on=D(2026, 9, 12), **PERSON)
          for i in range(3)],
        ev.RequestSubmitted(request_id=r[3], person_ref=ref(3), kind="childcare",
                            household_size=3, submitted_on=D(2026, 9, 14), **PERSON),
        ev.RequestSubmitted(request_id=r[4], person_ref=ref(4), kind="school_support",
                            household_size=2, submitted_on=D(2026, 10, 1), **PERSON),
        ev.MatchProposed(match_id=m[0], family_id=f1, request_id=r[0], person_ref=ref(0),
                         proposed_on=D(2026, 9, 15)),
        ev.MatchProposed(match_id=m[1], family_id=f1, request_id=r[1], person_ref=ref(1),
                         proposed_on=D(2026, 9, 15)),
        ev.MatchProposed(match_id=m[2], family_id=f2, person_ref=ref(2),
                         proposed_on=D(2026, 11, 3)),
        ev.MatchAccepted(match_id=m[0], family_id=f1, accepted_on=D(2026, 9, 20)),
        ev.MatchDeclined(match_id=m[1], family_id=f1, declined_on=D(2026, 9, 21),
                         declined_by="guest"),
        ev.MatchAccepted(match_id=m[2], family_id=f2, accepted_on=D(2026, 11, 4)),
        ev.MatchCancelled(match_id=m[2], family_id=f2, cancelled_on=D(2026, 11, 6),
                          cancelled_by="family"),
        started(0, f1, s1, D(2026, 10, 1), r[0]),
        ev.RequestSatisfied(request_id=r[0], closed_on=D(2026, 10, 1), stay_id=s1),
        ev.RequestSatisfied(request_id=r[3], closed_on=D(2026, 9, 30)),
        ev.RequestUnsatisfied(request_id=r[1], closed_on=D(2026, 10, 5),
                              reason="no_family_available"),
        ev.RequestWithdrawn(request_id=r[2], closed_on=D(2026, 10, 6)),
        ev.StayExtended(stay_id=s1, planned_months=9, planned_end_on=D(2027, 7, 1)),
        ev.StayVisitRecorded(stay_id=s1, visit_id=uuid.uuid4(), family_id=f1,
                             visited_on=D(2026, 10, 20), guest_wellbeing=4, family_wellbeing=2,
                             flags=["conflict"]),
        started(5, f1, s2, D(2026, 10, 10)),
        ev.StayEnded(stay_id=s1, family_id=f1, ended_on=D(2026, 11, 30),
                     outcome="completed_with_autonomy"),
        ev.StayEnded(stay_id=s2, family_id=f1, ended_on=D(2026, 10, 31),
                     outcome="interrupted_by_guest"),
    )  # fmt: skip
    body = await monthly(service, partner_id=PARTNER, **{"from": "2026-09", "to": "2026-11"})
    assert (body["first_month"], body["last_month"]) == ("2026-09", "2026-11")
    sep, oct_, nov = (row for row in body["rows"])
    assert [x["month"] for x in (sep, oct_, nov)] == ["2026-09", "2026-10", "2026-11"]
    assert [x["families_applied"] for x in (sep, oct_, nov)] == [2, 1, 0]
    assert [x["families_approved"] for x in (sep, oct_, nov)] == [1, 1, 0]
    # Sep: f1; Oct: f1 (f2 paused at month end); Nov: f1 and f2 (resumed)
    assert [x["families_active"] for x in (sep, oct_, nov)] == [1, 1, 2]
    assert [x["requests_submitted"] for x in (sep, oct_, nov)] == [4, 1, 0]
    assert sep["requests_submitted_by_kind"] == {"hosting": 3, "childcare": 1}
    assert oct_["requests_submitted_by_kind"] == {"school_support": 1}
    # September's requests: r0 (by a stay) and r3 (childcare) satisfied of 4 submitted
    assert sep["requests_satisfaction"] == {"numerator": 2, "denominator": 4, "rate": 0.5}
    assert oct_["requests_satisfaction"] == {"numerator": 0, "denominator": 1, "rate": 0.0}
    assert nov["requests_satisfaction"] == {"numerator": 0, "denominator": 0, "rate": None}
    assert [x["requests_satisfied"] for x in (sep, oct_, nov)] == [1, 1, 0]
    assert [x["requests_unsatisfied"] for x in (sep, oct_, nov)] == [0, 1, 0]
    assert [x["matches_proposed"] for x in (sep, oct_, nov)] == [2, 0, 1]
    assert [x["matches_accepted"] for x in (sep, oct_, nov)] == [1, 0, 1]
    assert [x["stays_started"] for x in (sep, oct_, nov)] == [0, 2, 0]
    assert [x["stays_active"] for x in (sep, oct_, nov)] == [0, 2, 1]
    assert oct_["stays_ended_by_outcome"] == {"interrupted_by_guest": 1}
    assert nov["stays_ended_by_outcome"] == {"completed_with_autonomy": 1}
    # one stay visited: too few for an average
    assert oct_["wellbeing"] == {"stays_visited": 1, "guest_average": None, "family_average": None}
    assert sep["wellbeing"]["stays_visited"] == 0

    # every partner of the directory gets a row; the region filter narrows them
    everyone = await monthly(service, **{"from": "2026-11", "to": "2026-11"})
    assert len(everyone["rows"]) == 43
    assert sum(row["families_active"] for row in everyone["rows"]) == 2
    region = sep["region"]
    narrowed = await monthly(service, region=region, **{"from": "2026-11", "to": "2026-11"})
    assert {row["region"] for row in narrowed["rows"]} == {region}
    assert PARTNER in {row["partner_id"] for row in narrowed["rows"]}


async def test_average_wellbeing_from_five_stays_weighing_each_stay_once(projection) -> None:
    service, pool = projection
    fid = uuid.uuid4()
    stays = [uuid.uuid4() for _ in range(5)]
    events: list[DomainEvent] = [family(fid, D(2027, 1, 2), rooms=5)]
    events += [started(i, fid, sid, D(2027, 1, 5)) for i, sid in enumerate(stays)]

    def visit(sid: uuid.UUID, day: int, guest: int, fam: int) -> ev.StayVisitRecorded:
        return ev.StayVisitRecorded(
            stay_id=sid, visit_id=uuid.uuid4(), family_id=fid, visited_on=D(2027, 2, day),
            guest_wellbeing=guest, family_wellbeing=fam,
        )  # fmt: skip

    # four stays visited in February: no average yet
    events += [visit(sid, 10, 4, 3) for sid in stays[:4]]
    await apply(pool, *events)
    feb = await monthly(service, partner_id=PARTNER, **{"from": "2027-02", "to": "2027-02"})
    assert feb["rows"][0]["wellbeing"] == {
        "stays_visited": 4, "guest_average": None, "family_average": None,
    }  # fmt: skip
    # the fifth stay, visited twice (1 and 3: its mean 2 counts once)
    await apply(pool, visit(stays[4], 11, 1, 5), visit(stays[4], 20, 3, 5))
    feb = await monthly(service, partner_id=PARTNER, **{"from": "2027-02", "to": "2027-02"})
    # guest: (4 + 4 + 4 + 4 + 2) / 5 = 3.6; family: (3 * 4 + 5) / 5 = 3.4
    assert feb["rows"][0]["wellbeing"] == {
        "stays_visited": 5, "guest_average": 3.6, "family_average": 3.4,
    }  # fmt: skip


async def test_batches_of_one_type_apply_set_wise_in_any_order(projection) -> None:
    """The consumer may apply many events of one type with executemany; different
    aggregates may arrive in any order (here: a family's approval before its application
    of another family, stays' visits batched together)."""
    service, pool = projection
    families = [uuid.uuid4() for _ in range(3)]
    applied = [family(fid, D(2027, 3, 1 + i)) for i, fid in enumerate(families)]
    approved = [ev.FamilyApproved(family_id=fid, approved_on=D(2027, 3, 10)) for fid in families]
    paused = [ev.FamilyPaused(family_id=fid, paused_on=D(2027, 3, 20)) for fid in families[:2]]
    resumed = [ev.FamilyResumed(family_id=families[0], resumed_on=D(2027, 3, 25))]
    async with pool.acquire() as conn, conn.transaction():
        for batch in (applied, approved, paused, resumed, paused):  # paused again: redelivery
            await HANDLER.apply_batch(conn, [(PARTNER, e) for e in batch])
    body = await monthly(service, partner_id=PARTNER, **{"from": "2027-03", "to": "2027-03"})
    row = body["rows"][0]
    assert (row["families_applied"], row["families_approved"], row["families_active"]) == (3, 3, 2)


@pytest.mark.parametrize("params", BAD_VIEW_PARAMS)
async def test_bad_periods_are_refused_clearly(projection, params) -> None:
    service, _ = projection
    response = await service.client.get("/v1/hosting/monthly", params=params, headers=ANALYST)
    assert response.status_code == 422
    assert "detail" in response.json()


async def test_only_consortium_analysts_read_the_hosting_view(projection) -> None:
    service, _ = projection
    path = "/v1/hosting/monthly"
    assert (await service.client.get(path)).status_code == 401
    for partner_token in (
        auth_header(PARTNER, "partner_admin"),
        auth_header(PARTNER, "social_worker"),
        auth_header(PARTNER, "consortium_analyst"),
        auth_header("consortium", "integrator"),
    ):
        assert (await service.client.get(path, headers=partner_token)).status_code == 403
    assert (await service.client.get(path, headers=ANALYST)).status_code == 200


async def test_unknown_hosting_types_and_partners_are_unprocessable(projection) -> None:
    """The consumer dead-letters (and counts) what it cannot apply; here, the handler's
    verdict: an unknown type, an unknown partner, a subject that is not the aggregate."""
    _, pool = projection
    applied = family(uuid.uuid4(), D(2027, 5, 1))
    unknown_type = Envelope(**{**envelope(PARTNER, applied).__dict__,
                               "type": "it.franoi.hosting.family.adopted.v1"})  # fmt: skip
    wrong_subject = Envelope(**{**envelope(PARTNER, applied).__dict__,
                                "subject": str(uuid.uuid4())})  # fmt: skip
    for bad, reason in (
        (unknown_type, "unknown event type"),
        (envelope("p99", applied), "unknown partner"),
        (wrong_subject, "ce_subject"),
    ):
        async with pool.acquire() as conn, conn.transaction():
            with pytest.raises(Unprocessable, match=reason):
                await HANDLER.apply_one(conn, bad)
    assert await pool.fetchval("SELECT count(*) FROM hosting_families") == 0

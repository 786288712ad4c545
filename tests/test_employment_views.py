"""The network employment view: exact figures over several months, set-wise application,
and its access rules.

Events go through the projection's real handler (and its batch path) into the real
database; the read API is the real app (consumer off: the pipeline tests cover Kafka)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from typing import Any

import asyncpg
import pytest
from franoi_common.consumer import Unprocessable
from franoi_common.envelope import Envelope
from franoi_contracts import employment as ev
from franoi_contracts.base import DomainEvent
from franoi_projection.projectors.handler import HANDLER
from franoi_projection.projectors.handler import PROJECTION as STATEMENTS

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
COARSE = {"sex": "male", "age_band": "18-24", "protection_status": "subsidiary_protection"}
PARTNER = "p19"


def ref(n: int) -> str:
    return f"{n + 0xE0:064x}"


A, B, C = ref(1), ref(2), ref(3)


def envelope(partner: str, event: DomainEvent) -> Envelope:
    return envelope_of(partner, "employment", event)


async def apply(pool: asyncpg.Pool, partner: str, *events: DomainEvent) -> None:
    for event in events:
        async with pool.acquire() as conn, conn.transaction():
            await HANDLER.apply_one(conn, envelope_of(partner, "employment", event))


@pytest.fixture
async def projection(databases, kafka_bootstrap, kafka_idempotent):
    kafka = kafka_settings(kafka_bootstrap, kafka_idempotent)
    async with projection_only(databases, kafka, [PARTNER]) as served:
        yield served


async def monthly(service: RunningService, **params: str) -> dict[str, Any]:
    return await monthly_view(service, "employment", **params)


def scenario() -> list[DomainEvent]:
    """Three persons over September to November 2026, in one valid order."""
    g = [uuid.uuid4() for _ in range(4)]
    e = [uuid.uuid4() for _ in range(2)]
    i = [uuid.uuid4() for _ in range(3)]
    h = [uuid.uuid4() for _ in range(3)]
    agreement = uuid.uuid4()

    def consultation(person: str, day: dt.date, topic: str) -> ev.ConsultationRecorded:
        return ev.ConsultationRecorded(
            consultation_id=uuid.uuid4(), person_ref=person, held_on=day, topic=topic,
            minutes=40, worker_role="job_counsellor", **COARSE,
        )  # fmt: skip

    return [
        consultation(A, D(2026, 9, 2), "orientation"),
        consultation(A, D(2026, 9, 9), "job_search"),
        consultation(B, D(2026, 9, 30), "savings_and_financial_education"),
        consultation(C, D(2026, 10, 1), "cv_and_applications"),
        ev.GroupActivityScheduled(group_activity_id=g[0], kind="orientation_group",
                                  scheduled_on=D(2026, 9, 15)),
        ev.GroupActivityHeld(group_activity_id=g[0], kind="orientation_group",
                             held_on=D(2026, 9, 15), registered_attendees=[A, B],
                             anonymous_attendees=3),
        ev.GroupActivityScheduled(group_activity_id=g[1], kind="school_session",
                                  scheduled_on=D(2026, 10, 5)),
        ev.GroupActivityHeld(group_activity_id=g[1], kind="school_session",
                             held_on=D(2026, 10, 5), registered_attendees=[],
                             anonymous_attendees=25),
        ev.GroupActivityScheduled(group_activity_id=g[2], kind="financial_education_path",
                                  scheduled_on=D(2026, 10, 7)),
        ev.GroupActivityCancelled(group_activity_id=g[2], cancelled_on=D(2026, 10, 6)),
        ev.GroupActivityScheduled(group_activity_id=g[3], kind="orientation_group",
                                  scheduled_on=D(2026, 11, 7)),
        ev.SkillsProfileAssessed(skills_profile_id=uuid.uuid4(), version=1, person_ref=A,
                                 assessed_on=D(2026, 9, 2), education_level="lower_secondary",
                                 italian_level="a2", italian_assessed_on=D(2026, 8, 1),
                                 other_languages=["en"], prior_sectors=["A"],
                                 driving_licence="none"),
        ev.CompanyAgreementSigned(company_agreement_id=agreement, sector="I", places_offered=4,
                                  signed_on=D(2026, 8, 1)),
        ev.EnrolmentStarted(enrolment_id=e[0], person_ref=A, course_kind="safety_certificate",
                            hours=16, starts_on=D(2026, 9, 1), ends_on=D(2026, 10, 10), **COARSE),
        ev.EnrolmentCompleted(enrolment_id=e[0], completed_on=D(2026, 10, 10)),
        ev.EnrolmentStarted(enrolment_id=e[1], person_ref=B, course_kind="italian_language",
                            hours=60, starts_on=D(2026, 9, 20), ends_on=D(2026, 12, 20),
                            **COARSE),
        ev.EnrolmentDropped(enrolment_id=e[1], dropped_on=D(2026, 9, 25)),
        ev.InternshipStarted(internship_id=i[0], person_ref=A, company_agreement_id=agreement,
                             sector="I", started_on=D(2026, 9, 1), planned_end_on=D(2026, 10, 15),
                             monthly_stipend_eur=500, stipend_paid_by="project", **COARSE),
        ev.InternshipExtended(internship_id=i[0], planned_end_on=D(2026, 10, 31)),
        ev.InternshipEnded(internship_id=i[0], ended_on=D(2026, 10, 31)),
        ev.InternshipOutcomeRecorded(internship_id=i[0], outcome="hired",
                                     ended_on=D(2026, 10, 31), recorded_on=D(2026, 11, 2)),
        ev.InternshipStarted(internship_id=i[1], person_ref=B, company_agreement_id=agreement,
                             sector="I", started_on=D(2026, 10, 1), planned_end_on=D(2027, 3, 31),
                             monthly_stipend_eur=600, stipend_paid_by="shared", **COARSE),
        ev.InternshipEnded(internship_id=i[1], ended_on=D(2026, 10, 15)),
        ev.InternshipStarted(internship_id=i[2], person_ref=C, company_agreement_id=agreement,
                             sector="I", started_on=D(2026, 11, 1), planned_end_on=D(2027, 1, 31),
                             monthly_stipend_eur=450, stipend_paid_by="public_programme",
                             **COARSE),
        ev.HireRecorded(hire_id=h[0], person_ref=A, company_agreement_id=agreement,
                        internship_id=i[0], sector="I", contract_type="fixed_term",
                        weekly_hours=30, started_on=D(2026, 11, 3), ends_on=D(2026, 11, 19),
                        **COARSE),
        ev.HireEnded(hire_id=h[0], ended_on=D(2026, 11, 19), reason="contract_expired"),
        ev.HireRecorded(hire_id=h[1], person_ref=A, sector="I", contract_type="permanent",
                        weekly_hours=38, started_on=D(2026, 11, 20), **COARSE),
        ev.HireRecorded(hire_id=h[2], person_ref=B, sector="N", contract_type="agency",
                        weekly_hours=20, started_on=D(2026, 10, 20), **COARSE),
        ev.CompanyAgreementEnded(company_agreement_id=agreement, ended_on=D(2026, 12, 31)),
    ]  # fmt: skip


EXPECTED = {
    "2026-09": {
        "consultations": 3,
        "consultations_by_topic": {
            "orientation": 1, "job_search": 1, "savings_and_financial_education": 1,
        },
        "persons_consulted": 2,
        "group_activities_held_by_kind": {"orientation_group": 1},
        "participants_by_kind": {"orientation_group": 5},
        "training_enrolments": 2, "training_completions": 0, "training_dropouts": 1,
        "internships_started": 1, "internships_ended_by_outcome": {},
        "hires": 0, "hires_by_contract_type": {}, "hires_after_internship": 0,
        "persons_hired": 0,
    },
    "2026-10": {
        "consultations": 1,
        "consultations_by_topic": {"cv_and_applications": 1},
        "persons_consulted": 1,
        "group_activities_held_by_kind": {"school_session": 1},
        "participants_by_kind": {"school_session": 25},
        "training_enrolments": 0, "training_completions": 1, "training_dropouts": 0,
        "internships_started": 1,
        # A's ended on 31 Oct (outcome hired); B's ended on 15 Oct, outcome not recorded yet
        "internships_ended_by_outcome": {"hired": 1, "pending": 1},
        "hires": 1, "hires_by_contract_type": {"agency": 1}, "hires_after_internship": 0,
        "persons_hired": 1,
    },
    "2026-11": {
        "consultations": 0, "consultations_by_topic": {}, "persons_consulted": 0,
        "group_activities_held_by_kind": {}, "participants_by_kind": {},
        "training_enrolments": 0, "training_completions": 0, "training_dropouts": 0,
        "internships_started": 1, "internships_ended_by_outcome": {},
        # A was hired twice in November: two hires, one person
        "hires": 2, "hires_by_contract_type": {"fixed_term": 1, "permanent": 1},
        "hires_after_internship": 1, "persons_hired": 1,
    },
}  # fmt: skip


def figures(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    rows = [r for r in body["rows"] if r["partner_id"] == PARTNER]
    return {
        r["month"]: {k: v for k, v in r.items() if k not in ("partner_id", "region", "month")}
        for r in rows
    }


async def test_monthly_employment_figures(projection) -> None:
    service, pool = projection
    events = scenario()
    await apply(pool, PARTNER, *events)
    period = {"from": "2026-09", "to": "2026-11"}
    body = await monthly(service, partner_id=PARTNER, **period)
    assert (body["first_month"], body["last_month"]) == ("2026-09", "2026-11")
    assert figures(body) == EXPECTED
    # counts only, never a person
    assert all(person not in str(body) for person in (A, B, C))

    # every partner of the directory gets a row; the region filter narrows them
    everyone = await monthly(service, **{"from": "2026-11", "to": "2026-11"})
    assert len(everyone["rows"]) == 43
    region = body["rows"][0]["region"]
    narrowed = await monthly(service, region=region, **{"from": "2026-11", "to": "2026-11"})
    assert {row["region"] for row in narrowed["rows"]} == {region}
    assert PARTNER in {row["partner_id"] for row in narrowed["rows"]}
    other = next(r for r in everyone["rows"] if r["partner_id"] != PARTNER)
    assert (other["hires"], other["consultations"]) == (0, 0)

    # pseudonymous journeys are kept: who attended the orientation group
    async with pool.acquire() as conn:
        attendees = await conn.fetch(
            "SELECT person_ref FROM employment_group_attendees WHERE partner_id = $1", PARTNER
        )
        agreements = await conn.fetch(
            "SELECT sector, ended_on FROM employment_company_agreements WHERE partner_id = $1",
            PARTNER,
        )
    assert sorted(r["person_ref"] for r in attendees) == sorted([A, B])
    assert [tuple(r) for r in agreements] == [("I", D(2026, 12, 31))]


async def test_set_wise_application_in_any_order_between_aggregates(projection) -> None:
    """Applied by type with executemany (the consumer's batch path), each aggregate's own
    events still in order, then everything once more: the same figures."""
    service, pool = projection
    events = scenario()
    by_type: dict[type[DomainEvent], list[DomainEvent]] = defaultdict(list)
    for event in events:
        by_type[type(event)].append(event)
    # contract order keeps each aggregate's events in order (started before ended...)
    for _ in range(2):
        for cls in ev.EMPLOYMENT_EVENTS:
            async with pool.acquire() as conn, conn.transaction():
                await HANDLER.apply_batch(conn, [(PARTNER, e) for e in by_type[cls]])
    body = await monthly(service, partner_id=PARTNER, **{"from": "2026-09", "to": "2026-11"})
    assert figures(body) == EXPECTED


async def test_every_employment_event_type_is_projected() -> None:
    assert set(ev.EMPLOYMENT_EVENTS) <= set(STATEMENTS)
    assert {type(e) for e in scenario()} == set(ev.EMPLOYMENT_EVENTS)


async def test_unknown_employment_events_and_partners_are_unprocessable(projection) -> None:
    _, pool = projection
    event = ev.CompanyAgreementSigned(
        company_agreement_id=uuid.uuid4(), sector="C", places_offered=1, signed_on=D(2026, 1, 1)
    )
    with pytest.raises(Unprocessable, match="unknown partner"):
        await apply(pool, "p99", event)
    unknown = Envelope(
        **{**envelope(PARTNER, event).__dict__, "type": "it.franoi.employment.hire.painted.v1"}
    )
    async with pool.acquire() as conn, conn.transaction():
        with pytest.raises(Unprocessable, match="unknown event type"):
            await HANDLER.apply_one(conn, unknown)


@pytest.mark.parametrize("params", BAD_VIEW_PARAMS)
async def test_bad_periods_are_refused(projection, params) -> None:
    service, _ = projection
    response = await service.client.get("/v1/employment/monthly", params=params, headers=ANALYST)
    assert response.status_code == 422
    assert "detail" in response.json()


async def test_only_consortium_analysts_read_the_employment_view(projection) -> None:
    service, _ = projection
    path = "/v1/employment/monthly"
    assert (await service.client.get(path)).status_code == 401
    for header in (
        auth_header(PARTNER, "partner_admin"),
        auth_header(PARTNER, "consortium_analyst"),
    ):
        assert (await service.client.get(path, headers=header)).status_code == 403
    assert (await service.client.get(path, headers=ANALYST)).status_code == 200

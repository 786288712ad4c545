"""Pseudonymous journeys on the real database: a generated history of persons followed by
several partners on every axis (cases, housing, employment, hosting, events), applied with
topics interleaved in any order, one by one and set-wise, with duplicates, corrections
(a registration and a plan re-sent under a corrected reference, an internship's end
corrected), cancellations and an erasure at one of a person's two partners. Every outcome
indicator equals a recount written here from the generated facts; the SQL journeys equal
the domain rules person by person; the summary API and the key numbers show them."""

from __future__ import annotations

import datetime as dt
import random
import statistics
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import pytest
from franoi_common.db import create_pool
from franoi_contracts import cases, employment, events, hosting, housing
from franoi_contracts.base import DomainEvent
from franoi_projection.bootstrap import DEFINITION as PROJECTION
from franoi_projection.domain.journeys import Kind, Step, outcomes
from franoi_projection.projectors.handler import HANDLER

from tests.support import (
    ANALYST,
    RunningService,
    auth_header,
    kafka_settings,
    running,
    set_wise_batches,
)
from tests.test_network_views import envelope

D = dt.date
PARTNERS = ["p01", "p02", "p05", "p11", "p20"]
FIRST, LAST = D(2023, 1, 1), D(2025, 12, 31)
UNTIL = D(2026, 12, 31)
PERSON = {"sex": "female", "age_band": "25-34", "protection_status": "refugee"}
HOUSING_EXITS = ["autonomous_rent", "public_housing", "other_project", "back_to_reception"]
STAY_OUTCOMES = ["completed_with_autonomy", "completed_otherwise", "interrupted_by_guest"]
PLAN_OUTCOMES = ["completed_autonomy_reached", "completed_partly", "transferred"]
NEEDS = ["exit_from_reception", "eviction_risk", "homeless"]


def new_ref(rng: random.Random) -> str:
    return f"{rng.getrandbits(256):064x}"


def day(rng: random.Random, low: dt.date, span: int) -> dt.date:
    return min(LAST, low + dt.timedelta(days=rng.randint(0, span)))


@dataclass(frozen=True)
class Record:
    """One step of a person's journey as the test knows it (its own oracle)."""

    partner: str
    axis: str
    kind: str
    on: dt.date
    until: dt.date | None = None
    detail: str | None = None


@dataclass
class History:
    """The aggregates (each a list of (partner, domain, event) in its order) and, per
    aggregate, the journey records it finally leaves, under the person they belong to."""

    aggregates: list[list[tuple[str, str, DomainEvent]]] = field(default_factory=list)
    records: dict[Any, tuple[str, list[Record]]] = field(default_factory=dict)
    erased: str = ""
    erased_at: str = ""

    def add(
        self, key: Any, ref: str, records: list[Record], events: list[tuple[str, str, DomainEvent]]
    ) -> None:
        self.aggregates.append(events)
        self.records[key] = (ref, records)

    def journeys(self) -> dict[str, list[Record]]:
        result: dict[str, list[Record]] = {}
        for ref, records in self.records.values():
            result.setdefault(ref, []).extend(records)
        return result


def person_history(rng: random.Random, h: History, ref: str, partners: list[str]) -> None:
    """One person's records at one or more partners."""
    start = day(rng, FIRST, 700)
    for partner in partners:
        if rng.random() < 0.6:  # cases: registration and a plan
            person_id = uuid.uuid4()
            registered = day(rng, start, 60)
            registration = [
                (
                    partner,
                    "cases",
                    cases.PersonRegistered(
                        person_id=person_id, person_ref=ref, registered_on=registered, **PERSON
                    ),
                )
            ]
            if rng.random() < 0.15:  # first registered under a wrong reference, then corrected
                wrong = cases.PersonRegistered(
                    person_id=person_id, person_ref=new_ref(rng), registered_on=registered, **PERSON
                )
                registration.insert(0, (partner, "cases", wrong))
            h.add(
                ("person", partner, person_id),
                ref,
                [Record(partner, "cases", "contact", registered)],
                registration,
            )
            if rng.random() < 0.7:
                plan_id = uuid.uuid4()
                opened = day(rng, registered, 90)
                plan_events: list[tuple[str, str, DomainEvent]] = []
                if rng.random() < 0.15:  # a plan opened under a wrong reference, re-sent
                    plan_events.append(
                        (
                            partner,
                            "cases",
                            cases.PlanOpened(
                                plan_id=plan_id,
                                person_ref=new_ref(rng),
                                opened_on=opened,
                                axes=["housing"],
                                planned_months=12,
                            ),
                        )
                    )
                plan_events.append(
                    (
                        partner,
                        "cases",
                        cases.PlanOpened(
                            plan_id=plan_id,
                            person_ref=ref,
                            opened_on=opened,
                            axes=["housing", "work"],
                            planned_months=12,
                        ),
                    )
                )
                records = [Record(partner, "cases", "contact", opened)]
                if rng.random() < 0.6:
                    closed = day(rng, opened, 400)
                    outcome = rng.choice(PLAN_OUTCOMES)
                    plan_events.append(
                        (
                            partner,
                            "cases",
                            cases.PlanClosed(plan_id=plan_id, closed_on=closed, outcome=outcome),
                        )
                    )
                    records.append(Record(partner, "cases", "plan_closed", closed, detail=outcome))
                h.add(("plan", partner, plan_id), ref, records, plan_events)
        if rng.random() < 0.55:  # housing: a request, a placement, its end
            request_id = uuid.uuid4()
            submitted = day(rng, start, 200)
            need = rng.choice(NEEDS)
            request_events: list[tuple[str, str, DomainEvent]] = [
                (
                    partner,
                    "housing",
                    housing.RequestSubmitted(
                        request_id=request_id,
                        person_ref=ref,
                        household_size=2,
                        need=need,
                        submitted_on=submitted,
                        **PERSON,
                    ),
                )
            ]
            if rng.random() < 0.2:  # a cancellation: the request withdrawn
                request_events.append(
                    (
                        partner,
                        "housing",
                        housing.RequestWithdrawn(
                            request_id=request_id, closed_on=day(rng, submitted, 30)
                        ),
                    )
                )
            h.add(
                ("hrequest", partner, request_id),
                ref,
                [
                    Record(partner, "housing", "contact", submitted),
                    Record(partner, "housing", "request", submitted, detail=need),
                ],
                request_events,
            )
            if rng.random() < 0.75:
                placement_id, unit_id = uuid.uuid4(), uuid.uuid4()
                started = day(rng, submitted, 60)
                placement = [
                    (
                        partner,
                        "housing",
                        housing.PlacementStarted(
                            placement_id=placement_id,
                            unit_id=unit_id,
                            person_ref=ref,
                            household_size=2,
                            started_on=started,
                            **PERSON,
                        ),
                    )
                ]
                records = [Record(partner, "housing", "contact", started)]
                if rng.random() < 0.75:
                    ended = day(rng, started, 300)
                    exit_outcome = rng.choice(HOUSING_EXITS)
                    placement.append(
                        (
                            partner,
                            "housing",
                            housing.PlacementEnded(
                                placement_id=placement_id,
                                unit_id=unit_id,
                                ended_on=ended,
                                exit_outcome=exit_outcome,
                            ),
                        )
                    )
                    records.append(
                        Record(partner, "housing", "placement_ended", ended, detail=exit_outcome)
                    )
                h.add(("placement", partner, placement_id), ref, records, placement)
        if rng.random() < 0.6:  # employment: a consultation, an internship, hires
            consultation_id = uuid.uuid4()
            held = day(rng, start, 120)
            h.add(
                ("consultation", partner, consultation_id),
                ref,
                [Record(partner, "employment", "contact", held)],
                [
                    (
                        partner,
                        "employment",
                        employment.ConsultationRecorded(
                            consultation_id=consultation_id,
                            person_ref=ref,
                            held_on=held,
                            topic="job_search",
                            minutes=45,
                            worker_role="job_counsellor",
                            **PERSON,
                        ),
                    )
                ],
            )
            after = held
            if rng.random() < 0.5:
                internship_id = uuid.uuid4()
                started = day(rng, held, 60)
                internship = [
                    (
                        partner,
                        "employment",
                        employment.InternshipStarted(
                            internship_id=internship_id,
                            person_ref=ref,
                            company_agreement_id=uuid.uuid4(),
                            sector="C",
                            started_on=started,
                            planned_end_on=started + dt.timedelta(days=180),
                            monthly_stipend_eur=500,
                            stipend_paid_by="project",
                            **PERSON,
                        ),
                    )
                ]
                records = [Record(partner, "employment", "contact", started)]
                if rng.random() < 0.8:
                    ended = day(rng, started + dt.timedelta(days=1), 200)
                    internship.append(
                        (
                            partner,
                            "employment",
                            employment.InternshipEnded(internship_id=internship_id, ended_on=ended),
                        )
                    )
                    if rng.random() < 0.6:  # the outcome, sometimes correcting the end
                        if rng.random() < 0.4:
                            ended = ended + dt.timedelta(days=rng.randint(-20, 40))
                            ended = max(ended, started)
                        internship.append(
                            (
                                partner,
                                "employment",
                                employment.InternshipOutcomeRecorded(
                                    internship_id=internship_id,
                                    outcome="not_hired",
                                    ended_on=ended,
                                    recorded_on=ended,
                                ),
                            )
                        )
                    records.append(Record(partner, "employment", "internship_ended", ended))
                    after = ended
                h.add(("internship", partner, internship_id), ref, records, internship)
            for _ in range(rng.choice([0, 1, 1, 2])):
                hire_id = uuid.uuid4()
                started = day(rng, after, 300)
                ends_on = (
                    started + dt.timedelta(days=rng.randint(30, 400))
                    if rng.random() < 0.4
                    else None
                )
                hire = [
                    (
                        partner,
                        "employment",
                        employment.HireRecorded(
                            hire_id=hire_id,
                            person_ref=ref,
                            sector="C",
                            contract_type="fixed_term" if ends_on else "permanent",
                            weekly_hours=30,
                            started_on=started,
                            ends_on=ends_on,
                            **PERSON,
                        ),
                    )
                ]
                until = ends_on
                if rng.random() < 0.35:
                    until = day(rng, started, 250)
                    hire.append(
                        (
                            partner,
                            "employment",
                            employment.HireEnded(
                                hire_id=hire_id, ended_on=until, reason="resigned"
                            ),
                        )
                    )
                h.add(
                    ("hire", partner, hire_id),
                    ref,
                    [Record(partner, "employment", "hire", started, until)],
                    hire,
                )
                after = started
        if rng.random() < 0.3:  # hosting: a request and a stay
            request_id = uuid.uuid4()
            submitted = day(rng, start, 200)
            h.add(
                ("hrequest2", partner, request_id),
                ref,
                [Record(partner, "hosting", "contact", submitted)],
                [
                    (
                        partner,
                        "hosting",
                        hosting.RequestSubmitted(
                            request_id=request_id,
                            person_ref=ref,
                            kind="hosting",
                            household_size=1,
                            submitted_on=submitted,
                            **PERSON,
                        ),
                    )
                ],
            )
            if rng.random() < 0.7:
                stay_id, family_id = uuid.uuid4(), uuid.uuid4()
                started = day(rng, submitted, 60)
                stay = [
                    (
                        partner,
                        "hosting",
                        hosting.StayStarted(
                            stay_id=stay_id,
                            match_id=uuid.uuid4(),
                            family_id=family_id,
                            person_ref=ref,
                            started_on=started,
                            planned_months=6,
                            planned_end_on=started + dt.timedelta(days=182),
                            monthly_contribution_eur=300,
                            **PERSON,
                        ),
                    )
                ]
                records = [Record(partner, "hosting", "contact", started)]
                if rng.random() < 0.7:
                    ended = day(rng, started + dt.timedelta(days=1), 250)
                    outcome = rng.choice(STAY_OUTCOMES)
                    stay.append(
                        (
                            partner,
                            "hosting",
                            hosting.StayEnded(
                                stay_id=stay_id,
                                family_id=family_id,
                                ended_on=ended,
                                outcome=outcome,
                            ),
                        )
                    )
                    records.append(Record(partner, "hosting", "stay_ended", ended, detail=outcome))
                h.add(("stay", partner, stay_id), ref, records, stay)


def generate(rng: random.Random, persons: int) -> History:
    """The history (with the reference erased and the partner it was erased at)."""
    h = History()
    refs = [new_ref(rng) for _ in range(persons)]
    for ref in refs:
        partners = rng.sample(PARTNERS, rng.choice([1, 1, 1, 2, 2, 3]))
        person_history(rng, h, ref, partners)
    by_partner: dict[str, list[str]] = {}
    for ref, records in h.journeys().items():
        for partner in {r.partner for r in records}:
            by_partner.setdefault(partner, []).append(ref)
    for partner, known in by_partner.items():
        for _ in range(6):  # named accesses at a hub, and group activities (some cancelled)
            batch_id, accessed = uuid.uuid4(), day(rng, FIRST, 1000)
            visitors = rng.sample(known, min(len(known), 4))
            h.aggregates.append(
                [
                    (
                        partner,
                        "events",
                        events.AccessBatchRecorded(
                            access_batch_id=batch_id,
                            hub_id=uuid.uuid4(),
                            accessed_on=accessed,
                            anonymous=[],
                            known_persons=[
                                {"person_ref": r, "topic": "work", "referred": False}
                                for r in visitors
                            ],
                        ),
                    )
                ]
            )
            for i, r in enumerate(visitors):
                h.records[("access", partner, batch_id, i)] = (
                    r,
                    [Record(partner, "events", "contact", accessed)],
                )
            activity_id, held = uuid.uuid4(), day(rng, FIRST, 1000)
            attendees = rng.sample(known, min(len(known), 3))
            activity: list[tuple[str, str, DomainEvent]] = [
                (
                    partner,
                    "employment",
                    employment.GroupActivityScheduled(
                        group_activity_id=activity_id, kind="orientation_group", scheduled_on=held
                    ),
                )
            ]
            if rng.random() < 0.3:
                activity.append(
                    (
                        partner,
                        "employment",
                        employment.GroupActivityCancelled(
                            group_activity_id=activity_id, cancelled_on=held
                        ),
                    )
                )
            else:
                activity.append(
                    (
                        partner,
                        "employment",
                        employment.GroupActivityHeld(
                            group_activity_id=activity_id,
                            kind="orientation_group",
                            held_on=held,
                            registered_attendees=attendees,
                            anonymous_attendees=2,
                        ),
                    )
                )
                for i, r in enumerate(attendees):
                    h.records[("attendee", partner, activity_id, i)] = (
                        r,
                        [Record(partner, "employment", "contact", held)],
                    )
            h.aggregates.append(activity)
    # an erasure at one partner of a person followed by two: that partner's records become
    # another journey (under the surrogate)
    journeys = h.journeys()
    erased = next(ref for ref in refs if len({r.partner for r in journeys.get(ref, [])}) >= 2)
    at = sorted({r.partner for r in journeys[erased]})[0]
    for key, (ref, records) in list(h.records.items()):
        if ref == erased and records[0].partner == at:
            h.records[key] = ("erased", records)
    h.aggregates.append(
        [
            (
                at,
                "cases",
                cases.PersonErased(
                    person_id=uuid.uuid4(), person_ref=erased, erased_on=D(2025, 6, 1)
                ),
            )
        ]
    )
    h.erased, h.erased_at = erased, at
    return h


def interleave(rng: random.Random, aggregates: list[list[Any]]) -> list[Any]:
    """Every aggregate's events in its order, aggregates and topics mixed at random, with
    some events delivered twice in a row (a duplicate)."""
    queues = [list(a) for a in aggregates if a]
    result = []
    while queues:
        queue = rng.choice(queues)
        item = queue.pop(0)
        result.append(item)
        if rng.random() < 0.05:
            result.append(item)
        if not queue:
            queues.remove(queue)
    return result


async def apply_history(pool: asyncpg.Pool, items: list[tuple[str, str, DomainEvent]]) -> None:
    """The first half one event at a time, the rest set-wise in groups of one type with at
    most one event per aggregate, each group a batch ending with its after-batch statements
    (as the batching consumer does)."""
    half = len(items) // 2
    async with pool.acquire() as conn:
        for partner, domain, event in items[:half]:
            async with conn.transaction():
                await HANDLER.apply_one(conn, envelope(partner, event, domain))
    rest = [(partner, event) for partner, _, event in items[half:]]
    for group in set_wise_batches(rest, lambda item: item[1]):
        async with pool.acquire() as conn, conn.transaction():
            await HANDLER.apply_batch(conn, group)


# --- the recount, straight from the generated facts --------------------------------------


def plus_months(d: dt.date, months: int) -> dt.date:
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    for last_day in (31, 30, 29, 28):
        try:
            return D(year, month, min(d.day, last_day))
        except ValueError:
            continue
    raise AssertionError


def recount(journeys: dict[str, list[Record]]) -> Counter[tuple[str, str, str, dt.date, str]]:
    """(dimension, indicator, partner, month, key) → persons."""
    counts: Counter[tuple[str, str, str, dt.date, str]] = Counter()

    def count(
        indicator: str, partner: str, on: dt.date, dimension: str = "all", key: str = ""
    ) -> None:
        counts[(dimension, indicator, partner, on.replace(day=1), key)] += 1

    for records in journeys.values():
        contacts = sorted((r.on, r.partner) for r in records if r.kind == "contact")
        hires = [r for r in records if r.kind == "hire"]
        if contacts:
            first_on, first_partner = contacts[0]
            count("journeys_first_contacts", first_partner, first_on)
            axes = "+".join(sorted({r.axis for r in records}))
            count("journeys_first_contacts", first_partner, first_on, "axes", axes)
            later = sorted((h.on, h.partner) for h in hires if h.on >= first_on)
            if later:
                count("journeys_first_hires", later[0][1], later[0][0])
                count(
                    "journeys_first_hires",
                    later[0][1],
                    later[0][0],
                    "days",
                    str((later[0][0] - first_on).days),
                )
        exits = sorted(
            (r.on, r.partner)
            for r in records
            if (r.kind == "placement_ended" and r.detail in ("autonomous_rent", "public_housing"))
            or (r.kind == "stay_ended" and r.detail == "completed_with_autonomy")
        )
        candidates = [
            (r.on, r.partner)
            for r in records
            if r.kind == "plan_closed" and r.detail == "completed_autonomy_reached"
        ]
        for x_on, x_partner in exits:
            for h in hires:
                if h.until is None or h.until >= x_on:
                    candidates.append((h.on, h.partner) if h.on > x_on else (x_on, x_partner))
        if candidates:
            on, partner = min(candidates)
            count("journeys_autonomy_reached", partner, on)
        ends = sorted(
            (r.on, r.partner) for r in records if r.kind in ("internship_ended", "stay_ended")
        )
        if ends:
            check = plus_months(ends[0][0], 6)
            count("journeys_followed_6_months", ends[0][1], check)
            if any(h.on <= check and (h.until is None or h.until >= check) for h in hires):
                count("journeys_in_work_6_months", ends[0][1], check)
        if exits:
            x_on, x_partner = exits[0]
            returns = [
                r.on
                for r in records
                if (r.kind == "placement_ended" and r.detail == "back_to_reception")
                or (r.kind == "request" and r.detail == "exit_from_reception")
            ]
            for months in (6, 12):
                closes = plus_months(x_on, months)
                count(f"journeys_exits_to_autonomy_{months}_months", x_partner, closes)
                if any(x_on < r <= closes for r in returns):
                    count(f"journeys_back_in_reception_{months}_months", x_partner, closes)
    return counts


# --- the tests -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
async def network(databases, kafka_bootstrap, kafka_idempotent):
    from franoi_common.settings import ProjectionSettings

    settings = ProjectionSettings(
        env="test",
        database_url=await databases.create("journeys"),
        kafka=kafka_settings(kafka_bootstrap, kafka_idempotent),
        consumer_enabled=False,
    )
    service = RunningService(PROJECTION, settings)
    rng = random.Random(2013)
    h = generate(rng, 260)
    items = interleave(rng, h.aggregates)
    async with running(service):
        pool = await create_pool(settings.database_url)
        try:
            await apply_history(pool, items)
            yield service, pool, h, len(items)
        finally:
            await pool.close()


async def counted(pool: asyncpg.Pool) -> Counter[tuple[str, str, str, dt.date, str]]:
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            "SELECT dimension, indicator_id, partner_id, month, key, n FROM indicator_counts"
            " WHERE indicator_id LIKE 'journeys\\_%' AND n <> 0"
        )
    return Counter({(r[0], r[1], r[2], r[3], r[4]): r[5] for r in rows})


async def test_the_history_is_rich_enough(network) -> None:
    _, _, h, n_events = network
    journeys = h.journeys()
    assert n_events > 1500
    several = [j for j in journeys.values() if len({r.partner for r in j}) >= 2]
    assert len(several) > 40
    expected = recount(journeys)
    indicators = {k[1] for k in expected}
    assert len(indicators) == 9, indicators
    for indicator in indicators:
        assert sum(n for k, n in expected.items() if k[1] == indicator and k[0] == "all") >= 5


async def test_every_outcome_counter_equals_a_recount_of_the_facts(network) -> None:
    _, pool, h, _ = network
    assert await counted(pool) == recount(h.journeys())


async def test_counters_equal_the_projections_own_recount(network) -> None:
    from franoi_projection.projectors.counters import mismatches_sql

    _, pool, _, _ = network
    async with pool.acquire() as conn:
        assert await conn.fetch(mismatches_sql()) == []
        assert await conn.fetchval("SELECT count(*) FROM journey_dirty") == 0


async def test_a_bulk_recount_records_what_the_events_recorded(network) -> None:
    """Counters and journey contributions recomputed in bulk (as after adding an indicator)
    equal what the events left, row for row."""
    from franoi_projection.projectors.counters import recount_sql
    from franoi_projection.projectors.journeys import RECORD_ALL_JOURNEYS

    _, pool, _, _ = network
    counters = "SELECT dimension, indicator_id, partner_id, month, key, n FROM indicator_counts"
    journeys = "SELECT * FROM journey_counted"

    async def rows(conn: asyncpg.Connection, sql: str) -> set[tuple[Any, ...]]:
        return {tuple(r) for r in await conn.fetch(sql)}

    async with pool.acquire() as conn:
        live = (await rows(conn, counters + " WHERE n <> 0"), await rows(conn, journeys))
        transaction = conn.transaction()
        await transaction.start()
        try:
            await conn.execute("DELETE FROM indicator_counts; DELETE FROM journey_counted")
            await conn.execute(
                "INSERT INTO indicator_counts (dimension, indicator_id, partner_id, month, key, n) "
                + recount_sql()
            )
            await conn.execute(RECORD_ALL_JOURNEYS)
            bulk = (
                set(await conn.fetch(counters + " WHERE n <> 0")),
                set(await conn.fetch(journeys)),
            )
        finally:
            await transaction.rollback()
    assert len(live[1]) > 500
    assert bulk == live


async def test_the_sql_journeys_follow_the_domain_rules_person_by_person(network) -> None:
    _, pool, _, _ = network
    async with pool.acquire() as conn:
        steps = await conn.fetch(
            "SELECT person_ref, partner_id, axis, kind, on_date, until_date, detail"
            " FROM journey_milestones"
        )
        contributions = await conn.fetch(
            "SELECT * FROM journey_contributions("
            "(SELECT array_agg(DISTINCT person_ref) FROM journey_milestones))"
        )
    by_person: dict[str, list[Step]] = {}
    for s in steps:
        by_person.setdefault(s["person_ref"], []).append(
            Step(
                s["partner_id"],
                s["axis"],
                Kind(s["kind"]),
                s["on_date"],
                s["until_date"],
                s["detail"],
            )
        )
    sql: dict[str, Counter[tuple[str, str, str, dt.date, str]]] = {}
    for c in contributions:
        sql.setdefault(c["person_ref"], Counter())[
            (c["dimension"], c["indicator_id"], c["partner_id"], c["month"], c["key"])
        ] += c["n"]
    assert len(by_person) > 250
    for person, journey in by_person.items():
        rules = Counter(
            (o.dimension, o.indicator_id, o.partner_id, o.month, o.key) for o in outcomes(journey)
        )
        assert sql.get(person, Counter()) == rules, person


async def test_an_erasure_at_one_partner_splits_the_journey_under_the_surrogate(network) -> None:
    _, pool, h, _ = network
    async with pool.acquire() as conn:
        surrogate = await conn.fetchval("SELECT surrogate FROM erased_persons")
        at_partner = await conn.fetch(
            "SELECT DISTINCT partner_id FROM journey_milestones WHERE person_ref = $1", surrogate
        )
        assert [r["partner_id"] for r in at_partner] == [h.erased_at]
        left = await conn.fetchval(
            "SELECT count(*) FROM journey_milestones WHERE person_ref = $1 AND partner_id = $2",
            h.erased,
            h.erased_at,
        )
        assert left == 0
        for table in ("journey_counted", "journey_dirty"):
            column = "ref" if table == "journey_dirty" else "person_ref"
            assert not await conn.fetchval(
                f"SELECT count(*) FROM {table} WHERE {column} = $1 AND {table} IS NOT NULL"
                + (" AND partner_id = $2" if table == "journey_counted" else " AND $2 = $2"),
                h.erased,
                h.erased_at,
            )
    assert "erased" in h.journeys() and h.erased in h.journeys()


async def test_the_summary_and_the_key_numbers_show_the_outcomes(network) -> None:
    service, _, h, _ = network
    expected = recount(h.journeys())

    def total(indicator: str, first: dt.date = FIRST, last: dt.date = UNTIL) -> int:
        return sum(
            n
            for (dim, i, _, month, _), n in expected.items()
            if dim == "all" and i == indicator and first <= month <= last
        )

    response = await service.client.get(
        "/v1/network/journeys/summary", params={"from": "2023-01", "to": "2026-12"}, headers=ANALYST
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["persons"] == total("journeys_first_contacts")
    axes = Counter({k[4]: n for k, n in expected.items() if k[0] == "axes"})
    by_key: Counter[str] = Counter()
    for (dim, _, _, _, key), n in expected.items():
        if dim == "axes":
            by_key[key] += n
    assert {"+".join(a["axes"]): a["persons"] for a in body["by_axes"]} == dict(by_key)
    assert axes
    days = [int(k[4]) for k, n in expected.items() if k[0] == "days" for _ in range(n)]
    assert body["time_to_first_hire"]["persons"] == len(days)
    assert body["time_to_first_hire"]["median_days"] == statistics.median(days)
    values = {o["indicator_id"]: o["value"] for o in body["outcomes"]}
    assert values["journeys_autonomy_reached"] == total("journeys_autonomy_reached")
    rate = total("journeys_in_work_6_months") / total("journeys_followed_6_months")
    assert values["journeys_in_work_6_months_rate"] == pytest.approx(rate, abs=1e-4)

    # one partner, one year: the same sums, scoped
    partner_total = sum(
        n
        for (dim, i, p, month, _), n in expected.items()
        if dim == "all" and i == "journeys_first_contacts" and p == "p02" and month.year == 2024
    )
    scoped = await service.client.get(
        "/v1/network/journeys/summary",
        params={"from": "2024-01", "to": "2024-12", "partner_id": "p02"},
        headers=ANALYST,
    )
    assert scoped.json()["persons"] == partner_total

    key_numbers = await service.client.get(
        "/v1/network/key-numbers", params={"from": "2023-01", "to": "2026-12"}, headers=ANALYST
    )
    rows = {r["indicator_id"]: r for r in key_numbers.json()["rows"]}
    assert rows["journeys_autonomy_reached"]["value"] == total("journeys_autonomy_reached")
    assert rows["journeys_first_hires"]["value"] == total("journeys_first_hires")
    back = total("journeys_back_in_reception_12_months") / total(
        "journeys_exits_to_autonomy_12_months"
    )
    assert rows["journeys_back_in_reception_12_months_rate"]["value"] == pytest.approx(
        back, abs=1e-4
    )

    table = await service.client.get(
        "/v1/network/indicators/journeys_first_hires/table",
        params={"from": "2023-01", "to": "2026-12", "by": "partner"},
        headers=ANALYST,
    )
    assert table.status_code == 200, table.text
    cells = {r["key"]: r["value"] for r in table.json()["rows"]}
    for partner in PARTNERS:
        assert cells[partner] == sum(
            n
            for (dim, i, p, _, _), n in expected.items()
            if dim == "all" and i == "journeys_first_hires" and p == partner
        )


async def test_the_summary_is_for_consortium_analysts_only(network) -> None:
    service, _, _, _ = network
    for headers in (
        auth_header("consortium", "integrator"),
        auth_header("p01", "social_worker"),
        {},
    ):
        response = await service.client.get("/v1/network/journeys/summary", headers=headers)
        assert response.status_code in (401, 403), response.text
    bad = await service.client.get(
        "/v1/network/journeys/summary", params={"from": "2025-01", "to": "2024-01"}, headers=ANALYST
    )
    assert bad.status_code == 422


async def test_integrators_see_outcomes_suppressed(network) -> None:
    service, _, _, _ = network
    response = await service.client.get(
        "/v1/network/indicators/journeys_first_hires/table",
        params={"from": "2024-01", "to": "2024-12", "by": "partner"},
        headers=auth_header("consortium", "integrator"),
    )
    assert response.status_code == 200, response.text
    for row in response.json()["rows"]:
        assert row["value"] is None or row["value"] == 0 or row["value"] >= 5

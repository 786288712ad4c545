# ruff: noqa: S311 - made-up data, repeatable from the seed
"""Benchmark of the desk's pages: 100,000 persons and 1,000,000 records at one partner.

Starts its own PostgreSQL (embedded, Unix socket), creates one database per partner service
(cases, housing, employment, hosting, events) with the real migrations and loads, straight
into them with ``COPY``, ``--persons`` persons of partner p01 into the register (default
100,000: bench_cases_search's names, birth dates, sealed documents) and ``--records`` records
(default 1,000,000) across the services' tables: plans with their reviews and tasks, housing
requests and placements, consultations, group activities and their attendees, skills
profiles, courses, internships and hires, host families, family requests, matches, stays and
monitoring visits, hubs, community events and walk-in accesses. Records are kept only for
persons with a pseudonym (a document), and a person's records follow their life: nothing
before their registration, at most one open plan, active placement, open internship or
active stay each. A twentieth of the persons followed ("frequent") hold a quarter of the
records (dozens each); the signed-in worker is the key worker of about one open plan in a
hundred, with their tasks.

Every service runs as ``serve`` runs it (uvloop, httptools, no access log), each in its own
process (``--services subprocess``, the default) or all in this process' event loop
(``in-process``); the relays are off (reading needs no broker). A social worker signs in at
the desk (the development sign-in, with its CSRF token) and asks, one request at a time,
``--requests`` times each after ``--warmup``, interleaved:

* **search**: "find a person" with a name holding a typo (as htmx posts it);
* **my cases**: the home page, the worker's own cases (their tasks, their plans, the
  working lists of their persons);
* **working lists, whole organisation**: the home page with "all the organisation's cases";
* **person's file**: the file of a "frequent" person (dozens of records in five services).

Next to each page, in the same run, the **raw baseline**: the same calls the page makes to
the services' APIs, with the same bearer token, made directly with httpx (concurrently
where the desk makes them concurrently). The ratio is page p95 / API p95. Target (issue 19):
page p95 <= 150 ms. Each page is checked against its baseline (the counts of results, tasks,
plans, list rows and records it shows; the person's name): a page showing other data fails
the run. Then each API call the pages make is timed alone ("where the time goes").

    uv run python scripts/bench_desk.py [--persons 100000] [--records 1000000] [--requests 200]
    uv run python scripts/bench_desk.py --quick

Everything it starts is stopped at the end; the run is bounded by ``--timeout``.
docs/benchmarks.md ("The desk's pages") explains the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import os
import platform
import random
import re
import signal
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import IO, Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx
import uvicorn
import uvloop
from bench_cases_search import Generated, generate, load, typo  # the register's persons
from bench_views import percentile, progress  # the benchmarks' shared statistics
from franoi_cases.adapters.crypto import FieldCipher
from franoi_cases.bootstrap import DEFINITION as CASES
from franoi_cases.settings import CasesSettings
from franoi_common.auth import mint_token
from franoi_common.migrations import migrate_url
from franoi_common.service import SERVER_OPTIONS, ServiceDefinition, create_app
from franoi_common.settings import AuthSettings
from franoi_common.telemetry import setup_logging, setup_tracing
from franoi_contracts.base import age_band_on
from franoi_contracts.cases import InterruptionReason, PlanAxis, PlanOutcome
from franoi_contracts.employment import (
    ConsultationTopic,
    ContractType,
    CourseKind,
    DrivingLicence,
    EducationLevel,
    GroupActivityKind,
    HireEndReason,
    InternshipOutcome,
    InterruptedBy,
    ItalianLevel,
    StipendPayer,
    WorkerRole,
)
from franoi_contracts.events import AccessTopic, CommunityEventKind, HubKind
from franoi_contracts.hosting import (
    DecidedBy,
    FamilyRejectionReason,
    FamilyRequestKind,
    StayOutcome,
    VisitFlag,
)
from franoi_contracts.hosting import UnsatisfiedReason as FamilyUnsatisfied
from franoi_contracts.housing import (
    CounterpartKind,
    ExitOutcome,
    HousingNeed,
    RentRegime,
    UnitProvider,
    UnsatisfiedReason,
)
from franoi_desk.bootstrap import DEFINITION as DESK
from franoi_desk.entrypoints.worklists import LIST_SIZE, REFS_PER_CALL, WORKLISTS
from franoi_devenv import LocalPostgres, free_port
from franoi_devenv.services import RunningService
from franoi_employment.bootstrap import DEFINITION as EMPLOYMENT
from franoi_events.bootstrap import DEFINITION as EVENTS
from franoi_hosting.bootstrap import DEFINITION as HOSTING
from franoi_housing.bootstrap import DEFINITION as HOUSING
from markupsafe import escape

PARTNER = "p01"
WORKER = "Giulia Bianchi"
"""The social worker signed in at the desk (the token's subject: key worker and assignee)."""
COLLEAGUES = [f"Operatore {n:03d}" for n in range(1, 100)]
"""The partner's other social workers: with the one signed in, a hundred key workers."""
TARGET_P95_MS = 150.0
SCRIPT = os.path.abspath(__file__)
PEERS = ("housing", "employment", "hosting", "events")
DEFINITIONS: dict[str, ServiceDefinition] = {
    "cases": CASES,
    "housing": HOUSING,
    "employment": EMPLOYMENT,
    "hosting": HOSTING,
    "events": EVENTS,
    "desk": DESK,
}
FREQUENT = 0.05
"""The share of the persons followed who come back again and again ("frequent")..."""
FREQUENT_SHARE = 0.25
"""...and the share of the records that are theirs."""
TODAY = dt.date.today()

RECORDS: dict[str, dict[str, int]] = {
    "cases": {"plans": 60_000, "plan_reviews": 50_000, "tasks": 100_000},
    "housing": {
        "agreements": 300,
        "housing_units": 2_500,
        "housing_requests": 70_000,
        "placements": 40_000,
    },
    "employment": {
        "company_agreements": 1_200,
        "consultations": 200_000,
        "group_activities": 9_000,
        "group_activity_attendees": 80_000,
        "skills_profiles": 35_000,
        "skills_assessments": 45_000,
        "enrolments": 30_000,
        "internships": 20_000,
        "hires": 14_000,
    },
    "hosting": {
        "host_families": 1_500,
        "family_requests": 16_000,
        "matches": 12_000,
        "hosting_stays": 8_000,
        "monitoring_visits": 30_000,
    },
    "events": {
        "hubs": 20,
        "lab_series": 300,
        "community_events": 5_000,
        "access_batches": 30_000,
        "access_counts": 60_000,
        "access_known_persons": 80_000,
    },
}
"""Rows per table at 1,000,000 records (scaled to ``--records``)."""
AT_LEAST = {
    "hubs": 2,
    "agreements": 2,
    "housing_units": 5,
    "company_agreements": 3,
    "host_families": 5,
    "lab_series": 1,
}


def counts(records: int) -> dict[str, int]:
    """Rows per table for ``records`` records in all (what rounding leaves goes to the
    consultations, the largest table)."""
    base = sum(n for tables in RECORDS.values() for n in tables.values())
    rows = {
        table: max(AT_LEAST.get(table, 1), round(n * records / base))
        for tables in RECORDS.values()
        for table, n in tables.items()
    }
    rows["consultations"] += records - sum(rows.values())
    return rows


# --- the records -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    """A person of the register, as the other services know them (by pseudonym)."""

    person_id: uuid.UUID
    ref: str
    born_on: dt.date
    sex: str
    status: str
    since: dt.date


@dataclass
class Rows:
    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]] = field(default_factory=list)


def _choice(values: Sequence[Any]) -> Callable[[random.Random], Any]:
    def pick(rnd: random.Random) -> Any:
        return values[int(rnd.random() * len(values))]

    return pick


def values(enum: Any) -> list[str]:
    return [member.value for member in enum]


class Records:
    """Draws the records of a partner's persons (``pick``: one person, frequent ones more
    often) with their days (after the person's registration) and coarse attributes."""

    def __init__(self, rnd: random.Random, people: Sequence[Generated]) -> None:
        self.rnd = rnd
        followed = [
            Person(g.row[0], g.row[14], g.row[6], g.row[7], g.row[10], g.row[15])
            for g in people
            if g.row[14] is not None
        ]
        rnd.shuffle(followed)
        # four in five of the persons with a pseudonym have records; a twentieth of those
        # are frequent
        self.journey = followed[: max(1, len(followed) * 4 // 5)]
        self.frequent = self.journey[: max(1, int(len(self.journey) * FREQUENT))]

    def pick(self) -> Person:
        pool = self.frequent if self.rnd.random() < FREQUENT_SHARE else self.journey
        return pool[int(self.rnd.random() * len(pool))]

    def day(self, p: Person, at_least: dt.date | None = None) -> dt.date:
        """A day between the person's registration (or ``at_least``) and today."""
        first = max(p.since, at_least or p.since)
        span = (TODAY - first).days
        if span <= 0:
            return min(first, TODAY)
        return first + dt.timedelta(days=int(self.rnd.random() * (span + 1)))

    def after(self, day: dt.date, low: int, high: int) -> dt.date:
        """``low``..``high`` days after ``day``, never after today."""
        return min(TODAY, day + dt.timedelta(days=self.rnd.randint(low, high)))

    def any_day(self, years: int = 5) -> dt.date:
        return TODAY - dt.timedelta(days=self.rnd.randrange(365 * years))

    def stamp(self, day: dt.date) -> dt.datetime:
        """When a record of ``day`` was written (office hours)."""
        seconds = 28_800 + int(self.rnd.random() * 36_000)
        return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC) + dt.timedelta(
            seconds=seconds
        )

    def coarse(self, p: Person, day: dt.date) -> tuple[str, str, str]:
        """What a record carries of the person: sex, age band on the day, protection."""
        return p.sex, age_band_on(p.born_on, day).value, p.status


def latest(rows: list[list[Any]], person: int, day: int) -> set[int]:
    """The index of each person's latest row (the one that may still be open)."""
    found: dict[Any, tuple[dt.date, int]] = {}
    for i, row in enumerate(rows):
        key = row[person]
        if key not in found or row[day] >= found[key][0]:
            found[key] = (row[day], i)
    return {i for _, i in found.values()}


TASKS = (
    "Call the landlord",
    "Book the interview at the job centre",
    "Renew the residence permit: appointment",
    "Register at the health service",
    "Enrol in the Italian course",
    "Check the rent contribution",
    "Visit at home",
    "Collect the payslips",
    "Prepare the CV",
    "Open a bank account",
)
MUNICIPALITIES = ("F205", "H501", "L219", "A944", "G273", "D612", "C351", "L736")


def cases_records(r: Records, n: dict[str, int]) -> tuple[dict[str, Rows], dict[str, int]]:
    """Plans (at most one open per person, opened by one of a hundred key workers), their
    reviews and tasks (the open plans' tasks due around today)."""
    rnd = r.rnd
    axes_all = values(PlanAxis)
    plans: list[list[Any]] = []
    for _ in range(n["plans"]):
        p = r.pick()
        opened = r.day(p)
        key_worker = WORKER if rnd.random() < 0.01 else rnd.choice(COLLEAGUES)
        axes = rnd.sample(axes_all, rnd.randint(1, 3))
        goals = {axis: [f"{axis} goal"] for axis in axes[:1]}
        plans.append(
            [uuid.uuid4(), PARTNER, p.person_id, p.ref, opened, axes, json.dumps(goals),
             rnd.randint(6, 24), key_worker, "closed", None, None, None, r.stamp(opened)]
        )  # fmt: skip
    still_open = latest(plans, 2, 4)
    for i, plan in enumerate(plans):
        if i in still_open and rnd.random() < 0.12:
            plan[9] = "open"
            continue
        outcome = rnd.choice(values(PlanOutcome))
        plan[10] = r.after(plan[4], 30, 700)
        plan[11] = outcome
        plan[12] = rnd.choice(values(InterruptionReason)) if outcome == "interrupted" else None
    open_plans = [p for p in plans if p[9] == "open"]
    closed_plans = [p for p in plans if p[9] == "closed"]
    # however small the partner, the signed-in worker follows a few open plans
    theirs = sum(1 for p in open_plans if p[8] == WORKER)
    for plan in [p for p in open_plans if p[8] != WORKER][: max(0, 3 - theirs)]:
        plan[8] = WORKER
    reviews = Rows(("plan_id", "position", "reviewed_on", "progress"))
    positions: dict[uuid.UUID, int] = {}
    for _ in range(n["plan_reviews"]):
        plan = plans[int(rnd.random() * len(plans))]
        position = positions[plan[0]] = positions.get(plan[0], 0) + 1
        progress_of = {axis: rnd.choice(("not_started", "in_progress", "achieved", "stalled"))
                       for axis in plan[5]}  # fmt: skip
        reviewed = min(TODAY, plan[4] + dt.timedelta(days=45 * position))
        reviews.rows.append((plan[0], position, reviewed, json.dumps(progress_of)))
    tasks = Rows(
        ("task_id", "partner_id", "plan_id", "person_id", "title", "axis", "due_on", "assignee",
         "status", "done_on", "cancelled_on", "created_at")
    )  # fmt: skip
    for _ in range(n["tasks"]):
        on_open = bool(open_plans) and (rnd.random() < 0.4 or not closed_plans)
        plan = rnd.choice(open_plans if on_open else closed_plans)
        assignee = plan[8] if rnd.random() < 0.85 else rnd.choice(COLLEAGUES)
        axis = rnd.choice([*plan[5], None])
        if on_open:
            status = rnd.choices(("open", "done", "cancelled"), (0.4, 0.5, 0.1))[0]
            due = TODAY + dt.timedelta(days=rnd.randint(-20, 40))
            created = max(plan[4], min(TODAY, due - dt.timedelta(days=rnd.randint(7, 60))))
        else:
            status = rnd.choices(("done", "cancelled"), (0.85, 0.15))[0]
            due = r.after(plan[4], 7, 120)
            created = plan[4]
        done = r.after(created, 0, 30) if status == "done" else None
        cancelled = r.after(created, 0, 30) if status == "cancelled" else None
        tasks.rows.append(
            (uuid.uuid4(), PARTNER, plan[0], plan[2], rnd.choice(TASKS), axis, due, assignee,
             status, done, cancelled, r.stamp(created))
        )  # fmt: skip
    plan_rows = Rows(
        ("plan_id", "partner_id", "person_id", "person_ref", "opened_on", "axes", "goals",
         "planned_months", "key_worker", "status", "closed_on", "outcome",
         "interruption_reason", "created_at"),
        [tuple(p) for p in plans],
    )  # fmt: skip
    worker = {
        "open_plans": sum(1 for p in open_plans if p[8] == WORKER),
        "open_tasks": sum(1 for t in tasks.rows if t[7] == WORKER and t[8] == "open"),
    }
    return {"plans": plan_rows, "plan_reviews": reviews, "tasks": tasks}, worker


def housing_records(r: Records, n: dict[str, int]) -> dict[str, Rows]:
    """Agreements and units; placements (each person's latest may still be active), most
    from a satisfied request; the other requests open, unsatisfied or withdrawn."""
    rnd = r.rnd
    agreements = Rows(
        ("agreement_id", "partner_id", "counterpart_kind", "counterpart_name", "signed_on",
         "valid_until", "units_pledged", "ended_on", "created_at")
    )  # fmt: skip
    for i in range(n["agreements"]):
        signed = r.any_day(8)
        agreements.rows.append(
            (uuid.uuid4(), PARTNER, rnd.choice(values(CounterpartKind)), f"Agenzia {i}", signed,
             signed + dt.timedelta(days=1095), rnd.randint(1, 20), None, r.stamp(signed))
        )  # fmt: skip
    units = Rows(
        ("unit_id", "partner_id", "municipality_code", "beds", "monthly_rent_eur",
         "rent_regime", "provider", "agreement_id", "available_from", "withdrawn_on",
         "created_at")
    )  # fmt: skip
    for _ in range(n["housing_units"]):
        since = r.any_day(6)
        agreement = rnd.choice(agreements.rows)[0] if rnd.random() < 0.6 else None
        units.rows.append(
            (uuid.uuid4(), PARTNER, rnd.choice(MUNICIPALITIES), rnd.randint(1, 6),
             rnd.randint(250, 900), rnd.choice(values(RentRegime)),
             rnd.choice(values(UnitProvider)), agreement, since, None, r.stamp(since))
        )  # fmt: skip
    placements: list[list[Any]] = []
    requests = Rows(
        ("request_id", "partner_id", "person_ref", "household_size", "need", "submitted_on",
         "sex", "age_band", "protection_status", "status", "closed_on", "placement_id",
         "unsatisfied_reason", "created_at")
    )  # fmt: skip
    household = _choice((1, 1, 1, 2, 2, 3, 4, 5))
    for _ in range(n["placements"]):
        p = r.pick()
        started = r.day(p, p.since + dt.timedelta(days=20))
        size = household(rnd)
        placement_id = uuid.uuid4()
        request_id = None
        if rnd.random() < 0.7 and len(requests.rows) < n["housing_requests"]:
            request_id = uuid.uuid4()
            submitted = max(p.since, started - dt.timedelta(days=rnd.randint(5, 90)))
            requests.rows.append(
                (request_id, PARTNER, p.ref, size, rnd.choice(values(HousingNeed)), submitted,
                 *r.coarse(p, submitted), "satisfied", started, placement_id, None,
                 r.stamp(submitted))
            )  # fmt: skip
        placements.append(
            [placement_id, PARTNER, rnd.choice(units.rows)[0], request_id, p.ref, size, started,
             started + dt.timedelta(days=365), *r.coarse(p, started), "ended", None, None,
             r.stamp(started)]
        )  # fmt: skip
    active = latest(placements, 4, 6)
    for i, placement in enumerate(placements):
        if i in active and rnd.random() < 0.15:
            placement[11] = "active"
        else:
            placement[12] = r.after(placement[6], 30, 540)
            placement[13] = rnd.choice(values(ExitOutcome))
    while len(requests.rows) < n["housing_requests"]:
        p = r.pick()
        submitted = r.day(p)
        status = rnd.choices(("open", "unsatisfied", "withdrawn"), (0.08, 0.52, 0.40))[0]
        requests.rows.append(
            (uuid.uuid4(), PARTNER, p.ref, household(rnd), rnd.choice(values(HousingNeed)),
             submitted, *r.coarse(p, submitted), status,
             None if status == "open" else r.after(submitted, 10, 180), None,
             rnd.choice(values(UnsatisfiedReason)) if status == "unsatisfied" else None,
             r.stamp(submitted))
        )  # fmt: skip
    placement_rows = Rows(
        ("placement_id", "partner_id", "unit_id", "request_id", "person_ref", "household_size",
         "started_on", "planned_end_on", "sex", "age_band", "protection_status", "status",
         "ended_on", "exit_outcome", "created_at"),
        [tuple(p) for p in placements],
    )  # fmt: skip
    return {
        "agreements": agreements,
        "housing_units": units,
        "housing_requests": requests,
        "placements": placement_rows,
    }


def employment_records(r: Records, n: dict[str, int]) -> dict[str, Rows]:
    """Company agreements; consultations; group activities and who attended; one skills
    profile per person (assessed again now and then); courses; internships (each person's
    latest may be open) and hires, some after an internship."""
    rnd = r.rnd
    sectors = "ACFGHIMNQS"
    agreements = Rows(
        ("company_agreement_id", "partner_id", "company_name", "sector", "places_offered",
         "signed_on", "valid_until", "ended_on", "created_at")
    )  # fmt: skip
    for i in range(n["company_agreements"]):
        signed = r.any_day(7)
        agreements.rows.append(
            (uuid.uuid4(), PARTNER, f"Azienda {i} srl", rnd.choice(sectors), rnd.randint(1, 10),
             signed, None, None, r.stamp(signed))
        )  # fmt: skip
    consultations = Rows(
        ("consultation_id", "partner_id", "person_ref", "held_on", "topic", "minutes",
         "worker_role", "sex", "age_band", "protection_status", "created_at")
    )  # fmt: skip
    topics, roles = values(ConsultationTopic), values(WorkerRole)
    for _ in range(n["consultations"]):
        p = r.pick()
        held = r.day(p)
        consultations.rows.append(
            (uuid.uuid4(), PARTNER, p.ref, held, rnd.choice(topics), rnd.choice((30, 45, 60, 90)),
             rnd.choice(roles), *r.coarse(p, held), r.stamp(held))
        )  # fmt: skip
    activities = Rows(
        ("group_activity_id", "partner_id", "kind", "scheduled_on", "status", "held_on",
         "anonymous_attendees", "cancelled_on", "created_at")
    )  # fmt: skip
    held_ids = []
    for _ in range(n["group_activities"]):
        day = r.any_day()
        status = rnd.choices(("held", "cancelled", "scheduled"), (0.85, 0.1, 0.05))[0]
        activity_id = uuid.uuid4()
        if status == "held":
            held_ids.append(activity_id)
        activities.rows.append(
            (activity_id, PARTNER, rnd.choice(values(GroupActivityKind)),
             day if status != "scheduled" else TODAY + dt.timedelta(days=rnd.randint(1, 30)),
             status, day if status == "held" else None,
             rnd.randint(0, 8) if status == "held" else None,
             day if status == "cancelled" else None, r.stamp(day))
        )  # fmt: skip
    attendees = Rows(("group_activity_id", "partner_id", "person_ref"))
    seen: set[tuple[uuid.UUID, str]] = set()
    for _ in range(3 * n["group_activity_attendees"] if held_ids else 0):
        if len(attendees.rows) == n["group_activity_attendees"]:
            break
        pair = (held_ids[int(rnd.random() * len(held_ids))], r.pick().ref)
        if pair not in seen:
            seen.add(pair)
            attendees.rows.append((pair[0], PARTNER, pair[1]))
    profiles = Rows(("skills_profile_id", "partner_id", "person_ref", "created_at"))
    profiled: dict[str, tuple[uuid.UUID, dt.date]] = {}
    for _ in range(n["skills_profiles"] * 4):
        if len(profiled) >= min(n["skills_profiles"], len(r.journey)):
            break
        p = r.pick()
        if p.ref not in profiled:
            day = r.day(p)
            profiled[p.ref] = (uuid.uuid4(), day)
            profiles.rows.append((profiled[p.ref][0], PARTNER, p.ref, r.stamp(day)))
    assessments = Rows(
        ("skills_profile_id", "version", "assessed_on", "education_level", "italian_level",
         "italian_assessed_on", "other_languages", "prior_sectors", "driving_licence",
         "created_at")
    )  # fmt: skip
    versions: dict[uuid.UUID, tuple[int, dt.date]] = {}
    profile_list = list(profiled.values())
    for i in range(n["skills_assessments"] if profile_list else 0):
        # every profile's first assessment, then new versions for some
        profile_id, first = profile_list[i] if i < len(profile_list) else rnd.choice(profile_list)
        version, last = versions.get(profile_id, (0, first))
        assessed = r.after(last, 0 if version == 0 else 60, 0 if version == 0 else 300)
        versions[profile_id] = (version + 1, assessed)
        assessments.rows.append(
            (profile_id, version + 1, assessed, rnd.choice(values(EducationLevel)),
             rnd.choice(values(ItalianLevel)), assessed, ["en"], ["I"],
             rnd.choice(values(DrivingLicence)), r.stamp(assessed))
        )  # fmt: skip
    enrolments = Rows(
        ("enrolment_id", "partner_id", "person_ref", "course_title", "provider", "course_kind",
         "hours", "starts_on", "ends_on", "sex", "age_band", "protection_status", "status",
         "closed_on", "created_at")
    )  # fmt: skip
    for _ in range(n["enrolments"]):
        p = r.pick()
        starts = r.day(p)
        ends = starts + dt.timedelta(days=rnd.randint(20, 120))
        status = "enrolled" if ends > TODAY else rnd.choice(("completed", "completed", "dropped"))
        enrolments.rows.append(
            (uuid.uuid4(), PARTNER, p.ref, "Corso di italiano A2", "CPIA",
             rnd.choice(values(CourseKind)), rnd.randint(20, 200), starts, ends,
             *r.coarse(p, starts), status,
             None if status == "enrolled" else min(ends, TODAY), r.stamp(starts))
        )  # fmt: skip
    internships: list[list[Any]] = []
    for _ in range(n["internships"]):
        p = r.pick()
        started = r.day(p)
        agreement = rnd.choice(agreements.rows)
        internships.append(
            [uuid.uuid4(), PARTNER, p.ref, agreement[0], agreement[3], started,
             started + dt.timedelta(days=rnd.choice((90, 180))), 500,
             rnd.choice(values(StipendPayer)), *r.coarse(p, started), "ended", None, None, None,
             None, r.stamp(started)]
        )  # fmt: skip
    still_open = latest(internships, 2, 5)
    hired = []
    for i, internship in enumerate(internships):
        if i in still_open and internship[6] >= TODAY and rnd.random() < 0.5:
            internship[12] = "open"
            continue
        ended = min(internship[6], TODAY)
        outcome = rnd.choices(values(InternshipOutcome), (0.35, 0.45, 0.2))[0]
        internship[13], internship[14], internship[16] = ended, outcome, ended
        internship[15] = rnd.choice(values(InterruptedBy)) if outcome == "interrupted" else None
        if outcome == "hired":
            hired.append(internship)
    hires = Rows(
        ("hire_id", "partner_id", "person_ref", "company_agreement_id", "internship_id",
         "sector", "contract_type", "weekly_hours", "started_on", "ends_on", "sex", "age_band",
         "protection_status", "status", "ended_on", "end_reason", "created_at")
    )  # fmt: skip
    for i in range(n["hires"]):
        if i < len(hired):
            internship = hired[i]
            started = min(TODAY, internship[13] + dt.timedelta(days=1))
            ref, agreement_id, internship_id, sector = (
                internship[2], internship[3], internship[0], internship[4])  # fmt: skip
            coarse = internship[9:12]
        else:
            p = r.pick()
            started = r.day(p)
            ref, agreement_id, internship_id, sector = p.ref, None, None, rnd.choice(sectors)
            coarse = list(r.coarse(p, started))
        ends = started + dt.timedelta(days=rnd.choice((180, 365, 730)))
        ended = ends if ends < TODAY and rnd.random() < 0.8 else None
        hires.rows.append(
            (uuid.uuid4(), PARTNER, ref, agreement_id, internship_id, sector,
             rnd.choice(values(ContractType)), rnd.choice((20, 30, 38, 40)), started, ends,
             *coarse, "ended" if ended else "active", ended,
             rnd.choice(values(HireEndReason)) if ended else None, r.stamp(started))
        )  # fmt: skip
    internship_rows = Rows(
        ("internship_id", "partner_id", "person_ref", "company_agreement_id", "sector",
         "started_on", "planned_end_on", "monthly_stipend_eur", "stipend_paid_by", "sex",
         "age_band", "protection_status", "status", "ended_on", "outcome", "interrupted_by",
         "outcome_recorded_on", "created_at"),
        [tuple(i) for i in internships],
    )  # fmt: skip
    return {
        "company_agreements": agreements,
        "consultations": consultations,
        "group_activities": activities,
        "group_activity_attendees": attendees,
        "skills_profiles": profiles,
        "skills_assessments": assessments,
        "enrolments": enrolments,
        "internships": internship_rows,
        "hires": hires,
    }


def hosting_records(r: Records, n: dict[str, int]) -> dict[str, Rows]:
    """Host families (most approved); stays, each from a started match and most from a
    request (each person's latest stay may be active), with monitoring visits; the other
    matches and requests."""
    rnd = r.rnd
    families = Rows(
        ("family_id", "partner_id", "municipality_code", "rooms_offered", "household_size",
         "languages", "applied_on", "vetting", "availability", "interview_on",
         "home_visit_on", "approved_on", "rejected_on", "rejection_reason", "created_at")
    )  # fmt: skip
    approved = []
    for _ in range(n["host_families"]):
        applied = r.any_day(6)
        vetting = rnd.choices(("approved", "applied", "rejected"), (0.8, 0.1, 0.1))[0]
        family_id = uuid.uuid4()
        if vetting == "approved":
            approved.append(family_id)
        later = applied + dt.timedelta(days=30)
        families.rows.append(
            (family_id, PARTNER, rnd.choice(MUNICIPALITIES), rnd.randint(1, 2),
             rnd.randint(1, 5), ["it", "en"], applied, vetting,
             "active" if vetting == "approved" else None,
             later if vetting != "applied" else None, later if vetting != "applied" else None,
             later if vetting == "approved" else None, later if vetting == "rejected" else None,
             rnd.choice(values(FamilyRejectionReason)) if vetting == "rejected" else None,
             r.stamp(applied))
        )  # fmt: skip
    approved = approved or [families.rows[0][0]]
    requests = Rows(
        ("request_id", "partner_id", "person_ref", "kind", "household_size", "submitted_on",
         "sex", "age_band", "protection_status", "status", "closed_on", "stay_id",
         "unsatisfied_reason", "created_at")
    )  # fmt: skip
    matches = Rows(
        ("match_id", "partner_id", "family_id", "person_ref", "proposed_on", "request_id",
         "status", "accepted_on", "declined_on", "declined_by", "cancelled_on",
         "cancelled_by", "stay_id", "created_at")
    )  # fmt: skip
    stays: list[list[Any]] = []
    for _ in range(n["hosting_stays"]):
        p = r.pick()
        started = r.day(p, p.since + dt.timedelta(days=30))
        proposed = started - dt.timedelta(days=rnd.randint(10, 30))
        family, stay_id, match_id = rnd.choice(approved), uuid.uuid4(), uuid.uuid4()
        request_id = None
        if rnd.random() < 0.6 and len(requests.rows) < n["family_requests"]:
            request_id = uuid.uuid4()
            submitted = proposed - dt.timedelta(days=rnd.randint(5, 60))
            requests.rows.append(
                (request_id, PARTNER, p.ref, "hosting", 1, submitted, *r.coarse(p, submitted),
                 "satisfied", started, stay_id, None, r.stamp(submitted))
            )  # fmt: skip
        matches.rows.append(
            (match_id, PARTNER, family, p.ref, proposed, request_id, "started",
             proposed + dt.timedelta(days=5), None, None, None, None, stay_id,
             r.stamp(proposed))
        )  # fmt: skip
        months = rnd.choice((3, 6, 9, 12))
        stays.append(
            [stay_id, PARTNER, match_id, family, p.ref, request_id, started, months,
             started + dt.timedelta(days=30 * months), rnd.choice((0, 100, 200, 300)),
             *r.coarse(p, started), "ended", None, None, None, r.stamp(started)]
        )  # fmt: skip
    active = latest(stays, 4, 6)
    for i, stay in enumerate(stays):
        if i in active and rnd.random() < 0.15:
            stay[13] = "active"
        else:
            stay[14] = r.after(stay[6], 30, 365)
            stay[15] = rnd.choice(values(StayOutcome))
    accepted: set[str] = set()
    while len(matches.rows) < n["matches"]:
        p = r.pick()
        proposed = r.day(p)
        status = rnd.choices(("declined", "cancelled", "proposed", "accepted"),
                             (0.5, 0.3, 0.1, 0.1))[0]  # fmt: skip
        if status == "accepted":
            if p.ref in accepted:  # one accepted match waiting per person
                status = "declined"
            accepted.add(p.ref)
        decided = r.after(proposed, 1, 15)
        matches.rows.append(
            (uuid.uuid4(), PARTNER, rnd.choice(approved), p.ref, proposed, None, status,
             decided if status == "accepted" else None,
             decided if status == "declined" else None,
             rnd.choice(values(DecidedBy)) if status == "declined" else None,
             decided if status == "cancelled" else None,
             rnd.choice(values(DecidedBy)) if status == "cancelled" else None, None,
             r.stamp(proposed))
        )  # fmt: skip
    while len(requests.rows) < n["family_requests"]:
        p = r.pick()
        submitted = r.day(p)
        status = rnd.choices(("open", "unsatisfied", "withdrawn"), (0.1, 0.5, 0.4))[0]
        requests.rows.append(
            (uuid.uuid4(), PARTNER, p.ref, rnd.choice(values(FamilyRequestKind)), 1, submitted,
             *r.coarse(p, submitted), status,
             None if status == "open" else r.after(submitted, 10, 120), None,
             rnd.choice(values(FamilyUnsatisfied)) if status == "unsatisfied" else None,
             r.stamp(submitted))
        )  # fmt: skip
    visits = Rows(
        ("visit_id", "partner_id", "stay_id", "family_id", "visited_on", "guest_wellbeing",
         "family_wellbeing", "flags", "created_at")
    )  # fmt: skip
    flags = values(VisitFlag)
    for _ in range(n["monitoring_visits"] if stays else 0):
        stay = stays[int(rnd.random() * len(stays))]
        until = stay[14] or TODAY
        visited = stay[6] + dt.timedelta(days=rnd.randint(0, max(0, (until - stay[6]).days)))
        stay[16] = max(stay[16] or visited, visited)
        visits.rows.append(
            (uuid.uuid4(), PARTNER, stay[0], stay[3], visited, rnd.randint(2, 5),
             rnd.randint(2, 5), [rnd.choice(flags)] if rnd.random() < 0.15 else [],
             r.stamp(visited))
        )  # fmt: skip
    stay_rows = Rows(
        ("stay_id", "partner_id", "match_id", "family_id", "person_ref", "request_id",
         "started_on", "planned_months", "planned_end_on", "monthly_contribution_eur", "sex",
         "age_band", "protection_status", "status", "ended_on", "outcome", "last_visit_on",
         "created_at"),
        [tuple(s) for s in stays],
    )  # fmt: skip
    return {
        "host_families": families,
        "family_requests": requests,
        "matches": matches,
        "hosting_stays": stay_rows,
        "monitoring_visits": visits,
    }


def events_records(r: Records, n: dict[str, int]) -> dict[str, Rows]:
    """Hubs, lab series and community events; a day's walk-in accesses at a hub (counted
    by topic, and the persons known by name among them)."""
    rnd = r.rnd
    hubs = Rows(
        ("hub_id", "partner_id", "name", "municipality_code", "kind", "opening_hours",
         "opened_on", "created_at")
    )  # fmt: skip
    for i in range(n["hubs"]):
        opened = r.any_day(8)
        hubs.rows.append(
            (uuid.uuid4(), PARTNER, f"Spazio {i}", rnd.choice(MUNICIPALITIES),
             rnd.choice(values(HubKind)), "[]", opened, r.stamp(opened))
        )  # fmt: skip
    series = Rows(
        ("lab_series_id", "partner_id", "kind", "title", "hub_id", "municipality_code",
         "started_on", "created_at")
    )  # fmt: skip
    for i in range(n["lab_series"]):
        started = r.any_day()
        hub = rnd.choice(hubs.rows)
        series.rows.append(
            (uuid.uuid4(), PARTNER, rnd.choice(("socialisation_lab", "community_lab")),
             f"Laboratorio {i}", hub[0], hub[3], started, r.stamp(started))
        )  # fmt: skip
    events = Rows(
        ("community_event_id", "partner_id", "kind", "title", "hub_id", "municipality_code",
         "starts_on", "duration_minutes", "status", "held_on", "participants",
         "beneficiaries", "volunteers", "created_at")
    )  # fmt: skip
    for i in range(n["community_events"]):
        starts = r.any_day()
        hub = rnd.choice(hubs.rows)
        held = rnd.random() < 0.9
        events.rows.append(
            (uuid.uuid4(), PARTNER, rnd.choice(values(CommunityEventKind)), f"Evento {i}",
             hub[0], hub[3], starts, 120, "held" if held else "scheduled",
             starts if held else None, 40 if held else None, 25 if held else None,
             5 if held else None, r.stamp(starts))
        )  # fmt: skip
    batches = Rows(("access_batch_id", "partner_id", "hub_id", "accessed_on", "created_at"))
    for _ in range(n["access_batches"]):
        day = r.any_day()
        batches.rows.append((uuid.uuid4(), PARTNER, rnd.choice(hubs.rows)[0], day, r.stamp(day)))
    topics = values(AccessTopic)
    tallies = Rows(("access_batch_id", "topic", "referred", "accesses"))
    cells: set[tuple[uuid.UUID, str, bool]] = set()
    for _ in range(3 * n["access_counts"] if batches.rows else 0):
        if len(tallies.rows) == n["access_counts"]:
            break
        cell = (rnd.choice(batches.rows)[0], rnd.choice(topics), rnd.random() < 0.2)
        if cell not in cells:
            cells.add(cell)
            tallies.rows.append((*cell, rnd.randint(1, 12)))
    known = Rows(("access_batch_id", "partner_id", "person_ref", "topic", "referred"))
    lines: set[tuple[uuid.UUID, str, str]] = set()
    for _ in range(3 * n["access_known_persons"] if batches.rows else 0):
        if len(known.rows) == n["access_known_persons"]:
            break
        line = (rnd.choice(batches.rows)[0], r.pick().ref, rnd.choice(topics))
        if line not in lines:
            lines.add(line)
            known.rows.append((line[0], PARTNER, line[1], line[2], rnd.random() < 0.2))
    return {
        "hubs": hubs,
        "lab_series": series,
        "community_events": events,
        "access_batches": batches,
        "access_counts": tallies,
        "access_known_persons": known,
    }


# --- the partner's databases ----------------------------------------------------------------


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


@dataclass
class Loaded:
    """What the load made: the register's persons, the records, what the checks need."""

    people: list[Generated]
    records: Records
    rows: dict[str, int]
    worker: dict[str, int]
    generate_s: float
    load_s: float


async def copy_rows(url: str, tables: dict[str, Rows]) -> None:
    """COPY each table's rows, in order; per-row triggers are skipped for the load when the
    user may (the erasure swap has nothing to swap in a new database, and the generator
    keeps every foreign key by construction); then ``VACUUM ANALYZE``, as autovacuum
    would after a bulk load."""
    conn = await asyncpg.connect(url)
    try:
        with contextlib.suppress(asyncpg.InsufficientPrivilegeError):
            await conn.execute("SET session_replication_role = replica")
        for table, rows in tables.items():
            if rows.rows:
                await conn.copy_records_to_table(table, records=rows.rows, columns=rows.columns)
        await conn.execute("VACUUM ANALYZE")
    finally:
        await conn.close()


async def load_partner(args: argparse.Namespace, urls: dict[str, str]) -> Loaded:
    rnd = random.Random(args.seed)
    cases = CasesSettings(env="test", database_url=urls["cases"])
    cipher = FieldCipher(cases.encryption_key)
    key = cases.pseudonym_key.get_secret_value().encode()
    progress(f"generating {args.persons:,} persons and about {args.records:,} records")
    start = time.perf_counter()
    people = generate(rnd, PARTNER, args.persons, cipher, key)
    records = Records(rnd, people)
    n = counts(args.records)
    case_tables, worker = cases_records(records, n)
    tables = {
        "cases": case_tables,
        "housing": housing_records(records, n),
        "employment": employment_records(records, n),
        "hosting": hosting_records(records, n),
        "events": events_records(records, n),
    }
    generate_s = time.perf_counter() - start
    progress("loading them with COPY")
    start = time.perf_counter()
    conn = await asyncpg.connect(urls["cases"])
    try:
        await load(conn, people)  # the persons and the partner's name vocabulary
    finally:
        await conn.close()
    await asyncio.gather(*(copy_rows(urls[domain], tables[domain]) for domain in tables))
    load_s = time.perf_counter() - start
    rows = {table: len(r.rows) for domain in tables.values() for table, r in domain.items()}
    return Loaded(people, records, rows, worker, generate_s, load_s)


# --- the services -------------------------------------------------------------------------


def environment(domain: str, database_url: str, port: int, urls: dict[str, str]) -> dict[str, str]:
    """A service's ``FRANOI_*`` settings, as a deployment gives them (relays off: the pages
    only read, and reading needs no broker)."""
    env = {
        "FRANOI_ENV": "test",
        "FRANOI_PARTNER_ID": PARTNER,
        "FRANOI_HTTP_HOST": "127.0.0.1",
        "FRANOI_HTTP_PORT": str(port),
        "FRANOI_KAFKA_BOOTSTRAP": "127.0.0.1:9",
        "FRANOI_RELAY_ENABLED": "false",
    }
    if domain != "desk":
        env["FRANOI_DATABASE_URL"] = database_url
    if domain == "cases":
        env["FRANOI_CASES_PEER_URLS"] = json.dumps({d: urls[d] for d in PEERS})
    if domain == "desk":
        env.update({f"FRANOI_{d.upper()}_URL": urls[d] for d in (*PEERS, "cases")})
    return env


def settings_of(domain: str, env: dict[str, str]) -> Any:
    """The settings ``serve`` would read from ``env``."""
    saved = dict(os.environ)
    try:
        for name in [n for n in os.environ if n.startswith("FRANOI_")]:
            del os.environ[name]
        os.environ.update(env)
        return DEFINITIONS[domain].settings_type()
    finally:
        os.environ.clear()
        os.environ.update(saved)


@contextlib.asynccontextmanager
async def in_process(databases: dict[str, str]) -> AsyncIterator[dict[str, str]]:
    """Every service's real app with uvicorn in this process' event loop."""
    urls = {domain: f"http://127.0.0.1:{free_port()}" for domain in DEFINITIONS}
    started: list[RunningService] = []
    try:
        for domain in (*PEERS, "cases", "desk"):
            port = int(urls[domain].rsplit(":", 1)[1])
            settings = settings_of(domain, environment(domain, databases.get(domain, ""), port,
                                                       urls))  # fmt: skip
            service = RunningService(DEFINITIONS[domain], settings, port=port)
            await service.start()
            started.append(service)
        yield urls
    finally:
        for service in reversed(started):
            await service.stop()


@contextlib.asynccontextmanager
async def in_subprocesses(databases: dict[str, str]) -> AsyncIterator[dict[str, str]]:
    """Each service in its own Python process, as deployed (``--serve``); a child stops
    when this process ends, even without being told (its stdin closes)."""
    urls = {domain: f"http://127.0.0.1:{free_port()}" for domain in DEFINITIONS}
    children: list[tuple[str, asyncio.subprocess.Process, IO[str]]] = []
    base = {k: v for k, v in os.environ.items() if not k.startswith("FRANOI_")}
    try:
        for group in (PEERS, ("cases",), ("desk",)):
            for domain in group:
                port = int(urls[domain].rsplit(":", 1)[1])
                log: IO[str] = tempfile.TemporaryFile("w+")
                proc = await asyncio.create_subprocess_exec(
                    sys.executable,
                    SCRIPT,
                    "--serve",
                    domain,
                    env={**base, **environment(domain, databases.get(domain, ""), port, urls)},
                    stdin=asyncio.subprocess.PIPE,
                    stdout=log,
                    stderr=log,
                )
                children.append((domain, proc, log))
            for domain, child, output in children[-len(group) :]:
                await ready(domain, urls[domain], child, output)
        try:
            yield urls
        except Exception:
            for domain, _, output in children:  # what the services said, to see why
                output.seek(0)
                told = output.read()[-4000:].strip()
                if told:
                    progress(f"{domain} said:\n{told}")
            raise
    finally:
        for _, proc, _ in reversed(children):
            if proc.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    proc.send_signal(signal.SIGTERM)
        for _, child, output in reversed(children):
            try:
                await asyncio.wait_for(child.wait(), 30)
            except TimeoutError:
                with contextlib.suppress(ProcessLookupError):
                    child.kill()
                await child.wait()
            output.close()


async def ready(domain: str, url: str, proc: asyncio.subprocess.Process, log: IO[str]) -> None:
    async with httpx.AsyncClient(base_url=url, timeout=2) as client:
        for _ in range(1200):
            if proc.returncode is not None:
                log.seek(0)
                raise RuntimeError(f"{domain} exited with {proc.returncode}:\n{log.read()[-3000:]}")
            with contextlib.suppress(httpx.HTTPError):
                if (await client.get("/readyz")).status_code == 200:
                    return
            await asyncio.sleep(0.1)
    raise TimeoutError(f"{domain} not ready at {url}")


def serve_child(domain: str) -> None:
    """A service as ``franoi-<domain> serve`` runs it (settings from the environment,
    logging, tracing, uvloop, httptools, no access log), until SIGTERM or until the
    benchmark's end closes this process' stdin."""
    definition = DEFINITIONS[domain]
    settings = definition.settings_type()
    setup_logging(domain, settings.log_level)
    setup_tracing(domain, settings.otel_exporter_endpoint)
    app = create_app(definition, settings)

    class Server(uvicorn.Server):
        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:  # the signals are handled below
            yield

    server = Server(
        uvicorn.Config(
            app,
            host=settings.http_host,
            port=settings.http_port,
            log_config=None,
            access_log=False,
            **SERVER_OPTIONS,
        )
    )

    async def serve() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)

        def parent_gone() -> None:
            if not os.read(0, 4096):
                loop.remove_reader(0)
                stop.set()

        loop.add_reader(0, parent_gone)
        task = asyncio.create_task(server.serve())
        stopped = asyncio.create_task(stop.wait())
        await asyncio.wait({task, stopped}, return_when=asyncio.FIRST_COMPLETED)
        server.should_exit = True
        await task
        stopped.cancel()

    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(serve())


# --- the pages and their raw baselines ---------------------------------------------------------


CSRF = re.compile(r'name="csrf" value="([^"]+)"')
COUNT = r"\((\d+)\)"


def heading_count(page: str, heading_id: str) -> int:
    found = re.search(rf'<h2 id="{heading_id}">[^<]*{COUNT}</h2>', page)
    assert found is not None, f"no {heading_id} on the page"
    return int(found.group(1))


def h3_counts(page: str) -> list[int]:
    """The rows each working list shows: its heading's "(12)" or "(the newest 50 of 3409)"."""
    return [int(n) for n in re.findall(r"<h3>[^<]*\(\D*(\d+)[^)]*\)</h3>", page)]


def h4_counts(page: str) -> list[int]:
    return [int(n) for n in re.findall(rf"<h4>[^<]*{COUNT}</h4>", page)]


class Desk:
    """A social worker's browser at the desk: the session cookie and its CSRF token."""

    def __init__(self, url: str) -> None:
        self.client = httpx.AsyncClient(base_url=url, timeout=60)
        self.csrf = ""

    async def sign_in(self) -> None:
        page = await self.client.get("/signin")
        token = CSRF.search(page.text)
        assert token is not None, "no CSRF token on the sign-in page"
        signed = await self.client.post(
            "/signin",
            data={"csrf": token.group(1), "name": WORKER, "partner_id": PARTNER,
                  "role": "social_worker"},
        )  # fmt: skip
        assert signed.status_code == 303, signed.text
        home = await self.get("/persons")  # a page of the session, with its new token
        token = CSRF.search(home)
        assert token is not None
        self.csrf = token.group(1)

    async def get(self, path: str) -> str:
        answer = await self.client.get(path)
        if answer.status_code != 200:
            raise RuntimeError(f"desk GET {path}: {answer.status_code} {answer.text[:500]}")
        return answer.text

    async def search(self, name: str) -> str:
        """What htmx posts as a name is typed (the results' part of the page)."""
        answer = await self.client.post(
            "/persons/search",
            data={"csrf": self.csrf, "name": name},
            headers={"HX-Request": "true"},
        )
        if answer.status_code != 200:
            raise RuntimeError(f"desk search: {answer.status_code} {answer.text[:500]}")
        return answer.text

    async def close(self) -> None:
        await self.client.aclose()


class Api:
    """The partner's services asked directly, with the signed-in worker's bearer token,
    one kept-alive client per service (as the desk keeps them)."""

    def __init__(self, urls: dict[str, str]) -> None:
        token = mint_token(AuthSettings(), subject=WORKER, partner_id=PARTNER,
                           roles=["social_worker"], ttl=dt.timedelta(hours=10))  # fmt: skip
        self.headers = {"Authorization": f"Bearer {token}"}
        self.clients = {
            domain: httpx.AsyncClient(base_url=urls[domain], timeout=60)
            for domain in ("cases", *PEERS)
        }

    async def call(
        self, domain: str, path: str, params: dict[str, Any] | None = None, body: Any = None
    ) -> httpx.Response:
        """A GET (a POST with ``body``); raises unless the service answers 200."""
        client = self.clients[domain]
        if body is None:
            answer = await client.get(path, params=params, headers=self.headers)
        else:
            answer = await client.post(path, json=body, headers=self.headers)
        if answer.status_code != 200:
            raise RuntimeError(f"{domain} {path}: {answer.status_code} {answer.text[:500]}")
        return answer

    async def get(self, domain: str, path: str, params: dict[str, Any] | None = None) -> Any:
        return (await self.call(domain, path, params)).json()

    async def post(self, domain: str, path: str, body: dict[str, Any]) -> Any:
        return (await self.call(domain, path, body=body)).json()

    async def search(self, name: str) -> Any:
        """The desk's search: the register's similar-name search, 20 at a time."""
        return await self.post(
            "cases", "/v1/persons/search", {"name": name, "name_match": "similar", "limit": 20}
        )

    async def home(self, everyone: bool) -> dict[str, Any]:
        """The calls of "my cases", in the desk's order: the worker's plans, the count of the
        organisation's and the worker's tasks at once, then the four working lists at once
        (the worker's persons asked by pseudonym, 50 at a time, unless ``everyone``), then
        the names of the persons the lists show."""
        plans, _, tasks = await asyncio.gather(
            self.get("cases", "/v1/plans",
                     {"status": "open", "key_worker": WORKER, "limit": 200}),
            self.get("cases", "/v1/plans", {"status": "open", "limit": 1}),
            self.get("cases", "/v1/tasks",
                     {"assignee": WORKER, "status": "open", "limit": 200}),
        )  # fmt: skip
        mine = plans["items"]
        refs = sorted({p["person_ref"] for p in mine if p.get("person_ref")})
        chunks = [refs[i : i + REFS_PER_CALL] for i in range(0, len(refs), REFS_PER_CALL)]
        asked = [{}] if everyone else [{"person_ref": chunk} for chunk in chunks]
        pages = await asyncio.gather(
            *(asyncio.gather(*(self.get(w.domain, w.path,
                                        {"status": w.status, "limit": LIST_SIZE, **extra})
                               for extra in asked))
              for w in WORKLISTS)
        )  # fmt: skip
        lists = [
            [row for page in found for row in page["items"] if w.keeps(row, TODAY)][:LIST_SIZE]
            for w, found in zip(WORKLISTS, pages, strict=True)
        ]
        shown = {row["person_ref"] for rows in lists for row in rows if row.get("person_ref")}
        if shown:
            body = {"person_refs": sorted(shown), "limit": 200}
            await self.post("cases", "/v1/persons/search", body)
        return {"tasks": len(tasks["items"]), "plans": len(mine),
                "lists": [len(rows) for rows in lists]}  # fmt: skip

    async def file(self, person_id: uuid.UUID) -> Any:
        return await self.get("cases", f"/v1/persons/{person_id}/file")

    async def close(self) -> None:
        for client in self.clients.values():
            await client.aclose()


def records_in(file: dict[str, Any]) -> list[int]:
    """How many records of each kind a person's file holds (the kinds with any)."""
    return [
        len(rows)
        for service in file["services"]
        for rows in (service.get("records") or {}).values()
        if isinstance(rows, list) and rows
    ]


@dataclass
class Timings:
    desk: list[float] = field(default_factory=list)
    api: list[float] = field(default_factory=list)
    facts: list[dict[str, Any]] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        def figures(values: list[float]) -> dict[str, float]:
            return {
                "p50_ms": round(percentile(values, 0.5), 1),
                "p95_ms": round(percentile(values, 0.95), 1),
                "p99_ms": round(percentile(values, 0.99), 1),
                "max_ms": round(max(values), 1),
            }

        desk_p95 = percentile(self.desk, 0.95)
        return {
            "requests": len(self.desk),
            "desk": figures(self.desk),
            "api": figures(self.api),
            "ratio_p50": round(percentile(self.desk, 0.5) / percentile(self.api, 0.5), 2),
            "ratio_p95": round(desk_p95 / percentile(self.api, 0.95), 2),
            "target_met": desk_p95 <= TARGET_P95_MS,
        }


PAGES = ("search", "my cases", "working lists, whole organisation", "person's file")


async def breakdown(
    args: argparse.Namespace, urls: dict[str, str], loaded: Loaded
) -> list[dict[str, Any]]:
    """Where the pages' time goes: each API call they make, alone, one at a time (the
    person's file for "frequent" persons, in turn), with the size of its answer."""
    rnd = random.Random(args.seed + 2)
    frequent = loaded.records.frequent
    people = [frequent[int(rnd.random() * len(frequent))] for _ in range(args.warmup + 400)]
    api = Api(urls)
    found: list[dict[str, Any]] = []
    try:
        plans = await api.get(
            "cases", "/v1/plans", {"status": "open", "key_worker": WORKER, "limit": 200}
        )
        refs = sorted({p["person_ref"] for p in plans["items"]})[:REFS_PER_CALL]
        turn = iter(range(10**9))

        def someone() -> Person:
            return people[next(turn) % len(people)]

        asked: list[tuple[str, Callable[[], Awaitable[httpx.Response]]]] = [
            ("cases: the worker's open plans, with their tasks",
             lambda: api.call("cases", "/v1/plans",
                              {"status": "open", "key_worker": WORKER, "limit": 200})),
            ("cases: the worker's open tasks",
             lambda: api.call("cases", "/v1/tasks",
                              {"assignee": WORKER, "status": "open", "limit": 200})),
            *((f"{w.domain}: {w.path} {w.status}, the newest {LIST_SIZE}",
               lambda w=w: api.call(w.domain, w.path, {"status": w.status, "limit": LIST_SIZE}))
              for w in WORKLISTS),
            *((f"{w.domain}: {w.path} {w.status}, {len(refs)} persons' (person_ref)",
               lambda w=w: api.call(w.domain, w.path,
                                    {"status": w.status, "limit": LIST_SIZE, "person_ref": refs}))
              for w in WORKLISTS),
            (f"cases: the names of {len(refs)} persons (person_refs)",
             lambda: api.call("cases", "/v1/persons/search",
                              body={"person_refs": refs, "limit": 200})),
            ("cases: a person's file (the four services' records included)",
             lambda: api.call("cases", f"/v1/persons/{someone().person_id}/file")),
            ("cases: a person's record alone",
             lambda: api.call("cases", f"/v1/persons/{someone().person_id}")),
            *((f"{d}: a person's records",
               lambda d=d: api.call(d, f"/v1/persons/{someone().ref}/records"))
              for d in PEERS),
        ]  # fmt: skip
        n = max(5, args.requests // 4)
        progress(f"where the time goes: each API call of the pages, {n} times")
        for label, call in asked:
            for _ in range(min(args.warmup, 5)):
                await call()
            times, size = [], 0
            for _ in range(n):
                ms, answer = await timed(call)
                times.append(ms)
                size = max(size, len(answer.content))
            found.append({
                "call": label,
                "p50_ms": round(percentile(times, 0.5), 1),
                "p95_ms": round(percentile(times, 0.95), 1),
                "max_kb": round(size / 1024, 1),
            })  # fmt: skip
    finally:
        await api.close()
    return found


async def timed(call: Callable[[], Awaitable[Any]]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = await call()
    return (time.perf_counter() - start) * 1000, result


async def measure(
    args: argparse.Namespace, urls: dict[str, str], loaded: Loaded
) -> dict[str, dict[str, Any]]:
    """Each page ``--requests`` times after ``--warmup``, interleaved with the other pages;
    each next to its raw baseline (which goes first alternates). Checks that each page
    shows what the services answered."""
    rnd = random.Random(args.seed + 1)
    desk, api = Desk(urls["desk"]), Api(urls)
    try:
        await desk.sign_in()
        rounds = args.warmup + args.requests
        names: list[tuple[str, str]] = []
        while len(names) < rounds:
            someone = rnd.choice(loaded.people)
            words = f"{someone.given_names.split()[0]} {someone.family_name}".split()
            long = [i for i, w in enumerate(words) if len(w) >= 5]
            if long:
                i = rnd.choice(long)
                words[i] = typo(rnd, words[i])
                names.append((" ".join(words), str(someone.row[0])))
        frequent = loaded.records.frequent
        files = [frequent[int(rnd.random() * len(frequent))] for _ in range(rounds)]
        timings = {page: Timings() for page in PAGES}
        progress(f"{args.requests} requests of each page (after {args.warmup}), and as many"
                 " raw baselines")  # fmt: skip
        for i in range(rounds):
            name, wanted = names[i]
            person = files[i]
            for page, (on_desk, on_api) in calls(desk, api, name, person).items():
                if i % 2:
                    api_ms, answer = await timed(on_api)
                    desk_ms, shown = await timed(on_desk)
                else:
                    desk_ms, shown = await timed(on_desk)
                    api_ms, answer = await timed(on_api)
                if i < args.warmup:
                    continue
                t = timings[page]
                t.desk.append(desk_ms)
                t.api.append(api_ms)
                t.facts.append(check(page, shown, answer, wanted=wanted, person=person))
    finally:
        await desk.close()
        await api.close()
    report = {}
    for page, t in timings.items():
        summary = t.summary()
        summary["facts"] = facts_of(page, t.facts)
        report[page] = summary
    return report


Call = Callable[[], Awaitable[Any]]


def calls(desk: Desk, api: Api, name: str, person: Person) -> dict[str, tuple[Call, Call]]:
    """Each page's request at the desk and its raw baseline at the services."""
    return {
        "search": (lambda: desk.search(name), lambda: api.search(name)),
        "my cases": (lambda: desk.get("/?scope=mine"), lambda: api.home(False)),
        "working lists, whole organisation": (
            lambda: desk.get("/?scope=all"),
            lambda: api.home(True),
        ),
        "person's file": (
            lambda: desk.get(f"/persons/{person.person_id}"),
            lambda: api.file(person.person_id),
        ),
    }


def check(page: str, shown: str, answer: Any, *, wanted: str, person: Person) -> dict[str, Any]:
    """What the page shows against what the services answered (raises when they differ)."""
    if page == "search":
        total = answer["total"]
        assert heading_count(shown, "results-title") == total, "not the register's count"
        ids = [p["person_id"] for p in answer["items"]]
        assert all(f'href="/persons/{i}"' in shown for i in ids), "a person found is missing"
        return {"found": total, "top_20_has_the_person": wanted in ids}
    if page in ("my cases", "working lists, whole organisation"):
        tasks, plans = heading_count(shown, "tasks-title"), heading_count(shown, "plans-title")
        lists = h3_counts(shown)
        assert (tasks, plans, lists) == (answer["tasks"], answer["plans"], answer["lists"]), (
            page, (tasks, plans, lists), answer)  # fmt: skip
        return {"tasks": tasks, "plans": plans, "lists": lists}
    records = records_in(answer)
    assert sorted(h4_counts(shown)) == sorted(records), (h4_counts(shown), records)
    family = answer["person"]["family_name"]
    assert str(escape(family)) in shown, "the person's name is not on the file"
    assert all(s["status"] == "ok" for s in answer["services"]), answer["services"]
    return {"records": sum(records), "plans": len(answer["plans"])}


def facts_of(page: str, facts: list[dict[str, Any]]) -> dict[str, Any]:
    if page == "search":
        return {
            "found_median": statistics.median(f["found"] for f in facts),
            "person_in_top_20": round(
                sum(f["top_20_has_the_person"] for f in facts) / len(facts), 2
            ),
        }
    if page == "person's file":
        return {
            "records_median": statistics.median(f["records"] for f in facts),
            "records_max": max(f["records"] for f in facts),
        }
    last = facts[-1]
    return {"tasks": last["tasks"], "plans": last["plans"], "lists": last["lists"]}


# --- the run -----------------------------------------------------------------------------------


async def run(args: argparse.Namespace, admin_url: str | None = None) -> dict[str, Any]:
    """The whole benchmark; on ``admin_url`` (a server where the user may create databases)
    its databases are made and dropped again, else on its own PostgreSQL."""
    postgres = None
    if admin_url is None:
        postgres = LocalPostgres()
        progress("starting PostgreSQL")
        postgres.start()
        admin_url = postgres.url
    suffix = uuid.uuid4().hex[:8]
    names = {domain: f"bench_desk_{domain}_{suffix}" for domain in ("cases", *PEERS)}
    try:
        admin = await asyncpg.connect(admin_url)
        try:
            for name in names.values():
                await admin.execute(f'CREATE DATABASE "{name}"')
            version = await admin.fetchval("SHOW server_version")
        finally:
            await admin.close()
        databases = {domain: with_database(admin_url, name) for domain, name in names.items()}
        await asyncio.gather(
            *(migrate_url(url, list(DEFINITIONS[d].migrations)) for d, url in databases.items())
        )
        loaded = await load_partner(args, databases)
        serving = in_process if args.services == "in-process" else in_subprocesses
        progress(f"starting the services and the desk ({args.services})")
        async with serving(databases) as urls:
            pages = await measure(args, urls, loaded)
            calls = await breakdown(args, urls, loaded)
        return {
            "persons": args.persons,
            "followed": len(loaded.records.journey),
            "frequent": len(loaded.records.frequent),
            "records": sum(loaded.rows.values()),
            "rows": loaded.rows,
            "worker": loaded.worker,
            "generate_s": round(loaded.generate_s, 1),
            "load_s": round(loaded.load_s, 1),
            "services": args.services,
            "pages": pages,
            "calls": calls,
            "target_p95_ms": TARGET_P95_MS,
            "machine": {
                "cpus": os.cpu_count(),
                "python": platform.python_version(),
                "postgresql": version,
            },
        }
    finally:
        if postgres is not None:
            progress("stopping PostgreSQL")
            postgres.stop()
        else:
            admin = await asyncpg.connect(admin_url)
            try:
                for name in names.values():
                    await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            finally:
                await admin.close()


def print_report(report: dict[str, Any]) -> None:
    print(
        f"\n{report['persons']:,} persons of {PARTNER} ({report['followed']:,} with records,"
        f" {report['frequent']:,} frequent), {report['records']:,} records; generated in"
        f" {report['generate_s']} s, loaded in {report['load_s']} s; services"
        f" {report['services']}; {report['machine']}"
    )
    worker = report["worker"]
    print(f"the signed-in worker follows {worker['open_plans']} open plans and has"
          f" {worker['open_tasks']} open tasks\n")  # fmt: skip
    header = (
        f"{'page':36} {'n':>4} {'desk p50':>9} {'p95':>7} {'max':>7} {'API p50':>8}"
        f" {'p95':>7} {'ratio p95':>10}  target"
    )
    print(header)
    print("-" * len(header))
    for page, s in report["pages"].items():
        desk, api = s["desk"], s["api"]
        print(
            f"{page:36} {s['requests']:>4} {desk['p50_ms']:>9} {desk['p95_ms']:>7}"
            f" {desk['max_ms']:>7} {api['p50_ms']:>8} {api['p95_ms']:>7} {s['ratio_p95']:>10}"
            f"  {'met' if s['target_met'] else 'NOT met'}"
        )
    for page, s in report["pages"].items():
        print(f"  {page}: {s['facts']}")
    print(f"\n{'API call alone':64} {'p50':>7} {'p95':>7} {'KB':>7}")
    for c in report["calls"]:
        print(f"{c['call']:64} {c['p50_ms']:>7} {c['p95_ms']:>7} {c['max_kb']:>7}")
    print("\n" + markdown(report))


def markdown(report: dict[str, Any]) -> str:
    lines = [
        f"| page ({report['pages']['search']['requests']} requests each) | desk p50 | desk p95"
        " | API p50 | API p95 | ratio p50 | ratio p95 (page / API) | p95 ≤ 150 ms |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for page, s in report["pages"].items():
        desk, api = s["desk"], s["api"]
        lines.append(
            f"| {page} | {desk['p50_ms']} | {desk['p95_ms']} | {api['p50_ms']} |"
            f" {api['p95_ms']} | {s['ratio_p50']} | {s['ratio_p95']} |"
            f" {'yes' if s['target_met'] else '**no**'} |"
        )
    return "\n".join(lines)


QUICK = {"persons": 2_000, "records": 20_000, "requests": 30, "warmup": 5}


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--persons", type=int, default=100_000, help="persons of the partner")
    parser.add_argument("--records", type=int, default=1_000_000, help="records in all")
    parser.add_argument("--requests", type=int, default=200, help="requests of each page")
    parser.add_argument("--warmup", type=int, default=20, help="requests of each page first")
    parser.add_argument("--quick", action="store_true",
                        help="a small run: 2,000 persons, 20,000 records, 30 requests")  # fmt: skip
    parser.add_argument("--services", choices=["subprocess", "in-process"], default="subprocess")
    parser.add_argument("--seed", type=int, default=20260311)
    parser.add_argument("--timeout", type=float, default=3600.0, help="seconds before giving up")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--serve", choices=list(DEFINITIONS), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.quick:
        for name, value in QUICK.items():
            setattr(args, name, value)
    if not 100 <= args.persons <= 2_000_000 or not 1_000 <= args.records <= 20_000_000:
        parser.error("--persons 100..2000000, --records 1000..20000000")
    if not 1 <= args.requests <= 10_000 or not 0 <= args.warmup <= 1_000:
        parser.error("--requests 1..10000, --warmup 0..1000")
    return args


def main(argv: Sequence[str] | None = None) -> None:
    args = parse_args(argv)
    if args.serve:
        serve_child(args.serve)
        return
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        report = runner.run(asyncio.wait_for(run(args), args.timeout))
    if args.json:
        print(json.dumps(report, indent=2, default=str))
    else:
        print_report(report)


if __name__ == "__main__":
    main()

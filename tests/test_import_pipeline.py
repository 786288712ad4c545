"""A three-year history imported from spreadsheets, rows shuffled, gives the projection the same
key numbers as the same history recorded through the API in date order (real PostgreSQL, a
real broker, the projection consuming): housing, employment and family hosting."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from franoi_employment.bootstrap import DEFINITION as EMPLOYMENT
from franoi_hosting.bootstrap import DEFINITION as HOSTING
from franoi_housing.bootstrap import DEFINITION as HOUSING
from franoi_projection.bootstrap import DEFINITION as PROJECTION

from tests.support import (
    ANALYST,
    RunningService,
    auth_header,
    eventually,
    kafka_settings,
    partner_service_settings,
    projection_settings,
    running,
)

BY_API, BY_IMPORT = "p38", "p39"
FIRST, LAST = dt.date(2023, 1, 9), dt.date(2025, 12, 15)
PERSON = {"sex": "female", "age_band": "25-34", "protection_status": "refugee"}


@dataclass
class Record:
    """One record of the history: its sheet, its ref, its creation's fields (references by
    the other record's ref), its actions' fields and each step's date."""

    sheet: str
    ref: str
    fields: dict[str, Any]
    refs: dict[str, str] = field(default_factory=dict)
    steps: list[tuple[dt.date, int, str, dict[str, Any]]] = field(default_factory=list)
    """(day, order within the day, action path, body) after the create."""
    created_on: dt.date = FIRST
    order: int = 1


def days(rng: random.Random, low: int, high: int) -> dt.timedelta:
    return dt.timedelta(days=rng.randint(low, high))


def history(prefix: str, seed: int = 7) -> list[Record]:
    """The same shape of history for any partner (its persons' documents start with
    ``prefix``, so the two partners' persons differ)."""
    rng = random.Random(seed)
    made: list[Record] = []
    person = iter(range(1, 10_000))

    def someone() -> str:
        return f"{prefix}DOC{next(person):05d}X"

    for u in range(4):  # housing: 4 units of 2 beds, placements one after another per bed
        unit = f"U{u}"
        made.append(
            Record(
                "units",
                unit,
                {
                    "municipality_code": "L219",
                    "beds": 2,
                    "monthly_rent_eur": 350,
                    "rent_regime": "agreed",
                    "provider": "private_owner",
                    "available_from": FIRST.isoformat(),
                },
            )
        )
        for bed in range(2):
            day = FIRST + days(rng, 0, 40)
            n = 0
            while day < LAST:
                end = day + days(rng, 60, 300)
                ref = f"{unit}B{bed}P{n}"
                record = Record(
                    "placements",
                    ref,
                    {
                        "person_identifier": someone(),
                        "household_size": 1,
                        **PERSON,
                        "started_on": day.isoformat(),
                    },
                    {"unit_id": unit},
                    created_on=day,
                    order=6,
                )
                if end < LAST:
                    outcome = rng.choice(["autonomous_rent", "public_housing", "unknown"])
                    body = {"ended_on": end.isoformat(), "exit_outcome": outcome}
                    record.steps.append((end, 0, "end", body))
                made.append(record)
                day, n = end + days(rng, 1, 20), n + 1
    for a in range(2):  # employment: agreements, internships, hires after some of them
        made.append(
            Record(
                "company_agreements",
                f"A{a}",
                {
                    "company_name": f"Azienda {a}",
                    "sector": "I",
                    "places_offered": 20,
                    "signed_on": FIRST.isoformat(),
                },
            )
        )
    for i in range(14):
        start = FIRST + days(rng, 1, 900)
        planned = start + days(rng, 90, 180)
        record = Record(
            "internships",
            f"T{i}",
            {
                "person_identifier": someone(),
                **PERSON,
                "started_on": start.isoformat(),
                "planned_end_on": planned.isoformat(),
                "monthly_stipend_eur": 500,
                "stipend_paid_by": "project",
            },
            {"company_agreement_id": f"A{i % 2}"},
            created_on=start,
            order=6,
        )
        hired = rng.random() < 0.5
        outcome = {"outcome": "hired" if hired else "not_hired", "recorded_on": planned.isoformat()}
        record.steps += [
            (planned, 0, "end", {"ended_on": planned.isoformat()}),
            (planned, 7, "outcome", outcome),
        ]
        made.append(record)
        if hired:
            hire_on = planned + days(rng, 1, 10)
            made.append(
                Record(
                    "hires",
                    f"H{i}",
                    {
                        "person_identifier": record.fields["person_identifier"],
                        **PERSON,
                        "contract_type": "permanent",
                        "weekly_hours": 30,
                        "started_on": hire_on.isoformat(),
                    },
                    {"company_agreement_id": f"A{i % 2}", "internship_id": f"T{i}"},
                    created_on=hire_on,
                    order=8,
                )
            )
    for f in range(3):  # hosting: 3 one-room families, matches and stays one after another
        family = f"F{f}"
        approved = FIRST + dt.timedelta(days=20)
        made.append(
            Record(
                "families",
                family,
                {
                    "municipality_code": "F205",
                    "rooms_offered": 1,
                    "household_size": 3,
                    "languages": ["it"],
                    "applied_on": FIRST.isoformat(),
                },
                steps=[
                    (
                        FIRST + dt.timedelta(days=10),
                        2,
                        "assess",
                        {
                            "interview_on": (FIRST + dt.timedelta(days=5)).isoformat(),
                            "home_visit_on": (FIRST + dt.timedelta(days=10)).isoformat(),
                        },
                    ),
                    (approved, 3, "approve", {"approved_on": approved.isoformat()}),
                ],
            )
        )
        day, n = approved + days(rng, 5, 30), 0
        while day < LAST - dt.timedelta(days=30):
            match, stay = f"{family}M{n}", f"{family}S{n}"
            made.append(
                Record(
                    "matches",
                    match,
                    {
                        "person_identifier": someone(),
                        "proposed_on": (day - dt.timedelta(days=5)).isoformat(),
                    },
                    {"family_id": family},
                    steps=[(day, 5, "accept", {"accepted_on": day.isoformat()})],
                    created_on=day - dt.timedelta(days=5),
                    order=4,
                )
            )
            end = day + days(rng, 90, 200)
            stay_record = Record(
                "stays",
                stay,
                {
                    "started_on": day.isoformat(),
                    "planned_months": 6,
                    "monthly_contribution_eur": 300,
                    **PERSON,
                },
                {"match_id": match},
                created_on=day,
                order=6,
            )
            if end < LAST:
                stay_record.steps.append(
                    (
                        end,
                        0,
                        "end",
                        {"ended_on": end.isoformat(), "outcome": "completed_with_autonomy"},
                    )
                )
            made.append(stay_record)
            day, n = end + days(rng, 6, 40), n + 1  # proposed once the room is free
    return made


SERVICE_OF = {
    "units": "housing",
    "placements": "housing",
    "company_agreements": "employment",
    "internships": "employment",
    "hires": "employment",
    "families": "hosting",
    "matches": "hosting",
    "stays": "hosting",
}
PATH_OF = {
    "units": "/v1/units",
    "placements": "/v1/placements",
    "company_agreements": "/v1/company-agreements",
    "internships": "/v1/internships",
    "hires": "/v1/hires",
    "families": "/v1/families",
    "matches": "/v1/matches",
    "stays": "/v1/stays",
}
ID_OF = {
    "units": "unit_id",
    "placements": "placement_id",
    "company_agreements": "company_agreement_id",
    "internships": "internship_id",
    "hires": "hire_id",
    "families": "family_id",
    "matches": "match_id",
    "stays": "stay_id",
}
ORDER = list(PATH_OF)  # the sheets in the order an import takes them


async def record_through_the_api(services: dict[str, RunningService], made: list[Record]) -> int:
    """Every create and action as its own request, in date order; the number of requests."""
    headers = auth_header(BY_API, "social_worker", "partner_admin")
    ids: dict[str, str] = {}
    calls: list[tuple[dt.date, int, int, Callable[[], Any]]] = []

    def create(record: Record) -> Callable[[], Any]:
        async def call() -> None:
            body = {**record.fields, **{k: ids[v] for k, v in record.refs.items()}}
            client = services[SERVICE_OF[record.sheet]].client
            answer = await client.post(PATH_OF[record.sheet], json=body, headers=headers)
            assert answer.status_code == 201, (record.sheet, record.ref, answer.text)
            ids[record.ref] = answer.json()[ID_OF[record.sheet]]

        return call

    def act(record: Record, path: str, body: dict[str, Any]) -> Callable[[], Any]:
        async def call() -> None:
            client = services[SERVICE_OF[record.sheet]].client
            where = f"{PATH_OF[record.sheet]}/{ids[record.ref]}/{path}"
            answer = await client.post(where, json=body, headers=headers)
            assert answer.status_code == 200, (record.sheet, record.ref, path, answer.text)

        return call

    for n, record in enumerate(made):
        calls.append((record.created_on, record.order, n, create(record)))
        for day, order, path, body in record.steps:
            calls.append((day, order, n, act(record, path, body)))
    calls.sort(key=lambda c: c[:3])
    for *_, call in calls:
        await call()
    return len(calls)


def row_of(record: Record) -> dict[str, Any]:
    """The record as a row: its fields, its references' refs, its actions' fields."""
    row = {"ref": record.ref, **record.fields, **record.refs}
    for _, _, _, body in record.steps:
        row.update(body)
    return row


def sheet_file(made: list[Record], sheet: str, rng: random.Random) -> bytes:
    """The sheet's rows, shuffled; a stay's row carries its match's (a match accepted long
    ago waits for its stay, holding the family's room, until the stay is recorded)."""
    matches = {r.ref: row_of(r) for r in made if r.sheet == "matches"}
    rows = []
    for record in (r for r in made if r.sheet == sheet):
        row = row_of(record)
        if sheet == "stays":
            match = matches[row.pop("match_id")]
            row |= {k: v for k, v in match.items() if k != "ref"}
        rows.append({k: ",".join(v) if isinstance(v, list) else v for k, v in row.items()})
    rng.shuffle(rows)
    header = sorted({k for row in rows for k in row}, key=lambda k: (k != "ref", k))
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=header, delimiter=";")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


async def import_files(services: dict[str, RunningService], made: list[Record]) -> None:
    headers = auth_header(BY_IMPORT, "partner_admin")
    rng = random.Random(11)
    for sheet in [s for s in ORDER if s != "matches"]:  # every match here led to a stay
        client = services[SERVICE_OF[sheet]].client
        answer = await client.post(
            f"/v1/imports/sheets/{sheet}",
            content=sheet_file(made, sheet, rng),
            headers={**headers, "Content-Type": "text/csv"},
        )
        assert answer.status_code == 202, (sheet, answer.text)
        location = answer.headers["Location"]

        async def finished(client: Any = client, location: str = location) -> Any:
            body = (await client.get(location, headers=headers)).json()
            return body if body["status"] not in ("checking", "importing") else None

        report = await eventually(finished, timeout_s=120, interval_s=0.1)
        rows = sum(1 for r in made if r.sheet == sheet)
        assert report["status"] == "done", (sheet, report["problems"][:5])
        assert report["tally"] == {"created": rows, "updated": 0, "unchanged": 0, "refused": 0}


async def outbox_total(services: dict[str, RunningService], partner: str) -> int:
    total = 0
    for service in services.values():
        pool = service.wiring.state["services"].pool
        total += await pool.fetchval("SELECT count(*) FROM outbox WHERE partner_id = $1", partner)
    return total


async def test_imported_history_adds_up_like_the_api_in_date_order(
    databases: Any, kafka_bootstrap: str, kafka_idempotent: bool
) -> None:
    kafka = kafka_settings(kafka_bootstrap, kafka_idempotent)
    partners = [BY_API, BY_IMPORT]
    services = {
        definition.name: RunningService(
            definition,
            partner_service_settings(
                await databases.create(f"history_{definition.name}"), kafka, partners
            ),
        )
        for definition in (HOUSING, EMPLOYMENT, HOSTING)
    }
    projection = RunningService(
        PROJECTION,
        projection_settings(await databases.create("history_projection"), kafka, partners),
    )
    async with running(*services.values(), projection):
        made_by_api, made_by_import = history("A"), history("B")
        calls = await record_through_the_api(services, made_by_api)
        assert calls > 150  # a real history, not a handful of rows
        await import_files(services, made_by_import)
        events = {p: await outbox_total(services, p) for p in partners}
        assert events[BY_API] == events[BY_IMPORT] > 200

        async def applied() -> bool:
            async with projection.wiring.state["pool"].acquire() as conn:
                count = await conn.fetchval("SELECT count(*) FROM processed_events")
            return bool(count == sum(events.values()))

        await eventually(applied, timeout_s=120, interval_s=0.5)

        async def key_numbers(partner: str) -> dict[str, Any]:
            answer = await projection.client.get(
                "/v1/network/key-numbers",
                params={"from": "2023-01", "to": "2025-12", "partner_id": partner},
                headers=ANALYST,
            )
            assert answer.status_code == 200, answer.text
            return {
                row["indicator_id"]: (row["value"], row["numerator"], row["denominator"])
                for row in answer.json()["rows"]
            }

        by_api, by_import = await key_numbers(BY_API), await key_numbers(BY_IMPORT)
        assert by_import == by_api
        counted = [k for k, (value, *_) in by_api.items() if value]
        assert len(counted) >= 6, by_api  # housing, work and hosting figures all there
        await asyncio.sleep(0)

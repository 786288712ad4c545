"""A partner's million records across its five services, generated and loaded with ``COPY``.

Rows per table scale with the records asked (:data:`RECORDS` at 1,000,000); each service's
tables are drawn by its own module, for the register's persons with a pseudonym
(:mod:`~.draw`), and copied straight into the service's database.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import time
from dataclasses import dataclass

import asyncpg
from franoi_cases.adapters.crypto import FieldCipher
from franoi_cases.settings import CasesSettings

from franoi_benchmarks.desk.partner import PARTNER
from franoi_benchmarks.desk.records.cases import cases_records
from franoi_benchmarks.desk.records.draw import Records, Rows
from franoi_benchmarks.desk.records.employment import employment_records
from franoi_benchmarks.desk.records.events import events_records
from franoi_benchmarks.desk.records.hosting import hosting_records
from franoi_benchmarks.desk.records.housing import housing_records
from franoi_benchmarks.register import Generated, generate, load
from franoi_benchmarks.stats import progress

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
    rnd = random.Random(args.seed)  # noqa: S311 - made-up data, repeatable from the seed
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

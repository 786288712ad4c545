# ruff: noqa: S608 - the generated SQL is built from this file's constants only
"""The network views' reads over a history of about a million events.

Starts its own PostgreSQL (embedded, Unix socket), creates a projection database with the
real migrations and the 43 partners of the example directory, and generates straight into
the read models the facts of ``--events`` events (default 1,000,000) over five years
(2021-01 to 2025-12) for every axis: housing requests, placements and units, employment
consultations, group activities, enrolments, internships and hires, hosting families,
requests and stays, community events, labs and access batches, cases persons and plans.
Row ``g`` of every table holding ``person_ref`` belongs to person ``g`` (at partner
``g % 43``, a fifth of the hires at the next partner), so the facts also make the persons'
journeys across axes and partners, and the journeys' outcome counters.
The monthly counters are then computed from those facts with the same SQL the
projection's statements run per event (the test suite proves the two agree), and the real
projection app is served on 127.0.0.1 (consumer off).

Measured, each ``--repeats`` times after a warm-up, one request at a time over HTTP:
the key numbers (network, a region, a partner, public) over five years, indicator tables
(by month, partner, region, sex; a flow, a stock, a rate), completeness and an XLSX
export; next to two baselines for the same answer: a bare ``SELECT`` of the counter rows
it reads (no aggregation, no HTTP) and the same figures computed by scanning the facts.

    franoi-bench views [--events 1000000] [--repeats 60] [--json]
    franoi-bench views --quick

Everything it starts is stopped at the end; the run is bounded by ``--timeout``.
docs/benchmarks.md ("Network views: reads") explains the figures.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import time
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
from franoi_common.auth import mint_token
from franoi_common.settings import AuthSettings, KafkaSettings, ProjectionSettings
from franoi_devenv.services import RunningService
from franoi_projection.bootstrap import DEFINITION
from franoi_projection.projectors.counters import recount_sql
from franoi_projection.projectors.journeys import RECORD_ALL_JOURNEYS

from franoi_benchmarks.benchmark import Benchmark, Option, Report
from franoi_benchmarks.databases import postgresql
from franoi_benchmarks.serving import SERVE_OPTIONS
from franoi_benchmarks.stats import percentile, progress, repeated, table

PERIOD = {"from": "2021-01", "to": "2025-12"}
DAYS = 1826  # 2021-01-01 .. 2025-12-31

# rows per fact table at --events 1,000,000, and the events each row stands for
FACTS: dict[str, tuple[int, float]] = {
    "housing_units": (1_720, 1.6),
    "housing_requests": (150_000, 1.85),
    "housing_placements": (75_000, 1.8),
    "employment_consultations": (200_000, 1.0),
    "employment_group_activities": (10_000, 2.0),
    "employment_enrolments": (25_000, 2.0),
    "employment_internships": (20_000, 3.0),
    "employment_hires": (15_000, 1.5),
    "hosting_families": (4_000, 2.0),
    "hosting_requests": (30_000, 2.0),
    "hosting_stays": (10_000, 2.0),
    "events_access_counts": (40_000, 0.5),  # two rows per batch, one event per batch
    "events_community_events": (15_000, 2.0),
    "events_lab_series": (3_000, 2.0),
    "cases_persons": (30_000, 1.0),
    "cases_plans": (30_000, 2.5),
}

PARTNER = "'p' || lpad((1 + g % 43)::text, 2, '0')"
DAY = f"('2021-01-01'::date + (random() * {DAYS - 1})::int + g * 0)"
"""A random day of the five years (``g * 0`` ties it to the row, so it is drawn per row)."""
REF = "md5(g::text) || md5((g + 7)::text)"
SEX = "(ARRAY['female', 'male', 'other', 'undisclosed'])[1 + (random() * 3)::int]"
AGE = "(ARRAY['0-17', '18-24', '25-34', '35-44', '45-54', '55+'])[1 + (random() * 5)::int]"
STATUS = (
    "(ARRAY['refugee', 'subsidiary_protection', 'special_protection', 'other'])"
    "[1 + (random() * 3)::int]"
)
PERSON = f"{SEX}, {AGE}, {STATUS}"


def generators(rows: dict[str, int]) -> list[str]:
    """INSERT ... SELECT statements generating the facts (dates within the five years)."""
    n = rows
    return [
        f"""INSERT INTO housing_units SELECT {PARTNER}, gen_random_uuid(), 'F205',
            1 + (random() * 5)::int, 400, 'agreed', 'private_owner', d,
            CASE WHEN random() < 0.3 THEN d + (random() * 400)::int END
            FROM generate_series(1, {n["housing_units"]}) g, LATERAL (SELECT {DAY} AS d) x""",
        f"""INSERT INTO housing_requests SELECT {PARTNER}, gen_random_uuid(), {REF},
            1 + (random() * 4)::int, 'exit_from_reception', d, {PERSON},
            s, CASE WHEN s <> 'open' THEN d + (random() * 60)::int END
            FROM generate_series(1, {n["housing_requests"]}) g,
            LATERAL (SELECT {DAY} AS d, (ARRAY['satisfied', 'unsatisfied', 'withdrawn',
              'open'])[1 + (random() * 3)::int] || left(g::text, 0) AS s) x""",
        f"""INSERT INTO housing_placements SELECT {PARTNER}, gen_random_uuid(),
            gen_random_uuid(), NULL, {REF}, 1 + (random() * 4)::int, d, d + 180,
            e, CASE WHEN e IS NOT NULL THEN (ARRAY['autonomous_rent', 'public_housing',
              'other_project', 'back_to_reception', 'unknown'])[1 + (random() * 4)::int] END,
            {PERSON}
            FROM generate_series(1, {n["housing_placements"]}) g,
            LATERAL (SELECT {DAY} AS d) x,
            LATERAL (SELECT CASE WHEN random() < 0.6 THEN x.d + (random() * 300)::int END
              AS e) y""",
        f"""INSERT INTO employment_consultations SELECT {PARTNER}, gen_random_uuid(), {REF},
            {DAY}, (ARRAY['orientation', 'cv_and_applications', 'job_search',
              'savings_and_financial_education', 'rights_and_contracts'])
              [1 + (random() * 4)::int], 45, 'job_counsellor', {PERSON}
            FROM generate_series(1, {n["employment_consultations"]}) g""",
        f"""INSERT INTO employment_group_activities SELECT {PARTNER}, gen_random_uuid(),
            (ARRAY['orientation_group', 'financial_education_path', 'school_session'])
              [1 + (random() * 2)::int], d, 'held', d, (random() * 8)::int,
            (random() * 20)::int, NULL
            FROM generate_series(1, {n["employment_group_activities"]}) g,
            LATERAL (SELECT {DAY} AS d) x""",
        f"""INSERT INTO employment_enrolments SELECT {PARTNER}, gen_random_uuid(), {REF},
            'vocational', 80, d, d + 60, 'completed', d + 60, {PERSON}
            FROM generate_series(1, {n["employment_enrolments"]}) g,
            LATERAL (SELECT {DAY} AS d) x""",
        f"""INSERT INTO employment_internships SELECT {PARTNER}, gen_random_uuid(), {REF},
            gen_random_uuid(), 'I', d, d + 90, 500, 'project', d + 90, 'hired', NULL,
            d + 95, {PERSON}
            FROM generate_series(1, {n["employment_internships"]}) g,
            LATERAL (SELECT {DAY} AS d) x""",
        # a fifth of the hires at the next partner: persons moving between partners
        f"""INSERT INTO employment_hires SELECT
            'p' || lpad((1 + (g + (g % 5 = 0)::int) % 43)::text, 2, '0'),
            gen_random_uuid(), {REF}, NULL,
            CASE WHEN random() < 0.4 THEN gen_random_uuid() END, 'I', 'fixed_term', 30,
            {DAY}, NULL, NULL, NULL, {PERSON}
            FROM generate_series(1, {n["employment_hires"]}) g""",
        f"""INSERT INTO hosting_families (partner_id, family_id, municipality_code,
            rooms_offered, household_size, languages, applied_on, approved_on)
            SELECT {PARTNER}, gen_random_uuid(), 'F205', 1, 3, ARRAY['it'], d, d + 30
            FROM generate_series(1, {n["hosting_families"]}) g,
            LATERAL (SELECT {DAY} AS d) x""",
        f"""INSERT INTO hosting_requests (partner_id, request_id, person_ref, kind,
            household_size, submitted_on, sex, age_band, protection_status, status, closed_on)
            SELECT {PARTNER}, gen_random_uuid(), {REF}, 'hosting', 1, d, {PERSON},
            s, CASE WHEN s <> 'open' THEN d + 20 END
            FROM generate_series(1, {n["hosting_requests"]}) g,
            LATERAL (SELECT {DAY} AS d, (ARRAY['satisfied', 'unsatisfied', 'open'])
              [1 + (random() * 2)::int] || left(g::text, 0) AS s) x""",
        f"""INSERT INTO hosting_stays SELECT {PARTNER}, gen_random_uuid(), gen_random_uuid(),
            gen_random_uuid(), NULL, {REF}, d, 6, d + 180, 300, {PERSON},
            CASE WHEN random() < 0.7 THEN d + 180 END, 'completed_with_autonomy'
            FROM generate_series(1, {n["hosting_stays"]}) g,
            LATERAL (SELECT {DAY} AS d) x""",
        f"""INSERT INTO events_access_counts SELECT {PARTNER}, b, gen_random_uuid(), d, t,
            false, 1 + (random() * 9)::int
            FROM generate_series(1, {n["events_access_counts"]} / 2) g,
            LATERAL (SELECT gen_random_uuid() AS b, {DAY} AS d) x,
            unnest(ARRAY['work', 'housing']) AS t""",
        f"""INSERT INTO events_community_events (partner_id, community_event_id, kind,
            municipality_code, starts_on, duration_minutes, co_organising_associations,
            co_organising_public_bodies, co_organising_companies, co_organising_others,
            status, held_on, participants, beneficiaries, volunteers)
            SELECT {PARTNER}, gen_random_uuid(), (ARRAY['public_event', 'info_session',
              'festival', 'socialisation_lab'])[1 + (random() * 3)::int], 'H264', d, 90,
            1, 0, 0, 0, 'held', d, (random() * 80)::int, 10, 3
            FROM generate_series(1, {n["events_community_events"]}) g,
            LATERAL (SELECT {DAY} AS d) x""",
        f"""INSERT INTO events_lab_series SELECT {PARTNER}, gen_random_uuid(),
            (ARRAY['socialisation_lab', 'community_lab'])[1 + (random())::int], NULL, 'H264',
            d, d + 60, 8, (random() * 30)::int, (random() * 20)::int, 3
            FROM generate_series(1, {n["events_lab_series"]}) g,
            LATERAL (SELECT {DAY} AS d) x""",
        f"""INSERT INTO cases_persons SELECT {PARTNER}, gen_random_uuid(), {REF}, {DAY},
            {PERSON} FROM generate_series(1, {n["cases_persons"]}) g""",
        f"""INSERT INTO cases_plans (partner_id, plan_id, person_ref, opened_on, axes,
            planned_months, closed_on, outcome)
            SELECT {PARTNER}, gen_random_uuid(), {REF}, d, ARRAY['housing', 'work'], 12,
            CASE WHEN o IS NOT NULL THEN d + 300 END, o
            FROM generate_series(1, {n["cases_plans"]}) g,
            LATERAL (SELECT {DAY} AS d, (ARRAY['completed_autonomy_reached',
              'completed_partly', 'interrupted', NULL])[1 + (random() * 3)::int]
              || left(g::text, 0) AS o) x""",
        """INSERT INTO partner_activity
            SELECT p.partner_id, m::date, a, 50 + (random() * 400)::int, m + interval '27 days'
            FROM partners p, unnest(p.axes) a,
            generate_series('2021-01-01'::date, '2025-12-01'::date, interval '1 month') m""",
    ]


# --- what is measured -----------------------------------------------------------------------

_COUNTERS = (
    "SELECT indicator_id, partner_id, month, key, n FROM indicator_counts"
    " WHERE dimension = $1 AND month <= '2025-12-01'"
)
BARE = {
    "all": _COUNTERS.replace("$1", "'all'"),
    "sex": _COUNTERS.replace("$1", "'sex'") + " AND indicator_id = 'housing_requests_submitted'",
    "one": _COUNTERS.replace("$1", "'all'") + " AND indicator_id = $1",
    "two": _COUNTERS.replace("$1", "'all'") + " AND indicator_id = ANY($1::text[])",
    "journeys": "SELECT indicator_id, partner_id, month, key, n FROM indicator_counts"
    " WHERE dimension IN ('axes', 'days') AND month <= '2025-12-01'",
    "activity": "SELECT partner_id, month, axis, events, last_event_at FROM partner_activity"
    " WHERE month BETWEEN '2025-01-01' AND '2025-12-01'",
}

FACTS_KEY_NUMBERS = """
SELECT
 (SELECT count(*) FROM housing_requests WHERE submitted_on BETWEEN $1 AND $2),
 (SELECT count(*) FILTER (WHERE status = 'satisfied') FROM housing_requests
   WHERE closed_on BETWEEN $1 AND $2),
 (SELECT count(*) FROM housing_units WHERE available_from <= $2
   AND (withdrawn_on IS NULL OR withdrawn_on > $2)),
 (SELECT coalesce(sum(household_size), 0) FROM housing_placements
   WHERE started_on BETWEEN $1 AND $2),
 (SELECT count(*) FILTER (WHERE topic <> 'savings_and_financial_education')
   FROM employment_consultations WHERE held_on BETWEEN $1 AND $2),
 (SELECT count(*) FROM employment_hires WHERE started_on BETWEEN $1 AND $2),
 (SELECT coalesce(sum(accesses), 0) FROM events_access_counts
   WHERE accessed_on BETWEEN $1 AND $2),
 (SELECT count(*) FROM hosting_requests WHERE submitted_on BETWEEN $1 AND $2),
 (SELECT count(*) FROM cases_plans WHERE opened_on BETWEEN $1 AND $2),
 (SELECT count(*) FROM hosting_stays WHERE started_on BETWEEN $1 AND $2)
"""
FACTS_JOURNEYS = (
    "SELECT key, count(*) FROM journey_contributions("
    "(SELECT array_agg(DISTINCT person_ref) FROM journey_milestones))"
    " WHERE dimension = 'axes' AND month BETWEEN $1 AND $2 GROUP BY key"
)
"""The journeys' summary computed from every person's journey at read time."""
FACTS_BY_MONTH = (
    "SELECT date_trunc('month', submitted_on) AS m, count(*) FROM housing_requests"
    " WHERE submitted_on BETWEEN $1 AND $2 GROUP BY 1 ORDER BY 1"
)


def cases() -> list[tuple[str, str, dict[str, str], str, str | None]]:
    """(name, path, params, bare baseline, facts baseline)."""
    table = "/v1/network/indicators/{}/table"
    return [
        ("key numbers, network, 5 years", "/v1/network/key-numbers", {}, "all", "key"),
        ("key numbers, one region", "/v1/network/key-numbers", {"region": "Lombardia"}, "all",
         None),
        ("key numbers, one partner", "/v1/network/key-numbers", {"partner_id": "p07"}, "all",
         None),
        ("public key numbers (suppressed)", "/public/v1/key-numbers", {}, "all", None),
        ("table: requests by month", table.format("housing_requests_submitted"),
         {"by": "month"}, "one", "month"),
        ("table: beds available by month (stock)", table.format("housing_beds_available"),
         {"by": "month"}, "one", None),
        ("table: hires by partner", table.format("employment_hires"), {"by": "partner"},
         "one", None),
        ("table: satisfaction rate by region", table.format("housing_satisfaction_rate"),
         {"by": "region"}, "two", None),
        ("table: requests by sex", table.format("housing_requests_submitted"), {"by": "sex"},
         "sex", None),
        ("table: plans by month, one region", table.format("cases_plans_opened"),
         {"by": "month", "region": "Sicilia"}, "one", None),
        ("table by partner, integrator (suppressed)", table.format("housing_persons_housed"),
         {"by": "partner", "_as": "integrator"}, "one", None),
        ("journeys summary, network, 5 years", "/v1/network/journeys/summary", {},
         "journeys", "journeys"),
        ("table: autonomy reached by partner", table.format("journeys_autonomy_reached"),
         {"by": "partner"}, "one", None),
        ("completeness, 12 months", "/v1/network/completeness",
         {"from": "2025-01", "to": "2025-12"}, "activity", None),
        ("XLSX export: requests by month", table.format("housing_requests_submitted"),
         {"by": "month", "format": "xlsx"}, "one", None),
    ]  # fmt: skip


Measure = Callable[[argparse.Namespace, RunningService, str], Awaitable[Report]]


async def on_projection(
    args: argparse.Namespace, admin_url: str | None, database: str, measure: Measure
) -> Report:
    """``measure`` run against the real projection app on a fresh database of its own
    (consumer off), everything stopped at the end."""
    async with postgresql(admin_url) as server:
        url = await server.create(database)
        settings = ProjectionSettings(
            env="test",
            database_url=url,
            consumer_enabled=False,
            kafka=KafkaSettings(bootstrap="127.0.0.1:9"),
        )
        service = RunningService(DEFINITION, settings, **SERVE_OPTIONS)
        await service.start()  # migrations, then the app (which loads the 43 partners)
        try:
            return await measure(args, service, url)
        finally:
            await service.stop()


async def run(args: argparse.Namespace, admin_url: str | None = None) -> Report:
    return await on_projection(args, admin_url, "bench_views", measure)


async def build_history(conn: asyncpg.Connection, events: int) -> Report:
    """The read models of about ``events`` events generated into the database, their
    monthly counters and journeys computed; what was built, and how long it took."""
    scale = events / 1_000_000
    rows = {t: max(1, round(n * scale)) for t, (n, _) in FACTS.items()}
    total = round(sum(rows[t] * per_row for t, (_, per_row) in FACTS.items()))
    progress(f"generating the facts of about {total:,} events")
    start = time.perf_counter()
    for statement in generators(rows):
        await conn.execute(statement)
    generated_s = time.perf_counter() - start
    progress("computing the monthly counters from the facts")
    start = time.perf_counter()
    await conn.execute(
        "INSERT INTO indicator_counts (dimension, indicator_id, partner_id, month, key, n) "
        + recount_sql()
    )
    counted_s = time.perf_counter() - start
    # what autovacuum does after a bulk load: visibility map and statistics
    await conn.execute("VACUUM ANALYZE")
    # what each person's journey contributes, as the projection keeps it (migration 009)
    await conn.execute(RECORD_ALL_JOURNEYS)
    return {
        "events": total,
        "facts": {t: await conn.fetchval(f"SELECT count(*) FROM {t}") for t in FACTS},
        "counters": await conn.fetchval("SELECT count(*) FROM indicator_counts"),
        "journeys": await conn.fetchval("SELECT count(DISTINCT person_ref) FROM journey_counted"),
        "generate_s": round(generated_s, 1),
        "count_s": round(counted_s, 1),
    }


async def measure(args: argparse.Namespace, service: RunningService, url: str) -> Report:
    conn = await asyncpg.connect(url)
    try:
        history = await build_history(conn, args.events)
        auth = AuthSettings()
        analyst = mint_token(auth, subject="bench", partner_id="consortium",
                             roles=["consortium_analyst"])  # fmt: skip
        integrator = mint_token(auth, subject="bench", partner_id="consortium",
                                roles=["integrator"])  # fmt: skip
        d1, d2 = dt.date(2021, 1, 1), dt.date(2025, 12, 31)
        results = []
        for name, path, params, bare, from_facts in cases():
            query = {**PERIOD, **{k: v for k, v in params.items() if k != "_as"}}
            token = integrator if params.get("_as") == "integrator" else analyst
            headers = {"Authorization": f"Bearer {token}"}

            async def http(path: str = path, query: dict[str, str] = query,
                           headers: dict[str, str] = headers) -> None:  # fmt: skip
                response = await service.client.get(path, params=query, headers=headers)
                response.raise_for_status()

            api = await repeated(http, args.repeats)
            bare_sql = BARE[bare]
            bare_args: list[Any] = []
            if bare == "one":
                bare_args = [path.split("/")[-2]]
            elif bare == "two":
                bare_args = [["housing_requests_satisfied", "housing_requests_decided"]]

            async def select(sql: str = bare_sql, a: list[Any] = bare_args) -> None:
                await conn.fetch(sql, *a)

            raw = await repeated(select, args.repeats)
            row: dict[str, Any] = {
                "case": name,
                "api_p50_ms": round(percentile(api, 0.5), 1),
                "api_p95_ms": round(percentile(api, 0.95), 1),
                "bare_select_p95_ms": round(percentile(raw, 0.95), 1),
                "ratio_to_bare": round(percentile(api, 0.95) / percentile(raw, 0.95), 2),
            }
            if from_facts:
                sql = {"key": FACTS_KEY_NUMBERS, "journeys": FACTS_JOURNEYS}.get(
                    from_facts, FACTS_BY_MONTH
                )

                async def scan(sql: str = sql) -> None:
                    await conn.fetch(sql, d1, d2)

                scanned = await repeated(scan, max(5, args.repeats // 6), warmup=1)
                row["facts_scan_p95_ms"] = round(percentile(scanned, 0.95), 1)
                row["ratio_to_facts_scan"] = round(
                    percentile(api, 0.95) / percentile(scanned, 0.95), 3
                )
            progress(f"{name}: p95 {row['api_p95_ms']} ms")
            results.append(row)
    finally:
        await conn.close()
    return {
        **history,
        "repeats": args.repeats,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "results": results,
    }


def render(report: Report) -> str:
    lines = [
        f"\n{report['events']:,} events in {sum(report['facts'].values()):,} fact rows,"
        f" {report['counters']:,} counters, {report['journeys']:,} journeys"
        f" (generated in {report['generate_s']} s,"
        f" counted in {report['count_s']} s); {report['repeats']} requests per case\n",
    ]
    columns = [
        ("case", -45),
        ("p50", 7),
        ("p95", 7),
        ("bare p95", 9),
        ("ratio", 6),
        ("scan p95", 9),
        ("ratio", 6),
    ]
    lines += table(
        columns,
        [[r["case"], r["api_p50_ms"], r["api_p95_ms"], r["bare_select_p95_ms"],
          r["ratio_to_bare"], r.get("facts_scan_p95_ms", ""), r.get("ratio_to_facts_scan", "")]
         for r in report["results"]],
    )  # fmt: skip
    return "\n".join(lines)


OPTIONS = (
    Option("events", 1_000_000, "events in the history", (1_000, 20_000_000), quick=100_000),
    Option("repeats", 60, "requests per case", (5, 10_000), quick=20),
)
BENCHMARK = Benchmark("views", __doc__ or "", OPTIONS, run, render, timeout_s=1200.0)

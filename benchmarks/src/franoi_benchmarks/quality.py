# ruff: noqa: S608 - the generated SQL is built from this file's constants and the catalogue
"""The data-quality checks over the network's history of about a million events.

Builds the same five-year history of the 43 partners as ``franoi-bench views`` (the read
models, their counters and journeys; the directory listing every axis for every partner
from 2021, as the history has records on every axis at every partner), plus when each
event was entered: one row of
``event_entries`` per date of a fact that says something happened, entered on its day or
up to a month later (70 % within 2 days, 20 % within a week, 10 % later). Then measures:

- **the network's run**: every rule over every partner's records, flags replaced
  (``run_quality`` for the network, what ``POST /v1/reporting/quality-run`` does), next to
  a baseline of reading the same rows alone (``read_facts``: the I/O any run must do);
- **a partner's run**: the same for one partner at a time (the coordinator's "run again");
- **a partner's flag page**: ``GET /v1/reporting/periods/{period}/partners/{p}/flags`` and
  the partner's period page, over HTTP, one request at a time across the 43 partners, next
  to a bare ``SELECT`` of the same flag rows.

    franoi-bench quality [--events 1000000] [--repeats 60] [--runs 3] [--json]
    franoi-bench quality --quick

Everything it starts is stopped at the end; the run is bounded by ``--timeout``.
docs/benchmarks.md ("Reporting: data-quality checks") explains the figures.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import time
from typing import Any

import asyncpg
from franoi_common.auth import mint_token
from franoi_common.settings import AuthSettings
from franoi_devenv.services import RunningService
from franoi_projection.adapters.quality_store import read_facts, run_quality
from franoi_projection.domain.indicators import FACT_TABLES
from franoi_projection.projectors.entries import PLANNED

from franoi_benchmarks.benchmark import Benchmark, Option, Report
from franoi_benchmarks.stats import percentile, progress, repeated, table
from franoi_benchmarks.views import FACTS, build_history, on_projection

TODAY = dt.date(2026, 1, 15)
"""The day of the checks: two weeks after the history's last day."""
PERIOD = {
    "period_id": "q4-2025",
    "label_it": "Quarto trimestre 2025",
    "first_month": "2025-10",
    "last_month": "2025-12",
    "deadline": "2026-01-31",
}
DELAY = (
    "(CASE WHEN x.r < 0.7 THEN floor(random() * 3) WHEN x.r < 0.9 THEN 3 + floor(random() * 5)"
    " ELSE 8 + floor(random() * 23) END)::int"
)
PARTNERS = [f"p{n:02d}" for n in range(1, 44)]


async def entry_statements(conn: asyncpg.Connection) -> list[str]:
    """One INSERT per date column of a fact table that says something happened."""
    statements = []
    for name in FACTS:
        key = FACT_TABLES[name].key
        columns = await conn.fetch(
            "SELECT column_name FROM information_schema.columns WHERE table_name = $1"
            " AND table_schema = current_schema() AND data_type = 'date' ORDER BY ordinal_position",
            name,
        )
        for (column,) in columns:
            if column in PLANNED:
                continue
            statements.append(
                "INSERT INTO event_entries (partner_id, event_id, event_type, record_id,"
                " dated_on, entered_at)"
                f" SELECT x.partner_id, '{name}:' || x.k || ':{column}', '{name}', x.k, x.d,"
                f" (x.d + {DELAY})::timestamp + interval '10 hours'"
                f" FROM (SELECT t.partner_id, t.{key}::text AS k, t.{column} AS d, random() AS r"
                f" FROM {name} t WHERE t.{column} IS NOT NULL) x ON CONFLICT DO NOTHING"
            )
    return statements


async def run(args: argparse.Namespace, admin_url: str | None = None) -> Report:
    return await on_projection(args, admin_url, "bench_quality", measure)


async def measure(args: argparse.Namespace, service: RunningService, url: str) -> Report:
    conn = await asyncpg.connect(url)
    try:
        history = await build_history(conn, args.events)
        # The generated history has records on every axis at every partner from 2021: the
        # directory says so too, as a real network's directory matches its records.
        await conn.execute(
            "UPDATE partners SET axes = ARRAY['housing', 'employment', 'hosting', 'events',"
            " 'cases'], active_since = '2021-01-01'"
        )
        progress("recording when each event was entered")
        for statement in await entry_statements(conn):
            await conn.execute(statement)
        await conn.execute("VACUUM ANALYZE event_entries")
        entries = await conn.fetchval("SELECT count(*) FROM event_entries")

        progress("the network's run")
        network_s, read_s = [], []
        flags: dict[str, int] = {}
        for _ in range(args.runs):
            start = time.perf_counter()
            await read_facts(conn, None)
            read_s.append(time.perf_counter() - start)
            start = time.perf_counter()
            flags = await run_quality(conn, None, TODAY)
            network_s.append(time.perf_counter() - start)
        by_rule = {
            r["rule_id"]: r["n"]
            for r in await conn.fetch(
                "SELECT rule_id, count(*) AS n FROM quality_flags GROUP BY 1 ORDER BY 1"
            )
        }

        progress("one partner's run, each partner in turn")
        turn = iter(PARTNERS * (1 + args.repeats // len(PARTNERS)))

        async def partner_run() -> None:
            await run_quality(conn, next(turn), TODAY)

        partner_runs = await repeated(partner_run, args.repeats)

        auth = AuthSettings()
        consortium = mint_token(auth, subject="bench", partner_id="consortium",
                                roles=["consortium_analyst"])  # fmt: skip
        response = await service.client.post(
            "/v1/reporting/periods", json=PERIOD,
            headers={"Authorization": f"Bearer {consortium}"},
        )  # fmt: skip
        response.raise_for_status()
        tokens = {
            p: mint_token(auth, subject="bench", partner_id=p, roles=["partner_admin"])
            for p in PARTNERS
        }
        pages = {
            "flag page (a quarter)": "/v1/reporting/periods/q4-2025/partners/{p}/flags",
            "partner's period page": "/v1/reporting/periods/q4-2025/partners/{p}",
        }
        results = []
        for name, path in pages.items():
            order = iter(PARTNERS * (1 + (args.repeats + 5) // len(PARTNERS)))

            async def http(path: str = path, order: Any = order) -> None:
                p = next(order)
                response = await service.client.get(
                    path.format(p=p), headers={"Authorization": f"Bearer {tokens[p]}"}
                )
                response.raise_for_status()

            api = await repeated(http, args.repeats)
            bare_order = iter(PARTNERS * (1 + (args.repeats + 5) // len(PARTNERS)))

            async def select(order: Any = bare_order) -> None:
                await conn.fetch(
                    "SELECT * FROM quality_flags WHERE partner_id = $1"
                    " AND first_on <= '2025-12-31' AND last_on >= '2025-10-01'",
                    next(order),
                )

            bare = await repeated(select, args.repeats)
            results.append({
                "case": name,
                "api_p50_ms": round(percentile(api, 0.5), 1),
                "api_p95_ms": round(percentile(api, 0.95), 1),
                "bare_select_p95_ms": round(percentile(bare, 0.95), 1),
                "ratio_to_bare": round(percentile(api, 0.95) / percentile(bare, 0.95), 2),
            })  # fmt: skip
            progress(f"{name}: p95 {results[-1]['api_p95_ms']} ms")
    finally:
        await conn.close()
    return {
        **history,
        "entries": entries,
        "flags": sum(flags.values()),
        "flags_by_rule": by_rule,
        "network_run_s": round(min(network_s), 2),
        "network_first_run_s": round(network_s[0], 2),  # every flag written
        "network_read_s": round(min(read_s), 2),
        "network_ratio_to_read": round(min(network_s) / min(read_s), 2),
        "partner_run_p50_ms": round(percentile(partner_runs, 0.5), 1),
        "partner_run_p95_ms": round(percentile(partner_runs, 0.95), 1),
        "runs": args.runs,
        "repeats": args.repeats,
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "results": results,
    }


def render(report: Report) -> str:
    lines = [
        f"\n{report['events']:,} events in {sum(report['facts'].values()):,} fact rows,"
        f" {report['entries']:,} entries; {report['flags']:,} flags",
        f"network run: {report['network_run_s']} s (best of {report['runs']}; the first,"
        f" writing every flag, {report['network_first_run_s']} s); reading its facts alone"
        f" {report['network_read_s']}"
        f" s; ratio {report['network_ratio_to_read']}",
        f"one partner's run: p50 {report['partner_run_p50_ms']} ms,"
        f" p95 {report['partner_run_p95_ms']} ms",
        "flags by rule: "
        + ", ".join(f"{rule} {n:,}" for rule, n in report["flags_by_rule"].items())
        + "\n",
    ]
    columns = [("case", -30), ("p50", 7), ("p95", 7), ("bare p95", 9), ("ratio", 6)]
    lines += table(
        columns,
        [[r["case"], r["api_p50_ms"], r["api_p95_ms"], r["bare_select_p95_ms"],
          r["ratio_to_bare"]] for r in report["results"]],
    )  # fmt: skip
    return "\n".join(lines)


OPTIONS = (
    Option("events", 1_000_000, "events in the history", (1_000, 20_000_000), quick=50_000),
    Option("repeats", 60, "requests per case", (5, 10_000), quick=20),
    Option("runs", 3, "network runs", (1, 20), quick=1),
)
BENCHMARK = Benchmark("quality", __doc__ or "", OPTIONS, run, render, timeout_s=1800.0)

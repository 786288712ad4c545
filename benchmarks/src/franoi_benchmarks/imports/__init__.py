"""A partner's history from spreadsheets: 50,000 rows imported, next to the same rows sent
one request each.

Starts its own PostgreSQL (embedded, Unix socket) and two housing services of partner p01
on two empty databases with the real migrations, as ``serve`` runs them (``--services
subprocess``, the default, or ``in-process``; the relays off: the events wait in the
outbox). It generates ``--rows`` rows of five years' history (:mod:`.history`): a
twenty-fifth of them units (2,000 at the default), an agreement with an estate agency for
every fifty units (40), the rest placements of the past with their ends and exit outcomes
(47,960), spread so that every rule passes (no unit over capacity, one placement at a time
per person). Then, in the same run:

* **import**: the coordinator uploads the agreements, the units and the placements files
  (CSV as the Italian template is filled: ``;``, dates DD/MM/YYYY, codes by their labels;
  at most ``--file-rows`` rows a file, 50,000: the placements in one file) to ``POST
  /v1/imports/sheets/{sheet}``, each followed by ``GET /v1/imports/{id}`` to ``done``:
  read, checked through the rules (rolled back), imported;
* **API, the raw baseline**: the same rows to the other service, one request each, as a
  client would send them: ``POST /v1/agreements``, ``POST /v1/units``, then ``POST
  /v1/placements`` with ``ended_on`` and ``exit_outcome``, ``--concurrency`` requests at a
  time (8);
* **import again**: the same files to the first service: every row unchanged.

The ratio is import rows/s / API rows/s. Both databases must then hold the same records
(agreements, units, placements with their person pseudonyms, ends and outcomes: one
digest) and the same number of events; a difference, a refused row or a failed request
fails the run.

    franoi-bench import [--rows 50000] [--file-rows 50000] [--concurrency 8]
    franoi-bench import --quick

Everything it starts is stopped at the end; the run is bounded by ``--timeout``.
docs/benchmarks.md ("Importing a partner's history") explains the figures.
"""

# ruff: noqa: S608 - the digests' SQL is built from this file's constants only
from __future__ import annotations

import argparse
import asyncio
import json
import time
from collections.abc import Sequence
from typing import Any

import asyncpg
import httpx
from franoi_common.auth import mint_token
from franoi_common.migrations import migrate_url
from franoi_common.settings import AuthSettings
from franoi_devenv.kafka import free_port

from franoi_benchmarks.benchmark import Benchmark, Option, Report
from franoi_benchmarks.cpu import process_cpu_s
from franoi_benchmarks.databases import postgresql
from franoi_benchmarks.desk import environment
from franoi_benchmarks.desk.partner import PARTNER
from franoi_benchmarks.imports.history import (
    Headers,
    History,
    agreement_body,
    agreements_file,
    history,
    placement_body,
    placements_file,
    unit_body,
    units_file,
)
from franoi_benchmarks.serving import DEFINITIONS, Served, Spec, serving
from franoi_benchmarks.stats import percentile, progress, table

POLL_S = 0.1
DIGESTS = {
    "placements": "placement_id, unit_id, person_ref, household_size, started_on, ended_on,"
    " exit_outcome, status, sex, age_band, protection_status",
    "housing_units": "unit_id, agreement_id, municipality_code, beds, monthly_rent_eur,"
    " rent_regime, provider, available_from",
    "agreements": "agreement_id, counterpart_kind, counterpart_name, signed_on",
}
"""What both databases must hold alike, by table: one digest of these columns' rows."""


class Clock:
    """CPU seconds of the housing service (0 when it runs in this process: not told apart
    from the client) and wall seconds, from one mark to the next."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.mark()

    def mark(self) -> None:
        self.wall = time.perf_counter()
        self.cpu = process_cpu_s(self.pid) if self.pid else 0.0

    def since(self) -> tuple[float, float]:
        wall = time.perf_counter() - self.wall
        cpu = process_cpu_s(self.pid) - self.cpu if self.pid else 0.0
        return wall, cpu


async def _sheets(client: httpx.AsyncClient) -> dict[str, Headers]:
    answer = await client.get("/v1/imports/sheets", params={"lang": "it"})
    answer.raise_for_status()
    return {
        sheet["name"]: {
            c["name"]: {"header": c["header"], "codes": {k["code"]: k["label"] for k in c["codes"]}}
            for c in sheet["columns"]
        }
        for sheet in answer.json()
    }


async def import_file(
    client: httpx.AsyncClient, sheet: str, body: bytes, pid: int, wanted: str
) -> dict[str, Any]:
    """Upload ``body`` and follow it to its end: the time to read it (the upload's answer),
    to check it and to import it; its tally must hold every row as ``wanted``."""
    clock = Clock(pid)
    answer = await client.post(
        f"/v1/imports/sheets/{sheet}", content=body, headers={"Content-Type": "text/csv"}
    )
    if answer.status_code != 202:
        raise AssertionError(f"{sheet}: {answer.status_code} {answer.text[:2000]}")
    read_s = time.perf_counter() - clock.wall
    location = answer.headers["Location"]
    checked_s = None
    while True:
        await asyncio.sleep(POLL_S)
        found = (await client.get(location)).raise_for_status().json()
        if found["status"] == "importing" and checked_s is None:
            checked_s = time.perf_counter() - clock.wall
        if found["status"] not in ("checking", "importing"):
            break
    wall, cpu = clock.since()
    rows = found["total_rows"]
    if found["status"] != "done" or found["tally"][wanted] != rows:
        raise AssertionError(f"{sheet}: {found['status']} {found['tally']} {found['problems']}")
    checked_s = wall if checked_s is None else checked_s
    return {
        "rows": rows,
        "bytes": len(body),
        "read_s": round(read_s, 2),
        "check_s": round(checked_s - read_s, 2),
        "import_s": round(wall - checked_s, 2),
        "total_s": round(wall, 2),
        "rows_per_s": round(rows / wall, 1),
        "service_cpu_ms_per_row": round(1000 * cpu / rows, 3),
        "tally": found["tally"],
    }


async def send_each(
    client: httpx.AsyncClient,
    path: str,
    bodies: Sequence[dict[str, Any]],
    concurrency: int,
    pid: int,
) -> dict[str, Any]:
    """Each body one ``POST``, ``concurrency`` at a time; every answer must be 201."""
    clock = Clock(pid)
    latencies: list[float] = []
    failures: list[str] = []
    todo = iter(bodies)

    async def client_loop() -> None:
        for body in todo:
            started = time.perf_counter()
            answer = await client.post(path, json=body)
            latencies.append(1000 * (time.perf_counter() - started))
            if answer.status_code != 201:
                failures.append(f"{answer.status_code} {answer.text[:300]}")

    await asyncio.gather(*(client_loop() for _ in range(concurrency)))
    wall, cpu = clock.since()
    if failures:
        raise AssertionError(f"{path}: {len(failures)} failed, the first: {failures[0]}")
    return {
        "rows": len(bodies),
        "total_s": round(wall, 2),
        "rows_per_s": round(len(bodies) / wall, 1),
        "p50_ms": round(percentile(latencies, 0.5), 1),
        "p95_ms": round(percentile(latencies, 0.95), 1),
        "service_cpu_ms_per_row": round(1000 * cpu / len(bodies), 3),
    }


def _files(files: list[dict[str, Any]]) -> dict[str, Any]:
    """A sheet's files imported one after the other, as one."""
    if len(files) == 1:
        return {**files[0], "files": 1}
    rows = sum(f["rows"] for f in files)
    wall = sum(f["total_s"] for f in files)
    found = {k: round(sum(f[k] for f in files), 2) for k in ("read_s", "check_s", "import_s")}
    cpu = sum(f["service_cpu_ms_per_row"] * f["rows"] for f in files)
    tally = {k: sum(f["tally"][k] for f in files) for k in files[0]["tally"]}
    return {
        "rows": rows,
        "files": len(files),
        "bytes": sum(f["bytes"] for f in files),
        **found,
        "total_s": round(wall, 2),
        "rows_per_s": round(rows / wall, 1),
        "service_cpu_ms_per_row": round(cpu / rows, 3),
        "tally": tally,
        "by_file_s": [f["total_s"] for f in files],
    }


def _both(parts: dict[str, dict[str, Any]]) -> dict[str, Any]:
    rows = sum(p["rows"] for p in parts.values())
    wall = sum(p["total_s"] for p in parts.values())
    cpu = sum(p["service_cpu_ms_per_row"] * p["rows"] for p in parts.values())
    return {
        **parts,
        "rows": rows,
        "total_s": round(wall, 2),
        "rows_per_s": round(rows / wall, 1),
        "service_cpu_ms_per_row": round(cpu / rows, 3),
    }


async def _contents(url: str) -> dict[str, Any]:
    conn = await asyncpg.connect(url)
    try:
        found = {"events": await conn.fetchval("SELECT count(*) FROM outbox")}
        for table, columns in DIGESTS.items():
            row = await conn.fetchrow(
                f"SELECT count(*) AS n, md5(string_agg(concat_ws('|', {columns}), ','"
                f" ORDER BY {columns.split(',')[0]})) AS digest FROM {table}"
            )
            found[table] = row["n"]
            found[f"{table}_digest"] = row["digest"]
        return found
    finally:
        await conn.close()


async def measure(
    args: argparse.Namespace, made: History, served: dict[str, Served], pids: dict[str, int]
) -> dict[str, Any]:
    token = mint_token(AuthSettings(), subject="bench", partner_id=PARTNER, roles=["partner_admin"])
    headers = {"Authorization": f"Bearer {token}"}
    limits = httpx.Limits(max_connections=args.concurrency + 2)

    def client(name: str) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            base_url=served[name].url, headers=headers, timeout=600, limits=limits
        )

    async with client("imported") as imported, client("api") as api:
        sheets = await _sheets(imported)
        size = args.file_rows
        files = {
            "agreements": [agreements_file(made.agreements, sheets["agreements"])],
            "units": [
                units_file(made.units[i : i + size], sheets["units"])
                for i in range(0, len(made.units), size)
            ],
            "placements": [
                placements_file(made.stays[i : i + size], sheets["placements"])
                for i in range(0, len(made.stays), size)
            ],
        }

        async def imports(wanted: str) -> dict[str, Any]:
            parts = {}
            for sheet, bodies in files.items():
                done = []
                for number, body in enumerate(bodies, start=1):
                    progress(f"{sheet}: file {number} of {len(bodies)}, {len(body) / 1e6:.1f} MB")
                    done.append(await import_file(imported, sheet, body, pids["imported"], wanted))
                parts[sheet] = _files(done)
            return _both(parts)

        first = await imports("created")
        progress(f"the same rows through the API, {args.concurrency} requests at a time")
        sent = {
            "agreements": ("/v1/agreements", [agreement_body(PARTNER, a) for a in made.agreements]),
            "units": ("/v1/units", [unit_body(PARTNER, u) for u in made.units]),
            "placements": ("/v1/placements", [placement_body(PARTNER, s) for s in made.stays]),
        }
        by_api = _both(
            {
                sheet: await send_each(api, path, bodies, args.concurrency, pids["api"])
                for sheet, (path, bodies) in sent.items()
            }
        )
        again = await imports("unchanged")
    return {"import": first, "api": by_api, "import_again": again}


async def run(args: argparse.Namespace, admin_url: str | None = None) -> Report:
    started = time.perf_counter()
    made = history(args.rows, args.seed)
    progress(f"{len(made.units)} units, {len(made.stays)} placements")
    async with postgresql(admin_url) as server:
        databases = {
            name: await server.create(f"bench_import_{name}") for name in ("imported", "api")
        }
        machine = await server.machine()
        for url in databases.values():
            await migrate_url(url, list(DEFINITIONS["housing"].migrations))
        group = [
            Spec(name, "housing", environment("housing", url, {}), free_port())
            for name, url in databases.items()
        ]
        progress(f"starting two housing services ({args.services})")
        async with serving(args.services, [group]) as served:
            pids = {name: s.pid for name, s in served.items()}
            figures = await measure(args, made, served, pids)
        contents = {name: await _contents(url) for name, url in databases.items()}
    if contents["imported"] != contents["api"]:
        raise AssertionError(f"the import and the API recorded apart: {contents}")
    first, by_api, again = figures["import"], figures["api"], figures["import_again"]
    return {
        "rows": made.rows,
        "agreements": len(made.agreements),
        "units": len(made.units),
        "placements": len(made.stays),
        "persons": len({s.person_identifier for s in made.stays}),
        "concurrency": args.concurrency,
        **figures,
        "ratio": round(first["rows_per_s"] / by_api["rows_per_s"], 2),
        "again_ratio": round(again["total_s"] / first["total_s"], 2),
        "same_records": True,
        "recorded": contents["imported"],
        "run_minutes": round((time.perf_counter() - started) / 60, 1),
        "services": args.services,
        "machine": machine,
    }


def render(report: Report) -> str:
    def line(what: str, part: dict[str, Any], extra: str = "") -> list[str]:
        return [
            what,
            f"{part['rows']:,}",
            f"{part['total_s']:.1f}",
            f"{part['rows_per_s']:,.0f}",
            f"{part['service_cpu_ms_per_row']:.2f}",
            extra,
        ]

    def split(part: dict[str, Any]) -> str:
        files = f"{part['files']} files: " if part["files"] > 1 else ""
        return (
            f"{files}read {part['read_s']:.1f} s, check {part['check_s']:.1f} s,"
            f" import {part['import_s']:.1f} s"
        )

    def latency(part: dict[str, Any]) -> str:
        return f"p50 {part['p50_ms']:.1f} ms, p95 {part['p95_ms']:.1f} ms"

    rows: list[list[str]] = []
    for key, what, detail in (
        ("import", "import", split),
        ("api", "API, one request each", latency),
        ("import_again", "import again (unchanged)", split),
    ):
        phase = report[key]
        rows.append(line(what, phase))
        for sheet in ("agreements", "units", "placements"):
            rows.append(line(f"  {sheet}", phase[sheet], detail(phase[sheet])))
    columns = [("", -26), ("rows", 7), ("s", 7), ("rows/s", 7), ("CPU ms/row", 10), ("", -50)]
    recorded = report["recorded"]
    head = (
        f"\n{report['agreements']} agreements, {report['units']:,} units and "
        f"{report['placements']:,} placements of "
        f"{report['persons']:,} persons; API {report['concurrency']} requests at a time; "
        f"services {report['services']}; {json.dumps(report['machine'])}\n"
    )
    tail = [
        "",
        f"ratio import / API (rows/s): {report['ratio']:.2f}; "
        f"import again / import (time): {report['again_ratio']:.2f}",
        f"both databases: {recorded['agreements']} agreements,"
        f" {recorded['housing_units']:,} units, {recorded['placements']:,} placements, "
        f"{recorded['events']:,} events, the same records; run {report['run_minutes']} min",
    ]
    return "\n".join([head, *table(columns, rows), *tail])


OPTIONS = (
    Option("rows", 50_000, "rows of history: units and placements", (50, 100_000), quick=1_000),
    Option(
        "file_rows",
        50_000,
        "rows a file at most (a sheet's rows split into files, as a partner splits them)",
        (10, 100_000),
    ),
    Option("concurrency", 8, "API requests at a time", (1, 64)),
    Option("seed", 7, "the history's seed"),
    Option("services", "subprocess", choices=("subprocess", "in-process")),
)
BENCHMARK = Benchmark("import", __doc__ or "", OPTIONS, run, render, timeout_s=3600.0)
parse_args = BENCHMARK.parse_args

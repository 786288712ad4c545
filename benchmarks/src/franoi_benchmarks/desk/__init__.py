"""The desk's pages: 100,000 persons and 1,000,000 records at one partner.

Starts its own PostgreSQL (embedded, Unix socket), creates one database per partner service
(cases, housing, employment, hosting, events) with the real migrations and loads, straight
into them with ``COPY``, ``--persons`` persons of partner p01 into the register (default
100,000: the search benchmark's names, birth dates, sealed documents) and ``--records`` records
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

    franoi-bench desk [--persons 100000] [--records 1000000] [--requests 200]
    franoi-bench desk --quick

Everything it starts is stopped at the end; the run is bounded by ``--timeout``.
docs/benchmarks.md ("The desk's pages") explains the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform

from franoi_common.migrations import migrate_url
from franoi_devenv.kafka import free_port

from franoi_benchmarks.benchmark import Benchmark, Option, Report
from franoi_benchmarks.databases import postgresql
from franoi_benchmarks.desk.pages import PAGES, TARGET_P95_MS, breakdown, measure
from franoi_benchmarks.desk.partner import PARTNER, PEERS
from franoi_benchmarks.desk.records import load_partner
from franoi_benchmarks.desk.report import render
from franoi_benchmarks.serving import DEFINITIONS, Spec, serving
from franoi_benchmarks.stats import progress

__all__ = ["BENCHMARK", "PAGES", "parse_args", "run"]


def environment(domain: str, database_url: str, urls: dict[str, str]) -> dict[str, str]:
    """A service's ``FRANOI_*`` settings, as a deployment gives them (relays off: the pages
    only read, and reading needs no broker)."""
    env = {
        "FRANOI_ENV": "test",
        "FRANOI_PARTNER_ID": PARTNER,
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


async def run(args: argparse.Namespace, admin_url: str | None = None) -> Report:
    """The whole benchmark; on ``admin_url`` (a server where the user may create databases)
    its databases are made and dropped again, else on its own PostgreSQL."""
    async with postgresql(admin_url) as server:
        databases = {
            domain: await server.create(f"bench_desk_{domain}") for domain in ("cases", *PEERS)
        }
        version = await server.fetchval("SHOW server_version")
        await asyncio.gather(
            *(migrate_url(url, list(DEFINITIONS[d].migrations)) for d, url in databases.items())
        )
        loaded = await load_partner(args, databases)
        ports = {domain: free_port() for domain in (*PEERS, "cases", "desk")}
        urls = {domain: f"http://127.0.0.1:{port}" for domain, port in ports.items()}
        groups = [
            [
                Spec(domain, domain, environment(domain, databases.get(domain, ""), urls), port)
                for domain, port in ports.items()
                if domain in group
            ]
            for group in (PEERS, ("cases",), ("desk",))
        ]
        progress(f"starting the services and the desk ({args.services})")
        async with serving(args.services, groups):
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


OPTIONS = (
    Option("persons", 100_000, "persons of the partner", (100, 2_000_000), quick=2_000),
    Option("records", 1_000_000, "records in all", (1_000, 20_000_000), quick=20_000),
    Option("requests", 200, "requests of each page", (1, 10_000), quick=30),
    Option("warmup", 20, "requests of each page first", (0, 1_000), quick=5),
    Option("services", "subprocess", choices=("subprocess", "in-process")),
    Option("seed", 20260311, "of the generated data and requests"),
)
BENCHMARK = Benchmark("desk", __doc__ or "", OPTIONS, run, render, timeout_s=3600.0)
parse_args = BENCHMARK.parse_args

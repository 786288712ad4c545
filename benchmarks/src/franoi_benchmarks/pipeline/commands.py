"""The command servers, measured in the same run: the raw baselines and housing itself.

The same load (``POST /v1/requests`` from concurrent clients, after a warm-up) against a bare
FastAPI endpoint, FastAPI + asyncpg doing the command's transaction by hand (a row and an
outbox row, no tracing), and the housing service (partner p03, its relay in its process,
tracing as configured): requests/s and the server process' CPU per request, from ``/proc``.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import itertools
import json
import statistics
import time
import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import httpx
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse
from franoi_common.auth import mint_token
from franoi_common.migrations import OUTBOX, migrate_url
from franoi_common.settings import AuthSettings
from franoi_devenv.kafka import free_port

from franoi_benchmarks.cpu import process_cpu_s
from franoi_benchmarks.databases import Server
from franoi_benchmarks.pipeline.stack import Stack, environment, request_body
from franoi_benchmarks.serving import Spec, serving
from franoi_benchmarks.stats import progress

BASELINE_PARTNER = "p03"
RAW_TOPIC = "bench.raw.cloudevents.v1"
RAW_TABLE = """
CREATE TABLE requests (
    request_id        uuid PRIMARY KEY,
    partner_id        text NOT NULL,
    person_ref        text NOT NULL,
    household_size    integer NOT NULL,
    need              text NOT NULL,
    submitted_on      date NOT NULL,
    sex               text NOT NULL,
    age_band          text NOT NULL,
    protection_status text NOT NULL,
    created_at        timestamptz NOT NULL DEFAULT clock_timestamp()
)
"""
BASELINES = ("bare", "raw-db")
"""The raw baselines :mod:`franoi_benchmarks.child` serves."""


def baseline_app(kind: str, database_url: str) -> FastAPI:
    """The raw baselines of a command: a bare FastAPI endpoint (``bare``), and FastAPI +
    asyncpg doing one transaction that inserts a row and an outbox row (``raw-db``)."""
    pools: list[asyncpg.Pool] = []

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if kind == "raw-db":
            pools.append(await asyncpg.create_pool(database_url, min_size=2, max_size=10))
        yield
        for pool in pools:
            await pool.close()

    app = FastAPI(lifespan=lifespan)

    @app.post("/v1/requests")
    async def create(request: Request) -> JSONResponse:
        body = await request.json()
        request_id = uuid.uuid4()
        if kind == "raw-db":
            row = (
                request_id,
                BASELINE_PARTNER,
                body["person_identifier"],
                body["household_size"],
                body["need"],
                dt.date.fromisoformat(body["submitted_on"]),
                body["sex"],
                body["age_band"],
                body["protection_status"],
            )
            data = json.dumps({"request_id": str(request_id), **body})
            async with pools[0].acquire() as conn, conn.transaction():
                await conn.execute(
                    "INSERT INTO requests (request_id, partner_id, person_ref, household_size,"
                    " need, submitted_on, sex, age_band, protection_status)"
                    " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
                    *row,
                )
                await conn.execute(
                    "INSERT INTO outbox (event_id, partner_id, topic, aggregate_id, event_type,"
                    " source, occurred_at, data) VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb)",
                    uuid.uuid4(),
                    BASELINE_PARTNER,
                    RAW_TOPIC,
                    str(request_id),
                    "it.franoi.housing.request.submitted.v1",
                    "/partners/p03/housing",
                    dt.datetime.now(dt.UTC),
                    data,
                )
        return JSONResponse({"request_id": str(request_id)}, status_code=201)

    return app


async def http_load(
    url: str,
    pid: int,
    headers: dict[str, str],
    requests: int,
    warmup: int,
    concurrency: int,
    prefix: str,
) -> dict[str, Any]:
    """``concurrency`` clients send ``warmup`` then ``requests`` POST /v1/requests; the
    server's CPU (its process, from /proc) and wall time are counted for the latter."""
    limits = httpx.Limits(max_connections=concurrency + 4)
    errors: list[str] = []
    async with httpx.AsyncClient(base_url=url, timeout=30, limits=limits) as client:

        async def send(count: int, offset: int) -> None:
            counter = itertools.count()

            async def one_client() -> None:
                while (k := next(counter)) < count:
                    body = request_body(offset + k, prefix)
                    response = await client.post("/v1/requests", json=body, headers=headers)
                    if response.status_code != 201:
                        errors.append(f"{response.status_code} {response.text[:200]}")

            await asyncio.gather(*(one_client() for _ in range(concurrency)))

        await send(warmup, 0)
        cpu_before = process_cpu_s(pid)
        started = time.perf_counter()
        await send(requests, warmup)
        wall = time.perf_counter() - started
        cpu = process_cpu_s(pid) - cpu_before
    if errors:
        raise RuntimeError(f"{len(errors)} requests failed, e.g. {errors[0]}")
    return {
        "requests": requests,
        "requests_per_s": round(requests / wall, 1),
        "server_cpu_ms_per_request": round(cpu / requests * 1000, 3),
    }


async def phase_commands(
    stack: Stack, server: Server, requests: int, warmup: int, concurrency: int, rounds: int
) -> dict[str, Any]:
    """The same load (``POST /v1/requests``) against a bare FastAPI endpoint, FastAPI +
    asyncpg doing the command's transaction by hand, and the housing service (with its
    in-process relay, as deployed); each server in its own process, served alike (uvloop,
    httptools, no access log), so the ratio compares the application code only. ``rounds``
    times, the servers one after the other in each round, so that a moment of other work on the
    machine weighs on both sides; each server's figures are the median of its rounds."""
    raw_db = await server.create("baseline")
    await migrate_url(raw_db, [OUTBOX])
    conn = await asyncpg.connect(raw_db)
    try:
        await conn.execute(RAW_TABLE)
    finally:
        await conn.close()
    housing_db = await server.create(f"housing_{BASELINE_PARTNER}_cmd")
    token = mint_token(
        AuthSettings(), subject="bench", partner_id=BASELINE_PARTNER, roles=["social_worker"]
    )
    runs: dict[str, list[dict[str, Any]]] = {}
    for round_ in range(rounds):
        for name, kind, database, headers in (
            ("bare", "bare", raw_db, {}),
            ("raw-db", "raw-db", raw_db, {}),
            ("housing-p03", "housing", housing_db, {"Authorization": f"Bearer {token}"}),
        ):
            progress(
                f"commands, round {round_ + 1} of {rounds}:"
                f" {warmup} + {requests} POST /v1/requests to {name}"
            )
            env = environment(stack.kafka, database, BASELINE_PARTNER)
            ready = "/docs" if kind in BASELINES else "/readyz"
            spec = Spec(name, kind, env, free_port(), ready)
            async with serving("subprocess", [[spec]]) as served:
                runs.setdefault(name, []).append(
                    await http_load(
                        served[name].url,
                        served[name].pid,
                        headers,
                        requests,
                        warmup,
                        concurrency,
                        f"BENCHCMD{name[:4].upper()}R{round_}",
                    )
                )
    results: dict[str, Any] = {}
    for kind, kind_runs in runs.items():
        cpu = [r["server_cpu_ms_per_request"] for r in kind_runs]
        results[kind] = {
            "requests": requests,
            "requests_per_s": statistics.median(r["requests_per_s"] for r in kind_runs),
            "server_cpu_ms_per_request": statistics.median(cpu),
            "server_cpu_ms_per_request_by_round": cpu,
        }
    results["rounds"] = rounds
    results["concurrency"] = concurrency
    return results

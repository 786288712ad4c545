"""What every service process shares: the app skeleton, background workers and the CLI.

A service provides a :class:`ServiceDefinition` (its name, migrations and a
function that wires its parts to a database pool); this module turns it into
``franoi-<service> serve | migrate | <worker>`` commands. Settings are read
once, here, and handed down.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import asyncpg
import uvicorn
import uvloop
from fastapi import APIRouter, FastAPI

from franoi_common.auth import TokenVerifier
from franoi_common.db import create_pool
from franoi_common.http import (
    NATIVE_TELEMETRY_OFF,
    Health,
    Metrics,
    Readiness,
    install_error_handlers,
    install_health_routes,
    install_problem_openapi,
    install_root_redirect,
    instrument,
    offline_docs_app,
)
from franoi_common.kafka import BrokerCheck, Stall, ensure_topics
from franoi_common.migrations import MigrationSource, migrate_url
from franoi_common.settings import KafkaSettings, ServiceSettings
from franoi_common.telemetry import setup_logging, setup_tracing

log = logging.getLogger(__name__)

SERVER_OPTIONS: dict[str, Any] = {"loop": "uvloop", "http": "httptools"}
"""How every service's HTTP server runs (``serve``; workers run on uvloop too): uvloop's
event loop and the httptools parser cost about a third less CPU per request than asyncio's
loop and h11. The benchmark's raw baselines run with the same options."""


class Worker(Protocol):
    async def start(self) -> None: ...
    async def stop(self) -> None: ...

    stall_after_s: float

    def stalled(self) -> Stall | None: ...


@dataclass
class Wiring:
    """A service's parts, built by its ``wire`` function around one pool."""

    state: dict[str, Any] = field(default_factory=dict)
    """Parts the routes use (``app.state.<name>``, see :func:`franoi_common.api.from_state`)."""
    workers: dict[str, Worker] = field(default_factory=dict)
    """Background workers by command name (``relay``, ``consume``); those that run in a
    process answer for its liveness (``/healthz``)."""
    readiness: Readiness = field(default_factory=Readiness)
    metrics: dict[str, Metrics] = field(default_factory=dict)
    """What ``/metrics`` reports, by source (in every process of the service)."""
    on_start: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    on_stop: list[Callable[[], Awaitable[None]]] = field(default_factory=list)

    def check_dependencies(
        self, pool: asyncpg.Pool, kafka: KafkaSettings, *, broker_not_required: str
    ) -> None:
        """/readyz: the database, required; the broker, asked directly (a
        :class:`~franoi_common.kafka.BrokerCheck`, not what a worker last saw), reported in
        the API's process with the reason it can do without it (``broker_not_required``),
        and required in a worker's own process (:func:`run_workers`), which can do nothing
        without it."""

        async def database() -> None:
            await database_check(pool)

        broker = BrokerCheck(kafka)
        self.on_stop.append(broker.close)
        self.readiness.required["database"] = database
        self.readiness.inform("broker", broker, broker_not_required)

    def create_topics_at_start(self, kafka: KafkaSettings, topics: Sequence[str]) -> None:
        """Development convenience (FRANOI_KAFKA_CREATE_TOPICS); production provisions topics."""
        if not kafka.create_topics:
            return

        async def create() -> None:
            await ensure_topics(kafka, topics)

        self.on_start.append(create)


@dataclass(frozen=True)
class ServiceDefinition:
    name: str
    title: str
    settings_type: type[ServiceSettings]
    migrations: Sequence[MigrationSource]
    wire: Callable[[ServiceSettings, asyncpg.Pool | None], Wiring]
    """Builds the parts around the service's pool (None for a service without a database)."""
    routers: Callable[[ServiceSettings], Sequence[APIRouter]]
    """The API, built when the app is created (no database needed: the OpenAPI document
    can be generated anywhere); routes reach the wired parts through ``app.state``."""
    worker_names: tuple[str, ...]
    """Workers that can run as their own command (``relay``, ``consume``)."""
    in_process_workers: Callable[[ServiceSettings], Sequence[str]]
    """Which workers ``serve`` runs inside the API process under these settings."""
    setup_app: Callable[[FastAPI, ServiceSettings], None] | None = None
    """Service-specific app setup, applied when the app is created: Starlette fixes
    exception handlers at the first request, so never later."""
    commands: Sequence[Command] = ()
    """More CLI commands of the service (e.g. the projection's ``rebuild``)."""
    uses_database: bool = True
    """False for a service that keeps nothing (the desk): no pool, no ``migrate``."""


@dataclass(frozen=True)
class Command:
    """A service-specific CLI command: ``franoi-<service> <name> [options]``."""

    name: str
    help: str
    add_arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[ServiceSettings, argparse.Namespace], int]
    """Runs the command to its end; returns the process's exit code."""


async def database_check(pool: asyncpg.Pool) -> None:
    await pool.fetchval("SELECT 1")


def create_app(
    definition: ServiceDefinition, settings: ServiceSettings, *, run_workers: bool = True
) -> FastAPI:
    """The service's FastAPI app; its lifespan opens the pool and runs the workers."""
    state: dict[str, Wiring] = {}

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        pool = (
            await create_pool(settings.database_url, settings.database_pool_max)
            if definition.uses_database
            else None
        )
        wiring = definition.wire(settings, pool)
        state["wiring"] = wiring
        adopt_health(health, wiring)
        for name, value in wiring.state.items():
            setattr(app.state, name, value)
        names = definition.in_process_workers(settings) if run_workers else ()
        started: list[Worker] = []
        try:
            for hook in wiring.on_start:
                await hook()
            for name in names:
                worker = wiring.workers[name]
                await worker.start()
                started.append(worker)
                watch(health, name, worker, settings)
            app.state.pool = pool
            app.state.wiring = wiring
            yield
        finally:
            for worker in reversed(started):
                await worker.stop()
            for hook in wiring.on_stop:
                await hook()
            if pool is not None:
                await pool.close()

    health = Health()
    app = offline_docs_app(
        title=definition.title, version="1", lifespan=lifespan, telemetry=NATIVE_TELEMETRY_OFF
    )
    app.state.token_verifier = TokenVerifier(settings.auth)
    install_error_handlers(app)
    for router in definition.routers(settings):
        app.include_router(router)
    install_health_routes(app, health)
    install_root_redirect(app)
    install_problem_openapi(app)
    if definition.setup_app is not None:
        definition.setup_app(app, settings)
    instrument(app)
    return app


def watch(health: Health, name: str, worker: Worker, settings: ServiceSettings) -> None:
    """The process's liveness answers for ``worker`` (stalled after ``FRANOI_WORKER_STALL_S``)."""
    worker.stall_after_s = settings.worker_stall_s
    health.liveness.workers[name] = worker


def adopt_health(health: Health, wiring: Wiring) -> None:
    """What the wired parts report on the probes and ``/metrics``; the liveness of the
    workers the process starts is added as they start."""
    health.readiness.required.update(wiring.readiness.required)
    health.readiness.informational.update(wiring.readiness.informational)
    health.readiness.not_required.update(wiring.readiness.not_required)
    health.metrics.update(wiring.metrics)


class _WorkerHealthServer(uvicorn.Server):
    """Serves a worker's probes; leaves SIGTERM to the worker so it can stop cleanly
    (uvicorn would re-raise the signal and end the process before that)."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield

    def request_exit(self) -> None:
        self.should_exit = True


async def run_workers(definition: ServiceDefinition, settings: ServiceSettings, name: str) -> None:
    """Run one worker on its own, with ``/healthz``, ``/readyz`` and ``/metrics`` on the
    HTTP port for probes and scrapers; SIGTERM/SIGINT stop it (uvicorn handles the signals)."""
    pool = await create_pool(settings.database_url, settings.database_pool_max)
    try:
        wiring = definition.wire(settings, pool)
        worker = wiring.workers[name]
        health = Health()
        adopt_health(health, wiring)
        health.readiness.require("broker")
        watch(health, name, worker, settings)
        app = FastAPI(
            title=f"{definition.title}: {name}", openapi_url=None, telemetry=NATIVE_TELEMETRY_OFF
        )
        install_health_routes(app, health)
        server = _WorkerHealthServer(
            uvicorn.Config(
                app,
                host=settings.http_host,
                port=settings.http_port,
                log_config=None,
                access_log=False,
                lifespan="off",
            )
        )
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, server.request_exit)
        try:
            for hook in wiring.on_start:
                await hook()
            await worker.start()
            log.info("worker started", extra={"worker": name})
            try:
                await server.serve()
            finally:
                await worker.stop()
        finally:
            for hook in wiring.on_stop:
                await hook()
    finally:
        await pool.close()


def main(definition: ServiceDefinition, argv: Sequence[str] | None = None) -> None:
    """``franoi-<service> serve | migrate | <worker>``."""
    settings = definition.settings_type()
    parser = argparse.ArgumentParser(prog=f"franoi-{definition.name}", description=definition.title)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("serve", help="HTTP API (and the in-process workers)")
    if definition.uses_database:
        commands.add_parser("migrate", help="apply database migrations and exit")
    for worker in definition.worker_names:
        commands.add_parser(worker, help=f"run the {worker} worker on its own")
    extra = {command.name: command for command in definition.commands}
    for command in definition.commands:
        command.add_arguments(commands.add_parser(command.name, help=command.help))
    args = parser.parse_args(argv)
    service_name = settings.service_name if settings.service_name != "franoi" else definition.name
    setup_logging(service_name, settings.log_level)
    setup_tracing(service_name, settings.otel_exporter_endpoint)
    if args.command in extra:
        raise SystemExit(extra[args.command].run(settings, args))
    if args.command == "migrate":
        applied = asyncio.run(migrate_url(settings.database_url, list(definition.migrations)))
        log.info("migrations applied", extra={"applied": applied})
    elif args.command == "serve":
        app = create_app(definition, settings)
        uvicorn.run(
            app,
            host=settings.http_host,
            port=settings.http_port,
            log_config=None,
            access_log=False,
            **SERVER_OPTIONS,
        )
    else:
        with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
            runner.run(run_workers(definition, settings, args.command))

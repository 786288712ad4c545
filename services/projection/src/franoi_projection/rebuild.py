"""``franoi-projection rebuild``: the read models built again from the topics, next to the
live ones, and switched to without stopping the read API.

1. A new generation (see :mod:`franoi_projection.adapters.generations`): schema
   ``projection_<n>``, every migration of the service applied in it (``search_path`` set to
   it, so tables, functions and triggers are its own), the partner directory copied.
2. Every topic read from its first offset by a new consumer group with the live
   consumer's batched handler (except that the persons whose journeys changed are only
   noted, and their journeys recomputed once when the rebuild has caught up), progress
   logged at an interval (events applied, lag per topic, rate, time left).
3. When the lag is at most ``max_lag``, the consumer stops (its offsets committed: exactly
   what it applied) and, in one transaction, what the topics cannot tell is carried over
   from the live generation (the directory again, the arrival time of every event both
   applied) and the new generation becomes the active one. Serving processes follow
   within a poll interval.

Interrupted (a signal, a cancelled task, an error), it leaves the live generation as it
was; the half-built one is marked ``abandoned`` and dropped by ``franoi-projection
generations --drop-old``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import asyncpg
from franoi_common.consumer import IdempotentConsumer
from franoi_common.db import create_pool
from franoi_common.key_store import TokenOpener
from franoi_common.migrations import MigrationSource, migrate
from franoi_common.service import Command
from franoi_common.settings import ProjectionSettings, ServiceSettings

from franoi_projection.adapters.consumer_lag import LagProbe
from franoi_projection.adapters.generations import (
    CONTROL_TABLE,
    REBUILD_LOCK,
    SCHEMA_NAME,
    Generation,
    active_generation,
    ensure_control,
    generations,
    new_generation,
    set_state,
    topics_consumer,
)
from franoi_projection.projectors.handler import REBUILD_HANDLER
from franoi_projection.projectors.journeys import REFRESH

log = logging.getLogger(__name__)


CHECK_EVERY_S = 1.0
"""How often the rebuild asks the broker whether it caught up."""


class RebuildError(Exception):
    """The rebuild cannot go on (another one runs, the live generation changed...)."""


@dataclass(frozen=True)
class RebuildOptions:
    switch: bool = True
    """False: build and stop when caught up (state ``built``), for a comparison."""
    max_lag: int = 10
    """Switch once at most this many events are waiting (all topics together)."""
    progress_every_s: float = 10.0
    max_records: int = 5000
    """Records per poll (the live consumer polls 500): a poll's records are applied one
    partition at a time, and with hundreds of partitions larger polls make larger
    set-wise batches."""


@dataclass(frozen=True)
class Progress:
    generation: int
    applied: int
    lag_by_topic: dict[str, int] = field(default_factory=dict)
    rate_per_s: float = 0.0
    elapsed_s: float = 0.0

    @property
    def waiting(self) -> int:
        return sum(self.lag_by_topic.values())

    @property
    def eta_s(self) -> float | None:
        return self.waiting / self.rate_per_s if self.rate_per_s > 0 else None


def log_progress(progress: Progress) -> None:
    eta = "?" if progress.eta_s is None else f"{progress.eta_s:.0f} s"
    log.info(
        f"rebuild: {progress.applied} events applied, {progress.waiting} waiting,"
        f" {progress.rate_per_s:.0f} events/s, {eta} left",
        extra={
            "generation": progress.generation,
            "events_applied": progress.applied,
            "lag_by_topic": progress.lag_by_topic,
            "events_per_s": round(progress.rate_per_s, 1),
            "eta_s": None if progress.eta_s is None else round(progress.eta_s, 1),
            "elapsed_s": round(progress.elapsed_s, 1),
        },
    )


async def rebuild(
    settings: ProjectionSettings,
    migrations: Sequence[MigrationSource],
    options: RebuildOptions = RebuildOptions(),
    on_progress: Callable[[Progress], None] = log_progress,
) -> Generation:
    """Build a new generation from the topics; switch to it when caught up (see module)."""
    admin = await asyncpg.connect(settings.database_url)
    try:
        if not await admin.fetchval("SELECT pg_try_advisory_lock($1)", REBUILD_LOCK):
            raise RebuildError("another rebuild (or a drop) is running")
        if options.switch and await admin.fetchval(_ROLE_SEARCH_PATH):
            raise RebuildError(ROLE_SEARCH_PATH_SET)
        await ensure_control(admin, settings.consumer_group)
        live = await active_generation(admin, settings.consumer_group)
        target = await new_generation(admin, settings.consumer_group)
        log.info(
            "rebuild started",
            extra={"generation": target.number, "schema": target.schema, "live": live.number},
        )
        try:
            await _prepare(admin, settings, migrations, live, target)
            await _catch_up(settings, target, options, on_progress)
            await _refresh_journeys(settings, target)
            task = asyncio.current_task()
            if task is not None and task.cancelling():  # a cancel swallowed while stopping
                raise asyncio.CancelledError
            if options.switch:
                await _switch(admin, settings, live, target)
            else:
                await set_state(admin, target.number, "built")
        except BaseException:
            await _abandon(settings.database_url, target)
            raise
        state = "active" if options.switch else "built"
        log.info("rebuild done", extra={"generation": target.number, "state": state})
        return Generation(target.number, target.schema, target.consumer_group, state)
    finally:
        await _close(admin)  # also releases the lock


async def _close(conn: asyncpg.Connection) -> None:
    try:
        await asyncio.wait_for(conn.close(), 5)
    except Exception:  # interrupted mid-statement: drop the connection
        conn.terminate()


async def _abandon(database_url: str, target: Generation) -> None:
    """Mark the half-built generation (own connection: the other may be mid-statement)."""
    with contextlib.suppress(Exception):
        conn = await asyncpg.connect(database_url)
        try:
            await conn.execute(
                "UPDATE franoi_control.projection_generations SET state = 'abandoned'"
                " WHERE generation = $1 AND state IN ('building', 'built')",
                target.number,
            )
        finally:
            await conn.close()
    log.warning(
        "rebuild interrupted; the live generation is unchanged", extra={"generation": target.number}
    )


async def _prepare(
    admin: asyncpg.Connection,
    settings: ProjectionSettings,
    migrations: Sequence[MigrationSource],
    live: Generation,
    target: Generation,
) -> None:
    await admin.execute(f'CREATE SCHEMA "{target.schema}"')
    conn = await asyncpg.connect(
        settings.database_url, server_settings={"search_path": target.schema}
    )
    try:
        applied = await migrate(conn, list(migrations))
    finally:
        await conn.close()
    foreign = await admin.fetch(
        "SELECT c.relname, t.tgname, n.nspname FROM pg_trigger t"
        " JOIN pg_class c ON c.oid = t.tgrelid"
        " JOIN pg_proc p ON p.oid = t.tgfoid JOIN pg_namespace n ON n.oid = p.pronamespace"
        " WHERE c.relnamespace = $1::text::regnamespace AND NOT t.tgisinternal"
        " AND n.nspname <> $1::text",
        target.schema,
    )
    if foreign:
        raise RebuildError(f"triggers of {target.schema} call functions elsewhere: {foreign}")
    log.info("rebuild schema ready", extra={"schema": target.schema, "migrations": len(applied)})
    await copy_directory(admin, live.schema, target.schema)


async def copy_directory(conn: asyncpg.Connection, source: str, target: str) -> int:
    """The partner directory (not derivable from the topics) from one schema to another:
    the columns both have, inserted or updated."""
    if not (SCHEMA_NAME.match(source) and SCHEMA_NAME.match(target)):
        raise ValueError("not projection schemas")
    columns = await conn.fetch(
        "SELECT column_name FROM information_schema.columns"
        " WHERE table_schema = $1 AND table_name = 'partners'"
        " INTERSECT SELECT column_name FROM information_schema.columns"
        " WHERE table_schema = $2 AND table_name = 'partners'",
        source,
        target,
    )
    names = sorted(r["column_name"] for r in columns)
    listed = ", ".join(f'"{n}"' for n in names)
    updates = ", ".join(f'"{n}" = excluded."{n}"' for n in names if n != "partner_id")
    status: str = await conn.execute(
        f'INSERT INTO "{target}".partners ({listed})'  # noqa: S608 (schema names checked)
        f' SELECT {listed} FROM "{source}".partners'
        f" ON CONFLICT (partner_id) DO UPDATE SET {updates}"
    )
    return int(status.split()[-1])


CHECK_TABLES = ("quality_flags", "quality_runs")
"""What the data-quality runs made (not the events): computed again after a rebuild."""

REPORTING_TABLES = (
    "reporting_periods",
    "reporting_states",
    "reporting_history",
    "reporting_versions",
    "quality_explanations",
)
"""The consortium's and the partners' own record of reporting (periods, submissions,
decisions, approved figures, explanations): not derivable from the topics, carried over."""


async def copy_reporting(conn: asyncpg.Connection, source: str, target: str) -> None:
    """The reporting tables of ``source`` copied into ``target``'s, in the order their
    references need (a live generation older than them has nothing to copy)."""
    if not (SCHEMA_NAME.match(source) and SCHEMA_NAME.match(target)):
        raise ValueError("not projection schemas")
    for table in REPORTING_TABLES:
        if await conn.fetchval("SELECT to_regclass($1)", f'"{source}".{table}') is None:
            continue
        await conn.execute(
            f'INSERT INTO "{target}".{table} OVERRIDING SYSTEM VALUE'  # noqa: S608 (checked)
            f' SELECT * FROM "{source}".{table} ON CONFLICT DO NOTHING'
        )
    await conn.execute(
        "SELECT setval(pg_get_serial_sequence($1, 'step_id'),"  # noqa: S608 (schema checked)
        f' (SELECT coalesce(max(step_id), 0) + 1 FROM "{target}".reporting_history), false)',
        f'"{target}".reporting_history',
    )


def _lag_probe(settings: ProjectionSettings, group: str) -> LagProbe:
    return LagProbe(settings.kafka, group, settings.topic_pattern)


async def _catch_up(
    settings: ProjectionSettings,
    target: Generation,
    options: RebuildOptions,
    on_progress: Callable[[Progress], None],
) -> None:
    pool = await create_pool(
        settings.database_url,
        settings.database_pool_max,
        server_settings={"search_path": target.schema},
    )
    opener = TokenOpener(settings.key_stores)
    consumer = topics_consumer(
        IdempotentConsumer, pool, settings, target.consumer_group, REBUILD_HANDLER, opener,
        "franoi-projection-rebuild", max_records=options.max_records,
    )  # fmt: skip
    try:
        await consumer.start()
        began = last_at = time.monotonic()
        last_applied = 0
        while True:
            # Whether it caught up is asked every second; progress is told at its interval.
            await asyncio.sleep(min(CHECK_EVERY_S, options.progress_every_s))
            try:
                lag = await _lag_probe(settings, target.consumer_group).lag()
            except Exception as exc:  # the broker away for a moment: ask again later
                log.warning("rebuild: lag unknown", extra={"error": type(exc).__name__})
                continue
            now, applied = time.monotonic(), consumer.processed
            done = lag.total <= options.max_lag
            if done or now - last_at >= options.progress_every_s:
                rate = (applied - last_applied) / (now - last_at) if now > last_at else 0.0
                on_progress(Progress(target.number, applied, dict(lag.by_topic), rate, now - began))
                last_at, last_applied = now, applied
            if done:
                return
    finally:
        await consumer.stop()  # commits the offsets of what it applied
        await opener.close()
        await pool.close()


async def _refresh_journeys(settings: ProjectionSettings, target: Generation) -> None:
    """The journeys of every person the rebuild noted, recomputed at once (the catch-up
    only notes them)."""
    conn = await asyncpg.connect(
        settings.database_url, server_settings={"search_path": target.schema}
    )
    try:
        started = time.monotonic()
        await conn.execute(REFRESH)
        log.info(
            "rebuild: journeys recomputed",
            extra={"generation": target.number, "seconds": round(time.monotonic() - started, 2)},
        )
    finally:
        await _close(conn)


_CARRY_ARRIVALS = """
UPDATE "{new}".processed_events n SET processed_at = o.processed_at
FROM "{old}".processed_events o
WHERE o.source = n.source AND o.event_id = n.event_id AND o.processed_at <> n.processed_at;
UPDATE "{new}".dead_letters n SET dead_lettered_at = o.dead_lettered_at
FROM "{old}".dead_letters o
WHERE (o.topic, o.kafka_partition, o.kafka_offset) = (n.topic, n.kafka_partition, n.kafka_offset);
"""


_ROLE_SEARCH_PATH = """
SELECT EXISTS (
    SELECT FROM pg_db_role_setting s, unnest(s.setconfig) AS c(setting)
    WHERE s.setrole = (SELECT oid FROM pg_roles WHERE rolname = current_user)
      AND c.setting LIKE 'search_path=%'
)
"""
"""Serving connections take the database's default search_path only if their role sets
none of its own (a role's setting, in this database or everywhere, wins)."""
ROLE_SEARCH_PATH_SET = "the role has its own search_path, which would override the database's"


async def _switch(
    admin: asyncpg.Connection, settings: ProjectionSettings, live: Generation, target: Generation
) -> None:
    async with admin.transaction():
        await admin.execute(f"LOCK TABLE {CONTROL_TABLE} IN EXCLUSIVE MODE")
        if await active_generation(admin, settings.consumer_group) != live:
            raise RebuildError("the active generation changed during the rebuild")
        missing = await admin.fetch(
            f'SELECT component, version FROM "{live.schema}".schema_migrations'  # noqa: S608
            f' EXCEPT SELECT component, version FROM "{target.schema}".schema_migrations'
        )
        if missing:
            raise RebuildError(f"the live generation has migrations the new one lacks: {missing}")
        if await admin.fetchval(_ROLE_SEARCH_PATH):
            raise RebuildError(ROLE_SEARCH_PATH_SET)
        await copy_directory(admin, live.schema, target.schema)
        # When each event reached the consortium is a fact of the live history, not of the
        # topics (completeness counts by the event's own time, which the topics do carry).
        await admin.execute(_CARRY_ARRIVALS.format(new=target.schema, old=live.schema))
        await copy_reporting(admin, live.schema, target.schema)
        await set_state(admin, live.number, "retired")
        await admin.execute(
            "UPDATE franoi_control.projection_generations"
            " SET state = 'active', switched_at = now() WHERE generation = $1",
            target.number,
        )
        statement = await admin.fetchval(
            "SELECT format('ALTER DATABASE %I SET search_path TO %I',"
            " current_database(), $1::text)",
            target.schema,
        )
        await admin.execute(statement)
    log.info(
        "projection generation switched",
        extra={"generation": target.number, "schema": target.schema, "previous": live.number},
    )


RETIRED_GRACE_S = 60
"""A generation retired less than this ago may still answer a request of a serving process
that has not yet noticed the switch: it is not dropped yet."""


async def drop_old(settings: ProjectionSettings) -> list[Generation]:
    """Drop the schema of every generation but the active one (refused while a rebuild
    runs; a just retired one is kept for ``RETIRED_GRACE_S``). Generation 0's tables live in
    ``public``, which is kept."""
    conn = await asyncpg.connect(settings.database_url)
    try:
        if not await conn.fetchval("SELECT pg_try_advisory_lock($1)", REBUILD_LOCK):
            raise RebuildError("a rebuild is running; drop old generations after it")
        recent = False
        if await conn.fetchval("SELECT to_regclass($1)", CONTROL_TABLE) is not None:
            recent = await conn.fetchval(
                "SELECT coalesce(bool_or(switched_at > now() - make_interval(secs => $1)), false)"
                " FROM franoi_control.projection_generations WHERE state = 'active'",
                float(RETIRED_GRACE_S),
            )
        dropped: list[Generation] = []
        for generation in await generations(conn, settings.consumer_group):
            if generation.state in ("active", "dropped") or generation.schema == "public":
                continue
            if generation.state == "retired" and recent:
                continue
            async with conn.transaction():
                await conn.execute(f'DROP SCHEMA IF EXISTS "{generation.schema}" CASCADE')
                await set_state(conn, generation.number, "dropped")
            dropped.append(generation)
        return dropped
    finally:
        await conn.close()


# --- the CLI ---------------------------------------------------------------------------------


def _count(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return value


def _seconds(text: str) -> float:
    value = float(text)
    if not 0 < value <= 3600:
        raise argparse.ArgumentTypeError("must be between 0 and 3600 seconds")
    return value


def _rebuild_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--no-switch",
        "--dry-run",
        dest="no_switch",
        action="store_true",
        help="build the new generation and stop when caught up, without switching to it",
    )
    limits: list[tuple[str, Callable[[str], Any], Any, str, str]] = [
        ("--max-lag", _count, RebuildOptions.max_lag, "EVENTS", "switch once at most this many"
         " events wait on the topics"),
        ("--progress-every", _seconds, RebuildOptions.progress_every_s, "SECONDS",
         "log progress at this interval"),
    ]  # fmt: skip
    for flag, kind, default, metavar, text in limits:
        parser.add_argument(
            flag, type=kind, default=default, metavar=metavar, help=f"{text} (default %(default)s)"
        )


def _generations_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--drop-old",
        action="store_true",
        help="drop the schema of every generation but the active one",
    )


def commands(migrations: Sequence[MigrationSource]) -> list[Command]:
    """``rebuild`` and ``generations``, for the service's CLI."""

    def run_rebuild(settings: ServiceSettings, args: argparse.Namespace) -> int:
        assert isinstance(settings, ProjectionSettings)
        options = RebuildOptions(
            switch=not args.no_switch,
            max_lag=args.max_lag,
            progress_every_s=args.progress_every,
        )
        try:
            asyncio.run(rebuild(settings, migrations, options))
        except RebuildError as exc:
            log.error("rebuild refused", extra={"reason": str(exc)})
            return 1
        except KeyboardInterrupt:
            return 130
        return 0

    def run_generations(settings: ServiceSettings, args: argparse.Namespace) -> int:
        assert isinstance(settings, ProjectionSettings)

        async def listing() -> list[Generation]:
            conn = await asyncpg.connect(settings.database_url)
            try:
                return await generations(conn, settings.consumer_group)
            finally:
                await conn.close()

        try:
            if args.drop_old:
                for generation in asyncio.run(drop_old(settings)):
                    log.info("generation dropped", extra={"generation": generation.number})
            for generation in asyncio.run(listing()):
                print(
                    f"{generation.number}\t{generation.schema}\t{generation.state}"
                    f"\t{generation.consumer_group}"
                )
        except RebuildError as exc:
            log.error("generations: refused", extra={"reason": str(exc)})
            return 1
        return 0

    return [
        Command(
            "rebuild",
            "rebuild the read models from the topics into a new schema and switch to it",
            _rebuild_arguments,
            run_rebuild,
        ),
        Command(
            "generations",
            "list the read models' generations (and drop the old ones)",
            _generations_arguments,
            run_generations,
        ),
    ]

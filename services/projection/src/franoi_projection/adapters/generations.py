"""Generations of the projection's read models: which schema the read API answers from and
which consumer group feeds it.

Generation 0 is the original layout: the tables in ``public``, the group of the settings.
A rebuild (see :mod:`franoi_projection.rebuild`) builds generation n in schema
``projection_<n>`` with its own group and, once caught up, makes it the active one in one
transaction: the row in ``franoi_control.projection_generations`` and the database's
default ``search_path``, so that every new connection answers from the new schema.

Every serving process runs a :class:`GenerationFollower`: it polls the active generation
and, when it changed, stops the live consumer, retires the pool's connections (the next
ones are opened on the new ``search_path``; a request already running finishes on the old
schema, which is complete), and starts the consumer again on the new group, whose
committed offsets the rebuild left at what it applied.
"""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass
from typing import Any, TypeVar

import asyncpg
from franoi_common.consumer import IdempotentConsumer
from franoi_common.kafka import BackgroundWorker, Stall
from franoi_common.key_store import TokenOpener
from franoi_common.projector import ProjectionHandler
from franoi_common.settings import ProjectionSettings

from franoi_projection.adapters.consumer_lag import LagProbe

log = logging.getLogger(__name__)

CONTROL_TABLE = "franoi_control.projection_generations"
SCHEMA_NAME = re.compile(r"^(public|projection_[0-9]+)$")
REBUILD_LOCK = 0x6672616E6F6972  # "franoir": one rebuild (or drop) at a time

_CONTROL_DDL = f"""
CREATE SCHEMA IF NOT EXISTS franoi_control;
CREATE TABLE IF NOT EXISTS {CONTROL_TABLE} (
    generation     integer PRIMARY KEY CHECK (generation >= 0),
    schema_name    text NOT NULL UNIQUE CHECK (schema_name ~ '^(public|projection_[0-9]+)$'),
    consumer_group text NOT NULL UNIQUE,
    state          text NOT NULL CHECK (state IN
                       ('building', 'built', 'active', 'retired', 'abandoned', 'dropped')),
    created_at     timestamptz NOT NULL DEFAULT now(),
    switched_at    timestamptz
);
CREATE UNIQUE INDEX IF NOT EXISTS projection_generations_one_active
    ON {CONTROL_TABLE} ((true)) WHERE state = 'active';
"""


@dataclass(frozen=True)
class Generation:
    number: int
    schema: str
    consumer_group: str
    state: str = "active"

    def __post_init__(self) -> None:
        if not SCHEMA_NAME.match(self.schema):
            raise ValueError(f"not a projection schema: {self.schema!r}")


def original(consumer_group: str) -> Generation:
    """Generation 0: the tables in ``public``, fed by the settings' consumer group."""
    return Generation(0, "public", consumer_group)


async def active_generation(conn: asyncpg.Connection, consumer_group: str) -> Generation:
    """The generation the read API answers from (generation 0 until a rebuild switched)."""
    if await conn.fetchval("SELECT to_regclass($1)", CONTROL_TABLE) is None:
        return original(consumer_group)
    row = await conn.fetchrow(
        "SELECT generation, schema_name, consumer_group, state"
        " FROM franoi_control.projection_generations WHERE state = 'active'"
    )
    return original(consumer_group) if row is None else Generation(*row)


async def generations(conn: asyncpg.Connection, consumer_group: str) -> list[Generation]:
    if await conn.fetchval("SELECT to_regclass($1)", CONTROL_TABLE) is None:
        return [original(consumer_group)]
    rows = await conn.fetch(
        "SELECT generation, schema_name, consumer_group, state"
        " FROM franoi_control.projection_generations ORDER BY generation"
    )
    return [Generation(*row) for row in rows]


async def ensure_control(conn: asyncpg.Connection, consumer_group: str) -> None:
    """The control table, holding generation 0 as the active one the first time."""
    await conn.execute(_CONTROL_DDL)
    await conn.execute(
        "INSERT INTO franoi_control.projection_generations"
        " (generation, schema_name, consumer_group, state) SELECT 0, 'public', $1, 'active'"
        " WHERE NOT EXISTS (SELECT FROM franoi_control.projection_generations)",
        consumer_group,
    )


async def new_generation(conn: asyncpg.Connection, consumer_group: str) -> Generation:
    """Registers the next generation as being built: a fresh schema name and group."""
    number = await conn.fetchval(
        "SELECT max(generation) + 1 FROM franoi_control.projection_generations"
    )
    generation = Generation(
        number, f"projection_{number}", f"{consumer_group}.g{number}", "building"
    )
    await conn.execute(
        "INSERT INTO franoi_control.projection_generations"
        " (generation, schema_name, consumer_group, state) VALUES ($1, $2, $3, $4)",
        generation.number,
        generation.schema,
        generation.consumer_group,
        generation.state,
    )
    return generation


async def set_state(conn: asyncpg.Connection, number: int, state: str) -> None:
    await conn.execute(
        "UPDATE franoi_control.projection_generations SET state = $2 WHERE generation = $1",
        number,
        state,
    )


class SwitchingConsumer(IdempotentConsumer):
    """The live consumer; while stopped it can be pointed at another consumer group."""

    @property
    def group_id(self) -> str:
        return self._group_id

    def use_group(self, group_id: str) -> None:
        self._group_id = group_id


Consumer = TypeVar("Consumer", bound=IdempotentConsumer)


def topics_consumer(
    kind: type[Consumer],
    pool: asyncpg.Pool,
    settings: ProjectionSettings,
    group_id: str,
    handler: ProjectionHandler,
    opener: TokenOpener,
    client_id: str,
    **options: Any,
) -> Consumer:
    """A consumer of every partner's topics into ``pool``'s generation, dead-lettering what
    it cannot apply: the live one, or a rebuild's. With ``key_stores``, persons published
    as key-store tokens are opened by ``opener`` before ``handler`` applies them."""
    return kind(
        pool,
        settings.kafka,
        group_id=group_id,
        topic_pattern=settings.topic_pattern,
        dead_letter_topic=settings.dead_letter_topic,
        handler=handler.reading(opener if settings.key_stores else None),
        client_id=client_id,
        **options,
    )


class FollowingLagProbe(LagProbe):
    """The lag of whichever group feeds the active generation."""

    def follow(self, group_id: str) -> None:
        self._group_id = group_id
        self._last = None


class GenerationFollower(BackgroundWorker):
    """Keeps a serving process on the active generation (polling, every ``poll_s``)."""

    def __init__(
        self,
        pool: asyncpg.Pool,
        consumer_group: str,
        lag: FollowingLagProbe,
        consumer: SwitchingConsumer | None,
        poll_s: float,
    ) -> None:
        self._pool = pool
        self._default_group = consumer_group
        self._lag = lag
        self._consumer = consumer
        self._poll_s = poll_s
        self.active: Generation | None = None
        self.switches = 0

    async def _read(self) -> Generation:
        async with self._pool.acquire() as conn:
            return await active_generation(conn, self._default_group)

    async def _adopt(self, generation: Generation) -> None:
        """New connections take the database's default search_path, which the switch set."""
        await self._pool.expire_connections()
        async with self._pool.acquire() as conn:
            schema = await conn.fetchval("SELECT current_schema()")
        if schema != generation.schema:
            log.error(
                "connections do not answer from the active generation",
                extra={"schema": schema, "active_schema": generation.schema},
            )
        if self._consumer is not None:
            self._consumer.use_group(generation.consumer_group)
        self._lag.follow(generation.consumer_group)
        self.active = generation

    async def start(self) -> None:
        await self._adopt(await self._read())
        if self._consumer is not None:
            await self._consumer.start()
        await super().start()

    async def stop(self) -> None:
        try:
            await super().stop()
        finally:
            if self._consumer is not None:
                await self._consumer.stop()

    async def _close(self) -> None:
        return None

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._poll_s)
            try:
                generation = await self._read()
            except Exception as exc:  # database away: the readiness check says so
                self.failed(exc)
                log.warning("generation check failed", extra={"error": type(exc).__name__})
                continue
            if generation != self.active:
                try:
                    await self._switch(generation)
                except Exception as exc:  # tried again at the next poll
                    self.failed(exc)
                    log.warning("generation switch failed", extra={"error": type(exc).__name__})
                    continue
            self.progressed()

    def stalled(self) -> Stall | None:
        """Its own loop's, else the consumer's it drives."""
        own = super().stalled()
        if own is not None or self._consumer is None:
            return own
        self._consumer.stall_after_s = self.stall_after_s
        return self._consumer.stalled()

    async def _switch(self, generation: Generation) -> None:
        previous = self.active
        if self._consumer is not None:
            await self._consumer.stop()  # commits what it applied to the old generation
        await self._adopt(generation)
        if self._consumer is not None:
            await self._consumer.start()
        self.switches += 1
        log.info(
            "projection generation switched",
            extra={
                "generation": generation.number,
                "schema": generation.schema,
                "previous_generation": previous.number if previous else None,
            },
        )

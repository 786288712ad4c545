"""The lean command path: a create writes its row and its events in one statement (one
transaction), answers the row it inserted, and sends no NOTIFY beside an in-process relay.
Real PostgreSQL (the session fixtures of the root ``tests`` package)."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any, ClassVar

import asyncpg
import pytest
from franoi_common.commands import PartnerServices, new
from franoi_common.db import create_pool
from franoi_common.errors import AlreadyExists
from franoi_common.migrations import OUTBOX, migrate_url
from franoi_common.outbox import NOTIFY_CHANNEL, Outbox, OutboxRelay, OutboxSignal
from franoi_common.repository import Repository, Table
from franoi_common.settings import KafkaSettings
from franoi_contracts.base import DomainEvent
from pydantic import BaseModel


class ThingMade(DomainEvent):
    TYPE: ClassVar[str] = "it.franoi.testing.thing.made.v1"
    KEY: ClassVar[str] = "thing_id"

    thing_id: str
    label: str


@dataclasses.dataclass
class Thing:
    thing_id: uuid.UUID
    label: str
    events: list[DomainEvent] = dataclasses.field(default_factory=list)

    @classmethod
    def make(cls, thing_id: uuid.UUID, label: str) -> Thing:
        thing = cls(thing_id, label)
        thing.events.append(ThingMade(thing_id=str(thing_id), label=label))
        return thing


class Things(Repository):
    tables: ClassVar[dict[type[Any], Table]] = {Thing: Table("things", "thing_id")}


class MakeThing(BaseModel):
    thing_id: uuid.UUID | None = None
    label: str


@pytest.fixture
async def pool(databases: Any) -> AsyncIterator[asyncpg.Pool]:
    url = await databases.create("lean_create")
    await migrate_url(url, [OUTBOX])
    pool = await create_pool(url)
    await pool.execute(
        "CREATE TABLE things (thing_id uuid PRIMARY KEY, partner_id text NOT NULL,"
        " label text NOT NULL CHECK (label <> 'refused'),"
        " created_at timestamptz NOT NULL DEFAULT clock_timestamp())"
    )
    try:
        yield pool
    finally:
        await pool.close()


def services(pool: asyncpg.Pool, woken: list[int]) -> PartnerServices:
    return PartnerServices(
        pool=pool,
        outbox=Outbox("testing", "https://schemas.franoi.example/events/"),
        pseudonym_key=b"k" * 32,
        repository=Things,
        names={Thing: "thing"},
        after_commit=lambda: woken.append(1),
    )


async def make(s: PartnerServices, cmd: MakeThing) -> uuid.UUID:
    thing = await new(
        s, "p01", Thing, cmd.thing_id, cmd, lambda thing_id: Thing.make(thing_id, cmd.label)
    )
    return thing.thing_id


async def test_both_create_paths_write_the_row_and_its_event(pool: asyncpg.Pool) -> None:
    woken: list[int] = []
    s = services(pool, woken)
    for cmd in (MakeThing(label="one"), MakeThing(thing_id=uuid.uuid4(), label="two")):
        created = await make(s, cmd)  # one statement without a chosen id, a transaction with
        row = await pool.fetchrow("SELECT * FROM things WHERE thing_id = $1", created)
        assert row is not None and row["label"] == cmd.label and row["created_at"] is not None
        assert row["partner_id"] == "p01"
        event = await pool.fetchrow("SELECT * FROM outbox WHERE aggregate_id = $1", str(created))
        assert event["event_type"] == ThingMade.TYPE
        assert event["data"] == {"thing_id": str(created), "label": cmd.label}
    assert woken == [1, 1]  # the relay is woken after each commit
    # A client-chosen id keeps its fingerprint: the identical retry answers the same id and
    # writes nothing more; the same id with other content is refused.
    chosen = MakeThing(thing_id=uuid.uuid4(), label="three")
    assert await make(s, chosen) == await make(s, chosen) == chosen.thing_id
    with pytest.raises(AlreadyExists):
        await make(s, MakeThing(thing_id=chosen.thing_id, label="other"))
    assert await pool.fetchval("SELECT count(*) FROM outbox") == 3
    assert await pool.fetchval("SELECT count(*) FROM things") == 3


async def test_a_refused_create_writes_neither_row_nor_event(pool: asyncpg.Pool) -> None:
    woken: list[int] = []
    s = services(pool, woken)
    with pytest.raises(asyncpg.CheckViolationError):
        await make(s, MakeThing(label="refused"))
    existing = await make(s, MakeThing(label="kept"))
    with pytest.raises(AlreadyExists):  # the same id again, without a fingerprint to replay
        await new(
            s, "p01", Thing, None, MakeThing(label="again"), lambda _: Thing.make(existing, "again")
        )
    assert await pool.fetchval("SELECT count(*) FROM things") == 1
    assert [
        json.loads(r["data"])["label"]
        for r in await pool.fetch("SELECT data::text AS data FROM outbox")
    ] == ["kept"]
    assert woken == [1]


async def test_no_notify_while_a_relay_runs_in_the_process(
    pool: asyncpg.Pool, kafka_bootstrap: str, kafka_idempotent: bool
) -> None:
    received: list[str] = []

    def heard(_conn: Any, _pid: int, channel: str, _payload: str) -> None:
        received.append(channel)

    listener = await pool.acquire()
    await listener.add_listener(NOTIFY_CHANNEL, heard)
    signal = OutboxSignal(pool, min_interval_s=0.01)
    relay = OutboxRelay(
        pool,
        KafkaSettings(bootstrap=kafka_bootstrap, idempotent_producer=kafka_idempotent),
        client_id="lean-create-test",
        signal=signal,
    )
    await signal.start()
    try:
        await relay.start()
        assert signal.local_relays == 1
        signal.notify()
        await asyncio.sleep(0.3)
        assert received == []  # the local relay publishes: no other relay is woken
        await relay.stop()
        assert signal.local_relays == 0
        signal.notify()
        for _ in range(100):
            if received:
                break
            await asyncio.sleep(0.02)
        assert received == [NOTIFY_CHANNEL]  # without one, relays elsewhere are told
    finally:
        await relay.stop()
        await signal.stop()
        await listener.remove_listener(NOTIFY_CHANNEL, heard)
        await pool.release(listener)

"""Start the real servers from franoi_devenv and talk to them with the real client libraries."""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
import uuid
from collections.abc import Iterator

import asyncpg
import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer
from franoi_devenv.kafka import (
    REQUIRE_APACHE_ENV,
    ApacheKafka,
    KafkaServer,
    Tansu,
    free_port,
    start_kafka,
)
from franoi_devenv.postgres import LocalPostgres


def _require_apache() -> bool:
    return os.environ.get(REQUIRE_APACHE_ENV) == "1"


async def _produce(server: KafkaServer, topic: str, *values: bytes) -> None:
    producer = AIOKafkaProducer(
        bootstrap_servers=server.bootstrap,
        acks="all",
        enable_idempotence=server.supports_idempotence,
    )
    await producer.start()
    try:
        for value in values:
            await producer.send_and_wait(topic, value, key=b"k")
    finally:
        await producer.stop()


async def _consume(
    server: KafkaServer, topic: str, expected: int, wait_s: float = 15
) -> list[bytes]:
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=server.bootstrap,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        group_id=None,
    )
    await consumer.start()
    values: list[bytes] = []
    try:
        deadline = time.monotonic() + wait_s
        while len(values) < expected and time.monotonic() < deadline:
            batches = await consumer.getmany(timeout_ms=500)
            for messages in batches.values():
                values.extend(m.value for m in messages)
    finally:
        await consumer.stop()
    return values


def _topic() -> str:
    return f"devenv-{uuid.uuid4().hex[:8]}"


def test_free_port_is_bindable() -> None:
    import socket

    port = free_port()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))


def test_ports_in_a_row_are_bindable_and_outside_the_ephemeral_range() -> None:
    """An outgoing connection takes its local port from the ephemeral range at any moment;
    a runner's ports chosen there could be taken before it binds them."""
    import socket
    from pathlib import Path

    from franoi_devenv.process import free_ports

    low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    bases = {free_ports(18) for _ in range(20)}
    assert all(base + 18 <= low for base in bases), bases
    assert len(bases) > 1  # chosen at random, so that two runners rarely meet
    with contextlib.ExitStack() as stack:
        base = min(bases)
        for k in range(18):
            sock = stack.enter_context(socket.socket())
            sock.bind(("127.0.0.1", base + k))


# -- PostgreSQL -------------------------------------------------------------------------------


async def test_postgres_select_and_create_database() -> None:
    pg = LocalPostgres()
    pg.start()
    try:
        conn = await asyncpg.connect(pg.url)
        try:
            assert await conn.fetchval("select 1") == 1
        finally:
            await conn.close()

        dsn = pg.create_database("outbox_test")
        conn = await asyncpg.connect(dsn)
        try:
            assert await conn.fetchval("select current_database()") == "outbox_test"
            assert (
                await conn.fetchval("select count(*) from pg_tables where schemaname='public'") == 0
            )
        finally:
            await conn.close()
        with pytest.raises(ValueError):
            pg.create_database('bad"name')
    finally:
        data_dir = pg.socket_dir
        pg.stop()
    assert not pg.running
    assert not data_dir.exists()


# -- Apache Kafka -----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def apache_kafka() -> Iterator[ApacheKafka]:
    if not ApacheKafka.is_available():
        if _require_apache():
            pytest.fail("Apache Kafka required but java/mvn (or cached jars) are missing")
        pytest.skip("Apache Kafka unavailable (needs java plus mvn or cached jars)")
    server = ApacheKafka()
    server.start()
    work_dir = server.work_dir
    try:
        yield server
    finally:
        server.close()
    assert not server.running
    assert not work_dir.exists()


async def test_apache_kafka_round_trip(apache_kafka: ApacheKafka) -> None:
    assert apache_kafka.kind == "apache-kafka"
    assert apache_kafka.supports_idempotence
    topic = _topic()
    await _produce(apache_kafka, topic, b"hello")
    assert await _consume(apache_kafka, topic, 1) == [b"hello"]


async def test_apache_kafka_data_survives_stop_start(apache_kafka: ApacheKafka) -> None:
    topic = _topic()
    bootstrap = apache_kafka.bootstrap
    await _produce(apache_kafka, topic, b"before-restart")

    await apache_kafka.astop()
    assert not apache_kafka.running
    await apache_kafka.astart()

    assert apache_kafka.bootstrap == bootstrap
    assert apache_kafka.running
    await _produce(apache_kafka, topic, b"after-restart")
    values = await _consume(apache_kafka, topic, 2)
    assert sorted(values) == [b"after-restart", b"before-restart"]
    assert apache_kafka.log_path.is_file()


async def test_start_kafka_picks_a_broker() -> None:
    server = start_kafka("tansu")
    try:
        assert isinstance(server, Tansu)
        assert server.running
    finally:
        server.close()
    with pytest.raises(ValueError):
        start_kafka("redpanda")
    if ApacheKafka.is_available():
        server = start_kafka()
        try:
            assert server.kind == "apache-kafka"
            assert server.running
        finally:
            server.close()


# -- Tansu ------------------------------------------------------------------------------------


async def test_tansu_round_trip() -> None:
    if not Tansu.is_available():
        pytest.skip("no tansu binary")
    server = Tansu()
    with server:
        assert server.kind == "tansu"
        assert not server.supports_idempotence
        topic = _topic()
        await _produce(server, topic, b"hello")
        assert await _consume(server, topic, 1) == [b"hello"]
        pid = server.pid
        assert pid is not None
    assert not server.running
    await asyncio.sleep(0)
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)

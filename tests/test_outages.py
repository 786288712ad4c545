"""Outages and recovery, on real servers: a partner's PostgreSQL restarted (``pg_ctl stop -m
immediate``, or SIGKILL of the postmaster) while commands are written, the broker stopped and
started, the projection's PostgreSQL restarted under its consumer. Nothing is restarted by
hand: every acknowledged command's event reaches the topic (and the projection) by itself,
the API answers 503 with ``Retry-After`` meanwhile, and the probes say what is true.

The restarted PostgreSQL is a server of this module's own (:class:`LocalPostgres`), never
the session's; the broker is the session's (stopped and started again in place).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import httpx
import pytest
from aiokafka import AIOKafkaConsumer
from aiokafka.errors import TopicAuthorizationFailedError
from franoi_devenv import LocalPostgres, free_port
from franoi_devenv.service_processes import answering, own_process, probe, worker_env
from franoi_housing.bootstrap import DEFINITION as HOUSING
from franoi_projection.bootstrap import DEFINITION as PROJECTION

from tests.support import (
    ANALYST,
    RunningService,
    auth_header,
    eventually,
    kafka_settings,
    partner_service_settings,
    projection_settings,
    running,
)
from tests.test_housing_pipeline import unit_body

BACK_WITHIN_S = 30.0
"""Every acknowledged command's event is on the topic within this of the database's return."""


@pytest.fixture(scope="module")
def own_postgres() -> Iterator[LocalPostgres]:
    """A PostgreSQL server this module may stop and start."""
    server = LocalPostgres()
    server.start()
    try:
        yield server
    finally:
        server.stop()


def fresh_database(server: LocalPostgres, prefix: str) -> str:
    return server.create_database(f"{prefix}_{uuid.uuid4().hex[:8]}")


@dataclass
class Writer:
    """Creates units one after the other until stopped, as a client that retries on 503
    would not: every answer is kept, and only a 201 counts as acknowledged."""

    service: RunningService
    partner: str
    acknowledged: list[str] = field(default_factory=list)
    answers: list[tuple[int, str | None]] = field(default_factory=list)
    """(status, Retry-After) of every answer that was not a 201."""
    broken: list[str] = field(default_factory=list)
    """Requests that got no HTTP answer at all (a reset connection)."""
    _task: asyncio.Task[None] | None = None
    _stop: asyncio.Event = field(default_factory=asyncio.Event)

    async def _run(self) -> None:
        headers = auth_header(self.partner)
        while not self._stop.is_set():
            unit_id = str(uuid.uuid4())
            try:
                answer = await self.service.client.post(
                    "/v1/units", json={**unit_body(), "unit_id": unit_id}, headers=headers
                )
            except httpx.TransportError as exc:
                self.broken.append(type(exc).__name__)
                await asyncio.sleep(0.05)
                continue
            if answer.status_code == 201:
                self.acknowledged.append(unit_id)
            else:
                self.answers.append((answer.status_code, answer.headers.get("retry-after")))
                await asyncio.sleep(0.05)

    def start(self) -> None:
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        self._stop.set()
        if self._task is not None:
            await self._task

    async def burst(self, count: int) -> None:
        """Write until ``count`` units more are acknowledged, then stop."""
        self.start()
        try:
            await self.until(len(self.acknowledged) + count)
        finally:
            await self.stop()

    async def until(self, count: int) -> None:
        await eventually(lambda: _async(len(self.acknowledged) >= count), timeout_s=30)


async def _async(value: Any) -> Any:
    return value


async def units_on_topic(bootstrap: str, topic: str, wanted: set[str], timeout_s: float) -> float:
    """Read ``topic`` from its start until every unit in ``wanted`` has its registration event;
    the seconds that took. Fails with how many are missing."""
    started = time.monotonic()
    reader = AIOKafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", enable_auto_commit=False
    )
    await reader.start()
    seen: set[str] = set()
    try:
        while not wanted <= seen:
            if time.monotonic() - started > timeout_s:
                raise AssertionError(f"{len(wanted - seen)} of {len(wanted)} units not on {topic}")
            for records in (await reader.getmany(timeout_ms=300)).values():
                for record in records:
                    headers = dict(record.headers)
                    if headers["ce_type"].endswith(b".unit.registered.v1"):
                        seen.add(headers["ce_subject"].decode())
    finally:
        await reader.stop()
    return time.monotonic() - started


def unavailable_answers_only(writer: Writer) -> None:
    """While the database was away: 503 with Retry-After, never 500, never a reset."""
    assert writer.answers, "no command met the outage: the test did not test it"
    assert {status for status, _ in writer.answers} == {503}, writer.answers
    assert all(after is not None and int(after) > 0 for _, after in writer.answers)
    assert writer.broken == []


# --- the partner's database restarted ---------------------------------------------------------


@pytest.mark.parametrize("how", ["immediate", "kill"])
async def test_the_in_process_relay_resumes_after_its_database_restarts(
    how: str, own_postgres: LocalPostgres, kafka_bootstrap: str, kafka_idempotent: bool
) -> None:
    partner = "p16" if how == "immediate" else "p17"
    kafka = kafka_settings(kafka_bootstrap, kafka_idempotent)
    housing = RunningService(
        HOUSING, partner_service_settings(fresh_database(own_postgres, "housing"), kafka, [partner])
    )
    async with running(housing):
        writer = Writer(housing, partner)
        writer.start()
        try:
            await writer.until(20)
            await asyncio.to_thread(own_postgres.halt, how)
            await asyncio.sleep(3)  # commands meet the outage meanwhile
            await asyncio.to_thread(own_postgres.resume)
            back = len(writer.acknowledged)
            await writer.until(back + 20)
        finally:
            await writer.stop()
        waited = await units_on_topic(
            kafka_bootstrap, f"franoi.{partner}.housing.v1", set(writer.acknowledged), BACK_WITHIN_S
        )
        unavailable_answers_only(writer)
        status, health = await probe(housing.url, "/healthz")
        assert (status, health) == (200, {"status": "ok"})
        relay = housing.wiring.workers["relay"]
        assert await relay.pending() == 0
    assert waited < BACK_WITHIN_S


async def test_a_relay_of_its_own_resumes_after_a_database_and_a_broker_restart(
    own_postgres: LocalPostgres, kafka_server: Any, kafka_bootstrap: str, kafka_idempotent: bool
) -> None:
    """``franoi-housing relay`` in its own process, the API without a relay: the database
    restarts, then the broker; the relay resumes by itself after each, and its probes and
    the API's say what is true meanwhile."""
    if kafka_server is None:
        pytest.fail("this test needs a broker it can stop: unset FRANOI_TEST_KAFKA_BOOTSTRAP")
    partner = "p18"
    kafka = kafka_settings(kafka_bootstrap, kafka_idempotent)
    database_url = fresh_database(own_postgres, "housing")
    housing = RunningService(
        HOUSING, partner_service_settings(database_url, kafka, [partner], relay_enabled=False)
    )
    port = free_port()
    relay_url = f"http://127.0.0.1:{port}"
    env = worker_env(
        database_url, kafka_bootstrap, kafka_idempotent, partner_id=partner, http_port=str(port)
    )
    topic = f"franoi.{partner}.housing.v1"
    async with running(housing), own_process("housing", "relay", env):
        await eventually(lambda: answering(relay_url), timeout_s=60, interval_s=0.2)
        writer = Writer(housing, partner)
        writer.start()
        try:
            await writer.until(20)
            await asyncio.to_thread(own_postgres.halt, "immediate")
            await asyncio.sleep(1)
            status, ready = await probe(relay_url, "/readyz")
            assert status == 503 and ready["checks"]["database"].startswith("unavailable")
            await asyncio.sleep(2)
            await asyncio.to_thread(own_postgres.resume)
            await writer.until(len(writer.acknowledged) + 20)
        finally:
            await writer.stop()
        await units_on_topic(kafka_bootstrap, topic, set(writer.acknowledged), BACK_WITHIN_S)
        unavailable_answers_only(writer)

        await kafka_server.astop()
        try:
            during = Writer(housing, partner)
            during.start()
            try:
                await during.until(10)  # commands go on without the broker
            finally:
                await during.stop()
            assert during.answers == [] and during.broken == []
            status, ready = await probe(relay_url, "/readyz")
            assert status == 503, ready  # the relay can do nothing without the broker
            assert ready["checks"]["broker"].startswith("unavailable"), ready
            status, ready = await probe(housing.url, "/readyz")
            assert status == 200, ready  # the API can: it says so, and why
            assert ready["checks"]["broker"].startswith("unavailable"), ready
            assert "outbox" in ready["not_required"]["broker"]
        finally:
            await kafka_server.astart()
        await units_on_topic(kafka_bootstrap, topic, set(during.acknowledged), BACK_WITHIN_S)
        await eventually(lambda: answering(relay_url), timeout_s=30, interval_s=0.2)
        status, health = await probe(relay_url, "/healthz")
        assert (status, health) == (200, {"status": "ok"})
        metrics = (await housing.client.get("/metrics")).text
        assert "franoi_outbox_unsent 0\n" in metrics, metrics


async def test_the_relay_goes_on_when_its_listening_connection_is_cut(
    databases: Any, kafka_bootstrap: str, kafka_idempotent: bool
) -> None:
    """Only the relay's idle LISTEN connection is terminated: publishing goes on."""
    partner = "p19"
    kafka = kafka_settings(kafka_bootstrap, kafka_idempotent)
    database_url = await databases.create("housing")
    housing = RunningService(HOUSING, partner_service_settings(database_url, kafka, [partner]))
    async with running(housing):
        writer = Writer(housing, partner)
        writer.start()
        try:
            await writer.until(5)
            conn = await asyncpg.connect(database_url)
            try:
                cut = await conn.fetchval(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND query LIKE 'LISTEN%'"
                )
            finally:
                await conn.close()
            assert cut == 1
            await writer.until(len(writer.acknowledged) + 10)
        finally:
            await writer.stop()
        await units_on_topic(
            kafka_bootstrap, f"franoi.{partner}.housing.v1", set(writer.acknowledged), 10
        )


# --- liveness: a stalled relay is restarted -----------------------------------------------------


async def test_liveness_fails_when_the_relays_sends_fail_or_its_loop_freezes(
    databases: Any, kafka_bootstrap: str, kafka_idempotent: bool
) -> None:
    """A relay whose sends fail while the broker answers fails liveness after
    ``FRANOI_WORKER_STALL_S``, with why; so does one whose loop is frozen."""
    partner = "p20"
    kafka = kafka_settings(kafka_bootstrap, kafka_idempotent)
    housing = RunningService(
        HOUSING,
        partner_service_settings(
            await databases.create("housing"), kafka, [partner], worker_stall_s=1.0
        ),
    )
    async with running(housing):
        relay = housing.wiring.workers["relay"]
        writer = Writer(housing, partner)
        await writer.burst(3)
        await eventually(lambda: _async(relay.published >= 3), timeout_s=10)

        # live while it works (a round may take over the 1 s allowed on a loaded machine:
        # the probe must come back to 200 by itself, not stay failed)
        async def live() -> bool:
            return (await probe(housing.url, "/healthz"))[0] == 200

        await eventually(live, timeout_s=10)

        async def refused(*_: Any) -> None:  # e.g. the partner's ACL lost its write right
            raise TopicAuthorizationFailedError()

        relay._send = refused  # the fault under test
        writer = Writer(housing, partner)
        await writer.burst(2)
        body = await eventually(stalled_at(housing.url), timeout_s=15, interval_s=0.2)
        assert body["status"] == "stalled"
        assert body["workers"]["relay"].startswith("every round failed for"), body
        assert "(last error: TopicAuthorizationFailedError)" in body["workers"]["relay"]
        del relay._send  # the right comes back: the relay sends, liveness recovers

        async def recovered() -> bool:
            return await relay.pending() == 0 and await probe(housing.url, "/healthz") == (
                200,
                {"status": "ok"},
            )

        await eventually(recovered, timeout_s=20, interval_s=0.2)

        forever = asyncio.Event()

        async def frozen_drain(*_: Any) -> bool:
            await forever.wait()  # a loop that never comes back
            return False

        relay._drain = frozen_drain  # the fault under test
        body = await eventually(stalled_at(housing.url), timeout_s=15, interval_s=0.2)
        assert body["workers"]["relay"].startswith("no round completed for"), body
        forever.set()


async def test_a_relay_without_its_broker_waits_live_and_says_how_long_events_wait(
    databases: Any, kafka_idempotent: bool
) -> None:
    """No broker at the address (an outage that lasts): the relay's rounds fail, but it is
    waiting for the broker, not stalled, so the API that accepts commands is not restarted;
    /metrics says how many events wait and for how long."""
    partner = "p20"
    nowhere = kafka_settings(f"127.0.0.1:{free_port()}", kafka_idempotent, create_topics=False)
    housing = RunningService(
        HOUSING,
        partner_service_settings(
            await databases.create("housing"), nowhere, [partner], worker_stall_s=1.0
        ),
    )
    async with running(housing):
        writer = Writer(housing, partner)
        await writer.burst(3)
        await asyncio.sleep(2.5)  # past the stall threshold
        status, body = await probe(housing.url, "/healthz")
        assert status == 200, body
        assert body["waiting"]["relay"].endswith("while unavailable: broker"), body
        metrics = (await housing.client.get("/metrics")).text.splitlines()
        unsent = next(line for line in metrics if line.startswith("franoi_outbox_unsent "))
        assert int(unsent.split()[1]) == len(writer.acknowledged)
        oldest = next(
            line for line in metrics if line.startswith("franoi_outbox_oldest_unsent_seconds ")
        )
        assert float(oldest.split()[1]) >= 2.0


def stalled_at(url: str) -> Any:
    async def check() -> Any:
        status, body = await probe(url, "/healthz")
        return body if status == 503 else None

    return check


# --- the projection's database restarted under its consumer -------------------------------------


async def processed(database_url: str, partner: str) -> int:
    conn = await asyncpg.connect(database_url)
    try:
        return int(
            await conn.fetchval(
                "SELECT count(*) FROM processed_events WHERE source = $1",
                f"/partners/{partner}/housing",
            )
        )
    finally:
        await conn.close()


@pytest.mark.parametrize("where", ["in_process", "own_process"])
async def test_the_projections_consumer_resumes_after_its_database_restarts(
    where: str,
    own_postgres: LocalPostgres,
    databases: Any,
    kafka_bootstrap: str,
    kafka_idempotent: bool,
) -> None:
    """Events keep arriving while the projection's PostgreSQL restarts: the consumer applies
    every one, once, without a restart; ``/v1/consumer/status`` counts what the consumer did
    wherever it runs."""
    partner = "p21" if where == "in_process" else "p22"
    kafka = kafka_settings(kafka_bootstrap, kafka_idempotent)
    housing = RunningService(
        HOUSING, partner_service_settings(await databases.create("housing"), kafka, [partner])
    )
    projection_db = fresh_database(own_postgres, "projection")
    settings = projection_settings(
        projection_db, kafka, [partner], consumer_enabled=where == "in_process"
    )
    projection = RunningService(PROJECTION, settings)
    port = free_port()
    env = worker_env(
        projection_db,
        kafka_bootstrap,
        kafka_idempotent,
        http_port=str(port),
        consumer_group=settings.consumer_group,
        topic_pattern=settings.topic_pattern,
        kafka_session_timeout_ms="6000",
        kafka_heartbeat_interval_ms="500",
    )
    consumer: contextlib.AbstractAsyncContextManager[Any] = (
        own_process("projection", "consume", env)
        if where == "own_process"
        else contextlib.nullcontext()
    )
    async with running(housing, projection), consumer:
        streamed: list[int] = []  # what the dashboard's live stream says, throughout
        stream = asyncio.create_task(stream_counts(projection.url, streamed))
        writer = Writer(housing, partner)
        writer.start()
        try:
            await writer.until(10)
            await eventually(lambda: _at_least(projection_db, partner, 10), timeout_s=60)
            await asyncio.to_thread(own_postgres.halt, "immediate")
            await writer.until(len(writer.acknowledged) + 10)  # the partner writes on
            await asyncio.sleep(2)
            await asyncio.to_thread(own_postgres.resume)
            await writer.until(len(writer.acknowledged) + 10)
        finally:
            await writer.stop()
        total = len(writer.acknowledged)
        started = time.monotonic()
        await eventually(lambda: _at_least(projection_db, partner, total), timeout_s=BACK_WITHIN_S)
        assert time.monotonic() - started < BACK_WITHIN_S
        assert await processed(projection_db, partner) == total  # each once
        await eventually(lambda: _async(total in streamed), timeout_s=10)  # the stream goes on
        stream.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await stream

        async def reported() -> Any:
            answer = await projection.client.get("/v1/consumer/status", headers=ANALYST)
            body = answer.json()
            # A commit whose answer the restart cut off is undone in the counters and its
            # events come back as duplicates: together they reach the total.
            seen = body["processed_since_start"] + body["duplicates_since_start"]
            return body if seen >= total else None

        status = await eventually(reported, timeout_s=60, interval_s=0.5)
        assert status["events_processed"] == total
        assert status["processed_since_start"] <= total  # never an event counted twice
        assert status["assigned_partitions"] >= 1
        [instance] = status["consumers"]
        assert instance["last_error"] is None
        assert instance["processed_since_start"] == status["processed_since_start"]
        in_api = projection.wiring.state["consumer"]
        if where == "own_process":
            assert in_api.processed == 0  # the API process consumes nothing itself
            assert instance["instance_id"] != in_api.instance_id
        else:
            assert instance["instance_id"] == in_api.instance_id
        health = await probe(projection.url, "/healthz")
        assert health == (200, {"status": "ok"})


async def stream_counts(url: str, seen: list[int]) -> None:
    """Follow the dashboard's server-sent events, noting each count of applied events."""
    async with (
        httpx.AsyncClient(base_url=url, timeout=None) as client,
        client.stream("GET", "/v1/network/stream", headers=ANALYST) as answer,
    ):
        assert answer.status_code == 200
        async for line in answer.aiter_lines():
            if line.startswith("data: "):
                seen.append(json.loads(line[len("data: ") :])["events_processed"])


async def _at_least(database_url: str, partner: str, count: int) -> bool:
    return await processed(database_url, partner) >= count

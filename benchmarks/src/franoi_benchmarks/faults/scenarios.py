"""The faults, each injected again and again while the writers write, and what the probes
must say meanwhile.

Every scenario runs for a bounded time; its injector returns when the time is up and every
part it broke is back (or left to the supervisor). The probes are asked while a part is
broken and after: ``/readyz`` must say 503 with the reason when a required dependency is
away, 200 otherwise (an API without its broker still takes commands: the broker is not
required for it); ``/healthz`` must stay 200 (waiting for a dependency is not a stall).
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.protocol.admin import AlterPartitionReassignmentsRequest
from franoi_common.kafka import started
from franoi_devenv.kafka_cluster import KafkaCluster
from franoi_devenv.service_processes import answering

from franoi_benchmarks.faults.parts import TOPIC, Network, Part


@dataclass
class Faults:
    """What a scenario injected and what the probes said."""

    injected: Counter[str] = field(default_factory=Counter)
    probes: list[tuple[str, bool, str]] = field(default_factory=list)
    """(what was expected, whether it held, what was seen)."""

    @property
    def lies(self) -> list[str]:
        return [f"{what} (saw {seen})" for what, held, seen in self.probes if not held]

    async def expect(
        self, part: Part, path: str, status: int, reason: str | None = None, *, what: str
    ) -> None:
        """Ask ``part``'s ``path`` and note whether it answered ``status`` (and, for a 503
        of /readyz, named ``reason`` as unavailable)."""
        try:
            async with httpx.AsyncClient(timeout=5) as client:
                answer = await client.get(part.url + path)
            body: dict[str, Any] = answer.json()
            seen = f"{answer.status_code} {body}"
            held = answer.status_code == status
            if held and reason is not None:
                checks = body.get("checks", {})
                held = str(checks.get(reason, "")).startswith("unavailable")
        except httpx.TransportError as exc:
            seen, held = type(exc).__name__, False
        self.probes.append((f"{part.name} {path} {status} {what}", held, seen[:300]))


Injector = Callable[[Network, Faults, float, random.Random], Awaitable[None]]


@dataclass(frozen=True)
class Scenario:
    name: str
    promise: str
    inject: Injector


async def kill_again_and_again(
    network: Network,
    faults: Faults,
    deadline: float,
    rng: random.Random,
    kinds: tuple[str, ...],
    database: str,
) -> None:
    """SIGKILL a random running part of ``kinds`` every 0.5-2 s, and every other time all of
    them at a moment one of them is inside a batch (its transaction open in ``database``:
    a relay between its claim and its mark, a consumer applying a poll). The supervisor
    brings each back; the others go on meanwhile and say so."""
    round_ = 0
    while time.monotonic() < deadline:
        await asyncio.sleep(rng.uniform(0.5, 2.0))
        running = [p for p in network.parts.values() if p.kind in kinds and p.pid is not None]
        if not running:
            continue
        round_ += 1
        if round_ % 2 == 0:
            if await inside_a_batch(network, database, timeout_s=3.0):
                for victim in running:
                    await asyncio.to_thread(victim.kill)
                faults.injected[f"{kinds[0]}s killed inside a batch"] += 1
            continue
        ready = [p for p in running if await answering(p.url)]
        victim = rng.choice(running)
        await asyncio.to_thread(victim.kill)
        faults.injected[f"{victim.kind} killed"] += 1
        others = [p for p in ready if p is not victim]
        if others:
            await faults.expect(rng.choice(others), "/healthz", 200, what="while another is killed")
    await settle(network, faults)


async def inside_a_batch(network: Network, database: str, timeout_s: float) -> bool:
    """Wait until a connection of the service's has a transaction open (a batch in flight);
    False if none did within ``timeout_s``."""
    conn = await network.database(database)
    try:
        end = time.monotonic() + timeout_s
        while time.monotonic() < end:
            busy = await conn.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND pid <> pg_backend_pid() AND xact_start IS NOT NULL"
                " AND state IN ('idle in transaction', 'active')"
                " AND (query LIKE '%claimed%' OR query LIKE '%processed_events%')"
            )
            if busy:
                return True
            await asyncio.sleep(0.01)
        return False
    finally:
        await conn.close()


async def relays_killed(
    network: Network, faults: Faults, deadline: float, rng: random.Random
) -> None:
    kinds = ("relay", "api") if network.topology.relay_in_api else ("relay",)
    await kill_again_and_again(network, faults, deadline, rng, kinds, "housing")


async def consumers_killed(
    network: Network, faults: Faults, deadline: float, rng: random.Random
) -> None:
    await kill_again_and_again(network, faults, deadline, rng, ("consumer",), "projection")


async def broker_stopped_and_killed(
    network: Network, faults: Faults, deadline: float, rng: random.Random
) -> None:
    """The broker stopped (SIGTERM) then killed (SIGKILL), each for a few seconds, again
    until the time is up; with a cluster, one broker at a time (killed, or stopped)."""
    server = network.kafka_server
    assert server is not None
    how = 0
    while time.monotonic() < deadline:
        await asyncio.sleep(rng.uniform(1.0, 2.0))
        if isinstance(server, KafkaCluster):
            node = rng.choice(server.nodes)
            await asyncio.to_thread(node.kill if how % 2 == 0 else node.stop)
            faults.injected["broker killed" if how % 2 == 0 else "broker stopped"] += 1
            await asyncio.sleep(3)
            for part in network.of_kind("api") + network.of_kind("projection"):
                await faults.expect(part, "/readyz", 200, what="with two brokers of three")
            await node.astart()
        else:
            await asyncio.to_thread(server.kill if how % 2 == 0 else server.stop)
            faults.injected["broker killed" if how % 2 == 0 else "broker stopped"] += 1
            await asyncio.sleep(3)
            for part in network.of_kind("relay") + network.of_kind("consumer"):
                await faults.expect(part, "/readyz", 503, "broker", what="without the broker")
                await faults.expect(part, "/healthz", 200, what="waiting for the broker")
            for part in network.of_kind("api"):
                await faults.expect(part, "/readyz", 200, what="without the broker (not required)")
            await server.astart()
        how += 1
    await settle(network, faults)


async def partner_database_halted(
    network: Network, faults: Faults, deadline: float, rng: random.Random
) -> None:
    """The partner's PostgreSQL stopped with ``-m immediate`` for a few seconds, started
    again, until the time is up."""
    while time.monotonic() < deadline:
        await asyncio.sleep(rng.uniform(1.0, 2.0))
        await asyncio.to_thread(network.partner_pg.halt, "immediate")
        faults.injected["partner database stopped -m immediate"] += 1
        await asyncio.sleep(1.5)
        for part in network.of_kind("api") + network.of_kind("relay"):
            await faults.expect(part, "/readyz", 503, "database", what="without its database")
            await faults.expect(part, "/healthz", 200, what="waiting for its database")
        await asyncio.sleep(1.5)
        await asyncio.to_thread(network.partner_pg.resume)
    await settle(network, faults)


async def poison_only(
    network: Network, faults: Faults, deadline: float, rng: random.Random
) -> None:
    """No fault but the poison messages every run sends (1 % of the commands)."""
    await asyncio.sleep(max(0.0, deadline - time.monotonic()))
    await settle(network, faults)


async def leader_moved(
    network: Network, faults: Faults, deadline: float, rng: random.Random
) -> None:
    """A partition's replicas reordered (a reassignment), so that its leader moves to
    another broker, again until the time is up; one broker killed and started again too."""
    server = network.kafka_server
    assert isinstance(server, KafkaCluster)
    admin = await started(AIOKafkaAdminClient(**network.kafka.client_options()))
    try:
        while time.monotonic() < deadline:
            await asyncio.sleep(rng.uniform(1.0, 2.0))
            if await move_a_leader(admin, rng):
                faults.injected["partition leader moved"] += 1
            if faults.injected["broker killed"] == 0:
                node = rng.choice(server.nodes)
                await asyncio.to_thread(node.kill)
                faults.injected["broker killed"] += 1
                await asyncio.sleep(2)
                await node.astart()
    finally:
        await admin.close()
    await settle(network, faults)


async def move_a_leader(admin: AIOKafkaAdminClient, rng: random.Random) -> bool:
    """Reorder one partition's replicas so another broker is preferred; True when its
    leader has moved within 20 s (the cluster moves leaders to their preferred replica)."""
    partitions = await _partitions(admin)
    partition, leader, replicas = rng.choice(partitions)
    others = [r for r in replicas if r != leader]
    if not others:
        return False
    first = rng.choice(others)
    order = [first, *[r for r in replicas if r != first]]
    request = AlterPartitionReassignmentsRequest(
        timeout_ms=10000, topics=[(TOPIC, [(partition, order, {})], {})], tags={}
    )
    await admin._send_to_controller(request)
    end = time.monotonic() + 20
    while time.monotonic() < end:
        await asyncio.sleep(0.5)
        now = {p: lead for p, lead, _ in await _partitions(admin)}
        if now.get(partition) not in (leader, -1, None):
            return True
    return False


async def _partitions(admin: AIOKafkaAdminClient) -> list[tuple[int, int, list[int]]]:
    """(partition, leader, replicas) of the partner's topic."""
    [described] = await admin.describe_topics([TOPIC])
    return [
        (int(p["partition"]), int(p["leader"]), [int(r) for r in p["replicas"]])
        for p in described["partitions"]
    ]


async def settle(network: Network, faults: Faults, timeout_s: float = 90.0) -> None:
    """Wait until every part is back and ready by itself, then note what the probes say."""
    try:
        await network.all_ready(timeout_s)
    except TimeoutError as exc:
        faults.probes.append(("every part ready again by itself", False, str(exc)))
        return
    for part in network.parts.values():
        await faults.expect(part, "/healthz", 200, what="after the faults")
        await faults.expect(part, "/readyz", 200, what="after the faults")


SINGLE = [
    Scenario("relay killed", "nothing acknowledged is lost when a relay dies mid-batch",
             relays_killed),
    Scenario("consumer killed", "each event counted once when a consumer dies mid-batch",
             consumers_killed),
    Scenario("broker stopped and killed", "commands go on without the broker, nothing lost",
             broker_stopped_and_killed),
    Scenario("partner database stopped", "a 503 while away, nothing acknowledged lost",
             partner_database_halted),
    Scenario("poison messages", "every poison message dead-lettered with its reason",
             poison_only),
]  # fmt: skip
"""The fault suite on one broker: relays and consumers of their own."""

SCALE_OUT = [
    Scenario("API replicas and relays killed", "order per aggregate across relays",
             relays_killed),
    Scenario("consumers killed", "counts exact across consumers", consumers_killed),
    Scenario("broker killed, leader moved", "nothing lost on a three-broker cluster",
             leader_moved),
    Scenario("brokers killed and stopped", "writes go on with two brokers of three",
             broker_stopped_and_killed),
]  # fmt: skip
"""Scale-out: three API replicas with their relays, two relays of their own, three
consumers, a three-broker cluster."""

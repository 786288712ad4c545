"""What a fault run checks once the faults have stopped, against the ledger of what the APIs
acknowledged: the partner's topic read from its first offset, the outbox, the projection's
read model, its dead letters and its consumer group's lag.

* lost: an acknowledged command whose event is not on the topic (a unit's events are
  numbered 1, 2, 3... by ``ce_sequence``: its acknowledged commands are events 1..n);
* duplicated: records on the topic whose ``ce_id`` came before (a relay killed between the
  broker's acknowledgement and its mark sends its batch again) -- counted, and harmless
  if the projection counts each event once;
* reordered: a unit's event that comes on the topic before the one before it;
* count mismatches: a unit missing from the network view, a unit there that no command
  made, beds that are not the last acknowledged value, events applied not equal to the
  distinct events on the topic;
* poison: every poison message in ``dead_letters`` at its offset, with a reason; nothing
  else dead-lettered;
* blocked: a partition of the topic the consumer group has not read to its end.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition
from franoi_common.kafka import started
from franoi_projection.adapters.consumer_lag import LagProbe
from franoi_projection.adapters.generations import active_generation

from franoi_benchmarks.faults.parts import CONSUMER_GROUP, PARTNER, TOPIC, Network
from franoi_benchmarks.faults.traffic import Ledger, Poison


@dataclass
class Record:
    partition: int
    offset: int
    event_id: str
    subject: str
    sequence: int


@dataclass
class Figures:
    """What one check found (every count but ``acknowledged`` and ``duplicated`` must be 0,
    and every poison message dead-lettered)."""

    acknowledged: int = 0
    units: int = 0
    units_in_doubt: int = 0
    records: int = 0
    duplicated: int = 0
    lost: int = 0
    reordered: int = 0
    count_mismatches: int = 0
    unexpected_answers: int = 0
    poison_sent: int = 0
    poison_dead_lettered: int = 0
    poison_reasons: dict[str, str] = field(default_factory=dict)
    dead_lettered_otherwise: int = 0
    blocked_partitions: int = 0
    caught_up_s: float = 0.0
    problems: list[str] = field(default_factory=list)

    @property
    def poison_dead_lettered_percent(self) -> float:
        return (
            100.0 if not self.poison_sent else 100.0 * self.poison_dead_lettered / self.poison_sent
        )

    @property
    def ok(self) -> bool:
        return not self.problems

    def judge(self) -> None:
        """Note every broken promise in ``problems``."""
        for name in ("lost", "reordered", "count_mismatches", "unexpected_answers",
                     "dead_lettered_otherwise", "blocked_partitions"):  # fmt: skip
            if getattr(self, name):
                self.problems.append(f"{name.replace('_', ' ')}: {getattr(self, name)}")
        if self.poison_dead_lettered != self.poison_sent:
            self.problems.append(
                f"poison dead-lettered: {self.poison_dead_lettered} of {self.poison_sent}"
            )
        if not self.acknowledged:
            self.problems.append("no command was acknowledged: nothing was tested")


UNSENT = "SELECT count(*) FROM outbox WHERE sent_at IS NULL"


async def caught_up(network: Network, timeout_s: float) -> float:
    """Wait until the outbox is empty and the consumer group has read every partition to its
    end; the seconds that took (raises TimeoutError with what is left)."""
    began = time.monotonic()
    probe = LagProbe(network.kafka, CONSUMER_GROUP, r"franoi\.p[0-9]+\.housing\.v1")
    left = "?"
    while time.monotonic() - began < timeout_s:
        try:
            conn = await network.database("housing")
            try:
                unsent = int(
                    await conn.fetchval("SELECT count(*) FROM outbox WHERE sent_at IS NULL")
                )
            finally:
                await conn.close()
            lag = await probe.lag()
            if unsent == 0 and lag.by_topic and lag.total == 0:
                return time.monotonic() - began
            left = f"{unsent} unsent, lag {lag.total}"
        except Exception as exc:
            left = type(exc).__name__
        await asyncio.sleep(0.5)
    raise TimeoutError(f"not caught up within {timeout_s:.0f} s ({left})")


async def read_topic(network: Network) -> list[Record]:
    """Every record of the partner's topic, partition by partition in offset order."""
    consumer = await started(
        AIOKafkaConsumer(**network.kafka.client_options(), enable_auto_commit=False)
    )
    records: list[Record] = []
    try:
        partitions = [
            TopicPartition(TOPIC, p) for p in sorted(consumer.partitions_for_topic(TOPIC) or [])
        ]
        if not partitions:
            await consumer._client.force_metadata_update()
            partitions = [
                TopicPartition(TOPIC, p) for p in sorted(consumer.partitions_for_topic(TOPIC) or [])
            ]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        while [tp for tp in partitions if await consumer.position(tp) < ends[tp]]:
            for tp, batch in (await consumer.getmany(timeout_ms=500, max_records=5000)).items():
                for r in batch:
                    headers = {k: v.decode(errors="replace") for k, v in r.headers}
                    try:
                        sequence = int(headers.get("ce_sequence", "0"))
                    except ValueError:
                        sequence = 0
                    records.append(
                        Record(tp.partition, r.offset, headers.get("ce_id", ""),
                               headers.get("ce_subject", ""), sequence)
                    )  # fmt: skip
    finally:
        await consumer.stop()
    return records


async def check(
    network: Network, ledger: Ledger, poison: list[Poison], timeout_s: float
) -> Figures:
    figures = Figures(acknowledged=ledger.acknowledged, units=len(ledger.units))
    figures.units_in_doubt = sum(u.in_doubt for u in ledger.units.values())
    figures.unexpected_answers = ledger.unexpected()
    try:
        figures.caught_up_s = await caught_up(network, timeout_s)
    except TimeoutError as exc:
        figures.blocked_partitions = 1
        figures.problems.append(str(exc))
    poison_at = {(p.partition, p.offset): p for p in poison}
    records = [r for r in await read_topic(network) if (r.partition, r.offset) not in poison_at]
    figures.records = len(records)
    _topic_figures(figures, records, ledger)
    await _projection_figures(figures, network, ledger, records, poison)
    figures.judge()
    return figures


def _topic_figures(figures: Figures, records: list[Record], ledger: Ledger) -> None:
    seen_ids: set[str] = set()
    high: dict[str, int] = {}
    partitions: dict[str, set[int]] = {}
    for r in records:
        if r.event_id in seen_ids:
            figures.duplicated += 1
            continue
        seen_ids.add(r.event_id)
        partitions.setdefault(r.subject, set()).add(r.partition)
        before = high.get(r.subject, 0)
        if r.sequence != before + 1:
            figures.reordered += 1
        high[r.subject] = max(before, r.sequence)
    figures.reordered += sum(len(p) > 1 for p in partitions.values())
    for unit in ledger.units.values():
        figures.lost += max(0, len(unit.beds) - high.get(unit.unit_id, 0))


async def _projection_figures(
    figures: Figures, network: Network, ledger: Ledger, records: list[Record], poison: list[Poison]
) -> None:
    conn = await network.database("projection")
    try:
        schema = (await active_generation(conn, CONSUMER_GROUP)).schema
        rows = await conn.fetch(
            f'SELECT unit_id::text AS unit_id, beds FROM "{schema}".housing_units'  # noqa: S608
            " WHERE partner_id = $1",
            PARTNER,
        )
        applied = int(
            await conn.fetchval(
                f'SELECT count(*) FROM "{schema}".processed_events WHERE source = $1',  # noqa: S608
                f"/partners/{PARTNER}/housing",
            )
        )
        dead = await conn.fetch(
            f'SELECT kafka_partition, kafka_offset, reason FROM "{schema}".dead_letters'  # noqa: S608
            " WHERE topic = $1",
            TOPIC,
        )
    finally:
        await conn.close()
    viewed = {r["unit_id"]: int(r["beds"]) for r in rows}
    on_topic = {r.subject for r in records}
    distinct_events = len({r.event_id for r in records})
    for unit in ledger.units.values():
        if not unit.beds and unit.unit_id not in on_topic:
            continue  # never acknowledged nor committed
        if unit.unit_id not in viewed:
            figures.count_mismatches += 1
        elif not unit.in_doubt and unit.beds and viewed[unit.unit_id] != unit.beds[-1]:
            figures.count_mismatches += 1
    figures.count_mismatches += len(set(viewed) - on_topic)
    if applied != distinct_events:
        figures.count_mismatches += abs(applied - distinct_events)
        figures.problems.append(
            f"events applied {applied}, distinct on the topic {distinct_events}"
        )
    reasons = {(int(d["kafka_partition"]), int(d["kafka_offset"])): str(d["reason"]) for d in dead}
    figures.poison_sent = len(poison)
    for p in poison:
        reason = reasons.pop((p.partition, p.offset), "")
        if reason:
            figures.poison_dead_lettered += 1
            figures.poison_reasons.setdefault(p.kind, reason)
    figures.dead_lettered_otherwise = len(reasons)


def summary(figures: Figures) -> dict[str, Any]:
    """The figures as a report shows them."""
    return {
        "acknowledged": figures.acknowledged,
        "units": figures.units,
        "units in doubt": figures.units_in_doubt,
        "records on the topic": figures.records,
        "duplicated": figures.duplicated,
        "lost": figures.lost,
        "reordered": figures.reordered,
        "count mismatches": figures.count_mismatches,
        "unexpected answers": figures.unexpected_answers,
        "poison sent": figures.poison_sent,
        "poison dead-lettered %": round(figures.poison_dead_lettered_percent, 1),
        "dead-lettered otherwise": figures.dead_lettered_otherwise,
        "blocked partitions": figures.blocked_partitions,
        "caught up (s)": round(figures.caught_up_s, 1),
    }

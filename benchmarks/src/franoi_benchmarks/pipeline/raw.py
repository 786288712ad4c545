"""The raw baselines of the relay and the projection, measured in the same run.

* Raw Kafka: CloudEvents of the size the relay publishes, encoded beforehand, produced with the
  relay's producer settings (all sent, then every acknowledgement awaited), then consumed in a
  fresh group with the consumer's ``getmany(max_records=500)``.
* Raw upsert: rows of the read model's request table, inserted with the projection's own
  statement by ``executemany``, 500 rows per transaction, into an empty projection database.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time
import uuid
from typing import Any

from aiokafka import AIOKafkaConsumer
from franoi_common.db import create_pool
from franoi_common.envelope import Envelope, encode
from franoi_common.kafka import ensure_topics, make_producer, started
from franoi_common.migrations import migrate_url
from franoi_contracts.housing import RequestSubmitted
from franoi_projection.adapters.directory_file import read_directory
from franoi_projection.bootstrap import DEFINITION as PROJECTION
from franoi_projection.projectors.housing import HOUSING as HOUSING_PROJECTION
from franoi_projection.queries.directory import load_directory

from franoi_benchmarks.databases import Server
from franoi_benchmarks.pipeline.commands import BASELINE_PARTNER, RAW_TOPIC
from franoi_benchmarks.pipeline.stack import PARTNER, PERSON, Stack
from franoi_benchmarks.stats import progress


def cloudevent_messages(count: int) -> list[tuple[list[tuple[str, bytes]], bytes, bytes]]:
    """CloudEvents of the size the relay publishes (a request submitted, with trace context)."""
    messages = []
    for k in range(count):
        request_id = str(uuid.uuid4())
        envelope = Envelope(
            id=str(uuid.uuid4()),
            source="/partners/p03/housing",
            type="it.franoi.housing.request.submitted.v1",
            time=dt.datetime.now(dt.UTC),
            subject=request_id,
            partnerid=BASELINE_PARTNER,
            data={
                "request_id": request_id,
                "person_ref": uuid.uuid4().hex + uuid.uuid4().hex,
                "household_size": 1 + k % 4,
                "need": "exit_from_reception",
                "submitted_on": dt.date.today().isoformat(),
                **PERSON,
            },
            dataschema="https://schemas.franoi.example/it.franoi.housing.request.submitted.v1.json",
            trace={"traceparent": f"00-{uuid.uuid4().hex}-{uuid.uuid4().hex[:16]}-01"},
        )
        headers, value = encode(envelope)
        messages.append((headers, value, envelope.key))
    return messages


async def phase_raw_kafka(stack: Stack, count: int) -> dict[str, Any]:
    """Raw aiokafka: produce ``count`` CloudEvents (the relay's producer settings: acks=all,
    idempotent, linger 5 ms; all sent, then every acknowledgement awaited), then consume
    them in a fresh group with the consumer's ``getmany(max_records=500)``."""
    await ensure_topics(stack.kafka, [RAW_TOPIC])
    messages = cloudevent_messages(count)
    producer = await started(make_producer(stack.kafka, "bench-raw"))
    try:
        progress(f"raw Kafka: producing {count} CloudEvents")
        started_at = time.perf_counter()
        futures = [
            await producer.send(RAW_TOPIC, value=value, key=key, headers=headers)
            for headers, value, key in messages
        ]
        await asyncio.gather(*futures)
        produce_s = time.perf_counter() - started_at
    finally:
        await producer.stop()
    consumer = AIOKafkaConsumer(
        RAW_TOPIC,
        group_id=f"bench-raw-{uuid.uuid4().hex[:8]}",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        **stack.kafka.client_options(),
    )
    await consumer.start()
    try:
        progress(f"raw Kafka: consuming {count} CloudEvents")
        seen = 0
        first: float | None = None
        deadline = time.monotonic() + 120
        while seen < count and time.monotonic() < deadline:
            for records in (await consumer.getmany(timeout_ms=500, max_records=500)).values():
                if first is None:
                    first = time.perf_counter()
                seen += len(records)
        consume_s = time.perf_counter() - (first or time.perf_counter())
    finally:
        await consumer.stop()
    return {
        "messages": count,
        "message_bytes": len(messages[0][1]) + sum(len(v) for _, v in messages[0][0]),
        "produce_per_s": round(count / produce_s, 1),
        "consume_per_s": round(seen / max(consume_s, 1e-9), 1),
    }


async def phase_raw_upsert(server: Server, count: int) -> dict[str, Any]:
    """The read model's own insert of a request submitted, by hand: ``executemany`` of the same
    statement, 500 rows per transaction, into an empty projection database (the row only: the
    projection's indicator counters are not part of this baseline)."""
    database = await server.create("baseline_upsert")
    await migrate_url(database, list(PROJECTION.migrations))
    pool = await create_pool(database)
    try:
        await load_directory(pool, read_directory(None))
        # The request's own row (the projection also keeps indicator counters for it).
        [statement] = [
            s
            for s in HOUSING_PROJECTION[RequestSubmitted]
            if s.sql.startswith("INSERT INTO housing_requests")
        ]
        today = dt.date.today()
        events = [
            RequestSubmitted(
                request_id=uuid.uuid4(),
                person_ref=uuid.uuid4().hex + uuid.uuid4().hex,
                household_size=1 + k % 4,
                need="exit_from_reception",
                submitted_on=today,
                **PERSON,
            )
            for k in range(count)
        ]
        rows = [statement.args(PARTNER, e) for e in events]
        progress(f"raw upsert: {count} rows, 500 per transaction")
        started_at = time.perf_counter()
        async with pool.acquire() as conn:
            for k in range(0, count, 500):
                async with conn.transaction():
                    await conn.executemany(statement.sql, rows[k : k + 500])
        seconds = time.perf_counter() - started_at
    finally:
        await pool.close()
    return {"rows": count, "rows_per_s": round(count / seconds, 1)}

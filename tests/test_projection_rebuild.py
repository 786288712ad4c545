"""The projection rebuilt from the topics into a new generation (schema and consumer group):
every table equals the live one to the unit, the read API answers right all through the
rebuild and the switch, later events land once in the new generation, an erased person stays
erased, an interrupted rebuild leaves the live generation serving, bad options are refused."""

from __future__ import annotations

import asyncio
import hashlib
import os
import random
import sys
import uuid
from pathlib import Path
from typing import Any

import asyncpg
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from franoi_common.envelope import encode
from franoi_common.kafka import ensure_topics, started
from franoi_common.settings import KafkaSettings, ProjectionSettings
from franoi_contracts import cases as cs
from franoi_contracts import housing as hs
from franoi_contracts.base import DomainEvent
from franoi_projection.adapters import consumer_lag
from franoi_projection.adapters.generations import GenerationFollower, generations
from franoi_projection.bootstrap import DEFINITION as PROJECTION
from franoi_projection.bootstrap import MIGRATIONS
from franoi_projection.projectors.counters import mismatches_sql
from franoi_projection.rebuild import CHECK_TABLES, Progress, RebuildOptions, drop_old, rebuild

from tests.support import (
    ANALYST,
    RunningService,
    auth_header,
    eventually,
    fresh_partners,
    kafka_settings,
    projection_settings,
    run_command,
    running,
)
from tests.test_network_views import (
    FIRST,
    LAST,
    Facts,
    envelope,
    expected,
    history,
    interleave,
    other_axes,
)

DOMAINS = ["housing", "employment", "hosting", "events", "cases"]
PERIOD = {"from": "2024-01", "to": "2026-12"}

EXCLUDED_COLUMNS = {
    # when the migration was applied: each generation ran its own
    "schema_migrations": {"applied_at"},
    # the order in which dead letters were numbered depends on how partitions interleave
    "dead_letters": {"id"},
    # when the tombstone was written (the surrogate is random too: compared through its
    # ref_hash, see normalised())
    "erased_persons": {"recorded_at"},
}
"""Columns not compared. Everything else is, including processed_events.processed_at and
partner_activity (the rebuild carries the live arrival times over)."""
NOT_READ_MODELS = {"consumer_reports", *CHECK_TABLES}
"""Tables not compared: what the running consumers say of themselves (each generation's
consumer reports in its own schema) and the flags of the last data-quality run (made by a
run, again after a rebuild), not what the events made."""


async def unused_partners(kafka: KafkaSettings, n: int) -> list[str]:
    admin = await started(AIOKafkaAdminClient(**kafka.client_options()))
    try:
        existing = set(await admin.list_topics())
    finally:
        await admin.close()
    return fresh_partners(n, avoid={t.split(".")[1] for t in existing if "." in t})


async def produce(
    kafka: KafkaSettings,
    items: list[tuple[str, str, DomainEvent]],
    rng: random.Random,
) -> int:
    """Publish (partner, domain, event) as the partners' services would, some twice (a
    redelivery of the very same envelope); returns how many distinct events."""
    producer = await started(AIOKafkaProducer(**kafka.client_options()))
    try:
        for partner, domain, event in items:
            headers, value = encode(envelope(partner, event, domain))
            for _ in range(2 if rng.random() < 0.03 else 1):
                await producer.send(
                    f"franoi.{partner}.{domain}.v1",
                    value=value,
                    key=event.aggregate_id.encode(),
                    headers=headers,
                )
        await producer.flush()
    finally:
        await producer.stop()
    return len(items)


async def add_partners(service: RunningService, partners: list[str]) -> None:
    for i, partner in enumerate(partners):
        created = await service.client.post(
            "/v1/network/partners",
            headers=auth_header("consortium", "partner_admin"),
            json={
                "partner_id": partner,
                "name": f"Cooperativa di prova {i}",
                "kind": "cooperative",
                "region": ["Umbria", "Lazio"][i % 2],
                "province": ["PG", "RM"][i % 2],
                "axes": DOMAINS,
            },
        )
        assert created.status_code == 201, created.text


async def caught_up(settings: ProjectionSettings, group: str) -> bool:
    lag = await consumer_lag.LagProbe(settings.kafka, group, settings.topic_pattern).lag()
    return bool(lag.by_topic) and lag.total == 0


async def count(conn: asyncpg.Connection, schema: str, table: str) -> int:
    return int(await conn.fetchval(f'SELECT count(*) FROM "{schema}".{table}'))


async def tables_of(conn: asyncpg.Connection, schema: str) -> list[str]:
    rows = await conn.fetch(
        "SELECT table_name FROM information_schema.tables"
        " WHERE table_schema = $1 AND table_type = 'BASE TABLE' ORDER BY 1",
        schema,
    )
    return [r["table_name"] for r in rows]


async def normalised(conn: asyncpg.Connection, schema: str, table: str) -> list[str]:
    """The table's rows as sorted text, without the excluded columns, every surrogate of an
    erased person replaced by its tombstone's (deterministic) ref_hash."""
    surrogates = {
        r["surrogate"]: f"erased:{r['ref_hash']}"
        for r in await conn.fetch(f'SELECT surrogate, ref_hash FROM "{schema}".erased_persons')
    }
    columns = [
        r["column_name"]
        for r in await conn.fetch(
            "SELECT column_name FROM information_schema.columns"
            " WHERE table_schema = $1 AND table_name = $2 ORDER BY column_name",
            schema,
            table,
        )
        if r["column_name"] not in EXCLUDED_COLUMNS.get(table, set())
    ]
    listed = ", ".join(f'"{c}"' for c in columns)
    rows = await conn.fetch(f'SELECT {listed} FROM "{schema}"."{table}"')
    return sorted(
        repr(tuple(surrogates.get(v, v) if isinstance(v, str) else v for v in row)) for row in rows
    )


async def answers(service: RunningService, partner: str) -> dict[str, Any]:
    """What the read API says: key numbers of the network and of a partner, a table, the
    completeness."""
    paths: dict[str, tuple[str, dict[str, str]]] = {
        "network": ("/v1/network/key-numbers", PERIOD),
        "partner": ("/v1/network/key-numbers", {**PERIOD, "partner_id": partner}),
        "table": (
            "/v1/network/indicators/housing_requests_submitted/table",
            {**PERIOD, "by": "partner"},
        ),
        "completeness": ("/v1/network/completeness", {}),
    }
    got: dict[str, Any] = {}
    for name, (path, params) in paths.items():
        response = await service.client.get(path, params=params, headers=ANALYST)
        got[name] = (response.status_code, response.json())
    return got


def follower(service: RunningService) -> GenerationFollower:
    following: dict[str, GenerationFollower] = service.wiring.state["generations"]
    return following["consume"]


async def test_rebuilt_equals_live_and_the_switch_never_stops_the_reads(
    databases, kafka_bootstrap, kafka_idempotent, monkeypatch
) -> None:
    monkeypatch.setattr(consumer_lag, "CACHE_S", 0.0)
    kafka = kafka_settings(kafka_bootstrap, kafka_idempotent)
    first, second = await unused_partners(kafka, 2)
    settings = projection_settings(
        await databases.create("rebuild"), kafka, [first, second], generation_poll_s=0.2
    )
    await ensure_topics(kafka, [f"franoi.{p}.{d}.v1" for p in (first, second) for d in DOMAINS])
    rng = random.Random(1313)
    facts = {first: Facts(), second: Facts()}
    items: list[tuple[str, str, DomainEvent]] = []
    housing = {p: interleave(rng, history(rng, facts[p], 80)) for p in (first, second)}
    for partner, events in housing.items():
        items += [(partner, "housing", e) for e in events]
    for domain, aggregates in other_axes(rng).items():
        items += [(first, domain, e) for e in interleave(rng, aggregates)]
    erased_ref = next(e.person_ref for e in housing[first] if isinstance(e, hs.RequestSubmitted))
    erasure = cs.PersonErased(person_id=_uuid(rng), person_ref=erased_ref, erased_on=LAST)
    items.append((first, "cases", erasure))  # the consumer reads the topics in no order

    service = RunningService(PROJECTION, settings)
    async with running(service):
        await add_partners(service, [first, second])
        await produce(kafka, items, rng)
        await eventually(lambda: caught_up(settings, settings.consumer_group), timeout_s=120)
        admin = await asyncpg.connect(settings.database_url)
        try:
            assert await count(admin, "public", "dead_letters") == 0
            assert await count(admin, "public", "processed_events") == len(items)
            before = await answers(service, first)
            assert all(status == 200 for status, _ in before.values())
            # the consortium's and the partners' own record of reporting, carried over
            consortium = auth_header("consortium", "partner_admin")
            period = {"period_id": "t1", "label_it": "T1", "first_month": "2024-01",
                      "last_month": "2024-03", "deadline": "2024-04-30"}  # fmt: skip
            made = await service.client.post(
                "/v1/reporting/periods", json=period, headers=consortium
            )
            assert made.status_code == 201, made.text
            submitted = await service.client.post(
                f"/v1/reporting/periods/t1/partners/{first}/submission",
                json={"comment": "ok"},
                headers=auth_header(first, "partner_admin"),
            )
            assert submitted.status_code == 200, submitted.text

            # readers all through the rebuild and the switch
            seen: list[tuple[int, bool, int]] = []
            stop = asyncio.Event()

            async def read_all_the_time() -> None:
                while not stop.is_set():
                    got = await answers(service, first)
                    generation = follower(service).active
                    assert generation is not None
                    seen.append(
                        (
                            max(status for status, _ in got.values()),
                            got == before,
                            generation.number,
                        )
                    )
                    await asyncio.sleep(0.01)

            readers = asyncio.create_task(read_all_the_time())
            progress: list[Progress] = []
            try:
                built = await rebuild(
                    settings,
                    MIGRATIONS,
                    RebuildOptions(max_lag=0, progress_every_s=0.3),
                    on_progress=progress.append,
                )
                assert (built.number, built.schema, built.state) == (1, "projection_1", "active")
                await eventually(lambda: _answers_from(service, 1), timeout_s=10)
                await asyncio.sleep(0.5)
            finally:
                stop.set()
                await readers
            assert seen and all(status == 200 for status, _, _ in seen)
            assert all(same for _, same, _ in seen), "an answer differed during the switch"
            assert {g for _, _, g in seen} == {0, 1}
            assert progress[-1].applied == len(items) and progress[-1].waiting == 0
            assert all(p.lag_by_topic.keys() >= {f"franoi.{first}.housing.v1"} for p in progress)

            # every table of the new schema equals the live one to the unit
            live_tables = await tables_of(admin, "public")
            assert await tables_of(admin, "projection_1") == live_tables
            assert {"partners", "indicator_counts", "partner_activity"} <= set(live_tables)
            assert {"reporting_periods", "reporting_states", "event_entries"} <= set(live_tables)
            assert await count(admin, "projection_1", "reporting_history") == 1
            for table in sorted(set(live_tables) - NOT_READ_MODELS):
                live_rows = await normalised(admin, "public", table)
                assert await normalised(admin, "projection_1", table) == live_rows, table
            assert await count(admin, "projection_1", "housing_requests") == len(
                facts[first].requests
            ) + len(facts[second].requests)
            # triggers and functions are the new schema's own
            functions = await admin.fetch(
                "SELECT DISTINCT p.pronamespace::regnamespace::text AS schema FROM pg_trigger t"
                " JOIN pg_proc p ON p.oid = t.tgfoid"
                " WHERE t.tgrelid::regclass::text LIKE 'projection_1.%' AND NOT t.tgisinternal"
            )
            assert [r["schema"] for r in functions] == ["projection_1"]

            # the erased person stays erased: tombstone rebuilt, the reference nowhere
            ref_hash = hashlib.sha256(f"{first}:{erased_ref}".encode()).hexdigest()
            assert (
                await admin.fetchval(
                    "SELECT count(*) FROM projection_1.erased_persons WHERE ref_hash = $1", ref_hash
                )
                == 1
            )
            for table in await _tables_with_person_ref(admin, "projection_1"):
                assert (
                    await admin.fetchval(
                        f'SELECT count(*) FROM projection_1."{table}" WHERE person_ref = $1',
                        erased_ref,
                    )
                    == 0
                ), table
            assert (
                await admin.fetchval(
                    "SELECT count(*) FROM projection_1.housing_requests WHERE person_ref ="
                    " (SELECT surrogate FROM projection_1.erased_persons WHERE ref_hash = $1)",
                    ref_hash,
                )
                >= 1
            )

            # events after the switch land in the new generation, once
            more = interleave(rng, history(rng, facts[second], 15))
            await produce(kafka, [(second, "housing", e) for e in more], rng)
            group = (await generations(admin, settings.consumer_group))[1].consumer_group
            assert follower(service).active.consumer_group == group  # type: ignore[union-attr]
            await eventually(lambda: caught_up(settings, group), timeout_s=60)
            assert await count(admin, "projection_1", "processed_events") == len(items) + len(more)
            assert await count(admin, "public", "processed_events") == len(items)
            await admin.execute("SET search_path TO projection_1")
            assert await admin.fetch(mismatches_sql()) == []
            after = await answers(service, second)
            got = {row["indicator_id"]: row["value"] for row in after["partner"][1]["rows"]}
            for indicator_id, value in expected(facts[second], FIRST, LAST).items():
                if indicator_id in got:
                    assert got[indicator_id] == value, indicator_id
        finally:
            await admin.close()


async def test_an_interrupted_rebuild_leaves_the_live_generation_serving(
    databases, kafka_bootstrap, kafka_idempotent, monkeypatch
) -> None:
    monkeypatch.setattr(consumer_lag, "CACHE_S", 0.0)
    kafka = kafka_settings(kafka_bootstrap, kafka_idempotent)
    (partner,) = await unused_partners(kafka, 1)
    settings = projection_settings(
        await databases.create("rebuild_cut"), kafka, [partner], generation_poll_s=0.2
    )
    await ensure_topics(kafka, [f"franoi.{partner}.{d}.v1" for d in DOMAINS])
    rng = random.Random(77)
    facts = Facts()
    events = interleave(rng, history(rng, facts, 400))
    service = RunningService(PROJECTION, settings)
    async with running(service):
        await add_partners(service, [partner])
        await produce(kafka, [(partner, "housing", e) for e in events], rng)
        await eventually(lambda: caught_up(settings, settings.consumer_group), timeout_s=120)
        before = await answers(service, partner)

        def interrupt(progress: Progress) -> None:
            if progress.applied > 0:
                task = asyncio.current_task()
                assert task is not None
                task.cancel()

        job = asyncio.create_task(
            rebuild(
                settings,
                MIGRATIONS,
                RebuildOptions(max_lag=0, progress_every_s=0.05),
                on_progress=interrupt,
            )
        )
        try:
            await job
            raise AssertionError("the rebuild was not interrupted")
        except asyncio.CancelledError:
            pass
        admin = await asyncpg.connect(settings.database_url)
        try:
            states = {g.number: (g.schema, g.state) for g in await generations(admin, "x")}
            assert states == {0: ("public", "active"), 1: ("projection_1", "abandoned")}
            assert await admin.fetchval("SHOW search_path") != "projection_1"
            await asyncio.sleep(0.5)  # a poll or two of the follower
            assert follower(service).active.number == 0  # type: ignore[union-attr]
            assert await answers(service, partner) == before
            # the live consumer goes on feeding the live generation
            more = interleave(rng, history(rng, facts, 5))
            await produce(kafka, [(partner, "housing", e) for e in more], rng)
            await eventually(lambda: caught_up(settings, settings.consumer_group), timeout_s=60)
            assert await count(admin, "public", "processed_events") == len(events) + len(more)
            # a second rebuild is not blocked by the first; old generations can be dropped
            dropped = await drop_old(settings)
            assert [g.number for g in dropped] == [1]
            assert await admin.fetchval("SELECT to_regnamespace('projection_1')") is None
            # the command, building without switching, logs its progress
            env = {
                **{k: v for k, v in os.environ.items() if not k.startswith("FRANOI_")},
                "FRANOI_DATABASE_URL": settings.database_url,
                "FRANOI_KAFKA_BOOTSTRAP": kafka.bootstrap,
                "FRANOI_KAFKA_IDEMPOTENT_PRODUCER": str(kafka.idempotent_producer).lower(),
                "FRANOI_CONSUMER_GROUP": settings.consumer_group,
                "FRANOI_TOPIC_PATTERN": settings.topic_pattern,
            }
            argv = ["rebuild", "--no-switch", "--max-lag", "0", "--progress-every", "0.5"]
            code, output = await run_command(str(BIN / "franoi-projection"), *argv, env=env)
            assert code == 0, output
            assert "events applied" in output and "events/s" in output, output
            states = {g.number: g.state for g in await generations(admin, "x")}
            assert states == {0: "active", 1: "dropped", 2: "built"}
            total = len(events) + len(more)
            assert await count(admin, "projection_2", "processed_events") == total
            assert follower(service).active.number == 0  # type: ignore[union-attr]
        finally:
            await admin.close()


BIN = Path(sys.executable).parent


async def test_bad_options_are_refused_without_a_traceback(databases) -> None:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("FRANOI_")},
        "FRANOI_DATABASE_URL": await databases.create("rebuild_cli"),
    }
    for argv in (["rebuild", "--bogus"], ["rebuild", "--max-lag", "-1"], ["generations", "x"]):
        code, output = await run_command(str(BIN / "franoi-projection"), *argv, env=env)
        assert code == 2, output
        assert "usage:" in output and "Traceback" not in output, output
    code, output = await run_command(str(BIN / "franoi-projection"), "generations", env=env)
    assert code == 0, output
    assert "0\tpublic\tactive\tfranoi-projection" in output, output


# --- helpers ---------------------------------------------------------------------------------


def _uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


async def _answers_from(service: RunningService, number: int) -> bool:
    generation = follower(service).active
    return generation is not None and generation.number == number


async def _tables_with_person_ref(conn: asyncpg.Connection, schema: str) -> list[str]:
    rows = await conn.fetch(
        "SELECT c.table_name FROM information_schema.columns c"
        " JOIN information_schema.tables t USING (table_schema, table_name)"
        " WHERE c.table_schema = $1 AND c.column_name = 'person_ref'"
        " AND t.table_type = 'BASE TABLE'",
        schema,
    )
    return [r["table_name"] for r in rows]

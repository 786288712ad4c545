"""The shared erasure mechanism on a real PostgreSQL: tombstones, surrogates, the trigger
that keeps an erased reference out, the rules a service declares, and the consumer's
handler (called directly: the Kafka path is tested end to end in ``tests/test_erasure``)."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
from franoi_common.consumer import Delivery, Unprocessable
from franoi_common.envelope import Envelope
from franoi_common.erasure import (
    ERASURE,
    PERSON_ERASED,
    Action,
    Erased,
    ErasureRule,
    cases_topic_pattern,
    erase,
    erasure_handler,
)
from franoi_common.migrations import OUTBOX, migrate_url

REF = "ab" * 32
OTHER = "cd" * 32
TODAY = dt.date(2026, 3, 4)

SCHEMA = """
CREATE TABLE stays (
    stay_id uuid PRIMARY KEY, partner_id text NOT NULL,
    person_ref text NOT NULL CHECK (person_ref ~ '^[0-9a-f]{64}$'),
    months integer NOT NULL
);
CREATE TABLE visits (
    visit_id uuid PRIMARY KEY, partner_id text NOT NULL,
    stay_id uuid NOT NULL REFERENCES stays, flags text[] NOT NULL DEFAULT '{}', note text
);
CREATE TABLE profiles (partner_id text NOT NULL, person_ref text NOT NULL, education text);
SELECT franoi_install_erasure_triggers();
"""
RULES = [
    ErasureRule("visits", Action.CLEAR, ("flags", "note"), through=("stays", "stay_id")),
    ErasureRule("profiles", Action.DELETE),
]


@pytest.fixture
async def conn(databases: Any) -> AsyncIterator[asyncpg.Connection]:
    url = await databases.create("common_erasure")
    await migrate_url(url, [OUTBOX, ERASURE])
    connection = await asyncpg.connect(url)
    try:
        await connection.execute(SCHEMA)
        yield connection
    finally:
        await connection.close()


async def stay(conn: asyncpg.Connection, partner: str, ref: str, months: int = 3) -> uuid.UUID:
    stay_id = uuid.uuid4()
    await conn.execute("INSERT INTO stays VALUES ($1, $2, $3, $4)", stay_id, partner, ref, months)
    await conn.execute(
        "INSERT INTO visits VALUES ($1, $2, $3, '{health}', 'sad')", uuid.uuid4(), partner, stay_id
    )
    return stay_id


async def outbox_row(
    conn: asyncpg.Connection, partner: str, data: dict[str, Any], event_type: str = "x.v1"
) -> int:
    row_id: int = await conn.fetchval(
        "INSERT INTO outbox (event_id, partner_id, topic, aggregate_id, event_type, source,"
        " occurred_at, data) VALUES ($1, $2, 't', 'a', $3, 's', now(), $4::jsonb) RETURNING id",
        uuid.uuid4(),
        partner,
        event_type,
        json.dumps(data),
    )
    return row_id


async def test_erasure_detaches_the_reference_behind_one_surrogate_and_keeps_counts(
    conn: asyncpg.Connection,
) -> None:
    await stay(conn, "p01", REF)
    await stay(conn, "p01", REF, months=6)
    await stay(conn, "p01", OTHER)
    await stay(conn, "p02", REF)  # the same person at another partner: not theirs to erase
    await conn.execute("INSERT INTO profiles VALUES ('p01', $1, 'upper_secondary')", REF)
    sent = await outbox_row(conn, "p01", {"known": [{"person_ref": REF}], "n": 1})
    await conn.execute("UPDATE outbox SET sent_at = now() WHERE id = $1", sent)
    unsent = await outbox_row(conn, "p01", {"person_ref": REF})

    surrogate = await erase(conn, RULES, Erased("p01", REF, TODAY))

    assert len(surrogate) == 64 and surrogate not in (REF, OTHER)
    rows = await conn.fetch("SELECT partner_id, person_ref, months FROM stays ORDER BY months")
    assert sorted((r["partner_id"], r["person_ref"]) for r in rows) == sorted(
        [("p01", surrogate), ("p01", surrogate), ("p01", OTHER), ("p02", REF)]
    )
    assert await conn.fetchval("SELECT count(DISTINCT person_ref) FROM stays") == 3
    assert await conn.fetchval("SELECT sum(months) FROM stays") == 15
    cleared = await conn.fetch(
        "SELECT v.flags, v.note FROM visits v JOIN stays s USING (stay_id) WHERE s.person_ref = $1",
        surrogate,
    )
    assert [tuple(r) for r in cleared] == [([], None), ([], None)]
    kept = await conn.fetch("SELECT flags FROM visits WHERE partner_id = 'p02'")
    assert [r["flags"] for r in kept] == [["health"]]
    assert await conn.fetchval("SELECT count(*) FROM profiles") == 0
    data = {r["id"]: json.loads(r["data"]) for r in await conn.fetch("SELECT id, data FROM outbox")}
    assert data[sent] == {"known": [{"person_ref": surrogate}], "n": 1}
    assert data[unsent] == {"person_ref": surrogate}  # it will publish the surrogate
    # the tombstone holds a one-way hash, never the reference
    tombstone = await conn.fetchrow("SELECT * FROM erased_persons")
    assert REF not in str(dict(tombstone)) and tombstone["surrogate"] == surrogate

    # a second erasure changes nothing and finds the same surrogate
    assert await erase(conn, RULES, Erased("p01", REF, TODAY)) == surrogate
    assert await conn.fetchval("SELECT count(*) FROM erased_persons") == 1


async def test_a_later_write_cannot_recreate_the_link(conn: asyncpg.Connection) -> None:
    surrogate = await erase(conn, RULES, Erased("p01", REF, TODAY))
    stay_id = await stay(conn, "p01", REF)  # e.g. a late event, or a new command
    assert await conn.fetchval("SELECT person_ref FROM stays WHERE stay_id = $1", stay_id) == (
        surrogate
    )
    other = await stay(conn, "p02", REF)
    assert await conn.fetchval("SELECT person_ref FROM stays WHERE stay_id = $1", other) == REF
    await conn.execute("UPDATE stays SET person_ref = $1 WHERE stay_id = $2", REF, other)
    row = await outbox_row(conn, "p01", {"a": {"b": [REF]}})
    assert await conn.fetchval("SELECT data FROM outbox WHERE id = $1", row) == json.dumps(
        {"a": {"b": [surrogate]}}
    )


async def test_an_erasure_event_keeps_its_reference_until_it_is_sent(
    conn: asyncpg.Connection,
) -> None:
    await erase(conn, [], Erased("p01", REF, TODAY))
    row = await outbox_row(conn, "p01", {"person_ref": REF}, PERSON_ERASED)
    assert REF in await conn.fetchval("SELECT data::text FROM outbox WHERE id = $1", row)
    await conn.execute("UPDATE outbox SET sent_at = now() WHERE id = $1", row)
    assert REF not in await conn.fetchval("SELECT data::text FROM outbox WHERE id = $1", row)


def envelope(event_type: str, data: dict[str, Any], partner: str = "p01") -> Envelope:
    return Envelope(
        id=str(uuid.uuid4()),
        source=f"/partners/{partner}/cases",
        type=event_type,
        time=dt.datetime.now(dt.UTC),
        subject=str(data.get("person_id", uuid.uuid4())),
        partnerid=partner,
        data=data,
    )


def erasure(**data: Any) -> dict[str, Any]:
    """The data of an erasure event: a valid one, with ``data`` replacing its values."""
    return {"person_id": str(uuid.uuid4()), "person_ref": REF, "erased_on": "2026-03-04", **data}


async def test_the_handler_applies_erasures_of_its_partners_only(
    conn: asyncpg.Connection,
) -> None:
    handle = erasure_handler(RULES, ["p01"])
    delivery = Delivery("franoi.p01.cases.v1", 0, 0)
    await stay(conn, "p01", REF)
    await handle(conn, envelope("it.franoi.cases.person.registered.v1", {}), delivery)
    assert await conn.fetchval("SELECT count(*) FROM erased_persons") == 0
    # Read through the contract's model: the reason names the field, never its value.
    with pytest.raises(Unprocessable, match="person_ref: String should match") as refused:
        await handle(conn, envelope(PERSON_ERASED, erasure(person_ref="Ngozi")), delivery)
    assert "Ngozi" not in str(refused.value)
    with pytest.raises(Unprocessable, match="erased_on: "):
        await handle(conn, envelope(PERSON_ERASED, erasure(erased_on="x")), delivery)
    with pytest.raises(Unprocessable, match="sex: Extra inputs"):
        await handle(conn, envelope(PERSON_ERASED, erasure(sex="female")), delivery)
    with pytest.raises(Unprocessable, match="person_id: Field required"):
        await handle(
            conn, envelope(PERSON_ERASED, {"person_ref": REF, "erased_on": "2026-03-04"}), delivery
        )
    other_subject = envelope(PERSON_ERASED, erasure())
    other_subject = Envelope(**{**other_subject.__dict__, "subject": str(uuid.uuid4())})
    with pytest.raises(Unprocessable, match="ce_subject"):
        await handle(conn, other_subject, delivery)
    with pytest.raises(Unprocessable, match="not served here"):
        await handle(conn, envelope(PERSON_ERASED, erasure(), "p02"), delivery)
    await handle(conn, envelope(PERSON_ERASED, erasure()), delivery)
    assert await conn.fetchval("SELECT count(*) FROM stays WHERE person_ref = $1", REF) == 0


def test_rules_take_plain_names_and_say_what_to_clear() -> None:
    with pytest.raises(ValueError, match="plain SQL name"):
        ErasureRule("stays; DROP TABLE x", Action.DELETE)
    with pytest.raises(ValueError, match="plain SQL name"):
        ErasureRule("visits", Action.CLEAR, ('flags"',))
    with pytest.raises(ValueError, match="CLEAR only"):
        ErasureRule("visits", Action.CLEAR)
    with pytest.raises(ValueError, match="CLEAR only"):
        ErasureRule("visits", Action.DELETE, ("flags",))
    assert RULES[1].sql() == 'DELETE FROM "profiles" WHERE partner_id = $1 AND person_ref = $2'
    assert cases_topic_pattern(["p01", "p07"]) == r"^franoi\.(p01|p07)\.cases\.v1$"

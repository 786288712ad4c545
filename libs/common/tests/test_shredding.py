"""The key store of crypto-shredding on a real PostgreSQL: a token per partner and person,
opened while the key is held, never again once an erasure deletes it; and the walk over
event data that seals and opens every ``person_ref``."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
from franoi_common.consumer import TRANSIENT_DATABASE_ERRORS
from franoi_common.erasure import ERASURE, Erased, erase
from franoi_common.key_store import KeyStoreUnavailable, RemoteKeyStore
from franoi_common.migrations import migrate_url
from franoi_common.settings import KeyStoreAccess
from franoi_common.shredding import (
    REF_FIELDS,
    SHREDDING,
    KeyStore,
    new_token,
    refs_in,
    replace_refs,
)
from franoi_contracts import cases, employment, events, hosting, housing
from franoi_contracts.base import event_types
from franoi_devenv.process import free_port

REF = "ab" * 32
OTHER = "cd" * 32
STORE = KeyStore()


@pytest.fixture
async def conn(databases: Any) -> AsyncIterator[asyncpg.Connection]:
    url = await databases.create("common_shredding")
    await migrate_url(url, [ERASURE, SHREDDING])
    connection = await asyncpg.connect(url)
    try:
        yield connection
    finally:
        await connection.close()


def test_a_token_is_random_and_shaped_like_a_reference() -> None:
    first, second = new_token(), new_token()
    assert first != second and len(first) == 64 and int(first, 16) >= 0


def _person_fields(schema: Any, found: set[str], name: str = "") -> None:
    if isinstance(schema, dict):
        pattern = schema.get("pattern") or schema.get("items", {}).get("pattern")
        if pattern == "^[0-9a-f]{64}$":
            found.add(name)
        for key, value in schema.items():
            if key == "properties":
                for field, sub in value.items():
                    _person_fields(sub, found, field)
            elif key in ("$defs", "items", "anyOf", "allOf"):
                _person_fields(value, found, name)
    elif isinstance(schema, list):
        for item in schema:
            _person_fields(item, found, name)


def test_the_fields_sealed_are_every_person_field_of_the_contract() -> None:
    assert {cases, employment, events, hosting, housing}  # every domain's events registered
    found: set[str] = set()
    for cls in event_types().values():
        _person_fields(cls.model_json_schema(), found)
    assert found == REF_FIELDS


def test_every_person_ref_in_event_data_is_found_and_replaced() -> None:
    data = {
        "access_id": "x",
        "registered_attendees": [OTHER, REF],
        "person_ref": REF,
        "known_persons": [{"person_ref": OTHER, "topic": "legal"}, {"person_ref": REF}],
        "counts": [1, 2],
    }
    assert refs_in(data) == {REF, OTHER}
    sealed = replace_refs(data, {REF: "1" * 64, OTHER: "2" * 64}.__getitem__)
    assert sealed == {
        "access_id": "x",
        "registered_attendees": ["2" * 64, "1" * 64],
        "person_ref": "1" * 64,
        "known_persons": [{"person_ref": "2" * 64, "topic": "legal"}, {"person_ref": "1" * 64}],
        "counts": [1, 2],
    }
    assert data["person_ref"] == REF, "the caller's data is left as it was"


async def test_one_token_per_partner_and_person_opened_by_the_store(
    conn: asyncpg.Connection,
) -> None:
    first = await STORE.seal(conn, "p01", [REF, OTHER, REF])
    again = await STORE.seal(conn, "p01", [REF])
    elsewhere = await STORE.seal(conn, "p02", [REF])
    assert first.erased == frozenset() and set(first.tokens) == {REF, OTHER}
    assert again.tokens[REF] == first.tokens[REF], "the same token on every event of the person"
    assert elsewhere.tokens[REF] != first.tokens[REF], "another partner, another key"
    assert REF not in first.tokens.values()
    opened = await STORE.open(conn, "p01", [first.tokens[REF], elsewhere.tokens[REF], "9" * 64])
    assert opened == {first.tokens[REF]: REF}, "a token opens only at its own partner"


async def test_an_erasure_shreds_the_key_for_good(conn: asyncpg.Connection) -> None:
    tokens = (await STORE.seal(conn, "p01", [REF, OTHER])).tokens
    elsewhere = (await STORE.seal(conn, "p02", [REF])).tokens
    async with conn.transaction():
        shredded = await STORE.shred(conn, "p01", [REF])
        await erase(conn, [], Erased("p01", REF, dt.date(2026, 3, 4)))
    assert shredded == {REF: tokens[REF]}
    assert await STORE.open(conn, "p01", tokens.values()) == {tokens[OTHER]: OTHER}
    again = await STORE.seal(conn, "p01", [REF, OTHER])
    assert again.erased == {REF} and again.tokens == {OTHER: tokens[OTHER]}, (
        "an erased reference never gets a key again"
    )
    assert (await STORE.open(conn, "p02", elsewhere.values())) == {elsewhere[REF]: REF}, (
        "erasure is per partner"
    )
    assert await STORE.shred(conn, "p01", [REF]) == {}, "a repeat finds nothing"
    assert await conn.fetchval("SELECT count(*) FROM person_keys WHERE ref = $1", REF) == 1


async def test_concurrent_sealings_of_a_new_person_agree(databases: Any) -> None:
    url = await databases.create("common_shredding_race")
    await migrate_url(url, [ERASURE, SHREDDING])
    pool = await asyncpg.create_pool(url, min_size=4, max_size=4)
    try:

        async def one() -> str:
            async with pool.acquire() as c, c.transaction():
                return (await STORE.seal(c, "p01", [REF])).tokens[REF]

        tokens = await asyncio.gather(*(one() for _ in range(8)))
    finally:
        await pool.close()
    assert len(set(tokens)) == 1


async def test_the_store_refuses_what_is_not_a_reference(conn: asyncpg.Connection) -> None:
    with pytest.raises(ValueError, match="64 hex"):
        await STORE.seal(conn, "p01", ["Okonkwo"])


async def test_a_key_store_away_is_waited_for_never_a_reason_to_dead_letter() -> None:
    away = RemoteKeyStore(KeyStoreAccess(url=f"http://127.0.0.1:{free_port()}", secret="s" * 32))
    try:
        with pytest.raises(KeyStoreUnavailable) as caught:
            await away.open("p01", [REF])
    finally:
        await away.close()
    assert isinstance(caught.value, TRANSIENT_DATABASE_ERRORS), "retried, never dead-lettered"

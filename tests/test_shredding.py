"""Crypto-shredding of ``person_ref`` on the stream, end to end on Apache Kafka and real
PostgreSQL (docs/privacy.md, "Shredded pseudonyms on the stream").

Two partners' services run with ``FRANOI_SHREDDING``: the cases service holds the key store
(it serves both partners), the domain services seal through its API, the projection opens
the tokens there. A person with records on every axis at one partner (and registered at the
other too), and a second person, are recorded; then the first is erased at the first
partner. Re-reading every topic from the beginning: no event ever carried a reference, the
erased person's tokens open no more (the erasure itself names a token), the other person's
still open; the projection's figures are those of before the erasure, and a fresh
projection replaying the topics gives the same figures.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import AsyncIterator, Sequence
from typing import Any

import asyncpg
import httpx
import pytest
from franoi_common.envelope import decode
from franoi_common.settings import KeyStoreAccess
from franoi_common.shredding import refs_in
from franoi_devenv.process import free_port
from franoi_projection.bootstrap import DEFINITION as PROJECTION
from franoi_projection.bootstrap import MIGRATIONS
from franoi_projection.rebuild import RebuildOptions, rebuild

from tests.support import (
    RunningService,
    eventually,
    kafka_settings,
    projection_settings,
    read_records,
    running,
)
from tests.test_erasure import (
    COARSE,
    DOMAINS,
    Api,
    Network,
    day,
    distinct_persons,
    everywhere,
    holders,
    person_everywhere,
    settled,
    started_network,
    views,
)

SECRET = "key-store-secret-for-tests-0123456789"


@pytest.fixture
async def network(databases, kafka_bootstrap, kafka_idempotent, tmp_path) -> AsyncIterator[Network]:
    cases_port = free_port()
    store = KeyStoreAccess(url=f"http://127.0.0.1:{cases_port}", secret=SECRET)
    async with started_network(
        databases,
        kafka_settings(kafka_bootstrap, kafka_idempotent),
        tmp_path,
        cases_port=cases_port,
        partner_options=lambda partners: {
            "shredding": True,
            "key_stores": dict.fromkeys(partners, store),
        },
        cases_options={"shredding": True, "key_store_secret": SECRET},
        projection_options=lambda partners: {"key_stores": dict.fromkeys(partners, store)},
    ) as net:
        yield net


async def housing_request(net: Network, partner: str, identifier: str, submitted_on: str) -> None:
    await Api(net.domains["housing"], partner).call("POST", "/v1/requests", {
        "person_identifier": identifier, **COARSE, "household_size": 1,
        "need": "exit_from_reception", "submitted_on": submitted_on,
    })  # fmt: skip


async def every_event(bootstrap: str, partners: Sequence[str], count: int) -> list[Any]:
    """Every event of the partners' topics, read from the beginning (``count`` of them)."""
    topics = [f"franoi.{p}.{d}.v1" for p in partners for d in ("cases", *DOMAINS)]
    events = await read_records(
        bootstrap, topics, lambda r: decode(r.headers, r.value), count=count, timeout_s=60,
        group_id=f"shredding-test-{uuid.uuid4().hex[:8]}", metadata_max_age_ms=500,
    )  # fmt: skip
    assert len(events) == count
    return events


async def opened(cases_url: str, partner: str, tokens: Sequence[str], secret: str = SECRET) -> Any:
    async with httpx.AsyncClient(base_url=cases_url) as client:
        return await client.post(
            "/v1/person-keys/open",
            json={"partner_id": partner, "tokens": list(tokens)},
            headers={"Authorization": f"Bearer {secret}"},
        )


async def test_an_erasure_shreds_the_person_on_every_topic_and_the_counts_stay(
    network: Network, databases, kafka_bootstrap, kafka_idempotent
) -> None:
    net = network
    mine, theirs = net.partners
    ref = await person_everywhere(net, mine, "KNKNGZ90A41Z335X")
    other_ref = await person_everywhere(net, mine, "BSSMRA85C12Z336Y", given="Amina")
    # the same person followed by the other partner too: one journey across partners
    await Api(net.cases, theirs).call("POST", "/v1/persons", {
        "given_names": "Ngozi", "family_name": "Okonkwo", "born_on": "1990-01-01",
        "sex": "female", "citizenship": "NG", "protection_status": "refugee",
        "tax_code": "KNKNGZ90A41Z335X",
    })  # fmt: skip
    await housing_request(net, theirs, "KNKNGZ90A41Z335X", day(-5))
    total = await settled(net)

    events = await every_event(kafka_bootstrap, net.partners, total)
    published = [json.dumps(e.data) for e in events]
    assert not [t for t in published if ref in t or other_ref in t], "no reference on a topic"
    tokens = {
        p: sorted({r for e in events if e.partnerid == p for r in refs_in(e.data)})
        for p in net.partners
    }
    answer = await opened(net.cases.url, mine, tokens[mine])
    assert answer.status_code == 200, answer.text
    assert set(answer.json()["refs"].values()) == {ref, other_ref}
    answer = await opened(net.cases.url, theirs, tokens[theirs])
    assert set(answer.json()["refs"].values()) == {ref}
    assert not set(tokens[mine]) & set(tokens[theirs]), "each partner has its own keys"
    # the projection opened them: the person's journey joins both partners under the reference
    projection_db = net.projection.settings.database_url
    assert "housing_requests.person_ref" in await holders(projection_db, ref)
    before = await views(net.projection, mine)
    persons_before = await distinct_persons(projection_db, mine)
    assert persons_before["axes_of_one_person"] == 2
    # every service that sealed the person, and the projection that opened them, hold a copy
    # of the key until the erasure
    for service in [net.cases, *net.domains.values(), net.projection]:
        assert await _keys_of(service.settings.database_url, ref, mine) == 1

    # the key store answers only the bearer of its secret, for the partners it serves
    assert (await opened(net.cases.url, mine, tokens[mine], "wrong-secret")).status_code == 401
    # (the network's partners are drawn from p500-p999: p10 is never one of them)
    assert (await opened(net.cases.url, "p10", tokens[mine])).status_code == 404

    admin = Api(net.cases, mine, "partner_admin")
    found = await admin.call("POST", "/v1/persons/search", {"name": "Ngozi"}, 200)
    person_id = found["items"][0]["person_id"]
    await admin.call("POST", f"/v1/persons/{person_id}/erase", None, 200)
    databases_of = [net.cases, *net.domains.values(), net.projection]

    async def gone() -> bool:
        # the other partner keeps the person: erasure is per partner
        for service in databases_of:
            url = service.settings.database_url
            if await _rows_of_partner(url, ref, mine) or await _keys_of(url, ref, mine):
                return False
        return True

    await eventually(gone, timeout_s=120, interval_s=0.1)
    await settled(net)
    assert await views(net.projection, mine) == before, "the erasure changes no figure"
    # no database pairs the reference's tombstone (which one can recompute from a document
    # number) with a token the topics carry
    ref_hash = hashlib.sha256(f"{mine}:{ref}".encode()).hexdigest()
    for service in databases_of:
        conn = await asyncpg.connect(service.settings.database_url)
        try:
            kept = await conn.fetchval(
                "SELECT surrogate FROM erased_persons WHERE ref_hash = $1", ref_hash
            )
        finally:
            await conn.close()
        assert kept is not None and kept not in tokens[mine], service.definition.name
    assert await distinct_persons(projection_db, mine) == persons_before
    assert not await _rows_of_partner(projection_db, ref, mine)

    # a later command naming the person: its relay learns the erasure from the key store
    await housing_request(net, mine, "KNKNGZ90A41Z335X", day(-1))
    total = await settled(net)

    events = await every_event(kafka_bootstrap, net.partners, total)
    assert not [e for e in events if ref in json.dumps(e.data)], "no reference on a topic"
    erasures = [e for e in events if e.type.endswith(".person.erased.v1")]
    assert len(erasures) == 1 and erasures[0].data["person_ref"] in tokens[mine]
    mine_now = sorted({r for e in events if e.partnerid == mine for r in refs_in(e.data)})
    refs_now = (await opened(net.cases.url, mine, mine_now)).json()["refs"]
    assert ref not in refs_now.values(), "the erased person's tokens open no more"
    # what else opens is the other person, and the surrogate the later request was recorded
    # under in housing (it means nobody)
    surrogates = await _surrogates(net.domains["housing"].settings.database_url)
    assert set(refs_now.values()) - {other_ref} <= surrogates
    assert other_ref in refs_now.values()
    assert erasures[0].data["person_ref"] not in refs_now
    theirs_now = (await opened(net.cases.url, theirs, tokens[theirs])).json()["refs"]
    assert set(theirs_now.values()) == {ref}, "the other partner still follows the person"
    assert not await _rows_of_partner(projection_db, ref, mine)

    # a fresh projection replays every topic: the same figures, the reference nowhere of mine
    rebuilt = RunningService(
        PROJECTION,
        projection_settings(
            await databases.create("rebuild"),
            kafka_settings(kafka_bootstrap, kafka_idempotent),
            net.partners,
            partner_directory=net.directory,
            key_stores=net.projection.settings.key_stores,  # type: ignore[attr-defined]
        ),
    )
    async with running(rebuilt):
        assert await settled(net, rebuilt) == total
        assert await views(rebuilt, mine) == await views(net.projection, mine)
        assert await views(rebuilt, theirs) == await views(net.projection, theirs)
        rebuilt_db = rebuilt.settings.database_url
        assert await distinct_persons(rebuilt_db, mine) == await distinct_persons(
            projection_db, mine
        )
        assert await distinct_persons(rebuilt_db, theirs) == await distinct_persons(
            projection_db, theirs
        )
        assert not await _rows_of_partner(rebuilt_db, ref, mine)
    assert await everywhere(net, other_ref), "the other person is untouched"

    # the rebuild command of the live projection: a new generation from the topics, switched to
    built = await rebuild(
        net.projection.settings,  # type: ignore[arg-type]
        MIGRATIONS,
        RebuildOptions(max_lag=0, progress_every_s=0.3),
    )
    assert built.state == "active"
    conn = await asyncpg.connect(projection_db)
    try:
        for partner in net.partners:
            assert await _persons_in(conn, built.schema, partner) == await _persons_in(
                conn, "public", partner
            )
        counters = "SELECT * FROM {}.indicator_counts ORDER BY 1, 2, 3, 4, 5"
        assert await conn.fetch(counters.format(built.schema)) == await conn.fetch(
            counters.format("public")
        )
        assert not await conn.fetchval(
            f"SELECT count(*) FROM {built.schema}.person_keys WHERE ref = $1 AND partner_id = $2",
            ref,
            mine,
        ), "a rebuild cannot learn an erased person's key again"
    finally:
        await conn.close()


async def _persons_in(conn: asyncpg.Connection, schema: str, partner: str) -> dict[str, int]:
    """Distinct persons of ``partner`` per table of ``schema`` holding them."""
    tables = await conn.fetch(
        "SELECT c.table_name FROM information_schema.columns c"
        " JOIN information_schema.columns p USING (table_schema, table_name)"
        " WHERE c.table_schema = $1 AND c.column_name = 'person_ref'"
        " AND p.column_name = 'partner_id' ORDER BY 1",
        schema,
    )
    return {
        table: await conn.fetchval(
            f'SELECT count(DISTINCT person_ref) FROM "{schema}"."{table}" WHERE partner_id = $1',
            partner,
        )
        for (table,) in tables
    }


async def _keys_of(database_url: str, ref: str, partner: str) -> int:
    """The key (or a copy of it) of ``ref`` at ``partner`` this database holds."""
    conn = await asyncpg.connect(database_url)
    try:
        count: int = await conn.fetchval(
            "SELECT count(*) FROM person_keys WHERE partner_id = $1 AND ref = $2", partner, ref
        )
        return count
    finally:
        await conn.close()


async def _surrogates(database_url: str) -> set[str]:
    conn = await asyncpg.connect(database_url)
    try:
        return {r["surrogate"] for r in await conn.fetch("SELECT surrogate FROM erased_persons")}
    finally:
        await conn.close()


async def _rows_of_partner(database_url: str, ref: str, partner: str) -> list[str]:
    """The tables whose rows of ``partner`` hold ``ref`` as their ``person_ref``."""
    conn = await asyncpg.connect(database_url)
    try:
        tables = await conn.fetch(
            "SELECT c.table_name FROM information_schema.columns c"
            " JOIN information_schema.columns p USING (table_schema, table_name)"
            " WHERE c.table_schema = 'public' AND c.column_name = 'person_ref'"
            " AND p.column_name = 'partner_id'"
        )
        found = []
        for (table,) in tables:
            if await conn.fetchval(
                f'SELECT count(*) FROM "{table}" WHERE partner_id = $1 AND person_ref = $2',
                partner,
                ref,
            ):
                found.append(table)
        return found
    finally:
        await conn.close()

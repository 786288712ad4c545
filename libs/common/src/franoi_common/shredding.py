"""Crypto-shredding of ``person_ref`` on the stream (GDPR art. 17 on Kafka).

Events stay on the topics for their retention (:mod:`franoi_common.retention`): an
erasure cannot delete them. So an event does not carry a person's reference itself but a
**token**: 32 random bytes (hex, the shape of a reference, so every event's schema stays
the same) drawn once per partner and person and kept in the partner's **key store**
(:class:`KeyStore`, the ``person_keys`` table of the service that holds it). The token is
the reference under a one-time pad whose key is the store's row: a key holder opens it, and
once an erasure deletes the row nobody can, ever (each pad seals one value: there is
nothing to break). The same token on every event of the person at that partner keeps the
person's journey across axes countable even after the erasure, by a token that no longer
leads to anybody; a key holder (the projection) opens tokens to join a person's journeys
across partners while the person is not erased. The design, and what consumers do on
``person.erased``, is in ``docs/privacy.md`` ("Shredded pseudonyms on the stream").

Why not a cipher: AES-SIV (deterministic, authenticated) would need a key per person just
the same (the key is what erasure deletes), adds a 16-byte tag (a 96-hex field: a new
version of every event) and buys nothing here: each key seals one value, and authorship is
already the broker's (a partner's credentials write only its own topics).
"""

from __future__ import annotations

import datetime as dt
import json
import re
import secrets
from collections.abc import Awaitable, Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import asyncpg
from franoi_contracts.cases import PersonErased

from franoi_common.migrations import MigrationSource

SHREDDING = MigrationSource("shredding", "franoi_common", "sql/shredding")
"""The ``person_keys`` table of a partner's key store; list it after the ``erasure``
migrations (the store refuses a token to an erased reference)."""

REF_FIELDS = frozenset({"person_ref", "registered_attendees"})
"""The fields of event data that hold persons (a reference, or a list of them), at any
depth: an access event's known persons have one per line, a group activity lists its
registered attendees (``tests/test_contract`` checks it against every event's schema)."""
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


def new_token() -> str:
    """A fresh token: uniformly random, so independent of the reference it stands for."""
    return secrets.token_hex(32)


def _persons(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


def refs_in(data: Any) -> set[str]:
    """Every person in event data (the values of :data:`REF_FIELDS`, at any depth)."""
    found: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, Mapping):
            for key, item in value.items():
                if key in REF_FIELDS:
                    found.update(_persons(item))
                else:
                    walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(data)
    return found


def replace_refs(data: Any, replace: Callable[[str], str]) -> Any:
    """A copy of event data with every person replaced (sealed or opened)."""
    if isinstance(data, Mapping):
        return {
            key: _replaced(item, replace) if key in REF_FIELDS else replace_refs(item, replace)
            for key, item in data.items()
        }
    if isinstance(data, list):
        return [replace_refs(item, replace) for item in data]
    return data


def _replaced(value: Any, replace: Callable[[str], str]) -> Any:
    if isinstance(value, str):
        return replace(value)
    if isinstance(value, list):
        return [replace(v) if isinstance(v, str) else v for v in value]
    return value


@dataclass(frozen=True)
class Sealing:
    """What the key store answered for a batch's references."""

    tokens: dict[str, str]
    """Reference → token, for every reference not erased."""
    erased: frozenset[str]
    """References the partner erased: no token, ever again (the asking service applies the
    erasure to its own rows: :func:`franoi_common.erasure.erase`)."""


_DRAW = """
INSERT INTO person_keys (partner_id, ref, token)
SELECT $1, t.ref, t.token FROM unnest($2::text[], $3::text[]) AS t(ref, token)
WHERE NOT EXISTS (SELECT 1 FROM erased_persons e
                  WHERE e.ref_hash = franoi_erased_ref_hash($1, t.ref))
ON CONFLICT (partner_id, ref) DO NOTHING
"""
"""Draw a token for each reference that has none and is not erased (a concurrent drawing
of the same one waits for the other's commit and keeps its token)."""


class KeyStore:
    """A partner's key store in the database of the service that holds it (the partner's
    cases service: where the person's identity and their erasure are)."""

    async def seal(self, conn: asyncpg.Connection, partner_id: str, refs: Iterable[str]) -> Sealing:
        """Each reference's token, drawn at its first sealing; erased references get none."""
        asked = sorted(set(refs))
        if not all(_HEX64.match(r) for r in asked):
            raise ValueError("a reference is 64 hex digits")
        await conn.execute(_DRAW, partner_id, asked, [new_token() for _ in asked])
        rows = await conn.fetch(
            "SELECT ref, token FROM person_keys WHERE partner_id = $1 AND ref = ANY($2::text[])",
            partner_id,
            asked,
        )
        tokens = {r["ref"]: r["token"] for r in rows}
        return Sealing(tokens, frozenset(asked) - tokens.keys())

    async def open(
        self, conn: asyncpg.Connection, partner_id: str, tokens: Iterable[str]
    ) -> dict[str, str]:
        """Token → reference for the tokens whose key is still held (an erased person's, or
        a token the store never drew, is left out: the caller keeps it as it is)."""
        rows = await conn.fetch(
            "SELECT token, ref FROM person_keys WHERE partner_id = $1 AND token = ANY($2::text[])",
            partner_id,
            list(set(tokens)),
        )
        return {r["token"]: r["ref"] for r in rows}

    async def remember(
        self, conn: asyncpg.Connection, partner_id: str, tokens: Mapping[str, str]
    ) -> None:
        """Keep a copy of tokens the partner's key store drew (a service that seals through
        the store's API: its erasure worker finds the reference an erasure's token stands
        for here, and deletes the copy)."""
        await conn.execute(
            "INSERT INTO person_keys (partner_id, ref, token)"
            " SELECT $1, ref, token FROM unnest($2::text[], $3::text[]) AS t(ref, token)"
            " ON CONFLICT DO NOTHING",
            partner_id,
            list(tokens),
            list(tokens.values()),
        )

    async def forget(self, conn: asyncpg.Connection, partner_id: str, token: str) -> str | None:
        """Delete the key of ``token``; the reference it stood for, if it was held here."""
        ref: str | None = await conn.fetchval(
            "DELETE FROM person_keys WHERE partner_id = $1 AND token = $2 RETURNING ref",
            partner_id,
            token,
        )
        return ref

    async def without_key(self, conn: asyncpg.Connection, partner_id: str) -> list[str]:
        """The references this database holds for the partner with no token here yet."""
        rows = await conn.fetch("SELECT franoi_refs_without_key($1) AS ref", partner_id)
        return sorted({r["ref"] for r in rows})

    async def shred(
        self, conn: asyncpg.Connection, partner_id: str, refs: Iterable[str]
    ) -> dict[str, str]:
        """Delete the keys of an erased person's references (in the erasure's transaction);
        returns reference → token for those that had one: the tokens the erasure event
        announces."""
        rows = await conn.fetch(
            "DELETE FROM person_keys WHERE partner_id = $1 AND ref = ANY($2::text[])"
            " RETURNING ref, token",
            partner_id,
            list(set(refs)),
        )
        return {r["ref"]: r["token"] for r in rows}


STORE = KeyStore()

KEPT_AS_IS = frozenset({PersonErased.TYPE})
"""Event types whose ``person_ref`` a relay never seals: an erasure announces the token
itself (or, for a person whose events went out before shredding, the reference they
carry)."""


class Sealer(Protocol):
    """Seals a batch's references for a relay, in the relay's transaction."""

    async def seal(
        self, conn: asyncpg.Connection, partner_id: str, refs: Collection[str]
    ) -> Sealing: ...


class LocalSealer:
    """The service holds the key store (the cases service): seal in its own database."""

    async def seal(
        self, conn: asyncpg.Connection, partner_id: str, refs: Collection[str]
    ) -> Sealing:
        return await STORE.seal(conn, partner_id, refs)


EraseHere = Callable[[asyncpg.Connection, str, str], Awaitable[str]]
"""Erase ``(conn, partner_id, person_ref)`` in this service's database as its erasure
worker would (its rules, then the surrogate everywhere); returns the surrogate."""


async def surrogate_only(conn: asyncpg.Connection, partner_id: str, ref: str) -> str:
    """The erasure of a service without rules of its own: the surrogate everywhere."""
    surrogate: str = await conn.fetchval(
        "SELECT franoi_erase_person($1, $2, $3)", partner_id, ref, dt.date.today()
    )
    return surrogate


async def tokens_for(
    conn: asyncpg.Connection,
    sealer: Sealer,
    partner_id: str,
    refs: Collection[str],
    erase_here: EraseHere = surrogate_only,
) -> dict[str, str]:
    """Each reference's token. A reference the partner erased (its rows here written after
    the erasure reached this service, or never published) is erased here first, in this
    transaction (the tombstone's surrogate replaces it in every table and in the outbox),
    and its surrogate is sealed in its place: it never reaches the topics again."""
    sealing = await sealer.seal(conn, partner_id, refs)
    tokens = dict(sealing.tokens)
    if sealing.erased:
        surrogates = {
            ref: await erase_here(conn, partner_id, ref) for ref in sorted(sealing.erased)
        }
        again = await sealer.seal(conn, partner_id, surrogates.values())
        tokens.update({ref: again.tokens[s] for ref, s in surrogates.items()})
    return tokens


async def seal_rows(
    conn: asyncpg.Connection,
    sealer: Sealer,
    rows: Sequence[Mapping[str, Any]],
    erase_here: EraseHere = surrogate_only,
) -> list[Mapping[str, Any]]:
    """A relay's claimed outbox rows with every ``person_ref`` of their data replaced by its
    token (rows without one are passed as they are)."""
    parsed: list[tuple[Mapping[str, Any], Any]] = []
    wanted: dict[str, set[str]] = {}
    for row in rows:
        text: str = row["data"]
        if row["event_type"] in KEPT_AS_IS or not any(f'"{f}"' in text for f in REF_FIELDS):
            parsed.append((row, None))
            continue
        data = json.loads(text)
        wanted.setdefault(row["partner_id"], set()).update(refs_in(data))
        parsed.append((row, data))
    tokens = {
        partner: await tokens_for(conn, sealer, partner, refs, erase_here)
        for partner, refs in sorted(wanted.items())
    }
    return [
        row
        if data is None
        else {
            **dict(row),
            "data": json.dumps(
                replace_refs(data, tokens[row["partner_id"]].__getitem__), separators=(",", ":")
            ),
        }
        for row, data in parsed
    ]

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

import re
import secrets
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import asyncpg

from franoi_common.migrations import MigrationSource

SHREDDING = MigrationSource("shredding", "franoi_common", "sql/shredding")
"""The ``person_keys`` table of a partner's key store; list it after the ``erasure``
migrations (the store refuses a token to an erased reference)."""

REF_FIELD = "person_ref"
"""The field of event data that holds a person (at any depth: an access event's list of
known persons has one per line)."""
_HEX64 = re.compile(r"^[0-9a-f]{64}$")


def new_token() -> str:
    """A fresh token: uniformly random, so independent of the reference it stands for."""
    return secrets.token_hex(32)


def refs_in(data: Any) -> set[str]:
    """Every value of a ``person_ref`` field in event data, at any depth."""
    found: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, Mapping):
            for key, item in value.items():
                if key == REF_FIELD and isinstance(item, str):
                    found.add(item)
                else:
                    walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)

    walk(data)
    return found


def replace_refs(data: Any, replace: Callable[[str], str]) -> Any:
    """A copy of event data with every ``person_ref`` value replaced (sealed or opened)."""
    if isinstance(data, Mapping):
        return {
            key: replace(item)
            if key == REF_FIELD and isinstance(item, str)
            else replace_refs(item, replace)
            for key, item in data.items()
        }
    if isinstance(data, list):
        return [replace_refs(item, replace) for item in data]
    return data


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

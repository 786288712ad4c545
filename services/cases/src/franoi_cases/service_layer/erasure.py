"""Erasure (GDPR art. 17) and subject access (art. 15) at the partner.

Erasing a person deletes their record (identity, documents, contacts, household, the reason it was
registered despite possible duplicates), every record merged into it, their consent
history, their plans with reviews and tasks (goals, key worker, what was to be done: the
plans' content), the words of their names no other record of the partner uses (the name
vocabulary), and publishes ``it.franoi.cases.person.erased.v1`` with the ``person_ref``
so that the partner's other services and the projection detach it. With shredding
(``FRANOI_SHREDDING``) the person's keys in the partner's key store are deleted in the
same transaction, so every event of theirs on the topics becomes unreadable at once, and
the erasure announces the person's token instead of the reference
(:mod:`franoi_common.shredding`). What stays here: the access-log lines (person id,
operation, actor, role, time — the log is append-only, and the erasure itself is a line
of it) and a note that the person id was erased (so a second request answers the same
and publishes nothing). The reference is replaced by a surrogate in the outbox's sent
rows; the erasure event keeps it until it is published (the trigger of the shared
erasure migrations swaps it then).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from uuid import UUID

from franoi_common.auth import Principal
from franoi_common.errors import NotFound
from franoi_common.shredding import STORE as SHREDDED
from franoi_contracts.cases import PersonErased

from franoi_cases.domain.model import Operation
from franoi_cases.service_layer import referrals
from franoi_cases.service_layer.handlers import CasesServices

_RECORDS_OF_PERSON = """
WITH RECURSIVE family AS (
    SELECT person_id, person_ref, name_words FROM persons
    WHERE partner_id = $1 AND person_id = $2
    UNION
    SELECT p.person_id, p.person_ref, p.name_words FROM persons p
    JOIN family f ON p.merged_into = f.person_id
    WHERE p.partner_id = $1
)
SELECT person_id, person_ref, name_words FROM family
"""


@dataclass(frozen=True)
class Erasure:
    person_id: UUID
    erased_on: dt.date
    records_erased: int
    """Person records deleted by this request (the person's and those merged into it);
    0 when the person had already been erased."""


async def erase_person(s: CasesServices, who: Principal, person_id: UUID) -> Erasure:
    """Erase a person of the caller's partner (another partner's: 404); a repeat answers
    the first erasure and changes nothing."""
    partner_id = who.partner_id
    async with s.uow() as uow:
        conn = uow.conn
        await conn.execute(
            "SELECT 1 FROM persons WHERE partner_id = $1 AND person_id = $2 FOR UPDATE",
            partner_id,
            person_id,
        )
        rows = await conn.fetch(_RECORDS_OF_PERSON, partner_id, person_id)
        if not rows:
            done = await conn.fetchval(
                "SELECT erased_on FROM erasures WHERE partner_id = $1 AND person_id = $2",
                partner_id,
                person_id,
            )
            if done is None:
                raise NotFound(f"person {person_id} not found")
            return Erasure(person_id, done, 0)
        today = dt.date.today()
        ids = [r["person_id"] for r in rows]
        refs = dict.fromkeys(r["person_ref"] for r in rows if r["person_ref"] is not None)
        plan_refs = await conn.fetch(
            "SELECT DISTINCT person_ref FROM plans WHERE partner_id = $1 AND person_id = ANY($2)",
            partner_id,
            ids,
        )
        refs.update(dict.fromkeys(r["person_ref"] for r in plan_refs))
        # A reference the record had before a correction of its documents is in its events.
        earlier = await conn.fetch(
            "SELECT DISTINCT data->>'person_ref' AS ref FROM outbox"
            " WHERE partner_id = $1 AND data ? 'person_ref' AND aggregate_id = ANY($2::text[])"
            " AND event_type <> $3",
            partner_id,
            [str(i) for i in ids]
            + [
                str(r["plan_id"])
                for r in await conn.fetch(
                    "SELECT plan_id FROM plans WHERE partner_id = $1 AND person_id = ANY($2)",
                    partner_id,
                    ids,
                )
            ],
            PersonErased.TYPE,
        )
        refs.update(dict.fromkeys(r["ref"] for r in earlier if r["ref"]))
        await conn.execute(
            "DELETE FROM plan_reviews WHERE plan_id IN"
            " (SELECT plan_id FROM plans WHERE partner_id = $1 AND person_id = ANY($2))",
            partner_id,
            ids,
        )
        for table in ("tasks", "plans", "consents"):
            await conn.execute(
                f"DELETE FROM {table} WHERE partner_id = $1 AND person_id = ANY($2)",  # noqa: S608
                partner_id,
                ids,
            )
        await conn.execute(
            "DELETE FROM persons WHERE partner_id = $1 AND person_id = ANY($2)", partner_id, ids
        )
        await conn.executemany(
            "INSERT INTO erasures (partner_id, person_id, erased_on) VALUES ($1, $2, $3)"
            " ON CONFLICT DO NOTHING",
            [(partner_id, i, today) for i in ids],
        )
        # Open referrals of the person are withdrawn; none keeps them or what was sealed.
        await referrals.at_erasure(s, conn, partner_id, ids, list(refs))
        for ref in refs:
            # Tombstone + surrogate in the outbox rows already written for the person.
            await conn.fetchval("SELECT franoi_erase_person($1, $2, $3)", partner_id, ref, today)
        # With shredding the person's events carry tokens: their keys go (nobody can open
        # them any more) and the erasure announces the tokens, never the references.
        tokens = await SHREDDED.shred(conn, partner_id, refs)
        await s.outbox.append(
            conn,
            partner_id,
            [
                PersonErased(person_id=person_id, person_ref=tokens.get(ref, ref), erased_on=today)
                for ref in refs
            ],
        )
        await uow.log(who, Operation.ERASE, ids)
        # Last: the names' words no other record of the partner holds.
        await uow.repo.forget_unused_words(partner_id, [w for r in rows for w in r["name_words"]])
    return Erasure(person_id, today, len(ids))

"""Erasure (GDPR art. 17) in a partner's domain service.

When the partner's cases service erases a person it publishes
``it.franoi.cases.person.erased.v1`` with the person's ``person_ref`` on the
partner's cases topic. Every domain service of the partner consumes that topic
with the idempotent consumer and, in one transaction:

1. applies the service's own rules (:class:`ErasureRule`, declared in its
   bootstrap): rows that only describe the person are deleted, columns that say
   more than a count needs are cleared;
2. records a tombstone (a one-way hash of partner and reference) with a random
   surrogate and replaces the reference by it in every table with a
   ``person_ref`` column and in the outbox (sent rows, and unsent ones, which
   then publish the surrogate). Counts of distinct persons stay the same.

The trigger installed by the service's migration (``SELECT
franoi_install_erasure_triggers()``, after the shared :data:`ERASURE`
migrations) swaps the surrogate in for the erased reference on any later insert
or update, so a later command cannot re-create the link.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum

import asyncpg
from franoi_contracts.cases import PersonErased

from franoi_common.consumer import (
    Delivery,
    Handler,
    IdempotentConsumer,
    Unprocessable,
    read_event,
)
from franoi_common.envelope import Envelope
from franoi_common.migrations import MigrationSource
from franoi_common.service import Wiring
from franoi_common.settings import PartnerServiceSettings, topic_for
from franoi_common.shredding import STORE, Sealer, tokens_for

ERASURE = MigrationSource("erasure", "franoi_common", "sql/erasure")
"""Tombstones and the functions/trigger that apply them; list it before the service's own
migrations (which call ``franoi_install_erasure_triggers()``)."""

PERSON_ERASED = PersonErased.TYPE
_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")


class Action(StrEnum):
    DELETE = "delete"
    """The rows only describe the person (e.g. a skills assessment): gone."""
    CLEAR = "clear"
    """The rows count (a stay, a visit): keep them, reset ``columns`` to their default."""


@dataclass(frozen=True)
class ErasureRule:
    """What a service does with one table's rows of an erased person, before the reference
    itself is replaced by the surrogate everywhere.

    The rows are those with the person's ``person_ref`` and partner, or, with ``through``
    (``(parent_table, key_column)``), those whose ``key_column`` is the key of such a row in
    the parent table (e.g. the visits of the person's hosting stays).
    """

    table: str
    action: Action
    columns: tuple[str, ...] = ()
    through: tuple[str, str] | None = None

    def __post_init__(self) -> None:
        names = [self.table, *self.columns, *(self.through or ())]
        if not all(_NAME.match(n) for n in names):
            raise ValueError(f"erasure rule for {self.table!r}: not a plain SQL name")
        if (self.action is Action.CLEAR) != bool(self.columns):
            raise ValueError(f"erasure rule for {self.table!r}: columns go with CLEAR only")

    def sql(self) -> str:
        """The statement (``$1`` partner, ``$2`` person_ref)."""
        if self.through is None:
            where = "partner_id = $1 AND person_ref = $2"
        else:
            parent, key = self.through
            where = (
                f'"{key}" IN (SELECT "{key}" FROM "{parent}"'  # noqa: S608 (names checked)
                " WHERE partner_id = $1 AND person_ref = $2)"
            )
        if self.action is Action.DELETE:
            return f'DELETE FROM "{self.table}" WHERE {where}'  # noqa: S608 (names checked)
        assignments = ", ".join(f'"{c}" = DEFAULT' for c in self.columns)
        return f'UPDATE "{self.table}" SET {assignments} WHERE {where}'  # noqa: S608


@dataclass(frozen=True)
class Erased:
    partner_id: str
    person_ref: str
    erased_on: dt.date


def read_erasure(envelope: Envelope) -> Erased:
    """The erasure an event announces, read through its contract model
    (:class:`franoi_contracts.cases.PersonErased`); an event the model refuses is
    dead-lettered with the reason (where and what, never the values)."""
    event = read_event(envelope, lambda cls: cls is PersonErased)
    assert isinstance(event, PersonErased)
    return Erased(envelope.partnerid, event.person_ref, event.erased_on)


async def erase(conn: asyncpg.Connection, rules: Sequence[ErasureRule], erased: Erased) -> str:
    """Apply ``rules``, then replace the reference by the tombstone's surrogate in every
    table and in the outbox; returns the surrogate. Harmless when repeated."""
    for rule in rules:
        await conn.execute(rule.sql(), erased.partner_id, erased.person_ref)
    surrogate: str = await conn.fetchval(
        "SELECT franoi_erase_person($1, $2, $3)",
        erased.partner_id,
        erased.person_ref,
        erased.erased_on,
    )
    return surrogate


def eraser(
    rules: Sequence[ErasureRule],
) -> Callable[[asyncpg.Connection, str, str], Awaitable[str]]:
    """Erase a reference by the service's rules today (a relay meeting a reference its key
    store says the partner erased: :func:`franoi_common.shredding.tokens_for`)."""

    async def erase_here(conn: asyncpg.Connection, partner_id: str, ref: str) -> str:
        return await erase(conn, rules, Erased(partner_id, ref, dt.date.today()))

    return erase_here


async def unseal_erasure(
    conn: asyncpg.Connection, erased: Erased, sealer: Sealer, rules: Sequence[ErasureRule]
) -> Erased:
    """With shredding, an erasure names the person's token, whose key the cases service has
    deleted: the reference is this service's own copy of the key (kept when its relay
    sealed the person's events), which goes too. A token this service never learnt means
    its rows of the person (if any) were never published: sealing every reference it holds
    without a token learns their tokens and erases here those the partner erased. A value
    that is no token here is erased as a reference (events of before shredding)."""
    ref = await STORE.forget(conn, erased.partner_id, erased.person_ref)
    if ref is None:
        unsealed = await STORE.without_key(conn, erased.partner_id)
        if unsealed:
            await tokens_for(conn, sealer, erased.partner_id, unsealed, eraser(rules))
        return erased
    return Erased(erased.partner_id, ref, erased.erased_on)


def erasure_handler(
    rules: Sequence[ErasureRule], partner_ids: Sequence[str], sealer: Sealer | None = None
) -> Handler:
    """The consumer's handler: erasures of this instance's partners; other cases events
    are recorded as processed and change nothing."""
    partners = frozenset(partner_ids)

    async def handle(conn: asyncpg.Connection, envelope: Envelope, _: Delivery) -> None:
        if envelope.type != PERSON_ERASED:
            return
        if envelope.partnerid not in partners:
            raise Unprocessable(f"partner {envelope.partnerid!r} is not served here")
        erased = read_erasure(envelope)
        if sealer is not None:
            erased = await unseal_erasure(conn, erased, sealer, rules)
        await erase(conn, rules, erased)

    return handle


def cases_topic_pattern(partner_ids: Sequence[str]) -> str:
    """Only this instance's partners' cases topics."""
    alternatives = "|".join(re.escape(p) for p in partner_ids)
    return rf"^franoi\.({alternatives})\.cases\.v1$"


def consumer_group(domain: str, partner_ids: Sequence[str]) -> str:
    """``franoi-erasure-<partners>-<domain>``: one group per service instance, under a
    prefix (``franoi-erasure-<partners>-``) that the partner's Kafka credentials may read."""
    return f"franoi-erasure-{'-'.join(partner_ids)}-{domain}"


def dead_letter_topic(domain: str, partner_ids: Sequence[str]) -> str:
    """Under the first partner's prefix (a partner's credentials write only there)."""
    return f"franoi.{partner_ids[0]}.{domain}.deadletter.v1"


def erasure_consumer(
    pool: asyncpg.Pool,
    settings: PartnerServiceSettings,
    domain: str,
    rules: Sequence[ErasureRule],
    sealer: Sealer | None = None,
) -> IdempotentConsumer:
    """The worker that applies the partner's erasures to this service's database."""
    partner_ids = settings.partner_ids
    return IdempotentConsumer(
        pool,
        settings.kafka,
        group_id=consumer_group(domain, partner_ids),
        topic_pattern=cases_topic_pattern(partner_ids),
        dead_letter_topic=dead_letter_topic(domain, partner_ids),
        handler=erasure_handler(rules, partner_ids, sealer),
        client_id=f"franoi-{domain}-erasure",
    )


def erasure_topics(domain: str, partner_ids: Sequence[str]) -> list[str]:
    """The topics the erasure worker reads and dead-letters to (for development set-ups
    that create topics at start)."""
    return [topic_for(p, "cases") for p in partner_ids] + [dead_letter_topic(domain, partner_ids)]


def add_erasure(
    wiring: Wiring,
    pool: asyncpg.Pool,
    settings: PartnerServiceSettings,
    domain: str,
    rules: Sequence[ErasureRule],
    sealer: Sealer | None = None,
) -> None:
    """Wire the ``erasure`` worker into a partner domain service (one bootstrap line)."""
    wiring.workers[WORKER] = erasure_consumer(pool, settings, domain, rules, sealer)
    wiring.create_topics_at_start(settings.kafka, erasure_topics(domain, settings.partner_ids))


WORKER = "erasure"
"""The worker's command name (``franoi-<service> erasure``)."""

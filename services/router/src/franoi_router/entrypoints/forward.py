"""The router's consumer handler: each referral event of a partner's referrals topic, in
the transaction that records it as processed, becomes a row of the router's outbox for
the other partner's inbox topic — the same event (``ce_id``, ``ce_source``,
``ce_partnerid``, type, data), keyed by the referral id. The outbox relay publishes it
(acks=all, in order per referral). What cannot be routed is dead-lettered with its reason.
"""

from __future__ import annotations

from collections.abc import Collection

import asyncpg
from franoi_common.consumer import Delivery, Handler, Unprocessable, read_event
from franoi_common.envelope import Envelope
from franoi_contracts.referrals import ReferralEvent

from franoi_router.domain.routing import Unroutable, inbox_topic, recipient

_FORWARD = """
INSERT INTO outbox (event_id, partner_id, topic, aggregate_id, event_type, source,
                    dataschema, occurred_at, data, trace)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
ON CONFLICT (event_id) DO NOTHING
"""


def forwarder(partners: Collection[str]) -> Handler:
    """The handler (the pool's JSON codec writes the data and trace context as they came)."""
    known = frozenset(partners)

    async def forward(conn: asyncpg.Connection, envelope: Envelope, _: Delivery) -> None:
        if envelope.partnerid not in known:
            raise Unprocessable(f"partner {envelope.partnerid} is not in the network")
        event = read_event(envelope, lambda cls: issubclass(cls, ReferralEvent))
        assert isinstance(event, ReferralEvent)
        try:
            to = recipient(envelope.partnerid, event, known)
        except Unroutable as exc:
            raise Unprocessable(str(exc)) from exc
        await conn.execute(
            _FORWARD,
            envelope.id,
            envelope.partnerid,
            inbox_topic(to),
            envelope.subject,
            envelope.type,
            envelope.source,
            envelope.dataschema,
            envelope.time,
            envelope.data,
            envelope.trace,
        )

    return forward

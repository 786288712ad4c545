"""The projection's consumer handler: validate an event against the contract, check its
partner, apply the statements of its type (every domain's projection, merged)."""

from __future__ import annotations

import asyncpg
from franoi_common.consumer import Delivery, Unprocessable
from franoi_common.envelope import Envelope
from franoi_common.events import event_class
from franoi_common.projector import apply_one, merge

from franoi_projection.service_layer.cases import CASES
from franoi_projection.service_layer.employment import EMPLOYMENT
from franoi_projection.service_layer.events import EVENTS
from franoi_projection.service_layer.hosting import HOSTING
from franoi_projection.service_layer.housing import HOUSING

PROJECTION = merge(HOUSING, EMPLOYMENT, HOSTING, CASES, EVENTS)


async def apply_event(conn: asyncpg.Connection, envelope: Envelope, delivery: Delivery) -> None:
    """The consumer's handler: validate against the contract, check the partner, apply."""
    cls = event_class(envelope.type)
    if cls is None or cls not in PROJECTION:
        raise Unprocessable(f"unknown event type {envelope.type!r}")
    event = cls.model_validate(envelope.data)  # ValidationError → dead letter with reason
    if event.aggregate_id != envelope.subject:
        raise Unprocessable("ce_subject does not match the event's aggregate id")
    known = await conn.fetchval(
        "SELECT true FROM partners WHERE partner_id = $1", envelope.partnerid
    )
    if not known:
        raise Unprocessable(f"unknown partner {envelope.partnerid!r}")
    await apply_one(conn, PROJECTION[cls], envelope.partnerid, event)

"""The projection's consumer handler: validate each event against the contract, check its
partner, apply the statements of its type (every domain's projection, merged) — a polled
batch at a time, set-wise (see :class:`franoi_common.projector.ProjectionHandler`)."""

from __future__ import annotations

import asyncpg
from franoi_common.consumer import Delivery
from franoi_common.envelope import Envelope
from franoi_common.projector import ProjectionHandler, merge

from franoi_projection.service_layer.cases import CASES
from franoi_projection.service_layer.employment import EMPLOYMENT
from franoi_projection.service_layer.erasure import ERASURE
from franoi_projection.service_layer.events import EVENTS
from franoi_projection.service_layer.hosting import HOSTING
from franoi_projection.service_layer.housing import HOUSING
from franoi_projection.service_layer.journeys import AFTER_BATCH, with_journeys

PROJECTION = with_journeys(merge(HOUSING, EMPLOYMENT, HOSTING, CASES, EVENTS, ERASURE))


async def known_partners(conn: asyncpg.Connection, partner_ids: set[str]) -> set[str]:
    """Which of ``partner_ids`` are in the partner directory."""
    rows = await conn.fetch(
        "SELECT partner_id FROM partners WHERE partner_id = ANY($1::text[])", list(partner_ids)
    )
    return {r["partner_id"] for r in rows}


HANDLER = ProjectionHandler(PROJECTION, known_partners, after_batch=AFTER_BATCH)
"""The consumer's batch handler."""

REBUILD_HANDLER = ProjectionHandler(PROJECTION, known_partners)
"""A rebuild's batch handler: the journeys' persons are noted batch after batch and
recomputed once, when the rebuild has caught up (:data:`journeys.REFRESH`), instead of
after every batch (a person's records arrive over many batches and topics)."""


async def apply_event(conn: asyncpg.Connection, envelope: Envelope, delivery: Delivery) -> None:
    """Check and apply one event (the per-event handler, e.g. for tests and tools)."""
    await HANDLER.apply_one(conn, envelope)

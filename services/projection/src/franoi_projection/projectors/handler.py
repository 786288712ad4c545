"""The projection's consumer handler: validate each event against the contract, check its
partner, apply the statements of its type (every domain's projection, merged) — a polled
batch at a time, set-wise (see :class:`franoi_common.projector.ProjectionHandler`)."""

from __future__ import annotations

import asyncpg
from franoi_common.projector import ProjectionHandler, merge

from franoi_projection.projectors.cases import CASES
from franoi_projection.projectors.counters import counted
from franoi_projection.projectors.employment import EMPLOYMENT
from franoi_projection.projectors.entries import note_entries
from franoi_projection.projectors.erasure import ERASURE
from franoi_projection.projectors.events import EVENTS
from franoi_projection.projectors.hosting import HOSTING
from franoi_projection.projectors.housing import HOUSING
from franoi_projection.projectors.journeys import AFTER_BATCH, with_journeys
from franoi_projection.projectors.referrals import REFERRALS

PROJECTION = with_journeys(
    merge(*(counted(p) for p in (HOUSING, EMPLOYMENT, HOSTING, CASES, EVENTS, REFERRALS)), ERASURE)
)
"""Every event type's statements: the domain's own, between the retract and the assert of
the monthly counters of what they change (:func:`counters.counted`), then the journeys'."""


async def known_partners(conn: asyncpg.Connection, partner_ids: set[str]) -> set[str]:
    """Which of ``partner_ids`` are in the partner directory."""
    rows = await conn.fetch(
        "SELECT partner_id FROM partners WHERE partner_id = ANY($1::text[])", list(partner_ids)
    )
    return {r["partner_id"] for r in rows}


HANDLER = ProjectionHandler(
    PROJECTION, known_partners, after_batch=AFTER_BATCH, noting=note_entries
)
"""The consumer's batch handler."""

REBUILD_HANDLER = ProjectionHandler(PROJECTION, known_partners, noting=note_entries)
"""A rebuild's batch handler: the journeys' persons are noted batch after batch and
recomputed once, when the rebuild has caught up (:data:`journeys.REFRESH`), instead of
after every batch (a person's records arrive over many batches and topics)."""

"""The network view of community events (``/v1/events/monthly``), for consortium analysts.

Counts only: events held, attendances, labs, hubs open and walk-in accesses per
partner and month (see :mod:`franoi_projection.adapters.events_views` for what
each figure counts). No title, hub name or person is shown.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import asyncpg
from fastapi import APIRouter, Depends, HTTPException, Query
from franoi_common.api import from_state, read_only
from franoi_common.auth import CONSORTIUM, Principal, Role, require_roles
from pydantic import BaseModel

from franoi_projection.adapters import events_views
from franoi_projection.domain.months import InvalidPeriod, month_label, period


class EventsMonthOut(BaseModel):
    partner_id: str
    region: str
    month: str
    events_held: int
    events_held_by_kind: dict[str, int]
    events_cancelled: int
    participants: int
    beneficiaries: int
    volunteers: int
    lab_sessions_held: int
    lab_session_participants: int
    labs_active: int
    labs_completed: int
    lab_distinct_participants: int
    hubs_open: int
    accesses: int
    accesses_by_topic: dict[str, int]
    accesses_referred: int
    accesses_referred_by_topic: dict[str, int]
    persons_known: int


class EventsMonthlyOut(BaseModel):
    first_month: str
    last_month: str
    rows: list[EventsMonthOut]


def _analyst(
    principal: Annotated[Principal, Depends(require_roles(Role.CONSORTIUM_ANALYST))],
) -> Principal:
    if principal.partner_id != CONSORTIUM:
        raise HTTPException(403, detail="network views are for the consortium")
    return principal


Month = Annotated[
    str | None,
    Query(
        pattern=r"^(20[0-9]{2}|2100)-(0[1-9]|1[0-2])$",
        description="YYYY-MM, from 2000-01 to 2100-12",
    ),
]
Pool = Annotated[asyncpg.Pool, Depends(from_state("pool", asyncpg.Pool))]


def build_events_router() -> APIRouter:
    """The community-events network view; it reaches the pool through ``app.state``."""
    router = APIRouter(prefix="/v1", dependencies=[Depends(_analyst)])

    @router.get("/events/monthly", response_model=EventsMonthlyOut, tags=["events"])
    async def events_monthly(
        pool: Pool,
        first_month: Annotated[Month, Query(alias="from")] = None,
        last_month: Annotated[Month, Query(alias="to")] = None,
        partner_id: Annotated[str | None, Query(pattern=r"^p[0-9]{2,3}$")] = None,
        region: Annotated[str | None, Query(max_length=40)] = None,
    ) -> Any:
        """Community figures per partner and month: events held (by kind) and cancelled,
        participants, beneficiaries and volunteers, lab sessions, active and completed labs
        with their distinct participants, hubs open, walk-in accesses by topic and referred."""
        try:
            first, last = period(first_month, last_month, dt.date.today())
        except InvalidPeriod as exc:
            raise HTTPException(422, detail=str(exc)) from exc
        async with read_only(pool) as conn:
            rows = await events_views.events_monthly(conn, first, last, partner_id, region)
        return EventsMonthlyOut(
            first_month=month_label(first),
            last_month=month_label(last),
            rows=[EventsMonthOut.model_validate(r) for r in rows],
        )

    return router

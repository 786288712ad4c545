"""The network read API for the consortium (OpenAPI at ``/openapi.json``).

Only consortium analysts (token ``partner_id: consortium``) read the network
views; they show counts and pseudonymous aggregates, never a person.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import asyncpg
from fastapi import APIRouter, Depends, HTTPException, Query
from franoi_common.api import Limit, Offset, from_state, read_only
from franoi_common.auth import CONSORTIUM, Principal, Role, require_roles
from franoi_common.consumer import IdempotentConsumer
from pydantic import BaseModel

from franoi_projection.adapters import read_models
from franoi_projection.domain.months import InvalidPeriod, month_label, period


class PartnerOut(BaseModel):
    partner_id: str
    name: str
    region: str
    province: str


class HousingMonthOut(BaseModel):
    partner_id: str
    region: str
    month: str
    requests_submitted: int
    requests_satisfied: int
    requests_unsatisfied: int
    placements_started: int
    active_placements: int
    persons_housed: int
    beds_available: int
    exits_by_outcome: dict[str, int]


class HousingMonthlyOut(BaseModel):
    first_month: str
    last_month: str
    rows: list[HousingMonthOut]


class ConsumerStatusOut(BaseModel):
    events_processed: int
    last_processed_at: dt.datetime | None
    dead_letters: int
    processed_since_start: int
    duplicates_since_start: int
    dead_lettered_since_start: int
    assigned_partitions: int


class DeadLetterOut(BaseModel):
    id: int
    topic: str
    kafka_partition: int
    kafka_offset: int
    event_id: str | None
    event_type: str | None
    reason: str
    dead_lettered_at: dt.datetime


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
Consumer = Annotated[IdempotentConsumer, Depends(from_state("consumer", IdempotentConsumer))]


def build_router() -> APIRouter:
    """The network API; it reaches the pool and the consumer through ``app.state``."""
    router = APIRouter(prefix="/v1", dependencies=[Depends(_analyst)])

    @router.get("/partners", response_model=list[PartnerOut], tags=["network"])
    async def list_partners(pool: Pool) -> Any:
        async with read_only(pool) as conn:
            return await read_models.partners(conn)

    @router.get("/housing/monthly", response_model=HousingMonthlyOut, tags=["housing"])
    async def housing_monthly(
        pool: Pool,
        first_month: Annotated[Month, Query(alias="from")] = None,
        last_month: Annotated[Month, Query(alias="to")] = None,
        partner_id: Annotated[str | None, Query(pattern=r"^p[0-9]{2,3}$")] = None,
        region: Annotated[str | None, Query(max_length=40)] = None,
    ) -> Any:
        """Housing KPIs per partner and month: requests submitted, satisfied and
        unsatisfied, placements started and active, persons housed, beds available
        at month end, exits by outcome."""
        try:
            first, last = period(first_month, last_month, dt.date.today())
        except InvalidPeriod as exc:
            raise HTTPException(422, detail=str(exc)) from exc
        async with read_only(pool) as conn:
            rows = await read_models.housing_monthly(conn, first, last, partner_id, region)
        return HousingMonthlyOut(
            first_month=month_label(first),
            last_month=month_label(last),
            rows=[HousingMonthOut.model_validate(r) for r in rows],
        )

    @router.get("/consumer/status", response_model=ConsumerStatusOut, tags=["operations"])
    async def consumer_status(pool: Pool, consumer_stats: Consumer) -> Any:
        async with read_only(pool) as conn:
            stored = await read_models.consumer_status(conn)
        return ConsumerStatusOut(
            **stored,
            processed_since_start=consumer_stats.processed,
            duplicates_since_start=consumer_stats.duplicates,
            dead_lettered_since_start=consumer_stats.dead_lettered,
            assigned_partitions=len(consumer_stats.assigned),
        )

    @router.get("/dead-letters", response_model=list[DeadLetterOut], tags=["operations"])
    async def list_dead_letters(pool: Pool, limit: Limit = 50, offset: Offset = 0) -> Any:
        async with read_only(pool) as conn:
            return await read_models.dead_letters(conn, limit, offset)

    return router

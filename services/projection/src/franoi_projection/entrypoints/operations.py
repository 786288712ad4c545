"""Operations, for consortium analysts: what the consumer applied and dead-lettered, and how
far behind the partners' topics it is."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException
from franoi_common.api import Limit, Offset, from_state, read_only
from franoi_common.consumer import REPORT_EVERY_S
from pydantic import BaseModel, Field

from franoi_projection.adapters.consumer_lag import Lag, LagNotReported, LagProbe
from franoi_projection.entrypoints import params
from franoi_projection.entrypoints.access import analyst
from franoi_projection.queries import operations


class ConsumerInstanceOut(BaseModel):
    instance_id: str = Field(description="The consumer's host and process")
    group_id: str
    started_at: dt.datetime
    reported_at: dt.datetime = Field(description="Its last report (every 15 s at least)")
    processed_since_start: int
    duplicates_since_start: int
    dead_lettered_since_start: int
    assigned_partitions: int
    last_error: str | None = Field(description="Why its last round failed; null when it works")


class ConsumerStatusOut(BaseModel):
    events_processed: int
    last_processed_at: dt.datetime | None
    dead_letters: int
    processed_since_start: int = Field(description="Summed over the consumers reporting")
    duplicates_since_start: int
    dead_lettered_since_start: int
    assigned_partitions: int = Field(description="Held by the consumers reporting")
    consumers: list[ConsumerInstanceOut] = Field(
        description="Every consumer that reported in the last 45 s, in whatever process it"
        " runs (the API's own, or a consume worker of its own)"
    )


class DeadLetterOut(BaseModel):
    id: int
    topic: str
    kafka_partition: int
    kafka_offset: int
    event_id: str | None
    event_type: str | None
    reason: str
    dead_lettered_at: dt.datetime


LIVE_REPORT_S = 3 * REPORT_EVERY_S
"""A consumer that has not reported for this long is not counted (stopped, or stalled)."""


class LagOut(BaseModel):
    total: int = Field(description="Events on the partners' topics not applied yet")
    by_topic: dict[str, int]


LAG_TIMEOUT_S = 5.0
Probe = Annotated[LagProbe, Depends(from_state("lag_probe", LagProbe))]


def build_router() -> APIRouter:
    """``/v1/consumer/status``, ``/v1/dead-letters`` and ``/v1/consumer/lag``, all in the
    OpenAPI document (Prometheus text at ``/metrics``, for every process of the service:
    :meth:`LagProbe.metrics`)."""
    router = APIRouter(prefix="/v1", tags=["operations"], dependencies=[Depends(analyst)])

    @router.get("/consumer/status", response_model=ConsumerStatusOut)
    async def consumer_status(pool: params.Pool) -> Any:
        async with read_only(pool) as conn:
            stored = await operations.consumer_status(conn)
            consumers = await operations.consumer_reports(conn, LIVE_REPORT_S)
        return ConsumerStatusOut(
            **stored,
            processed_since_start=sum(c["processed_since_start"] for c in consumers),
            duplicates_since_start=sum(c["duplicates_since_start"] for c in consumers),
            dead_lettered_since_start=sum(c["dead_lettered_since_start"] for c in consumers),
            assigned_partitions=sum(c["assigned_partitions"] for c in consumers),
            consumers=consumers,
        )

    @router.get("/dead-letters", response_model=list[DeadLetterOut])
    async def list_dead_letters(pool: params.Pool, limit: Limit = 50, offset: Offset = 0) -> Any:
        async with read_only(pool) as conn:
            return await operations.dead_letters(conn, limit, offset)

    @router.get("/consumer/lag", response_model=LagOut)
    async def consumer_lag(probe: Probe) -> Any:
        """Per topic, the events the projection has not applied yet (the partitions' end
        offsets less the consumer group's committed ones). It asks the broker: 503
        with ``Retry-After`` when the broker does not answer in 5 s."""
        try:
            lag: Lag = await asyncio.wait_for(probe.lag(), LAG_TIMEOUT_S)
        except LagNotReported as exc:
            raise HTTPException(503, detail=str(exc)) from exc
        except Exception as exc:
            raise HTTPException(
                503, detail="the broker did not answer; retry later", headers={"Retry-After": "5"}
            ) from exc
        return LagOut(total=lag.total, by_topic=lag.by_topic)

    return router

"""``/v1/network/completeness``: per partner and month, the events recorded on each axis it
works on (an axis without events is silent), by the month each event happened, and the
time of the partner's latest event."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from fastapi import APIRouter
from franoi_common.api import read_only
from pydantic import BaseModel, Field

from franoi_projection.adapters.exports import Column, Sheet
from franoi_projection.domain import views
from franoi_projection.domain.indicators import Text
from franoi_projection.domain.months import month_label
from franoi_projection.domain.suppression import THRESHOLD
from franoi_projection.entrypoints import params
from franoi_projection.entrypoints.access import Who
from franoi_projection.queries import activity


class CompletenessCell(BaseModel):
    month: str
    axis: str
    events: int | None = Field(description="null when suppressed (1 to 4 for integrators)")
    recorded: bool


class CompletenessPartner(BaseModel):
    partner_id: str
    name: str
    region: str
    axes: list[str]
    last_event_at: dt.datetime | None
    cells: list[CompletenessCell]


class CompletenessOut(BaseModel):
    first_month: str
    last_month: str
    months: list[str]
    partners: list[CompletenessPartner]


def completeness_answer(
    partners: Sequence[dict[str, Any]],
    recorded: Sequence[dict[str, Any]],
    first: dt.date,
    last: dt.date,
    suppressed: bool,
) -> CompletenessOut:
    months = views.months_between(first, last)
    events: dict[tuple[str, dt.date, str], int] = {
        (a["partner_id"], a["month"], a["axis"]): int(a["events"]) for a in recorded
    }
    out = []
    for p in partners:
        active = {axis for (pid, _, axis) in events if pid == p["partner_id"]}
        axes = list(p["axes"]) + sorted(active - set(p["axes"]))
        cells = []
        for month in months:
            for axis in axes:
                n = events.get((p["partner_id"], month, axis), 0)
                shown = None if suppressed and 0 < n < THRESHOLD else n
                cells.append(
                    CompletenessCell(
                        month=month_label(month), axis=axis, events=shown, recorded=n > 0
                    )
                )
        out.append(
            CompletenessPartner(
                partner_id=p["partner_id"],
                name=p["name"],
                region=p["region"],
                axes=list(p["axes"]),
                last_event_at=p["last_event_at"],
                cells=cells,
            )
        )
    return CompletenessOut(
        first_month=month_label(first),
        last_month=month_label(last),
        months=[month_label(m) for m in months],
        partners=out,
    )


def completeness_sheet(answer: CompletenessOut) -> Sheet:
    return Sheet(
        Text("Completezza", "Completeness"),
        [
            Column(Text("Partner", "Partner id")),
            Column(Text("Nome", "Name")),
            Column(Text("Regione", "Region")),
            Column(Text("Mese", "Month"), "month"),
            Column(Text("Asse", "Axis")),
            Column(Text("Eventi", "Events"), "number"),
            Column(Text("Registrato", "Recorded")),
            Column(Text("Ultimo evento", "Last event"), "datetime"),
        ],
        [
            [
                p.partner_id,
                p.name,
                p.region,
                c.month,
                c.axis,
                c.events if c.events is not None else views.SMALL,
                c.recorded,
                p.last_event_at,
            ]
            for p in answer.partners
            for c in p.cells
        ],
    )


def build_router() -> APIRouter:
    router = APIRouter(prefix="/v1/network", tags=["network views"])

    @router.get("/completeness", response_model=CompletenessOut, responses=params.DOWNLOADS)
    async def completeness(
        who: Who,
        pool: params.Pool,
        months: params.Period,
        output: params.Output,
        region: params.RegionFilter = None,
    ) -> Any:
        """Per partner and month, the events recorded on each axis it works on (an axis
        without events is silent), by the month each event happened, and the time of the
        partner's latest event."""
        first, last = months.first, months.last
        async with read_only(pool) as conn:
            partners, recorded = await activity.completeness(conn, first, last, region)
        answer = completeness_answer(partners, recorded, first, last, who.suppressed)
        if output.download:
            sheet = completeness_sheet(answer)
            name = f"completeness_{answer.first_month}_{answer.last_month}"
            return params.download(sheet, output, name)
        return answer

    return router

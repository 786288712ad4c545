"""The network views API (contract: NETVIEWS.md): partner directory, indicator catalogue,
key numbers, indicator tables, reporting completeness, exports, live updates, public page.

Consortium analysts see exact numbers; integrators and the public see them suppressed
(:mod:`franoi_projection.domain.suppression`). Every read can be downloaded as CSV or XLSX
with ``format``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
from collections.abc import AsyncGenerator, AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import asyncpg
from fastapi import APIRouter, Depends, HTTPException, Path, Query, Request, Response
from fastapi.responses import StreamingResponse
from franoi_common.api import Day, from_state, read_only
from franoi_common.auth import (
    CONSORTIUM,
    Principal,
    Role,
    TokenVerifier,
    current_principal,
    session_token,
)
from franoi_common.errors import AlreadyExists, InvalidValue, NotFound
from franoi_common.persons import PRINTABLE
from pydantic import BaseModel, ConfigDict, Field, field_validator

from franoi_projection.adapters import network_views as q
from franoi_projection.adapters.consumer_lag import Lag, LagProbe
from franoi_projection.adapters.exports import (
    CSV_MEDIA_TYPE,
    XLSX_MEDIA_TYPE,
    Column,
    Sheet,
    to_csv,
    to_xlsx,
)
from franoi_projection.domain import views
from franoi_projection.domain.indicators import (
    BY_ID,
    CATALOGUE,
    DIMENSION_LABELS,
    KEY_NUMBERS,
    VALUE_LABELS,
    By,
    Indicator,
    Text,
)
from franoi_projection.domain.months import InvalidPeriod, month_label, period
from franoi_projection.domain.suppression import THRESHOLD

Axis = Literal["housing", "employment", "hosting", "events", "cases"]
Kind = Literal["cooperative", "association", "foundation", "public_body", "other"]
Lang = Annotated[Literal["it", "en"], Query(description="Labels and headers: it (default) or en")]
Format = Annotated[
    Literal["json", "csv", "xlsx"] | None, Query(description="json (default), csv or xlsx")
]
Month = Annotated[
    str | None,
    Query(
        pattern=r"^(20[0-9]{2}|2100)-(0[1-9]|1[0-2])$",
        description="YYYY-MM, from 2000-01 to 2100-12",
    ),
]
PartnerFilter = Annotated[str | None, Query(pattern=r"^p[0-9]{2,3}$", description="e.g. p07")]
RegionFilter = Annotated[
    str | None, Query(min_length=1, max_length=40, pattern=PRINTABLE, description="e.g. Lombardia")
]
Pool = Annotated[asyncpg.Pool, Depends(from_state("pool", asyncpg.Pool))]
DOWNLOADS: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/csv": {}, XLSX_MEDIA_TYPE: {}}, "description": "OK"}
}


# --- callers -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Viewer:
    suppressed: bool


def viewer_of(principal: Principal) -> Viewer:
    """Analysts of the consortium see exact numbers, integrators suppressed ones."""
    if principal.partner_id == CONSORTIUM and Role.CONSORTIUM_ANALYST in principal.roles:
        return Viewer(suppressed=False)
    if Role.INTEGRATOR in principal.roles:
        return Viewer(suppressed=True)
    raise HTTPException(403, detail="network views are for consortium analysts and integrators")


def _viewer(principal: Annotated[Principal, Depends(current_principal)]) -> Viewer:
    return viewer_of(principal)


def _directory_admin(principal: Annotated[Principal, Depends(current_principal)]) -> Principal:
    if principal.partner_id != CONSORTIUM or Role.PARTNER_ADMIN not in principal.roles:
        raise HTTPException(403, detail="the directory is managed by the consortium's admins")
    return principal


Who = Annotated[Viewer, Depends(_viewer)]


def _directory_reader(principal: Annotated[Principal, Depends(current_principal)]) -> Viewer:
    """The directory's readers: the viewers, and the consortium's admins who manage it."""
    if principal.partner_id == CONSORTIUM and Role.PARTNER_ADMIN in principal.roles:
        return Viewer(suppressed=False)
    return viewer_of(principal)


# --- bodies and answers ----------------------------------------------------------------------


class PartnerFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=120, pattern=PRINTABLE)
    kind: Kind
    region: str = Field(min_length=1, max_length=40, pattern=PRINTABLE)
    province: str = Field(pattern=r"^[A-Z]{2}$", description="Province code, e.g. MI")
    axes: list[Axis] = Field(max_length=5, description="The axes the partner works on")
    active_since: Day | None = None

    @field_validator("axes")
    @classmethod
    def _distinct(cls, axes: list[str]) -> list[str]:
        if len(set(axes)) != len(axes):
            raise ValueError("an axis is listed twice")
        return axes


class PartnerIn(PartnerFields):
    partner_id: str = Field(pattern=r"^p[0-9]{2,3}$")


class PartnerOut(BaseModel):
    partner_id: str
    name: str
    kind: str
    region: str
    province: str
    axes: list[str]
    active_since: dt.date | None


class Bilingual(BaseModel):
    it: str
    en: str


class IndicatorOut(BaseModel):
    id: str
    axis: str
    label: Bilingual
    description: Bilingual
    unit: str
    counts: str
    stock: bool = Field(description="true: the value at the end of the period; else a sum")
    numerator: str | None
    denominator: str | None
    disaggregations: list[str]
    key_number: bool


class Scope(BaseModel):
    region: str | None
    partner_id: str | None


class KeyNumberOut(BaseModel):
    indicator_id: str
    axis: str
    label: str
    unit: str
    value: int | float | None = Field(description="null when suppressed; a rate is a fraction 0..1")
    numerator: int | None
    denominator: int | None
    display: str


class KeyNumbersOut(BaseModel):
    first_month: str
    last_month: str
    scope: Scope
    rows: list[KeyNumberOut]


class Cell(BaseModel):
    value: int | float | None
    display: str


class TableRow(Cell):
    key: str
    label: str


class TableOut(BaseModel):
    indicator_id: str
    label: str
    by: By
    first_month: str
    last_month: str
    columns: list[str]
    rows: list[TableRow]
    total: Cell


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


# --- helpers ---------------------------------------------------------------------------------


def _period(first: str | None, last: str | None) -> tuple[dt.date, dt.date]:
    try:
        return period(first, last, dt.date.today())
    except InvalidPeriod as exc:
        raise InvalidValue(str(exc)) from exc


def _download(sheet: Sheet, fmt: str, lang: str, name: str) -> Response:
    if fmt == "csv":
        body, media, ext = to_csv(sheet, lang), CSV_MEDIA_TYPE, "csv"
    else:
        body, media, ext = to_xlsx(sheet, lang), XLSX_MEDIA_TYPE, "xlsx"
    return Response(
        body,
        media_type=media,
        headers={"Content-Disposition": f'attachment; filename="{name}.{ext}"'},
    )


def _shown(cell: dict[str, Any]) -> Any:
    """An exported cell: the number, or the suppression mark."""
    return cell["value"] if cell["value"] is not None else cell["display"]


def indicator_out(indicator: Indicator) -> IndicatorOut:
    return IndicatorOut(
        id=indicator.id,
        axis=indicator.axis,
        label=Bilingual(it=indicator.label.it, en=indicator.label.en),
        description=Bilingual(it=indicator.description.it, en=indicator.description.en),
        unit=indicator.unit.value,
        counts=indicator.counts,
        stock=indicator.stock,
        numerator=indicator.numerator,
        denominator=indicator.denominator,
        disaggregations=[d.value for d in indicator.disaggregations],
        key_number=indicator.key_number,
    )


KEY_NUMBER_INDICATORS = [BY_ID[i] for i in KEY_NUMBERS]


async def key_numbers_answer(
    pool: asyncpg.Pool,
    first_month: str | None,
    last_month: str | None,
    partner_id: str | None,
    region: str | None,
    lang: str,
    suppressed: bool,
) -> KeyNumbersOut:
    first, last = _period(first_month, last_month)
    across = None
    async with read_only(pool) as conn:
        if suppressed:
            across, totals = await _outside(
                conn, KEY_NUMBER_INDICATORS, first, last, partner_id, region
            )
        else:
            totals = await q.totals(conn, first, last, partner_id, region)
    node = views.scope_node(partner_id, region)
    rows = views.key_numbers(KEY_NUMBER_INDICATORS, totals, lang, suppressed, across, node)
    return KeyNumbersOut(
        first_month=month_label(first),
        last_month=month_label(last),
        scope=Scope(region=region, partner_id=partner_id),
        rows=[KeyNumberOut.model_validate(r) for r in rows],
    )


def key_numbers_sheet(answer: KeyNumbersOut) -> Sheet:
    return Sheet(
        Text("Numeri chiave", "Key numbers"),
        [
            Column(Text("Indicatore", "Indicator")),
            Column(Text("Asse", "Axis")),
            Column(Text("Descrizione", "Label")),
            Column(Text("Unità", "Unit")),
            Column(Text("Dal mese", "From month"), "month"),
            Column(Text("Al mese", "To month"), "month"),
            Column(Text("Valore", "Value"), "number"),
            Column(Text("Valore mostrato", "Shown as")),
            Column(Text("Numeratore", "Numerator"), "number"),
            Column(Text("Denominatore", "Denominator"), "number"),
        ],
        [
            [
                r.indicator_id,
                r.axis,
                r.label,
                r.unit,
                answer.first_month,
                answer.last_month,
                r.value if r.value is not None else r.display,
                r.display,
                r.numerator,
                r.denominator,
            ]
            for r in answer.rows
        ],
    )


async def _keys(
    conn: asyncpg.Connection,
    by: By,
    first: dt.date,
    last: dt.date,
    partner_id: str | None,
    region: str | None,
    lang: str,
) -> list[tuple[str, str]]:
    if by is By.MONTH:
        return [(month_label(m), month_label(m)) for m in views.months_between(first, last)]
    if by in VALUE_LABELS:
        return [(k, t(lang)) for k, t in VALUE_LABELS[by].items()]
    partners = await q.directory(conn, partner_id, region)
    if by is By.PARTNER:
        return [(p["partner_id"], p["name"]) for p in partners]
    regions = sorted({p["region"] for p in partners})
    return [(r, r) for r in regions]


async def _outside(
    conn: asyncpg.Connection,
    indicators: Sequence[Indicator],
    first: dt.date,
    last: dt.date,
    partner_id: str | None,
    region: str | None,
) -> tuple[views.Hierarchy, dict[str, tuple[int, int]]]:
    """For an outside answer, from one read of every partner's sums: the marks of the whole
    network → regions → partners hierarchy, and the scope's sums added up."""
    counts = [p for i in indicators for p in _parts(i)]
    regions, per_partner = await q.totals_by_partner(conn, first, last, [i.id for i in counts])
    across = views.hierarchy(counts, regions, per_partner)
    return across, views.scope_totals(regions, per_partner, partner_id, region)


def _parts(indicator: Indicator) -> list[Indicator]:
    if indicator.is_rate:
        assert indicator.numerator and indicator.denominator
        return [BY_ID[indicator.numerator], BY_ID[indicator.denominator]]
    return [indicator]


# --- the routers ---------------------------------------------------------------------------


def build_network_router() -> APIRouter:
    """``/v1/network/...``: the consortium's views, reads for analysts and integrators."""
    router = APIRouter(prefix="/v1/network", tags=["network views"])

    @router.get("/partners", response_model=list[PartnerOut], responses=DOWNLOADS)
    async def list_partners(
        who: Annotated[Viewer, Depends(_directory_reader)],
        pool: Pool,
        region: RegionFilter = None,
        lang: Lang = "it",
        format: Format = None,
    ) -> Any:
        """The partner directory: kind of organisation, region, axes, active since."""
        async with read_only(pool) as conn:
            rows = await q.directory(conn, None, region)
        if format in ("csv", "xlsx"):
            sheet = Sheet(
                Text("Partner", "Partners"),
                [
                    Column(Text("Partner", "Partner id")),
                    Column(Text("Nome", "Name")),
                    Column(Text("Tipo di organizzazione", "Kind of organisation")),
                    Column(Text("Regione", "Region")),
                    Column(Text("Provincia", "Province")),
                    Column(Text("Assi", "Axes")),
                    Column(Text("Attivo dal", "Active since"), "date"),
                ],
                [
                    [
                        r["partner_id"],
                        r["name"],
                        r["kind"],
                        r["region"],
                        r["province"],
                        r["axes"],
                        r["active_since"],
                    ]
                    for r in rows
                ],
            )
            return _download(sheet, format, lang, "partners")
        return rows

    @router.post(
        "/partners",
        status_code=201,
        response_model=PartnerOut,
        dependencies=[Depends(_directory_admin)],
    )
    async def create_partner(body: PartnerIn, pool: Pool) -> Any:
        """Add a partner to the directory (consortium partner admins only)."""
        values = body.model_dump()
        async with pool.acquire() as conn, conn.transaction():
            if not await q.insert_partner(conn, values):
                existing = await q.partner(conn, body.partner_id)
                if existing == PartnerOut.model_validate(values).model_dump():
                    return existing  # the same request again
                raise AlreadyExists(f"partner {body.partner_id} is already in the directory")
            return await q.partner(conn, body.partner_id)

    @router.put(
        "/partners/{partner_id}",
        response_model=PartnerOut,
        dependencies=[Depends(_directory_admin)],
    )
    async def update_partner(
        body: PartnerFields,
        pool: Pool,
        partner_id: Annotated[str, Path(pattern=r"^p[0-9]{2,3}$")],
    ) -> Any:
        """Change a partner's details (consortium partner admins only)."""
        values = {**body.model_dump(), "partner_id": partner_id}
        async with pool.acquire() as conn, conn.transaction():
            if not await q.update_partner(conn, values):
                raise NotFound(f"no partner {partner_id} in the directory")
            return await q.partner(conn, partner_id)

    @router.get("/indicators", response_model=list[IndicatorOut], responses=DOWNLOADS)
    async def list_indicators(who: Who, lang: Lang = "it", format: Format = None) -> Any:
        """The indicator catalogue: what every figure means and how it is computed."""
        items = [indicator_out(i) for i in CATALOGUE]
        if format in ("csv", "xlsx"):
            sheet = Sheet(
                Text("Indicatori", "Indicators"),
                [
                    Column(Text("Indicatore", "Indicator")),
                    Column(Text("Asse", "Axis")),
                    Column(Text("Nome", "Label")),
                    Column(Text("Descrizione", "Description")),
                    Column(Text("Unità", "Unit")),
                    Column(Text("Conta", "Counts")),
                    Column(Text("Numeratore", "Numerator")),
                    Column(Text("Denominatore", "Denominator")),
                    Column(Text("Disaggregazioni", "Disaggregations")),
                ],
                [
                    [
                        i.id,
                        i.axis,
                        getattr(i.label, lang),
                        getattr(i.description, lang),
                        i.unit,
                        i.counts,
                        i.numerator,
                        i.denominator,
                        i.disaggregations,
                    ]
                    for i in items
                ],
            )
            return _download(sheet, format, lang, "indicators")
        return items

    @router.get("/key-numbers", response_model=KeyNumbersOut, responses=DOWNLOADS)
    async def key_numbers(
        who: Who,
        pool: Pool,
        first_month: Annotated[Month, Query(alias="from")] = None,
        last_month: Annotated[Month, Query(alias="to")] = None,
        partner_id: PartnerFilter = None,
        region: RegionFilter = None,
        lang: Lang = "it",
        format: Format = None,
    ) -> Any:
        """The key numbers of the network, a region or a partner over a period."""
        answer = await key_numbers_answer(
            pool, first_month, last_month, partner_id, region, lang, who.suppressed
        )
        if format in ("csv", "xlsx"):
            name = f"key-numbers_{answer.first_month}_{answer.last_month}"
            return _download(key_numbers_sheet(answer), format, lang, name)
        return answer

    @router.get("/indicators/{indicator_id}/table", response_model=TableOut, responses=DOWNLOADS)
    async def indicator_table(
        who: Who,
        pool: Pool,
        indicator_id: Annotated[str, Path(pattern=r"^[a-z0-9_]{1,80}$")],
        by: By = By.MONTH,
        first_month: Annotated[Month, Query(alias="from")] = None,
        last_month: Annotated[Month, Query(alias="to")] = None,
        partner_id: PartnerFilter = None,
        region: RegionFilter = None,
        lang: Lang = "it",
        format: Format = None,
    ) -> Any:
        """One indicator by month, partner, region, sex, age band or protection status,
        with its total (for a stock by month: its value at the period's end)."""
        indicator = BY_ID.get(indicator_id)
        if indicator is None:
            raise NotFound(f"no indicator {indicator_id}")
        if by not in indicator.disaggregations:
            raise InvalidValue(f"{indicator_id} cannot be broken down by {by.value}")
        first, last = _period(first_month, last_month)
        parts = _parts(indicator)
        ids = [p.id for p in parts]
        async with read_only(pool) as conn:
            keys = await _keys(conn, by, first, last, partner_id, region, lang)
            sums: dict[str, views.Sums] = {}
            monthly: views.MonthlySums = {}
            if by is By.MONTH:
                since = None if any(p.stock for p in parts) else first
                monthly = await q.monthly(conn, ids, last, partner_id, region, since)
            else:
                sums = await q.breakdown(conn, ids, by, first, last, partner_id, region)
            across = None
            if who.suppressed:
                across, _ = await _outside(conn, parts, first, last, partner_id, region)
        result = views.table(
            indicator,
            by,
            keys,
            sums,
            monthly,
            first,
            last,
            lang,
            who.suppressed,
            across,
            views.scope_node(partner_id, region),
        )
        columns = [DIMENSION_LABELS[by](lang), indicator.label(lang)]
        answer = TableOut(
            indicator_id=indicator.id,
            label=indicator.label(lang),
            by=by,
            first_month=month_label(first),
            last_month=month_label(last),
            columns=columns,
            rows=[TableRow.model_validate(r) for r in result["rows"]],
            total=Cell.model_validate(result["total"]),
        )
        if format in ("csv", "xlsx"):
            value_kind = "rate" if indicator.is_rate else "number"
            total_label = Text("Totale", "Total")(lang)
            sheet = Sheet(
                Text(indicator.id, indicator.id),
                [
                    Column(DIMENSION_LABELS[by], "month" if by is By.MONTH else "text"),
                    Column(
                        Text(
                            DIMENSION_LABELS[by].it + " (nome)",
                            DIMENSION_LABELS[by].en + " (label)",
                        )
                    ),
                    Column(indicator.label, value_kind),
                ],
                [[r["key"], r["label"], _shown(r)] for r in result["rows"]]
                + [[None, total_label, _shown(result["total"])]],
            )
            name = f"{indicator.id}_by_{by.value}_{answer.first_month}_{answer.last_month}"
            return _download(sheet, format, lang, name)
        return answer

    @router.get("/completeness", response_model=CompletenessOut, responses=DOWNLOADS)
    async def completeness(
        who: Who,
        pool: Pool,
        first_month: Annotated[Month, Query(alias="from")] = None,
        last_month: Annotated[Month, Query(alias="to")] = None,
        region: RegionFilter = None,
        lang: Lang = "it",
        format: Format = None,
    ) -> Any:
        """Per partner and month, the events recorded on each axis it works on (an axis
        without events is silent), by the month each event happened, and the time of the
        partner's latest event."""
        first, last = _period(first_month, last_month)
        async with read_only(pool) as conn:
            partners, activity = await q.completeness(conn, first, last, region)
        answer = completeness_answer(partners, activity, first, last, who.suppressed)
        if format in ("csv", "xlsx"):
            sheet = completeness_sheet(answer)
            name = f"completeness_{answer.first_month}_{answer.last_month}"
            return _download(sheet, format, lang, name)
        return answer

    @router.get("/stream", include_in_schema=False)
    async def stream(
        request: Request,
        pool: Pool,
        access_token: Annotated[str | None, Query(max_length=4096)] = None,
    ) -> StreamingResponse:
        """Server-sent events: ``update`` whenever the projection applied new events."""
        verifier: TokenVerifier = request.app.state.token_verifier
        header = request.headers.get("authorization", "")
        token = access_token or (header[7:] if header.lower().startswith("bearer ") else None)
        token = token or await session_token(request)
        if not token:
            raise HTTPException(
                401, detail="missing bearer token", headers={"WWW-Authenticate": "Bearer"}
            )
        viewer_of(await verifier.averify(token))
        return StreamingResponse(
            updates(request, progress_of(request, pool)),
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )

    return router


log = logging.getLogger(__name__)
POLL_S = 1.0
KEEP_ALIVE_S = 15.0


class Progress:
    """How many events the projection has applied, polled once a second for every open
    stream of the process together (not once per dashboard); the poll runs only while
    someone listens."""

    def __init__(self, pool: asyncpg.Pool, interval_s: float = POLL_S) -> None:
        self._pool = pool
        self._interval_s = interval_s
        self._count: int | None = None
        self._changed = asyncio.Condition()
        self._listeners = 0
        self._task: asyncio.Task[None] | None = None

    async def _poll(self) -> None:
        count: int | None
        while self._listeners:
            try:
                async with read_only(self._pool) as conn:
                    count = await q.events_processed(conn)
            except Exception as exc:  # the database away: the stream waits, and goes on
                log.debug("progress poll failed", extra={"error": type(exc).__name__})
                count = self._count
            if count is not None and count != self._count:
                async with self._changed:
                    self._count = count
                    self._changed.notify_all()
            await asyncio.sleep(self._interval_s)

    async def counts(self, keep_alive_s: float = KEEP_ALIVE_S) -> AsyncGenerator[int | None, None]:
        """The count now and at each change; ``None`` after ``keep_alive_s`` of quiet."""
        self._listeners += 1
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._poll())
        try:
            seen: int | None = None

            def moved() -> bool:
                return self._count != seen

            while True:
                async with self._changed:  # never yield while holding it
                    try:
                        await asyncio.wait_for(self._changed.wait_for(moved), keep_alive_s)
                        quiet = False
                    except TimeoutError:
                        quiet = True
                    seen = self._count
                yield None if quiet else seen
        finally:
            self._listeners -= 1


def progress_of(request: Request, pool: asyncpg.Pool) -> Progress:
    progress: Progress | None = getattr(request.app.state, "progress", None)
    if progress is None:
        progress = request.app.state.progress = Progress(pool)
    return progress


async def updates(request: Request, progress: Progress) -> AsyncIterator[str]:
    yield "retry: 3000\n\n"
    counts = progress.counts()
    try:
        async for count in counts:
            if await request.is_disconnected():
                return
            if count is None:
                yield ": keep-alive\n\n"
            else:
                yield f"event: update\ndata: {json.dumps({'events_processed': count})}\n\n"
    finally:
        await counts.aclose()


def completeness_answer(
    partners: Sequence[dict[str, Any]],
    activity: Sequence[dict[str, Any]],
    first: dt.date,
    last: dt.date,
    suppressed: bool,
) -> CompletenessOut:
    months = views.months_between(first, last)
    events: dict[tuple[str, dt.date, str], int] = {
        (a["partner_id"], a["month"], a["axis"]): int(a["events"]) for a in activity
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


def build_public_router() -> APIRouter:
    """``/public/v1/...``: what the consortium publishes, without login, suppressed."""
    router = APIRouter(prefix="/public/v1", tags=["public"])

    @router.get("/key-numbers", response_model=KeyNumbersOut, responses=DOWNLOADS)
    async def public_key_numbers(
        pool: Pool,
        first_month: Annotated[Month, Query(alias="from")] = None,
        last_month: Annotated[Month, Query(alias="to")] = None,
        region: RegionFilter = None,
        lang: Lang = "it",
        format: Format = None,
    ) -> Any:
        """The network's (or a region's) key numbers, suppressed."""
        answer = await key_numbers_answer(
            pool, first_month, last_month, None, region, lang, suppressed=True
        )
        if format in ("csv", "xlsx"):
            name = f"key-numbers_{answer.first_month}_{answer.last_month}"
            return _download(key_numbers_sheet(answer), format, lang, name)
        return answer

    return router


class LagOut(BaseModel):
    total: int = Field(description="Events on the partners' topics not applied yet")
    by_topic: dict[str, int]


LAG_TIMEOUT_S = 5.0
Probe = Annotated[LagProbe, Depends(from_state("lag_probe", LagProbe))]


def build_lag_router() -> APIRouter:
    """Consumer lag per topic for analysts (Prometheus text at ``/metrics``, for every
    process of the service: :meth:`LagProbe.metrics`)."""
    router = APIRouter(tags=["operations"])

    async def measured(probe: LagProbe) -> Lag:
        try:
            return await asyncio.wait_for(probe.lag(), LAG_TIMEOUT_S)
        except Exception as exc:
            raise HTTPException(503, detail="the broker did not answer; retry later") from exc

    # Not in the OpenAPI document: it depends on the broker answering (503 otherwise);
    # operators use it, not API clients.
    @router.get("/v1/consumer/lag", response_model=LagOut, include_in_schema=False)
    async def consumer_lag(who: Who, probe: Probe) -> Any:
        """Per topic, the events the projection has not applied yet."""
        if who.suppressed:
            raise HTTPException(403, detail="for consortium analysts")
        lag = await measured(probe)
        return LagOut(total=lag.total, by_topic=lag.by_topic)

    return router

"""``/v1/network/indicators``, ``/key-numbers`` and ``/indicators/{id}/table``: the
catalogue, the key numbers of the network, a region or a partner, and one indicator broken
down by month, partner, region, sex, age band or protection status — each a sum of the
monthly counters, exact for consortium analysts and suppressed for integrators
(:mod:`franoi_projection.domain.suppression`); every read downloads as CSV or XLSX."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Annotated, Any

import asyncpg
from fastapi import APIRouter, Path
from franoi_common.api import read_only
from franoi_common.errors import InvalidValue, NotFound
from pydantic import BaseModel, Field

from franoi_projection.adapters.exports import Column, Sheet
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
from franoi_projection.domain.months import month_label
from franoi_projection.entrypoints import params
from franoi_projection.entrypoints.access import Who
from franoi_projection.queries import counters, directory


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


_CATALOGUE_COLUMNS = (
    Text("Indicatore", "Indicator"),
    Text("Asse", "Axis"),
    Text("Nome", "Label"),
    Text("Descrizione", "Description"),
    Text("Unità", "Unit"),
    Text("Conta", "Counts"),
    Text("Numeratore", "Numerator"),
    Text("Denominatore", "Denominator"),
    Text("Disaggregazioni", "Disaggregations"),
)


def _catalogue_row(i: IndicatorOut, lang: str) -> list[Any]:
    label, description = getattr(i.label, lang), getattr(i.description, lang)
    return [i.id, i.axis, label, description, i.unit, i.counts, i.numerator, i.denominator]


KEY_NUMBER_INDICATORS = [BY_ID[i] for i in KEY_NUMBERS]


async def key_numbers_answer(
    pool: asyncpg.Pool, months: params.Months, where: params.Where, lang: str, suppressed: bool
) -> KeyNumbersOut:
    first, last, partner_id, region = months.first, months.last, where.partner_id, where.region
    across = None
    async with read_only(pool) as conn:
        if suppressed:
            across, totals = await outside(conn, KEY_NUMBER_INDICATORS, months, where)
        else:
            totals = await counters.totals(conn, first, last, partner_id, region)
    node = views.scope_node(partner_id, region)
    rows = views.key_numbers(KEY_NUMBER_INDICATORS, totals, lang, suppressed, across, node)
    return KeyNumbersOut(
        first_month=month_label(first),
        last_month=month_label(last),
        scope=Scope(region=region, partner_id=partner_id),
        rows=[KeyNumberOut.model_validate(r) for r in rows],
    )


def key_numbers_download(answer: KeyNumbersOut, output: params.Rendering) -> Any:
    sheet = Sheet(
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
    return params.download(sheet, output, f"key-numbers_{answer.first_month}_{answer.last_month}")


async def _keys(
    conn: asyncpg.Connection, by: By, months: params.Months, where: params.Where, lang: str
) -> list[tuple[str, str]]:
    if by is By.MONTH:
        return [(month_label(m), month_label(m)) for m in views.months_between(*months_of(months))]
    if by in VALUE_LABELS:
        return [(k, t(lang)) for k, t in VALUE_LABELS[by].items()]
    partners = await directory.directory(conn, where.partner_id, where.region)
    if by is By.PARTNER:
        return [(p["partner_id"], p["name"]) for p in partners]
    regions = sorted({p["region"] for p in partners})
    return [(r, r) for r in regions]


def months_of(months: params.Months) -> tuple[dt.date, dt.date]:
    return months.first, months.last


async def outside(
    conn: asyncpg.Connection,
    indicators: Sequence[Indicator],
    months: params.Months,
    where: params.Where,
) -> tuple[views.Hierarchy, dict[str, tuple[int, int]]]:
    """For an outside answer, from one read of every partner's sums: the marks of the whole
    network → regions → partners hierarchy, and the scope's sums added up."""
    parts = [BY_ID[p] for i in indicators for p in i.parts]
    ids = [i.id for i in parts]
    regions, per_partner = await counters.totals_by_partner(conn, *months_of(months), ids)
    across = views.hierarchy(parts, regions, per_partner)
    return across, views.scope_totals(regions, per_partner, where.partner_id, where.region)


def build_router() -> APIRouter:
    router = APIRouter(prefix="/v1/network", tags=["network views"])

    @router.get("/indicators", response_model=list[IndicatorOut], responses=params.DOWNLOADS)
    async def list_indicators(who: Who, output: params.Output) -> Any:
        """The indicator catalogue: what every figure means and how it is computed."""
        items = [indicator_out(i) for i in CATALOGUE if i.network]
        if output.download:
            sheet = Sheet(
                Text("Indicatori", "Indicators"),
                [Column(header) for header in _CATALOGUE_COLUMNS],
                [[*_catalogue_row(i, output.lang), i.disaggregations] for i in items],
            )
            return params.download(sheet, output, "indicators")
        return items

    @router.get("/key-numbers", response_model=KeyNumbersOut, responses=params.DOWNLOADS)
    async def key_numbers(
        who: Who,
        pool: params.Pool,
        months: params.Period,
        where: params.Scope,
        output: params.Output,
    ) -> Any:
        """The key numbers of the network, a region or a partner over a period."""
        answer = await key_numbers_answer(pool, months, where, output.lang, who.suppressed)
        if output.download:
            return key_numbers_download(answer, output)
        return answer

    @router.get(
        "/indicators/{indicator_id}/table", response_model=TableOut, responses=params.DOWNLOADS
    )
    async def indicator_table(
        who: Who,
        pool: params.Pool,
        indicator_id: Annotated[str, Path(pattern=r"^[a-z0-9_]{1,80}$")],
        months: params.Period,
        where: params.Scope,
        output: params.Output,
        by: By = By.MONTH,
    ) -> Any:
        """One indicator by month, partner, region, sex, age band or protection status,
        with its total (for a stock by month: its value at the period's end)."""
        indicator = BY_ID.get(indicator_id)
        if indicator is None or not indicator.network:
            raise NotFound(f"no indicator {indicator_id}")
        if by not in indicator.disaggregations:
            raise InvalidValue(f"{indicator_id} cannot be broken down by {by.value}")
        lang = output.lang
        answer, result = await _table(pool, indicator, by, months, where, lang, who.suppressed)
        if output.download:
            return _table_download(indicator, by, answer, result, output)
        return answer

    return router


async def _table(
    pool: asyncpg.Pool,
    indicator: Indicator,
    by: By,
    months: params.Months,
    where: params.Where,
    lang: str,
    suppressed: bool,
) -> tuple[TableOut, dict[str, Any]]:
    parts = [BY_ID[p] for p in indicator.parts]
    ids = [p.id for p in parts]
    first, last = months_of(months)
    async with read_only(pool) as conn:
        keys = await _keys(conn, by, months, where, lang)
        sums: dict[str, views.Sums] = {}
        monthly: views.MonthlySums = {}
        if by is By.MONTH:
            since = None if any(p.stock for p in parts) else first
            monthly = await counters.monthly(conn, ids, last, where.partner_id, where.region, since)
        else:
            sums = await counters.breakdown(
                conn, ids, by, first, last, where.partner_id, where.region
            )
        across = None
        if suppressed:
            across, _ = await outside(conn, [indicator], months, where)
    node = views.scope_node(where.partner_id, where.region)
    result = views.table(
        indicator, by, keys, sums, monthly, first, last, lang, suppressed, across, node
    )
    answer = TableOut(
        indicator_id=indicator.id,
        label=indicator.label(lang),
        by=by,
        first_month=month_label(first),
        last_month=month_label(last),
        columns=[DIMENSION_LABELS[by](lang), indicator.label(lang)],
        rows=[TableRow.model_validate(r) for r in result["rows"]],
        total=Cell.model_validate(result["total"]),
    )
    return answer, result


def _table_download(
    indicator: Indicator,
    by: By,
    answer: TableOut,
    result: dict[str, Any],
    output: params.Rendering,
) -> Any:
    lang = output.lang
    value_kind = "rate" if indicator.is_rate else "number"
    total_label = Text("Totale", "Total")(lang)
    dimension = DIMENSION_LABELS[by]
    sheet = Sheet(
        Text(indicator.id, indicator.id),
        [
            Column(dimension, "month" if by is By.MONTH else "text"),
            Column(Text(dimension.it + " (nome)", dimension.en + " (label)")),
            Column(indicator.label, value_kind),
        ],
        [[r["key"], r["label"], _shown(r)] for r in result["rows"]]
        + [[None, total_label, _shown(result["total"])]],
    )
    name = f"{indicator.id}_by_{by.value}_{answer.first_month}_{answer.last_month}"
    return params.download(sheet, output, name)

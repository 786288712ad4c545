"""``/v1/reporting``: reporting periods. The consortium defines periods, sees every
partner's status, approves or returns each submission and reopens an approved period; a
partner's coordinator sees its own flags and figures with the records behind them,
explains or fixes, and submits. An approved version's report (JSON, XLSX, PDF) gives the
figures as approved, with the late entries since."""

from __future__ import annotations

import datetime as dt
import json
import time
from typing import Annotated, Any

import asyncpg
from fastapi import APIRouter, HTTPException, Path, Query, Response
from franoi_common.api import read_only
from franoi_common.errors import InvalidTransition, InvalidValue, NotFound
from franoi_common.persons import PRINTABLE
from pydantic import BaseModel, ConfigDict, Field

from franoi_projection.adapters import fund_report as pdf_xlsx
from franoi_projection.adapters import reporting_store as store
from franoi_projection.adapters.exports import XLSX_MEDIA_TYPE
from franoi_projection.adapters.quality_store import run_quality
from franoi_projection.domain import fund_report as fr
from franoi_projection.domain import quality
from franoi_projection.domain import reporting as r
from franoi_projection.domain.indicators import BY_ID, Text
from franoi_projection.domain.months import month_label
from franoi_projection.domain.quality.rules import TIMELINESS_LABELS, Timeliness
from franoi_projection.entrypoints import params
from franoi_projection.entrypoints.access import Reporter, ReportingUser
from franoi_projection.queries import counters
from franoi_projection.queries.records import records_behind

PeriodId = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9-]{0,39}$")]
PartnerId = Annotated[str, Path(pattern=r"^p[0-9]{2,3}$")]
FlagKey = Annotated[str, Path(pattern=r"^[0-9a-f]{24}$")]
Comment = Annotated[str, Field(min_length=1, max_length=2000, pattern=PRINTABLE)]
MonthText = Annotated[str, Field(pattern=r"^(20[0-9]{2}|2100)-(0[1-9]|1[0-2])$")]
Label = Annotated[str, Field(min_length=1, max_length=80, pattern=PRINTABLE)]


class PeriodIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    period_id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9-]{0,39}$")]
    label_it: Label
    label_en: Label | None = None
    first_month: MonthText
    last_month: MonthText
    deadline: dt.date


class PeriodOut(BaseModel):
    period_id: str
    label: str
    first_month: str
    last_month: str
    deadline: dt.date
    version: int
    approved: bool = Field(description="the current version's report is approved")


class PartnerStatusOut(BaseModel):
    partner_id: str
    name: str
    region: str
    status: r.Status
    status_label: str
    open_flags: int
    comment: str | None
    changed_at: dt.datetime | None


class PeriodStatusOut(PeriodOut):
    partners: list[PartnerStatusOut]
    versions: list[int] = Field(description="the approved versions, oldest first")


class FlagOut(BaseModel):
    flag_key: str
    rule_id: str
    title: str
    severity: str
    severity_level: quality.Severity = Field(
        description="error: refuses the submission while open; warning: to fix or explain"
    )
    subject: str
    record_ids: list[str]
    dates: dict[str, dt.date]
    value: float | None
    explanation: str | None


class FigureOut(BaseModel):
    indicator_id: str
    label: str
    value: int | float | None
    display: str
    records_listed: bool = Field(description="false: counted from journeys, no records listed")


class PartnerPeriodOut(BaseModel):
    period: PeriodOut
    partner: PartnerStatusOut
    flags_by_rule: dict[str, int]
    checked_on: dt.date | None
    timeliness: dict[str, int]
    figures: list[FigureOut]


class RecordOut(BaseModel):
    table: str
    record_id: str


class RecordsOut(BaseModel):
    indicator_id: str
    records: list[RecordOut]


class CommentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    comment: Comment


class OptionalCommentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    comment: Comment | None = None


class StepOut(BaseModel):
    period_id: str
    partner_id: str
    status: r.Status
    period_approved: bool


class QualityRunOut(BaseModel):
    checked_on: dt.date
    flags: dict[str, int]
    seconds: float


class ReportFigureOut(BaseModel):
    scope: str
    key: str
    indicator_id: str
    label: str
    value: int | float | None
    numerator: int | None
    denominator: int | None
    display: str


class LateOut(BaseModel):
    partner_id: str
    entries: int
    changed: dict[str, float]


class ReportOut(BaseModel):
    period: PeriodOut
    version: int
    approved_at: dt.datetime
    reopened_at: dt.datetime | None
    key_numbers: list[ReportFigureOut]
    indicators: list[ReportFigureOut]
    late_entries: list[LateOut]


def _period_out(period: r.Period, approved: bool, lang: str) -> PeriodOut:
    return PeriodOut(
        period_id=period.period_id,
        label=period.label(lang),
        first_month=month_label(period.first_month),
        last_month=month_label(period.last_month),
        deadline=period.deadline,
        version=period.version,
        approved=approved,
    )


def _consortium(who: Reporter) -> None:
    if not who.consortium:
        raise HTTPException(403, detail="for the consortium")


def _coordinator(who: Reporter, partner_id: str) -> None:
    if who.partner_id != partner_id:
        if who.consortium:
            raise HTTPException(403, detail="for the partner's coordinator")
        raise NotFound(f"no partner {partner_id} here")


def _visible(who: Reporter, partner_id: str) -> None:
    if not who.may_see(partner_id):
        raise NotFound(f"no partner {partner_id} here")


async def _statuses(
    conn: asyncpg.Connection, period: r.Period, lang: str, only: str | None
) -> tuple[list[PartnerStatusOut], bool]:
    partners = await store.reporting_partners(conn, period)
    steps = await store.steps(conn, period)
    approved = r.version_approved(partners, {p: s.state for p, s in steps.items()})
    flags = await store.open_flags(conn, period, only)
    names = {
        x["partner_id"]: (x["name"], x["region"])
        for x in await conn.fetch("SELECT partner_id, name, region FROM partners")
    }
    out = []
    for p in partners:
        if only and p != only:
            continue
        step = steps.get(p)
        status = r.status(step.state if step else None, flags.get(p, 0))
        out.append(
            PartnerStatusOut(
                partner_id=p,
                name=names[p][0],
                region=names[p][1],
                status=status,
                status_label=r.STATUS_LABELS[status](lang),
                open_flags=flags.get(p, 0),
                comment=step.comment if step else None,
                changed_at=step.changed_at if step else None,
            )
        )
    return out, approved


def _flag_out(row: asyncpg.Record, lang: str) -> FlagOut:
    rule = quality.BY_ID[row["rule_id"]]
    dates = row["dates"]
    if isinstance(dates, str):
        dates = json.loads(dates)
    return FlagOut(
        flag_key=row["flag_key"],
        rule_id=rule.id,
        title=rule.title(lang),
        severity=quality.SEVERITY_LABELS[rule.severity](lang),
        severity_level=rule.severity,
        subject=row["subject"],
        record_ids=list(row["record_ids"]),
        dates={k: dt.date.fromisoformat(v) for k, v in dates.items()},
        value=row["value"],
        explanation=row["explanation"],
    )


def build_router() -> APIRouter:
    router = APIRouter(prefix="/v1/reporting", tags=["reporting"])

    @router.get("/periods", response_model=list[PeriodOut])
    async def list_periods(who: ReportingUser, pool: params.Pool, lang: params.Lang = "it") -> Any:
        """The reporting periods, oldest first."""
        async with read_only(pool) as conn:
            periods = await store.periods(conn)
            approved = await store.approved_versions(conn)
        return [_period_out(p, p.version in approved.get(p.period_id, ()), lang) for p in periods]

    @router.post("/periods", response_model=PeriodOut, status_code=201)
    async def define_period(
        who: ReportingUser, pool: params.Pool, body: PeriodIn, response: Response
    ) -> Any:
        """A reporting period of whole months with its deadline (the consortium's)."""
        _consortium(who)
        first = r.month_of(body.first_month, "first_month")
        last = r.month_of(body.last_month, "last_month")
        r.check_period(first, last, body.deadline)
        label = Text(body.label_it, body.label_en or body.label_it)
        period = r.Period(body.period_id, label, first, last, body.deadline)
        async with pool.acquire() as conn:
            if not await store.create_period(conn, period, who.subject):
                response.status_code = 200
        return _period_out(period, False, "it")

    @router.get("/periods/{period_id}", response_model=PeriodStatusOut)
    async def period_status(
        who: ReportingUser, pool: params.Pool, period_id: PeriodId, lang: params.Lang = "it"
    ) -> Any:
        """The period and every partner's status (a coordinator: its own only)."""
        async with read_only(pool) as conn:
            period = await store.period(conn, period_id)
            partners, approved = await _statuses(conn, period, lang, who.partner_id)
            versions = (await store.approved_versions(conn, period_id)).get(period_id, [])
        head = _period_out(period, approved, lang).model_dump()
        return PeriodStatusOut(**head, partners=partners, versions=versions)

    @router.get("/periods/{period_id}/partners/{partner_id}", response_model=PartnerPeriodOut)
    async def partner_period(
        who: ReportingUser,
        pool: params.Pool,
        period_id: PeriodId,
        partner_id: PartnerId,
        lang: params.Lang = "it",
    ) -> Any:
        """A partner's period: status, flags by rule, timeliness and the key numbers."""
        _visible(who, partner_id)
        async with read_only(pool) as conn:
            period = await store.period(conn, period_id)
            statuses, approved = await _statuses(conn, period, lang, partner_id)
            if not statuses:
                raise NotFound(f"partner {partner_id} does not report in period {period_id}")
            by_rule = await store.open_flags(conn, period, partner_id, by="rule")
            checked_on = await conn.fetchval(
                "SELECT checked_on FROM quality_runs WHERE partner_id = $1", partner_id
            )
            entries = await conn.fetch(
                "SELECT partner_id, event_type, record_id, dated_on, entered_at"
                " FROM event_entries WHERE partner_id = $1 AND dated_on BETWEEN $2 AND $3",
                partner_id,
                period.first_day,
                period.last_day,
            )
            totals = await counters.totals(
                conn, period.first_month, period.last_month, partner_id, None
            )
        buckets = quality.rules.timeliness(tuple(quality.Entry(*e) for e in entries))
        mine = buckets.get(partner_id, dict.fromkeys(Timeliness, 0))
        figures = [
            FigureOut(
                indicator_id=row["indicator_id"],
                label=row["label"],
                value=row["value"],
                display=row["display"],
                records_listed=bool(
                    BY_ID[BY_ID[row["indicator_id"]].numerator or row["indicator_id"]].sources
                ),
            )
            for row in fr.figures(
                {partner_id: ""},
                {partner_id: totals},
                fr.KEY_NUMBER_INDICATORS,
                lang,
                fr.Scope("partner", partner_id),
            )
        ]
        return PartnerPeriodOut(
            period=_period_out(period, approved, lang),
            partner=statuses[0],
            flags_by_rule=by_rule,
            checked_on=checked_on,
            timeliness={TIMELINESS_LABELS[b](lang): n for b, n in mine.items()},
            figures=figures,
        )

    @router.get("/periods/{period_id}/partners/{partner_id}/flags", response_model=list[FlagOut])
    async def partner_flags(
        who: ReportingUser,
        pool: params.Pool,
        period_id: PeriodId,
        partner_id: PartnerId,
        explained: Annotated[bool, Query(description="include the explained ones")] = False,
        lang: params.Lang = "it",
    ) -> Any:
        """The partner's flags of the period, rule by rule, each with its records."""
        _visible(who, partner_id)
        async with read_only(pool) as conn:
            period = await store.period(conn, period_id)
            rows = await store.flags(conn, period, partner_id, explained)
        return [_flag_out(row, lang) for row in rows]

    @router.put(
        "/periods/{period_id}/partners/{partner_id}/flags/{flag_key}/explanation",
        status_code=204,
    )
    async def explain_flag(
        who: ReportingUser,
        pool: params.Pool,
        period_id: PeriodId,
        partner_id: PartnerId,
        flag_key: FlagKey,
        body: CommentIn,
    ) -> Response:
        """Marks a flag explained (the coordinator's): it is not raised again."""
        _coordinator(who, partner_id)
        async with pool.acquire() as conn:
            await store.period(conn, period_id)
            await store.explain(conn, partner_id, flag_key, body.comment, who.subject)
        return Response(status_code=204)

    @router.post(
        "/periods/{period_id}/partners/{partner_id}/quality-run", response_model=QualityRunOut
    )
    async def run_partner_checks(
        who: ReportingUser, pool: params.Pool, period_id: PeriodId, partner_id: PartnerId
    ) -> Any:
        """The data-quality checks run again on the partner's records now."""
        _visible(who, partner_id)
        return await _run(pool, period_id, partner_id)

    @router.post("/quality-run", response_model=QualityRunOut)
    async def run_network_checks(who: ReportingUser, pool: params.Pool) -> Any:
        """The data-quality checks run on every partner's records now (the consortium's)."""
        _consortium(who)
        return await _run(pool, None, None)

    @router.get(
        "/periods/{period_id}/partners/{partner_id}/figures/{indicator_id}/records",
        response_model=RecordsOut,
    )
    async def figure_records(
        who: ReportingUser,
        pool: params.Pool,
        period_id: PeriodId,
        partner_id: PartnerId,
        indicator_id: Annotated[str, Path(pattern=r"^[a-z0-9_]{1,80}$")],
    ) -> Any:
        """The records behind one of the partner's figures for the period (their ids)."""
        _visible(who, partner_id)
        indicator = BY_ID.get(indicator_id)
        if indicator is None or not indicator.network:
            raise NotFound(f"no indicator {indicator_id}")
        async with read_only(pool) as conn:
            period = await store.period(conn, period_id)
            found = await records_behind(
                conn, indicator, partner_id, period.first_month, period.last_month
            )
        return RecordsOut(
            indicator_id=indicator_id,
            records=[RecordOut(table=t, record_id=i) for t, i in found],
        )

    async def _step(
        who: Reporter,
        pool: asyncpg.Pool,
        period_id: str,
        partner_id: str,
        action: r.Action,
        comment: str | None,
    ) -> StepOut:
        async with pool.acquire() as conn:
            state, approved = await store.take_step(
                conn, period_id, partner_id, action, comment, who.subject
            )
        return StepOut(
            period_id=period_id,
            partner_id=partner_id,
            status=r.status(state, 0),
            period_approved=approved,
        )

    @router.post("/periods/{period_id}/partners/{partner_id}/submission", response_model=StepOut)
    async def submit(
        who: ReportingUser,
        pool: params.Pool,
        period_id: PeriodId,
        partner_id: PartnerId,
        body: OptionalCommentIn,
    ) -> Any:
        """The coordinator submits the partner's period: its checks run again first, and an
        error not fixed or explained refuses the submission."""
        _coordinator(who, partner_id)
        await _run(pool, period_id, partner_id)
        async with read_only(pool) as conn:
            period = await store.period(conn, period_id)
            by_rule = await store.open_flags(conn, period, partner_id, by="rule")
        errors = sum(
            n for rule_id, n in by_rule.items()
            if quality.BY_ID[rule_id].severity is quality.Severity.ERROR
        )  # fmt: skip
        if errors:
            raise InvalidTransition(
                f"{errors} error flag(s) of the period are neither fixed nor explained"
            )
        return await _step(who, pool, period_id, partner_id, r.Action.SUBMIT, body.comment)

    @router.post("/periods/{period_id}/partners/{partner_id}/approval", response_model=StepOut)
    async def approve(
        who: ReportingUser,
        pool: params.Pool,
        period_id: PeriodId,
        partner_id: PartnerId,
        body: OptionalCommentIn,
    ) -> Any:
        """The consortium approves a partner's submission; the last approval fixes the
        period's figures."""
        _consortium(who)
        return await _step(who, pool, period_id, partner_id, r.Action.APPROVE, body.comment)

    @router.post("/periods/{period_id}/partners/{partner_id}/return", response_model=StepOut)
    async def give_back(
        who: ReportingUser,
        pool: params.Pool,
        period_id: PeriodId,
        partner_id: PartnerId,
        body: CommentIn,
    ) -> Any:
        """The consortium returns a partner's submission, saying why."""
        _consortium(who)
        return await _step(who, pool, period_id, partner_id, r.Action.RETURN, body.comment)

    @router.post("/periods/{period_id}/reopening", response_model=PeriodOut)
    async def reopen(
        who: ReportingUser, pool: params.Pool, period_id: PeriodId, body: CommentIn
    ) -> Any:
        """The consortium reopens an approved period: a new version, the approved one kept."""
        _consortium(who)
        async with pool.acquire() as conn:
            await store.reopen(conn, period_id, body.comment, who.subject)
            period = await store.period(conn, period_id)
        return _period_out(period, False, "it")

    @router.get(
        "/periods/{period_id}/report",
        response_model=ReportOut,
        responses={200: {"content": {XLSX_MEDIA_TYPE: {}, "application/pdf": {}}}},
    )
    async def report(
        who: ReportingUser,
        pool: params.Pool,
        period_id: PeriodId,
        version: Annotated[int | None, Query(ge=1, le=1000)] = None,
        lang: params.Lang = "it",
        format: Annotated[str, Query(pattern="^(json|xlsx|pdf)$")] = "json",
    ) -> Any:
        """The fund report of an approved version (by default the latest approved): the
        figures as approved, the late entries since and what they changed."""
        _consortium(who)
        doc = await _report(pool, period_id, version)
        name = f"fund-report_{period_id}_v{doc.version}"
        if format == "xlsx":
            return _attachment(pdf_xlsx.workbook(doc, lang), XLSX_MEDIA_TYPE, f"{name}.xlsx")
        if format == "pdf":
            return _attachment(pdf_xlsx.pdf(doc, lang), "application/pdf", f"{name}.pdf")
        return _report_out(doc, lang)

    return router


def _attachment(body: bytes, media: str, filename: str) -> Response:
    disposition = {"Content-Disposition": f'attachment; filename="{filename}"'}
    return Response(body, media_type=media, headers=disposition)


async def _run(pool: asyncpg.Pool, period_id: str | None, partner_id: str | None) -> QualityRunOut:
    today = dt.datetime.now(dt.UTC).date()
    started = time.perf_counter()
    async with pool.acquire() as conn:
        if period_id is not None:
            await store.period(conn, period_id)
        counts = await run_quality(conn, partner_id, today)
    return QualityRunOut(
        checked_on=today, flags=counts, seconds=round(time.perf_counter() - started, 3)
    )


async def _report(pool: asyncpg.Pool, period_id: str, version: int | None) -> pdf_xlsx.Report:
    async with read_only(pool) as conn:
        period = await store.period(conn, period_id)
        wanted = version or period.version
        fixed = await store.fixed(conn, period_id, wanted)
        if fixed is None and version is None and period.version > 1:
            wanted = period.version - 1
            fixed = await store.fixed(conn, period_id, wanted)
        if fixed is None:
            raise InvalidValue(f"version {wanted} of period {period_id} is not approved")
        names = {
            x["partner_id"]: x["name"]
            for x in await conn.fetch("SELECT partner_id, name FROM partners")
        }
        until = fixed.reopened_at or dt.datetime.max.replace(tzinfo=dt.UTC)
        late = [
            e
            for rows in (await store.late_entries(conn, period, fixed.approved_at)).values()
            for e in rows
            if e["entered_at"] <= until
        ]
        live_regions, live = await counters.totals_by_partner(
            conn, period.first_month, period.last_month, store.SNAPSHOT_INDICATORS
        )
    changed = fr.differences(
        {**live_regions, **fixed.regions}, fixed.sums, live, fr.KEY_NUMBER_INDICATORS
    )
    return pdf_xlsx.Report(
        period_id=period.period_id,
        label=period.label,
        first_month=month_label(period.first_month),
        last_month=month_label(period.last_month),
        deadline=period.deadline,
        version=fixed.version,
        approved_at=fixed.approved_at,
        partners=names,
        regions=fixed.regions,
        sums=fixed.sums,
        late=[pdf_xlsx.LateEntry(*e) for e in late],
        changed=changed,
        reopened_at=fixed.reopened_at,
    )


def _report_out(doc: pdf_xlsx.Report, lang: str) -> ReportOut:
    def rows(indicators: Any) -> list[ReportFigureOut]:
        return [
            ReportFigureOut(scope=s.kind, key=s.key, **f)
            for s in fr.scopes(doc.regions)
            for f in (
                {k: v for k, v in row.items() if k not in ("axis", "unit")}
                for row in fr.figures(doc.regions, doc.sums, indicators, lang, s)
            )
        ]

    counts: dict[str, int] = {}
    for e in doc.late:
        counts[e.partner_id] = counts.get(e.partner_id, 0) + 1
    late = [
        LateOut(partner_id=p, entries=counts.get(p, 0), changed=dict(doc.changed.get(p, {})))
        for p in sorted(set(counts) | set(doc.changed))
    ]
    period = PeriodOut(
        period_id=doc.period_id,
        label=doc.label(lang),
        first_month=doc.first_month,
        last_month=doc.last_month,
        deadline=doc.deadline,
        version=doc.version,
        approved=True,
    )
    return ReportOut(
        period=period,
        version=doc.version,
        approved_at=doc.approved_at,
        reopened_at=doc.reopened_at,
        key_numbers=rows(fr.KEY_NUMBER_INDICATORS),
        indicators=rows(fr.NETWORK_INDICATORS),
        late_entries=late,
    )

"""``/v1/imports``: a partner's history from spreadsheets, for its coordinator (``partner_admin``).

- ``GET /v1/imports/sheets``: what the service imports, each sheet's columns and codes;
- ``GET /v1/imports/sheets/{sheet}/template``: the template, XLSX (with a guide and the
  codes) or CSV, with Italian or English headers;
- ``POST /v1/imports/sheets/{sheet}``: a CSV or XLSX file as the body. Its cells are read at
  once: a file with any problem is answered 422 with every problem by row and column, and
  nothing is written. Otherwise the import runs in the background (202, ``Location``): its
  rows are first checked through the service's rules in a transaction rolled back (any
  refusal: status ``refused``, nothing written), then imported (``done``); with
  ``check_only`` it stops after the check (``checked``);
- ``GET /v1/imports/{import_id}``: its progress and its report, in the user's language.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import uuid
from collections.abc import Sequence
from enum import Enum
from typing import Annotated, Any, Literal
from uuid import UUID

import asyncpg
from fastapi import APIRouter, Depends, Path, Query, Request, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from franoi_common.auth import Principal, Role, current_principal, require_partner_member
from franoi_common.commands import PartnerServices
from franoi_common.db import CHECK_ONLY
from franoi_common.errors import Conflict, NotFound
from franoi_common.http import PROBLEM_JSON, problem_response
from franoi_common.importing.files import (
    CSV,
    MAX_BYTES,
    XLSX,
    UnreadableFile,
    read_table,
    rows_of,
    template_csv,
    template_xlsx,
)
from franoi_common.importing.report import RUNNING
from franoi_common.importing.runner import Tally, apply_rows
from franoi_common.importing.sheets import Column, Problem, ReadRow, Sheet, read_rows, words

log = logging.getLogger(__name__)

Lang = Annotated[Literal["it", "en"], Query(description="The language of headers and messages")]
PROBLEMS_KEPT = 1_000
"""Problems a report keeps (the count says how many there were)."""
STALE_S = 120
"""An import that has not moved for this long was interrupted (its process stopped)."""
_RUNNING: set[asyncio.Task[None]] = set()


class ImportRunning(Conflict, code="import_running", title="An import is running"):
    """The partner has an import running: one at a time."""


class CodeOut(BaseModel):
    code: str
    label: str


class ColumnOut(BaseModel):
    name: str = Field(description="The command's field it fills (or ref)")
    header: str
    required: bool
    kind: str
    help: str
    refers_to: str | None
    codes: list[CodeOut]


class SheetOut(BaseModel):
    name: str
    label: str
    columns: list[ColumnOut]


class ProblemOut(BaseModel):
    row: int | None = Field(description="The spreadsheet's row (1: the header)")
    column: str | None = Field(description="The column's header, when the problem is one cell")
    field: str | None
    code: str = Field(description="A stable code of the kind of problem")
    message: str


class TallyOut(BaseModel):
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    refused: int = 0


class ImportOut(BaseModel):
    import_id: UUID
    sheet: str
    check_only: bool
    status: Literal["checking", "importing", "checked", "done", "refused", "failed", "interrupted"]
    total_rows: int
    checked_rows: int
    imported_rows: int
    progress: float = Field(description="From 0 to 1: the rows checked and imported")
    tally: TallyOut
    problems: list[ProblemOut]
    problems_total: int
    started_at: dt.datetime
    finished_at: dt.datetime | None


def column_out(column: Column, lang: str) -> ColumnOut:
    return ColumnOut(
        name=column.name,
        header=column.header(lang),
        required=column.required,
        kind=column.kind,
        help=column.help(lang),
        refers_to=column.refers_to,
        codes=[CodeOut(code=c, label=en if lang == "en" else it) for c, it, en in column.codes()],
    )


def problem_out(sheet: Sheet | None, problem: Problem, lang: str) -> ProblemOut:
    column = sheet.by_name.get(problem.field or "") if sheet else None
    return ProblemOut(
        row=problem.row,
        column=column.header(lang) if column else problem.field,
        field=problem.field,
        code=problem.code,
        message=problem.message(lang),
    )


def _services(request: Request) -> PartnerServices:
    services: PartnerServices = request.app.state.services
    return services


Services = Annotated[PartnerServices, Depends(_services)]


async def _coordinator(
    request: Request, principal: Annotated[Principal, Depends(current_principal)]
) -> Principal:
    """The coordinator (``partner_admin``) of a partner this instance serves, else 403."""
    partner_ids: tuple[str, ...] = request.app.state.partner_ids
    return await require_partner_member(partner_ids, Role.PARTNER_ADMIN)(principal)


Who = Annotated[Principal, Depends(_coordinator)]
SheetName = Annotated[
    str,
    Path(pattern=r"^[a-z_]{1,40}$", description="The kind of record (GET /v1/imports/sheets)"),
]


TAGS: list[str | Enum] = ["imports"]


def add_imports(router: APIRouter, sheets: Sequence[Sheet]) -> None:
    """The import routes of a service's ``sheets`` (dependency order: a sheet after those
    its references point to) on its ``/v1`` ``router``, for the partner's coordinators."""
    by_name = {s.name: s for s in sheets}

    def chosen(name: str) -> Sheet:
        found = by_name.get(name)
        if found is None:
            raise NotFound(f"this service imports no sheet {name}: see GET /v1/imports/sheets")
        return found

    @router.get("/imports/sheets", tags=TAGS, response_model=list[SheetOut])
    async def list_sheets(who: Who, lang: Lang = "it") -> Any:
        """What this service imports, in the order to import it: each sheet's columns, their
        headers, whether required, and the codes they take."""
        return [
            SheetOut(
                name=s.name, label=s.label(lang), columns=[column_out(c, lang) for c in s.columns]
            )
            for s in sheets
        ]

    @router.get(
        "/imports/sheets/{sheet}/template",
        tags=TAGS,
        response_class=Response,
        responses={200: {"content": {XLSX: {}, CSV: {}}, "description": "The template"}},
    )
    async def template(
        sheet: SheetName,
        who: Who,
        lang: Lang = "it",
        format: Annotated[Literal["xlsx", "csv"], Query()] = "xlsx",
    ) -> Response:
        """The sheet's template: its header row (and, in XLSX, a guide to each column and
        the codes with their labels)."""
        found = chosen(sheet)
        body = template_xlsx(found, lang) if format == "xlsx" else template_csv(found, lang)
        name = f"{found.name}-{lang}.{format}"
        return Response(
            body,
            media_type=XLSX if format == "xlsx" else f"{CSV}; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )

    @router.post(
        "/imports/sheets/{sheet}",
        tags=TAGS,
        status_code=202,
        response_model=ImportOut,
        openapi_extra={
            "requestBody": {
                "required": True,
                "content": {
                    CSV: {"schema": {"type": "string"}},
                    XLSX: {"schema": {"type": "string", "format": "binary"}},
                },
            }
        },
        responses={
            400: {"content": {PROBLEM_JSON: {}}, "description": "Not a CSV or XLSX file"},
            413: {"content": {PROBLEM_JSON: {}}, "description": f"Over {MAX_BYTES} bytes"},
            422: {"content": {PROBLEM_JSON: {}}, "description": "Problems by row and column"},
        },
    )
    async def start_import(
        sheet: SheetName,
        request: Request,
        s: Services,
        who: Who,
        lang: Lang = "it",
        check_only: Annotated[
            bool, Query(description="Check the rows through the rules, write nothing")
        ] = False,
    ) -> Any:
        """Import a file of the sheet (CSV or XLSX, as its template): every problem of its
        cells answered at once (422), else checked and imported in the background."""
        found = chosen(sheet)
        data = await _body(request)
        if isinstance(data, Response):
            return data
        try:
            table = read_table(data)
        except UnreadableFile as exc:
            return problem_response(400, str(exc), code="unreadable_file")
        rows, problems = rows_of(found, table)
        read, more = read_rows(found, who.partner_id, rows) if rows else ([], [])
        problems += more
        if problems:
            return _problems(found, problems, lang)
        import_id = await _begin(s.pool, who.partner_id, found.name, check_only, len(read))
        task = asyncio.create_task(_run(s, who, found, read, import_id, check_only))
        _RUNNING.add(task)
        task.add_done_callback(_RUNNING.discard)
        return JSONResponse(
            _out(found, await _read(s.pool, who.partner_id, import_id), lang).model_dump(
                mode="json"
            ),
            status_code=202,
            headers={"Location": f"/v1/imports/{import_id}"},
        )

    @router.get("/imports/{import_id}", tags=TAGS, response_model=ImportOut)
    async def get_import(import_id: UUID, s: Services, who: Who, lang: Lang = "it") -> Any:
        """An import's progress and report (the partner's own imports only)."""
        found = await _read(s.pool, who.partner_id, import_id)
        return _out(by_name.get(found["sheet"]), found, lang)

    @router.get("/imports", tags=TAGS, response_model=list[ImportOut])
    async def list_imports(s: Services, who: Who, lang: Lang = "it") -> Any:
        """The partner's last 20 imports, newest first."""
        rows = await s.pool.fetch(
            _SELECT + " WHERE partner_id = $2 ORDER BY started_at DESC LIMIT 20",
            STALE_S,
            who.partner_id,
        )
        return [_out(by_name.get(r["sheet"]), r, lang) for r in rows]


async def _body(request: Request) -> bytes | Response:
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BYTES:
            return problem_response(
                413, f"the file is larger than {MAX_BYTES // (1024 * 1024)} MB", code="too_large"
            )
        chunks.append(chunk)
    return b"".join(chunks)


def _problems(sheet: Sheet, problems: list[Problem], lang: str) -> Response:
    shown = [problem_out(sheet, p, lang) for p in problems[:PROBLEMS_KEPT]]
    return problem_response(
        422,
        words("import.file_refused", lang, count=len(problems)),
        code="import_problems",
        errors=[
            {
                "loc": ["rows", str(p.row or 0), *([p.column] if p.column else [])],
                "msg": p.message,
                "type": p.code,
            }
            for p in shown
        ],
    )


_SELECT = (
    "SELECT import_id, sheet, check_only, total_rows, checked_rows, imported_rows, tally,"
    " problems, problems_total, started_at, finished_at,"
    " CASE WHEN status IN ('checking', 'importing')"
    " AND updated_at < clock_timestamp() - make_interval(secs => $1)"
    " THEN 'interrupted' ELSE status END AS status FROM imports"
)
"""An import as it reads: one whose process stopped (no progress for :data:`STALE_S`)
reads as interrupted, without a write (``$1``: :data:`STALE_S`)."""


async def _forget_stale(conn: asyncpg.Connection) -> None:
    """Mark the partner's stopped imports interrupted (before a new one takes their place)."""
    await conn.execute(
        "UPDATE imports SET status = 'interrupted', finished_at = clock_timestamp()"
        " WHERE status IN ('checking', 'importing')"
        " AND updated_at < clock_timestamp() - make_interval(secs => $1)",
        STALE_S,
    )


async def _begin(
    pool: asyncpg.Pool, partner_id: str, sheet: str, check_only: bool, rows: int
) -> UUID:
    import_id = uuid.uuid4()
    async with pool.acquire() as conn:
        await _forget_stale(conn)
        try:
            await conn.execute(
                "INSERT INTO imports (import_id, partner_id, sheet, check_only, status,"
                " total_rows) VALUES ($1, $2, $3, $4, 'checking', $5)",
                import_id,
                partner_id,
                sheet,
                check_only,
                rows,
            )
        except asyncpg.UniqueViolationError:
            raise ImportRunning(
                "an import of this partner is running: wait for it to finish"
            ) from None
    return import_id


async def _read(pool: asyncpg.Pool, partner_id: str, import_id: UUID) -> asyncpg.Record:
    found = await pool.fetchrow(
        _SELECT + " WHERE partner_id = $2 AND import_id = $3", STALE_S, partner_id, import_id
    )
    if found is None:
        raise NotFound(f"import {import_id} not found")
    return found


def _out(sheet: Sheet | None, row: Any, lang: str) -> ImportOut:
    total = row["total_rows"]
    steps = total if row["check_only"] else 2 * total
    done = row["checked_rows"] + row["imported_rows"]
    finished = row["status"] not in RUNNING
    return ImportOut(
        import_id=row["import_id"],
        sheet=row["sheet"],
        check_only=row["check_only"],
        status=row["status"],
        total_rows=total,
        checked_rows=row["checked_rows"],
        imported_rows=row["imported_rows"],
        progress=1.0 if finished or not steps else round(done / steps, 3),
        tally=TallyOut(**row["tally"]),
        problems=[problem_out(sheet, Problem.from_plain(p), lang) for p in row["problems"]],
        problems_total=row["problems_total"],
        started_at=row["started_at"],
        finished_at=row["finished_at"],
    )


async def _run(
    s: PartnerServices,
    who: Principal,
    sheet: Sheet,
    rows: list[ReadRow],
    import_id: UUID,
    check_only: bool,
) -> None:
    """Check every row (nothing written), then import them unless a row is refused."""

    def saying(column: str, status: str) -> Any:
        async def progress(done: int, tally: Tally, problems: list[Problem]) -> None:
            importing = column == "imported_rows"
            await _update(
                s.pool,
                import_id,
                status,
                checked_rows=None if importing else done,
                imported_rows=done if importing else None,
                tally=tally.plain() if importing else None,
                problems=problems,
            )

        return progress

    try:
        checking = CHECK_ONLY.set(True)
        try:
            _, problems = await apply_rows(
                s, who, sheet, rows, commit=False, progress=saying("checked_rows", "checking")
            )
        finally:
            CHECK_ONLY.reset(checking)
        if problems or check_only:
            status = "refused" if problems else "checked"
            await _update(s.pool, import_id, status, problems=problems, finished=True)
            return
        tally, problems = await apply_rows(
            s, who, sheet, rows, commit=True, progress=saying("imported_rows", "importing")
        )
        await _update(
            s.pool, import_id, "done", tally=tally.plain(), problems=problems, finished=True
        )
    except asyncio.CancelledError:
        await asyncio.shield(_update(s.pool, import_id, "interrupted", finished=True))
        raise
    except Exception:
        log.exception("import failed", extra={"sheet": sheet.name, "rows": len(rows)})
        await _update(s.pool, import_id, "failed", finished=True)


async def _update(
    pool: asyncpg.Pool,
    import_id: UUID,
    status: str,
    *,
    checked_rows: int | None = None,
    imported_rows: int | None = None,
    tally: dict[str, int] | None = None,
    problems: list[Problem] | None = None,
    finished: bool = False,
) -> None:
    kept = None if problems is None else [p.plain() for p in problems[:PROBLEMS_KEPT]]
    await pool.execute(
        "UPDATE imports SET status = $2, checked_rows = coalesce($3, checked_rows),"
        " imported_rows = coalesce($4, imported_rows), tally = coalesce($5, tally),"
        " problems = coalesce($6, problems),"
        " problems_total = coalesce($7, problems_total), updated_at = clock_timestamp(),"
        " finished_at = CASE WHEN $8 THEN clock_timestamp() END"
        " WHERE import_id = $1",
        import_id,
        status,
        checked_rows,
        imported_rows,
        tally,
        kept,
        None if problems is None else len(problems),
        finished,
    )

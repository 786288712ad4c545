"""An import as its clients read it (the desk's pages, ``franoi-import``): whether it is still
running, its tally, and its problems as rows of a report, from the answers of
``/v1/imports`` (:mod:`.api`): a file's 422 problem or an import's status."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from franoi_common.importing.files import csv_for
from franoi_common.importing.sheets import words

RUNNING = ("checking", "importing")
"""An import's statuses while it runs; every other one is final."""
SUCCEEDED = ("checked", "done")
"""The final statuses of an import that went through (``checked``: with ``check_only``)."""
TALLY = ("created", "updated", "unchanged", "refused")
"""The counts of an import's tally, in the order people read them."""


@dataclass(frozen=True)
class ReportLine:
    """One problem: the spreadsheet's row (1: the header; None: the whole file), the
    column's header (None: the whole row) and what is wrong, in the user's language."""

    row: int | None
    column: str | None
    message: str


def file_problems(problem: Mapping[str, Any]) -> list[ReportLine]:
    """The problems of a file the service refused at once (its 422 answer, whose ``errors``
    each have ``loc`` ``["rows", row, column header]`` and ``msg``)."""
    lines = []
    for error in problem.get("errors") or []:
        loc = [str(part) for part in error.get("loc") or []]
        row = loc[1] if len(loc) > 1 and loc[0] == "rows" else ""
        lines.append(
            ReportLine(
                int(row) if row.isdigit() and row != "0" else None,
                loc[2] if len(loc) > 2 else None,
                str(error.get("msg", "")),
            )
        )
    return lines


def import_problems(status: Mapping[str, Any]) -> list[ReportLine]:
    """The problems an import's rows met (``GET /v1/imports/{id}``'s ``problems``)."""
    return [
        ReportLine(p.get("row"), p.get("column"), str(p.get("message", "")))
        for p in status.get("problems") or []
    ]


def tally_line(status: Mapping[str, Any], lang: str) -> str:
    """``creati 2 · aggiornati 0 · invariati 0 · rifiutati 0``."""
    tally = status.get("tally") or {}
    return " · ".join(f"{words(f'import.tally.{k}', lang)} {tally.get(k, 0)}" for k in TALLY)


def report_csv(lines: Iterable[ReportLine], lang: str) -> bytes:
    """The problems as a CSV for a spreadsheet, like the templates (:func:`.files.csv_for`)."""
    header = [words(k, lang) for k in ("import.row", "import.column", "import.problem")]
    return csv_for(
        [header, *(["" if n.row is None else n.row, n.column or "", n.message] for n in lines)],
        lang,
    )

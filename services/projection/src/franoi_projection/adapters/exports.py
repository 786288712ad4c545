"""CSV and XLSX downloads of the network tables.

A table to export is a list of columns (Italian and English header, kind) and rows of
typed values: numbers stay numbers, months become dates shown as ``yyyy-mm``, dates and
times become date cells; a suppressed count is the text ``<5`` (or ``n.d.``).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from openpyxl import Workbook
from openpyxl.utils import get_column_letter

from franoi_projection.domain.indicators import Text

XLSX_MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV_MEDIA_TYPE = "text/csv; charset=utf-8"


@dataclass(frozen=True)
class Column:
    header: Text
    kind: str = "text"
    """text | number | month | date | datetime | rate"""


@dataclass(frozen=True)
class Sheet:
    title: Text
    columns: Sequence[Column]
    rows: Sequence[Sequence[Any]]


def _month(value: Any) -> Any:
    if isinstance(value, str) and len(value) == 7:
        return dt.date(int(value[:4]), int(value[5:]), 1)
    return value


def to_csv(sheet: Sheet, lang: str) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([c.header(lang) for c in sheet.columns])
    for row in sheet.rows:
        cells = []
        for column, value in zip(sheet.columns, row, strict=True):
            if value is None:
                cells.append("")
            elif isinstance(value, dt.datetime):
                cells.append(value.astimezone(dt.UTC).isoformat())
            elif isinstance(value, list | tuple):
                cells.append(";".join(str(v) for v in value))
            else:
                cells.append(str(value))
            del column
        writer.writerow(cells)
    return out.getvalue().encode("utf-8")


_FORMATS = {
    "month": "yyyy-mm",
    "date": "yyyy-mm-dd",
    "datetime": "yyyy-mm-dd hh:mm:ss",
    "rate": "0%",
}


def to_xlsx(sheet: Sheet, lang: str) -> bytes:
    return to_workbook([sheet], lang)


def to_workbook(sheets: Sequence[Sheet], lang: str) -> bytes:
    """One workbook, a worksheet per sheet in order."""
    workbook = Workbook()
    first = workbook.active
    assert first is not None
    workbook.remove(first)
    for sheet in sheets:
        _fill(workbook.create_sheet(sheet.title(lang)[:31]), sheet, lang)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _fill(ws: Any, sheet: Sheet, lang: str) -> None:
    ws.append([c.header(lang) for c in sheet.columns])
    for row in sheet.rows:
        values: list[Any] = []
        for column, value in zip(sheet.columns, row, strict=True):
            if column.kind == "month":
                value = _month(value)
            elif isinstance(value, dt.datetime):
                value = value.astimezone(dt.UTC).replace(tzinfo=None)
            elif isinstance(value, list | tuple):
                value = ";".join(str(v) for v in value)
            values.append(value)
        ws.append(values)
    for index, column in enumerate(sheet.columns, start=1):
        letter = get_column_letter(index)
        ws.column_dimensions[letter].width = max(12, len(column.header(lang)) + 2)
        number_format = _FORMATS.get(column.kind)
        if number_format:
            for (cell,) in ws.iter_rows(min_row=2, min_col=index, max_col=index):
                cell.number_format = number_format
    ws.freeze_panes = "A2"

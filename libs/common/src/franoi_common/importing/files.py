"""Import files: a sheet's template (XLSX with its guide and its codes, or CSV), and an
uploaded CSV or XLSX read into rows of cells by column.

A header names a column by its field's name or its Italian or English label, in any case;
a header that names no column, or a required column missing, stops the file before any
row is read (:class:`~franoi_common.importing.sheets.Problem` on row 1).
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font

from franoi_common.importing.sheets import REF, Column, Problem, Row, Sheet, _fold, words

MAX_BYTES = 25 * 1024 * 1024
MAX_ROWS = 100_000
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
CSV = "text/csv"
_ZIP_MAGIC = b"PK\x03\x04"


class UnreadableFile(ValueError):
    """Not a CSV or XLSX file this import can read (said for people)."""


def is_xlsx(data: bytes) -> bool:
    return data.startswith(_ZIP_MAGIC)


def media_type(data: bytes) -> str:
    """The media type to send a file of a sheet as: XLSX (a zip) or else CSV."""
    return XLSX if is_xlsx(data) else CSV


def read_table(data: bytes) -> list[list[Any]]:
    """The rows of cells of a CSV or of an XLSX workbook's first sheet (not its guide or
    codes), the header first; raises :class:`UnreadableFile`."""
    if len(data) > MAX_BYTES:
        raise UnreadableFile(f"the file is larger than {MAX_BYTES // (1024 * 1024)} MB")
    table = _xlsx(data) if is_xlsx(data) else _csv(data)
    rows = [row for row in table if any(_filled(c) for c in row)]
    if not rows:
        raise UnreadableFile("the file holds no header row")
    if len(rows) - 1 > MAX_ROWS:
        raise UnreadableFile(f"the file has more than {MAX_ROWS} rows: split it")
    return rows


def _filled(cell: Any) -> bool:
    return cell is not None and not (isinstance(cell, str) and not cell.strip())


def _csv(data: bytes) -> list[list[Any]]:
    if b"\x00" in data:
        raise UnreadableFile("not a CSV or XLSX file")
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - cp1252 decodes almost anything
        raise UnreadableFile("the CSV file is neither UTF-8 nor Windows-1252 text")
    first = text.split("\n", 1)[0]
    delimiter = max(";,\t", key=first.count)
    try:
        return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error as exc:
        raise UnreadableFile(f"the CSV file cannot be read: {exc}") from None


def _xlsx(data: bytes) -> list[list[Any]]:
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, TypeError) as exc:
        raise UnreadableFile(f"the XLSX file cannot be read ({type(exc).__name__})") from None
    try:
        skipped = {
            _fold(words(k, lang)) for k in ("import.codes", "import.guide") for lang in ("it", "en")
        }
        sheet = next((s for s in book.worksheets if _fold(s.title) not in skipped), None)
        if sheet is None:
            raise UnreadableFile("the workbook has no sheet of records")
        return [list(row) for row in sheet.iter_rows(values_only=True)]
    finally:
        book.close()


def rows_of(sheet: Sheet, table: list[list[Any]]) -> tuple[list[Row], list[Problem]]:
    """The data rows by column name, or the header's problems (then no row)."""
    by_header = {h: c for c in sheet.columns for h in c.headers()}
    header = table[0]
    names: list[str | None] = []
    problems: list[Problem] = []
    for cell in header:
        text = "" if cell is None else str(cell)
        column = by_header.get(_fold(text))
        if column is None and text.strip():
            problems.append(Problem(1, None, "unknown_column", {"detail": text[:60]}))
        names.append(column.name if column else None)
    present = {n for n in names if n}
    for column in sheet.columns:
        if column.required and column.name not in present:
            problems.append(Problem(1, column.name, "missing_column"))
    if problems:
        return [], problems
    rows = [
        Row(number, {n: c for n, c in zip(names, cells, strict=False) if n is not None})
        for number, cells in enumerate(table[1:], start=2)
    ]
    return rows, []


# --- templates ----------------------------------------------------------------------------


def csv_for(rows: Iterable[Sequence[Any]], lang: str) -> bytes:
    """``rows`` as CSV for a spreadsheet: ``;``-separated in Italian, as Italian spreadsheets
    expect, ``,`` in English; in UTF-8 with its byte-order mark."""
    out = io.StringIO()
    csv.writer(out, delimiter=";" if lang != "en" else ",").writerows(rows)
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def template_csv(sheet: Sheet, lang: str) -> bytes:
    """The sheet's header row as CSV (:func:`csv_for`)."""
    return csv_for([[c.header(lang) for c in sheet.columns]], lang)


def template_xlsx(sheet: Sheet, lang: str) -> bytes:
    """The sheet's workbook: its header row to fill in, a guide (each column: what it holds,
    whether it is required, what it means) and the codes of its code columns with their
    labels."""
    book = Workbook()
    records = book.active
    assert records is not None
    records.title = sheet.label(lang)[:31]
    records.append([c.header(lang) for c in sheet.columns])
    for cell in records[1]:
        cell.font = Font(bold=True)
    records.freeze_panes = "A2"
    guide = book.create_sheet(words("import.guide", lang))
    guide.append([words("import.column", lang), words("import.kind", lang), ""])
    for column in sheet.columns:
        about = words("import.ref.help", lang) if column.name == REF else column.description
        guide.append([column.header(lang), column.help(lang), about])
    codes = book.create_sheet(words("import.codes", lang))
    codes.append(
        [words("import.column", lang), words("import.code", lang), words("import.label", lang)]
    )
    for header, code, label in _codes(sheet.columns, lang):
        codes.append([header, code, label])
    for page in (guide, codes):
        for cell in page[1]:
            cell.font = Font(bold=True)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _codes(columns: list[Column], lang: str) -> Iterator[tuple[str, str, str]]:
    for column in columns:
        for code, it, en in column.codes():
            yield column.header(lang), code, en if lang == "en" else it

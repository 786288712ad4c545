"""Import sheets without I/O: columns read from a command, cells turned into values, a file's
problems by row and column in both languages, and the same ids on every import."""

from __future__ import annotations

import datetime as dt
import io
from enum import StrEnum
from typing import Any
from uuid import UUID

import pytest
from franoi_common.importing.files import (
    UnreadableFile,
    read_table,
    rows_of,
    template_csv,
    template_xlsx,
)
from franoi_common.importing.sheets import Problem, Sheet, read_rows, record_id
from franoi_common.persons import ClientId, Command, Day, PersonInput
from franoi_contracts.base import Sex
from openpyxl import load_workbook
from pydantic import Field


class Colour(StrEnum):
    RED = "red"
    BLUE = "blue"


class StartThing(PersonInput):
    thing_id: ClientId = None
    other_id: UUID | None = None
    started_on: Day
    size: int = Field(ge=1, le=5)
    sex: Sex
    ended_on: Day | None = None


class EndThing(Command):
    ended_on: Day


async def start_thing(s: Any, partner_id: str, cmd: StartThing) -> None:
    """A create handler."""


async def end_thing(s: Any, partner_id: str, thing_id: UUID, cmd: EndThing) -> None:
    """An action."""


SHEET = Sheet("placements", start_thing, "thing_id", refers={"other_id": "units"}, then=[end_thing])
HEADER = ["ref", "Data di inizio", "size", "sex", "other_id", "person_identifier", "ended_on"]


def table(*rows: list[Any]) -> list[list[Any]]:
    return [HEADER, *rows]


def read(*rows: list[Any]) -> tuple[list[Any], list[Problem]]:
    found, problems = rows_of(SHEET, table(*rows))
    assert not problems
    return read_rows(SHEET, "p01", found)


def test_columns_come_from_the_commands_with_their_kinds() -> None:
    kinds = {c.name: c.kind for c in SHEET.columns}
    assert kinds == {
        "ref": "text",
        "person_identifier": "identifier",
        "person_ref": "person_ref",
        "other_id": "reference",
        "started_on": "date",
        "size": "integer",
        "sex": "code",
        "ended_on": "date",
    }
    required = {c.name for c in SHEET.columns if c.required}
    assert required == {"ref", "started_on", "size", "sex"}


def test_cells_become_values_in_either_language_and_format() -> None:
    rows, problems = read(
        ["A", "03/02/2020", "2", "Donna", "U1", "AAABBB11C22D333E", ""],
        ["B", dt.datetime(2021, 5, 1), 3.0, "male", "", "AAABBB11C22D333F", "2021-06-01"],
    )
    assert problems == []
    first, second = rows
    assert first.create.started_on == dt.date(2020, 2, 3) and first.create.sex == "female"
    assert first.create.other_id == record_id("p01", "units", "U1")
    assert first.record_id == record_id("p01", "placements", "A") == first.create.thing_id
    assert first.actions == []  # no end: the row carries no action
    assert second.create.size == 3 and second.create.ended_on == dt.date(2021, 6, 1)
    [(action, command)] = second.actions
    assert action is end_thing and command.ended_on == dt.date(2021, 6, 1)


def test_the_same_ref_gives_the_same_id_and_partners_differ() -> None:
    assert record_id("p01", "units", "U1") == record_id("p01", "units", "U1")
    assert record_id("p01", "units", "U1") != record_id("p02", "units", "U1")
    assert record_id("p01", "units", "U1") != record_id("p01", "placements", "U1")


def test_every_problem_of_a_file_by_row_and_column() -> None:
    _, problems = read(
        ["A", "31/02/2020", "due", "blu", "", "AAABBB11C22D333E", ""],
        ["B", "01/01/1999", "9", "male", "", "", ""],
        ["A", "01/01/2020", "1", "male", "", "AAABBB11C22D333E", ""],
        ["C", "01/01/2020", "1", "male", "", "AAABBB11C22D333E", ""],
        ["D", "01/01/2020", "2", "male", "", "", ""],
    )
    found = {(p.row, p.field, p.code) for p in problems}
    assert found == {
        (2, "started_on", "date"),
        (2, "size", "integer"),
        (2, "sex", "code"),
        (3, "started_on", "date_range"),
        (3, "size", "range"),
        (4, "ref", "duplicate_ref"),
        (5, None, "duplicate_row"),
        (6, None, "invalid"),  # neither identifier nor person_ref
    }
    by_code = {p.code: p for p in problems}
    assert by_code["code"].message("it").startswith("«blu» non è un codice ammesso")
    assert by_code["code"].message("en").startswith("'blu' is not an allowed code")
    assert by_code["date_range"].message("it").endswith("(≥ 01/01/2000)")
    assert by_code["duplicate_row"].message("it") == "Riga uguale alla riga 4"
    identifier = "AAABBB11C22D333E"
    assert not any(identifier in p.message(lang) for p in problems for lang in ("it", "en"))


def test_headers_must_name_columns_and_required_ones_be_there() -> None:
    rows, problems = rows_of(SHEET, [["ref", "colore", "size"], ["A", "x", "1"]])
    assert rows == []
    assert {(p.row, p.field, p.code) for p in problems} == {
        (1, None, "unknown_column"),
        (1, "started_on", "missing_column"),
        (1, "sex", "missing_column"),
    }


def test_csv_in_either_separator_and_encoding_and_xlsx_templates_read_back() -> None:
    italian = "ref;Data di inizio\r\nA;01/02/2020\r\n".encode("cp1252")
    assert read_table(italian) == [["ref", "Data di inizio"], ["A", "01/02/2020"]]
    english = "\ufeffref,started_on\nA,2020-02-01\n\n".encode()
    assert read_table(english) == [["ref", "started_on"], ["A", "2020-02-01"]]
    header = read_table(template_csv(SHEET, "it"))[0]
    assert header[0] == "Riferimento" and "Data di inizio" in header
    book = load_workbook(io.BytesIO(template_xlsx(SHEET, "en")))
    assert [s.title for s in book.worksheets] == ["Housing placements", "Guide", "Codes"]
    assert read_table(template_xlsx(SHEET, "en"))[0][0] == "Reference"
    codes = [r for r in book["Codes"].iter_rows(min_row=2, values_only=True)]
    assert ("Sex", "female", "Female") in codes


@pytest.mark.parametrize("data", [b"", b"\x00\x01binary", b"PK\x03\x04not a workbook", b"\n\n;;\n"])
def test_what_is_not_a_table_is_refused_for_people(data: bytes) -> None:
    with pytest.raises(UnreadableFile):
        read_table(data)

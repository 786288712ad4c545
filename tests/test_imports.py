"""Import from spreadsheets on a real PostgreSQL (the relay off: the events are read in the
outbox): templates, the report of a wrong file, history in any order, a second import that
changes nothing and a corrected file that updates what changed, partners kept apart."""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import AsyncIterator
from typing import Any

import pytest
from franoi_cases.bootstrap import DEFINITION as CASES
from franoi_common.db import CHECK_ONLY
from franoi_common.periods import lock_person
from franoi_housing.adapters.repository import HousingRepository
from franoi_housing.bootstrap import DEFINITION as HOUSING
from franoi_housing.domain.model import Placement
from openpyxl import Workbook, load_workbook

from tests.support import (
    OutboxApi,
    Served,
    auth_header,
    kafka_settings,
    partner_service_settings,
    serving,
)
from tests.test_cases_api import Api as CasesApi
from tests.test_cases_api import cases_settings

PARTNERS = ("p40", "p41", "p42", "p43", "p44", "p45", "p46")
TABLES = ("agreements", "housing_units", "housing_requests", "placements", "outbox", "imports")
ADMIN = "partner_admin"


class Api(OutboxApi):
    DOMAIN = "housing"


Housing = Served[Api]


@pytest.fixture(scope="module")
async def housing(databases: Any) -> AsyncIterator[Housing]:
    url = await databases.create("housing_imports")
    kafka = kafka_settings("127.0.0.1:1", False, create_topics=False)
    settings = partner_service_settings(url, kafka, PARTNERS, relay_enabled=False)
    async with serving(HOUSING, settings, Api, TABLES) as served:
        yield served


def as_csv(rows: list[list[Any]], delimiter: str = ";") -> bytes:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter).writerows(rows)
    return out.getvalue().encode()


UNITS = [
    [
        "Riferimento",
        "Comune (codice catastale)",
        "Posti letto",
        "Canone mensile (€)",
        "tipo di canone",
        "Offerto da",
        "Disponibile dal",
        "withdrawn_on",
    ],
    ["U1", "L219", "2", "400", "agreed", "private_owner", "01/01/2019", ""],
    ["U2", "L219", "3", "0", "free", "Ente pubblico", "2019-01-01", ""],
]


def placements(*rows: list[Any]) -> bytes:
    header = [
        "ref",
        "unit_id",
        "person_identifier",
        "household_size",
        "started_on",
        "ended_on",
        "exit_outcome",
        "sex",
        "age_band",
        "protection_status",
    ]
    return as_csv([header, *rows], ",")


async def upload(
    served: Served[Any], partner: str, sheet: str, body: bytes, **params: Any
) -> tuple[int, dict[str, Any]]:
    answer = await served.service.client.post(
        f"/v1/imports/sheets/{sheet}",
        content=body,
        params=params,
        headers={**auth_header(partner, ADMIN), "Content-Type": "text/csv"},
    )
    return answer.status_code, answer.json()


async def finished(
    served: Served[Any], partner: str, started: dict[str, Any], **params: Any
) -> Any:
    for _ in range(1_200):  # a minute at most
        answer = await served.service.client.get(
            f"/v1/imports/{started['import_id']}",
            params=params,
            headers=auth_header(partner, ADMIN),
        )
        assert answer.status_code == 200, answer.text
        body = answer.json()
        if body["status"] not in ("checking", "importing"):
            return body
        await asyncio.sleep(0.05)
    raise AssertionError("the import did not finish")


async def imported(
    served: Served[Any], partner: str, sheet: str, body: bytes, **params: Any
) -> Any:
    status, started = await upload(served, partner, sheet, body, **params)
    assert status == 202, started
    return await finished(served, partner, started, **params)


async def test_a_template_lists_every_column_with_its_labels_and_codes(housing: Housing) -> None:
    headers = auth_header("p40", ADMIN)
    answer = await housing.service.client.get(
        "/v1/imports/sheets/placements/template", headers=headers
    )
    assert answer.status_code == 200
    book = load_workbook(io.BytesIO(answer.content))
    records, guide, codes = book.worksheets
    header = [c.value for c in records[1]]
    assert header[0] == "Riferimento" and "Data di fine" in header and "Alloggio" in header
    assert guide.max_row == len(header) + 1
    code_rows = {(r[0], r[1]): r[2] for r in codes.iter_rows(min_row=2, values_only=True)}
    assert any(code == "refugee" for _, code in code_rows), code_rows
    english = await housing.service.client.get(
        "/v1/imports/sheets/placements/template",
        params={"lang": "en", "format": "csv"},
        headers=headers,
    )
    assert english.status_code == 200
    first = english.content.decode("utf-8-sig").splitlines()[0].split(",")
    assert first[0] == "Reference" and "End date" in first
    sheets = await housing.service.client.get("/v1/imports/sheets", headers=headers)
    assert [s["name"] for s in sheets.json()] == [
        "agreements",
        "units",
        "housing_requests",
        "placements",
    ]
    worker = await housing.service.client.get(
        "/v1/imports/sheets", headers=auth_header("p40", "social_worker")
    )
    assert worker.status_code == 403  # the coordinator imports, not every worker


async def test_a_wrong_file_is_answered_row_by_row_and_nothing_is_written(
    housing: Housing,
) -> None:
    before = await housing.counts()
    body = as_csv(
        [
            UNITS[0],
            ["U1", "L219", "2", "400", "agreed", "private_owner", "01/01/2019", ""],
            ["U2", "L219", "due", "400", "affitto", "private_owner", "31/02/2019", ""],
            ["U1", "L219", "2", "400", "agreed", "private_owner", "01/01/1990", ""],
            ["U4", "L219", "2", "400", "agreed", "private_owner", "01/01/2019", ""],
        ]
    )
    status, problem = await upload(housing, "p41", "units", body)
    assert status == 422 and problem["code"] == "import_problems"
    found = {
        (e["loc"][1], e["loc"][2] if len(e["loc"]) > 2 else None, e["type"])
        for e in problem["errors"]
    }
    assert ("3", "Posti letto", "integer") in found
    assert ("3", "Tipo di canone", "code") in found
    assert ("3", "Disponibile dal", "date") in found
    assert ("4", "Riferimento", "duplicate_ref") in found
    assert ("4", "Disponibile dal", "date_range") in found
    assert not any(code == "duplicate_row" for *_, code in found)  # two flats alike: two
    messages = " ".join(e["msg"] for e in problem["errors"])
    assert "«affitto» non è un codice ammesso" in messages and "riga 2" in messages
    assert await housing.counts() == before

    unknown = placements(
        ["P1", "NOPE", "AAABBB11C22D333E", "1", "2019-02-01", "", "", "female", "25-34", "refugee"]
    )
    report = await imported(housing, "p41", "placements", unknown, lang="en")
    assert report["status"] == "refused"
    [problem_row] = report["problems"]
    assert problem_row["row"] == 2 and problem_row["code"] == "unknown_reference"
    assert problem_row["column"] == "Housing unit" and "Housing units" in problem_row["message"]
    assert await housing.counts() == {**before, "imports": before["imports"] + 1}


async def test_history_imports_in_any_order_once(housing: Housing) -> None:
    partner = "p42"
    units = await imported(housing, partner, "units", as_csv(UNITS))
    assert units["status"] == "done" and units["tally"]["created"] == 2
    # The 2-bed unit U1 holds a household of 2 from June 2019; the earlier one-person stay
    # of February to April comes second in the file and does not overlap it.
    p1 = [*"P1 U1 AAABBB11C22D333E 1 2019-02-01 2019-04-30 autonomous_rent".split(),
          "female", "25-34", "refugee"]  # fmt: skip
    p2 = ["P2", "U1", "AAABBB11C22D444F", "2", "2019-06-01", "", "", "male", "35-44", "refugee"]
    p3 = [*"P3 U2 AAABBB11C22D555G 1 2019-03-01".split(), "", "", "female", "18-24",
          "subsidiary_protection"]  # fmt: skip
    history = placements(p2, p1, p3)
    first = await imported(housing, partner, "placements", history)
    assert first["status"] == "done", first
    assert first["tally"] == {"created": 3, "updated": 0, "unchanged": 0, "refused": 0}
    assert first["progress"] == 1.0 and first["imported_rows"] == 3
    events = await housing.db.fetchval(
        "SELECT count(*) FROM outbox WHERE partner_id = $1 AND event_type LIKE '%placement%'",
        partner,
    )
    assert events == 4  # three started, one of them ended

    again = await imported(housing, partner, "placements", history)
    assert again["tally"] == {"created": 0, "updated": 0, "unchanged": 3, "refused": 0}
    assert (
        await housing.db.fetchval("SELECT count(*) FROM outbox WHERE partner_id = $1", partner)
        == events + 2
    )  # the units' two events, nothing more

    p2_ended = [*p2[:5], "2020-01-31", "public_housing", *p2[7:]]
    moved = [*p3[:4], "2019-03-02", *p3[5:]]
    before = await housing.counts()
    refused = await imported(housing, partner, "placements", placements(p2_ended, p1, moved))
    assert refused["status"] == "refused"  # a start a file cannot move: nothing written
    [changed] = refused["problems"]
    assert changed["row"] == 4 and changed["code"] == "changed"
    assert "scrivania" in changed["message"]
    assert await housing.counts() == {**before, "imports": before["imports"] + 1}

    fixed = await imported(housing, partner, "placements", placements(p2_ended, p1, p3))
    assert fixed["status"] == "done"
    assert fixed["tally"] == {"created": 0, "updated": 1, "unchanged": 2, "refused": 0}
    ended = await housing.db.fetchrow(
        "SELECT status, ended_on FROM placements WHERE partner_id = $1 AND household_size = 2",
        partner,
    )
    assert ended["status"] == "ended" and str(ended["ended_on"]) == "2020-01-31"


async def test_the_rules_refuse_what_overlaps_and_nothing_of_the_file_is_written(
    housing: Housing,
) -> None:
    partner = "p43"
    await imported(housing, partner, "units", as_csv(UNITS))
    before = await housing.counts()
    clash = placements(
        ["P1", "U1", "AAABBB11C22D333E", "2", "2019-06-01", "", "", "female", "25-34", "refugee"],
        [
            "P2",
            "U1",
            "AAABBB11C22D444F",
            "1",
            "2019-05-01",
            "2019-07-01",
            "unknown",
            "male",
            "35-44",
            "refugee",
        ],
    )
    report = await imported(housing, partner, "placements", clash)
    assert report["status"] == "refused"
    [refused] = report["problems"]
    assert refused["row"] == 3 and refused["code"] == "refused"
    assert "capienza superata" in refused["message"] and "2019-06-01" in refused["message"]
    assert await housing.counts() == {**before, "imports": before["imports"] + 1}


async def test_check_only_writes_nothing_and_partners_are_kept_apart(housing: Housing) -> None:
    before = await housing.counts()
    checked = await imported(housing, "p44", "units", as_csv(UNITS), check_only="true")
    assert checked["status"] == "checked" and checked["checked_rows"] == 2
    assert await housing.counts() == {**before, "imports": before["imports"] + 1}
    other = await housing.service.client.get(
        f"/v1/imports/{checked['import_id']}", headers=auth_header("p45", ADMIN)
    )
    assert other.status_code == 404
    listed = await housing.service.client.get("/v1/imports", headers=auth_header("p45", ADMIN))
    assert listed.json() == []


async def test_an_xlsx_file_imports_like_its_csv(housing: Housing) -> None:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in UNITS:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    answer = await housing.service.client.post(
        "/v1/imports/sheets/units",
        content=out.getvalue(),
        headers={
            **auth_header("p46", ADMIN),
            "Content-Type": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        },
    )
    assert answer.status_code == 202, answer.text
    report = await finished(housing, "p46", answer.json())
    assert report["tally"]["created"] == 2
    garbage = await upload(housing, "p46", "units", b"PK\x03\x04garbage")
    assert garbage[0] == 400 and garbage[1]["code"] == "unreadable_file"


async def test_an_imported_person_gets_the_ref_a_registration_gives(
    housing: Housing, databases: Any
) -> None:
    """A person imported into the register is the person registered through the API with
    the same document, and the same person a housing import names: one journey."""
    kafka = kafka_settings("127.0.0.1:1", False, create_topics=False)
    settings = cases_settings(
        await databases.create("cases_imports"), kafka, ("p40", "p41"), relay_enabled=False
    )
    document = "RSSMRA85T10A562S"
    async with serving(CASES, settings, CasesApi, ("persons", "plans")) as cases:
        persons = as_csv(
            [
                ["Riferimento", "given_names", "family_name", "born_on", "sex", "citizenship",
                 "protection_status", "tax_code", "registered_on"],
                ["S1", "Amina", "Diallo", "12/03/1994", "Donna", "GN", "refugee", document,
                 "02/05/2021"],
            ]
        )  # fmt: skip
        report = await imported(cases, "p40", "persons", persons)
        assert report["status"] == "done" and report["tally"]["created"] == 1, report
        imported_ref = await cases.db.fetchval(
            "SELECT person_ref FROM persons WHERE partner_id = 'p40'"
        )
        registered = await cases.service.client.post(
            "/v1/persons",
            json={"given_names": "Amina", "family_name": "Diallo", "born_on": "1994-03-12",
                  "sex": "female", "citizenship": "GN", "protection_status": "refugee",
                  "tax_code": document},
            headers=auth_header("p41", "social_worker"),
        )  # fmt: skip
        assert registered.status_code == 201, registered.text
        assert registered.json()["person_ref"] == imported_ref is not None
        assert document not in str(report)
    await imported(housing, "p40", "units", as_csv(UNITS))
    placed = placements(
        ["P1", "U1", document, "1", "2021-06-01", "", "", "female", "25-34", "refugee"]
    )
    assert (await imported(housing, "p40", "placements", placed))["tally"]["created"] == 1
    housing_ref = await housing.db.fetchval(
        "SELECT person_ref FROM placements WHERE partner_id = 'p40'"
    )
    assert housing_ref == imported_ref


async def test_a_check_takes_no_lock_per_person(housing: Housing) -> None:
    """A check runs a whole file in one transaction rolled back: a lock per person would
    fill PostgreSQL's lock table on a long file; the import itself takes them."""
    pool = housing.service.wiring.state["services"].pool
    held = "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid()"
    async with pool.acquire() as conn, conn.transaction():
        repository = HousingRepository(conn)
        checking = CHECK_ONLY.set(True)
        try:
            for n in range(50):
                await lock_person(repository, Placement, "p40", f"{n:064x}")
        finally:
            CHECK_ONLY.reset(checking)
        assert await conn.fetchval(held) == 0
        await lock_person(repository, Placement, "p40", f"{1:064x}")
        assert await conn.fetchval(held) == 1

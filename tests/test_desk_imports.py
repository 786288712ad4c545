"""The coordinator imports history at the desk, in a real headless browser (Debian's chromium
driven by Playwright), against the real cases and housing services on PostgreSQL (the other
services are down: the page says so and goes on): the sheets the housing service declares
with their templates, a wrong file's problems by row and column, an accepted file followed
with a progress bar until its tally. A social worker has neither the page nor its link."""

from __future__ import annotations

import contextlib
import io
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pytest
from franoi_cases.bootstrap import DEFINITION as CASES
from franoi_desk.bootstrap import DEFINITION as DESK
from franoi_desk.settings import DeskSettings
from franoi_housing.bootstrap import DEFINITION as HOUSING
from openpyxl import load_workbook
from playwright.async_api import Page, expect

from tests.support import RunningService, kafka_settings, partner_service_settings, running
from tests.test_desk import check_page, sign_in
from tests.test_imports import UNITS, as_csv

PARTNER = "p48"
DOWN = "http://127.0.0.1:1"


HOUSING_DATABASE: dict[str, str] = {}
"""The housing service's database, where a test holds the import back while it looks."""


@pytest.fixture(scope="module")
async def desk(databases: Any) -> AsyncIterator[RunningService]:
    """The partner's desk on its cases and housing services (relays off: nothing here reads
    the events); employment, hosting and events do not answer."""
    kafka = kafka_settings(DOWN.removeprefix("http://"), False, create_topics=False)
    cases, housing = [
        RunningService(
            definition,
            definition.settings_type(
                **partner_service_settings(
                    await databases.create(f"{definition.name}_desk_imports"),
                    kafka,
                    [PARTNER],
                    relay_enabled=False,
                ).model_dump()
            ),
        )
        for definition in (CASES, HOUSING)
    ]
    desk = RunningService(
        DESK,
        DeskSettings(
            env="test",
            partner_id=PARTNER,
            kafka=kafka,
            cases_url=cases.url,
            housing_url=housing.url,
            employment_url=DOWN,
            hosting_url=DOWN,
            events_url=DOWN,
        ),
    )
    HOUSING_DATABASE["url"] = housing.settings.database_url
    async with running(cases, housing, desk):
        yield desk


def many_units(count: int) -> bytes:
    """A file of ``count`` housing units, each its own."""
    return as_csv([UNITS[0], *([f"M{n}", "L219", "2", str(400 + n), "agreed", "private_owner",
                                "01/01/2019", ""] for n in range(count))])  # fmt: skip


@contextlib.asynccontextmanager
async def signed_in(desk: RunningService, name: str, role: str) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the desk, signed in as ``name`` in ``role`` (the development sign-in)."""
    async with httpx.AsyncClient(base_url=desk.url, timeout=30) as client:
        await client.post(
            "/signin",
            data={"csrf": csrf(await client.get("/signin")), "name": name,
                  "partner_id": PARTNER, "role": role},
        )  # fmt: skip
        yield client


def csrf(page: httpx.Response) -> str:
    """The form token of a page (signing in gives the session a new one)."""
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found is not None, page.text[-500:]
    return found.group(1)


async def upload(page: Page, sheet: str, path: Path, *, check_only: bool = False) -> None:
    await page.get_by_label("Foglio").select_option(sheet)
    await page.get_by_label("File (CSV o XLSX)").set_input_files(str(path))
    await page.get_by_label("Solo controllo (non scrive nulla)").set_checked(check_only)
    await page.get_by_role("button", name="Carica").click()


async def test_the_coordinator_imports_units_and_follows_the_progress(
    desk: RunningService, audited: Page, tmp_path: Path
) -> None:
    page = audited
    await sign_in(page, desk, "Paola Neri", PARTNER, role="partner_admin")
    await page.get_by_role("link", name="Importa lo storico").click()
    await expect(page.get_by_role("heading", name="Importa lo storico", exact=True)).to_be_visible()
    sheets = page.locator("[data-sheet]")
    assert await sheets.evaluate_all("items => items.map(i => i.dataset.sheet)") == [
        "cases:persons",
        "cases:plans",
        "housing:agreements",
        "housing:units",
        "housing:housing_requests",
        "housing:placements",
    ]  # each service's order: a plan's person first, a placement's unit before it
    assert await page.get_by_text("Il servizio non risponde").count() == 3  # the services down
    await check_page(page, "imports-it")

    async with page.expect_download() as downloading:
        await page.get_by_role(
            "link", name="modello Excel (XLSX, con guida e codici) Alloggi"
        ).click()
    template = await (await downloading.value).path()
    header = [c.value for c in load_workbook(io.BytesIO(template.read_bytes())).worksheets[0][1]]
    assert header[:3] == ["Riferimento", "Comune (codice catastale)", "Posti letto"]

    wrong = tmp_path / "alloggi-sbagliati.csv"
    wrong.write_bytes(
        as_csv([UNITS[0], UNITS[1], ["U2", "L219", "due", "0", "affitto", "public_body", "", ""]])
    )
    await upload(page, "housing:units", wrong)
    report = page.locator("table.problems tbody tr")
    await expect(report.first).to_be_visible()
    rows = [await r.locator("td").all_inner_texts() for r in await report.all()]
    assert ["3", "Posti letto", "Non è un numero intero"] in rows
    assert any(r[:2] == ["3", "Tipo di canone"] and "affitto" in r[2] for r in rows), rows
    assert await page.get_by_label("Foglio").input_value() == "housing:units"  # kept
    await check_page(page, "imports-problems-it")

    # a long file checked only: the page follows it, polling, without reloading
    long = tmp_path / "molti-alloggi.csv"
    long.write_bytes(many_units(300))
    held = await asyncpg.connect(HOUSING_DATABASE["url"])
    holding = held.transaction()
    await holding.start()  # the check's first unit waits for this lock: the page sees it run
    await held.execute("LOCK TABLE housing_units IN SHARE ROW EXCLUSIVE MODE")
    try:
        await upload(page, "housing:units", long, check_only=True)
        status = page.locator("#import-status")
        await expect(status).to_have_attribute("data-status", "checking")
        await page.evaluate("window.sameDocument = true")
    finally:
        await holding.rollback()
        await held.close()
    await expect(status).to_have_attribute("data-status", "checked", timeout=120_000)
    assert await page.evaluate("window.sameDocument") is True  # htmx swapped, no reload
    assert await page.locator("progress").get_attribute("value") == "1.0"

    await page.get_by_role("link", name="Torna a «Importa lo storico»").click()
    good = tmp_path / "alloggi.csv"
    good.write_bytes(as_csv(UNITS))
    await upload(page, "housing:units", good)
    await expect(status).to_have_attribute("data-status", "done")
    await expect(status.get_by_role("status")).to_have_text("importato")
    await expect(page.locator("[data-tally=created]")).to_have_text("2")
    await expect(page.locator("[data-tally=refused]")).to_have_text("0")
    await check_page(page, "import-done-it")

    await page.get_by_role("link", name="Torna a «Importa lo storico»").click()
    recent = page.locator("section[aria-labelledby=h-recent] tbody tr")
    await expect(recent).to_have_count(2)  # the wrong file never became an import
    assert "importato" in await recent.nth(0).inner_text()
    assert "solo controllo" in await recent.nth(1).inner_text()

    # in English, by keyboard alone: the sheet chosen with the arrow keys, the form sent
    # with Enter; the refused file's problems in English, the sheet kept
    await page.get_by_label("Lingua").select_option("en")
    await page.get_by_role("button", name="OK").click()
    await expect(page.get_by_role("heading", name="Import history", exact=True)).to_be_visible()
    sheet = page.get_by_label("Sheet")
    await sheet.focus()
    while await sheet.input_value() != "housing:units":
        await page.keyboard.press("ArrowDown")
    await page.get_by_label("File (CSV or XLSX)").set_input_files(str(wrong))
    await page.get_by_role("button", name="Upload").focus()
    await page.keyboard.press("Enter")
    report = page.locator("table.problems tbody tr")
    await expect(report.first).to_be_visible()
    rows = [await r.locator("td").all_inner_texts() for r in await report.all()]
    assert ["3", "Beds", "Not a whole number"] in rows, rows
    assert await page.get_by_label("Sheet").input_value() == "housing:units"  # kept
    await check_page(page, "imports-problems-en")


async def test_a_social_worker_has_neither_the_page_nor_its_link(desk: RunningService) -> None:
    async with signed_in(desk, "Luca Verdi", "social_worker") as client:
        home = await client.get("/")
        assert "Luca Verdi" in home.text and 'href="/imports"' not in home.text
        assert (await client.get("/imports")).status_code == 403
        template = await client.get("/imports/housing/sheets/units/template")
        assert template.status_code == 403
        sent = await client.post(
            "/imports",
            data={"csrf": csrf(home), "sheet": "housing:units"},
            files={"file": ("alloggi.csv", as_csv(UNITS), "text/csv")},
        )
        assert sent.status_code == 403


async def test_the_coordinators_wrong_requests_are_answered_4xx(desk: RunningService) -> None:
    async with signed_in(desk, "Paola Neri", "partner_admin") as client:
        page = await client.get("/imports")
        assert page.status_code == 200
        token = csrf(page)
        csv_file = {"file": ("alloggi.csv", as_csv(UNITS), "text/csv")}
        for data, files, status, said in (
            ({"sheet": "housing:units"}, csv_file, 403, None),  # no form token
            ({"csrf": token, "sheet": "nowhere:units"}, csv_file, 422, "Scegli il foglio"),
            ({"csrf": token, "sheet": "housing:units"}, None, 422, "Scegli un file"),
            (
                {"csrf": token, "sheet": "housing:units"},
                {"file": ("x.xlsx", b"PK\x03\x04garbage", "application/octet-stream")},
                400,
                "non si legge",
            ),
            ({"csrf": token, "sheet": "housing:nope"}, csv_file, 404, None),
        ):
            sent = await client.post("/imports", data=data, files=files)
            assert sent.status_code == status, (data, sent.status_code)
            assert said is None or said in sent.text
        for path in (
            "/imports/nowhere/sheets/units/template",
            "/imports/housing/sheets/NOPE/template",
            "/imports/housing/sheets/units/template?format=pdf",
            "/imports/housing/00000000-0000-0000-0000-000000000000",
            "/imports/housing/not-an-id",
        ):
            answer = await client.get(path)
            assert 400 <= answer.status_code < 500, (path, answer.status_code)
        csv_template = await client.get("/imports/housing/sheets/units/template?format=csv")
        assert csv_template.status_code == 200
        assert csv_template.headers["content-type"].startswith("text/csv")
        assert csv_template.content.decode("utf-8-sig").startswith("Riferimento;")


async def test_the_page_speaks_english_on_request(desk: RunningService) -> None:
    async with signed_in(desk, "Paola Neri", "partner_admin") as client:
        page = await client.get("/imports")
        await client.post("/language", data={"csrf": csrf(page), "lang": "en", "next": "/imports"})
        english = await client.get("/imports")
        assert english.status_code == 200
        for said in ("Import history", "Housing units", "Excel template", "Recent imports"):
            assert said in english.text, said
        assert "Importa lo storico" not in english.text

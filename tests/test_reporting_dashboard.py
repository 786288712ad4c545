"""The consortium's «Rendicontazione» on the dashboard, in a real headless browser against a
real projection (PostgreSQL, Kafka): a period defined in the page, every partner's status,
a return with its comment by keyboard alone, approvals up to the last one, which fixes the
period, the fund report downloaded as XLSX and read back, the reopening; the network's
checks run from the page; in Italian and in English; axe-core finds no serious violation."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from franoi_projection.bootstrap import DEFINITION as PROJECTION
from openpyxl import load_workbook
from playwright.async_api import Page, expect

from tests.browser import SCREENSHOTS, tab_to
from tests.support import (
    RunningService,
    eventually,
    kafka_settings,
    projection_settings,
    running,
    token,
)
from tests.test_desk import check_page
from tests.test_reporting import coordinator, publish, quarter_before, requests

TODAY = dt.date.today()
FIRST, LAST = quarter_before(TODAY)
P_A, P_B = "p23", "p24"
PERIOD = "trim-test"
# The dashboard is the consortium analysts' (who may approve and return as well).
ANALYST_TOKEN = token("consortium", "consortium_analyst")
ANALYST = {"Authorization": f"Bearer {ANALYST_TOKEN}"}


@pytest.fixture(scope="module")
async def network(
    databases: Any, kafka_bootstrap: str, kafka_idempotent: bool
) -> AsyncIterator[Any]:
    kafka = kafka_settings(kafka_bootstrap, kafka_idempotent)
    settings = projection_settings(await databases.create("reporting_pages"), kafka, [P_A, P_B])
    service = RunningService(PROJECTION, settings)
    async with running(service):
        yield service, kafka_bootstrap


async def call(
    service: RunningService, method: str, path: str, headers: dict[str, str], **kw: Any
) -> Any:
    response = await service.client.request(method, path, headers=headers, **kw)
    assert response.status_code < 300, f"{method} {path}: {response.text}"
    return response.json() if response.content else None


async def submit(service: RunningService, partner: str) -> None:
    """The partner's coordinator submits; error flags raised by other tests' crafted events
    on the broker's shared topics are explained first."""
    path = f"/v1/reporting/periods/{PERIOD}/partners/{partner}"
    answer = await service.client.post(f"{path}/submission", headers=coordinator(partner), json={})
    if answer.status_code == 409:
        for flag in await call(service, "GET", f"{path}/flags", coordinator(partner)):
            await call(service, "PUT", f"{path}/flags/{flag['flag_key']}/explanation",
                       coordinator(partner), json={"comment": "Da un'altra prova"})  # fmt: skip
        answer = await service.client.post(
            f"{path}/submission", headers=coordinator(partner), json={}
        )
    assert answer.status_code == 200, answer.text


def row(page: Page, partner: str) -> Any:
    return page.locator(f"#period tbody tr:has([data-partner='{partner}'])")


async def test_the_consortium_approves_returns_and_downloads_the_fund_report(
    network: Any, audited: Page, tmp_path: Path
) -> None:
    service, bootstrap = network
    page = audited
    days = [FIRST + dt.timedelta(days=3), FIRST + dt.timedelta(days=40), LAST]
    await publish(bootstrap, requests(P_A, days), requests(P_B, days[:1]))

    # Other tests' events may share the broker's topics: what counts is the API's own sum.
    async def counted() -> Any:
        body = await call(
            service, "GET", "/v1/network/indicators/housing_requests_submitted/table",
            ANALYST, params={"by": "partner", "from": FIRST.strftime("%Y-%m"),
                             "to": LAST.strftime("%Y-%m")},
        )  # fmt: skip
        values = {r["key"]: r["value"] for r in body["rows"]}
        return values if values.get(P_A, 0) >= 3 and values.get(P_B, 0) >= 1 else None

    await eventually(counted, timeout_s=60)
    await page.goto(f"{service.url}/dashboard/#token={ANALYST_TOKEN}")
    await page.goto(f"{service.url}/dashboard/#reporting")
    await expect(page.locator("#view h2").first).to_have_text("Rendicontazione")
    await expect(page.locator("#filters")).to_be_hidden()

    # A period defined in the page (a wrong one first: the API's refusal beside the form).
    form = page.locator("#period-form")
    await form.locator("#period_id").fill(PERIOD)
    await form.locator("#label_it").fill("Trimestre di prova")
    await form.locator("#label_en").fill("Test quarter")
    for name, month in (("first_month", FIRST), ("last_month", LAST)):
        await form.locator(f"#{name}-month").select_option(month.strftime("%m"))
        await form.locator(f"#{name}-year").fill(str(month.year))
        await form.locator(f"#{name}-year").dispatch_event("change")
    await form.locator("#deadline").fill(LAST.isoformat())
    await form.locator("button[type=submit]").click()
    await expect(form.locator(".error")).to_contain_text("Non riuscito")
    deadline = TODAY + dt.timedelta(days=20)
    await form.locator("#deadline").fill(deadline.isoformat())
    await form.locator("button[type=submit]").click()
    await expect(page.locator("#reporting-notice")).to_have_text(
        "Periodo «Trimestre di prova» definito."
    )
    await expect(page.locator(f"#period[data-period='{PERIOD}']")).to_be_visible()
    status = await call(service, "GET", f"/v1/reporting/periods/{PERIOD}", ANALYST)
    partners = [p["partner_id"] for p in status["partners"]]
    await expect(page.locator("#period tbody tr")).to_have_count(len(partners))

    # Every partner submits; the page shows it, colour-coded.
    for p in partners:
        await submit(service, p)
    await page.reload()
    await expect(row(page, P_A).locator(".badge")).to_have_text("Inviato")
    await expect(row(page, P_A).locator(".badge")).to_have_class("badge submitted")
    await page.screenshot(path=SCREENSHOTS / "reporting-dashboard.png", full_page=True)

    # Returned with a comment (required), by keyboard alone; then one approved.
    summary = row(page, P_B).locator("summary")
    await tab_to(page, summary)
    await expect(summary).to_be_focused()
    await page.keyboard.press("Enter")
    comment = row(page, P_B).locator("textarea")
    await page.keyboard.press("Tab")
    await expect(comment).to_be_focused()
    await page.keyboard.press("Tab")
    await expect(row(page, P_B).locator("button[type=submit]")).to_be_focused()
    await page.keyboard.press("Enter")  # no comment: the browser asks for it
    await expect(comment).to_be_focused()
    assert await comment.evaluate("el => !el.validity.valid")
    await page.keyboard.type("Manca il mese di marzo")
    await page.keyboard.press("Tab")
    await page.keyboard.press("Enter")
    await expect(row(page, P_B).locator(".badge")).to_have_text("Restituito")
    await expect(row(page, P_B)).to_contain_text("Manca il mese di marzo")
    await row(page, P_A).locator("button[data-approve]").click()
    await expect(row(page, P_A).locator(".badge")).to_have_text("Approvato")
    await expect(row(page, P_B).locator("button[data-approve]")).to_have_count(0)
    await check_page(page, "statuses", prefix="reporting-dashboard")

    # The others by the API; the last approval in the page fixes the period.
    await submit(service, P_B)
    rest = [p for p in partners if p != P_A]
    for p in rest[:-1]:
        await call(
            service,
            "POST",
            f"/v1/reporting/periods/{PERIOD}/partners/{p}/approval",
            ANALYST,
            json={},
        )
    await page.reload()
    await expect(page.locator("#period .versions")).to_have_count(0)
    await row(page, rest[-1]).locator("button[data-approve]").click()
    await expect(page.locator("#reporting-notice")).to_contain_text(
        "i dati del periodo sono fissati"
    )
    await expect(page.locator("#period .badge.approved").first).to_be_visible()

    async with page.expect_download() as download:
        await page.click("a.download[data-version='1'][data-format='xlsx'][data-lang='it']")
    saved = tmp_path / (await download.value).suggested_filename
    await (await download.value).save_as(saved)
    assert saved.name == f"fund-report_{PERIOD}_v1.xlsx"
    rows = list(load_workbook(saved)["Numeri chiave"].iter_rows(values_only=True))
    report = await call(service, "GET", f"/v1/reporting/periods/{PERIOD}/report", ANALYST)
    (approved,) = [
        r["value"]
        for r in report["key_numbers"]
        if (r["scope"], r["indicator_id"]) == ("network", "housing_requests_submitted")
    ]
    network_row = [r for r in rows if r[0] == "Rete" and r[2] == "housing_requests_submitted"]
    assert approved >= 4 and network_row and network_row[0][4] == approved
    async with page.expect_download() as pdf:
        await page.click("a.download[data-version='1'][data-format='pdf'][data-lang='en']")
    assert (await pdf.value).suggested_filename.endswith(".pdf")
    await page.screenshot(path=SCREENSHOTS / "reporting-dashboard-approved.png", full_page=True)

    # The network's checks, timed; then the reopening (its comment required) makes version 2.
    await page.click("#run-checks")
    await expect(page.locator("#checks-result")).to_contain_text("Controlli eseguiti in")
    await page.fill("#reopen-comment", "Richieste arrivate in ritardo")
    await page.click("#reopen button[type=submit]")
    await expect(page.locator("#reporting-notice")).to_have_text("Periodo riaperto: versione 2.")
    await expect(page.locator("#period-title")).to_contain_text("versione 2")
    await expect(page.locator("#period .versions li")).to_have_count(1)

    # In English: the same page in the other language.
    await page.click("button[data-lang=en]")
    await expect(page.locator("#view h2").first).to_have_text("Reporting")
    await expect(row(page, P_A).locator(".badge")).to_have_text(
        re.compile("Not started|Flags open")
    )
    await check_page(page, "en", prefix="reporting-dashboard")

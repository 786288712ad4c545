"""The coordinator's «Rendicontazione» on the desk, in a real headless browser against the
real partner services and the consortium's projection (PostgreSQL, Kafka): the periods with
their deadlines, a period's flags rule by rule with their records linked to the desk's pages,
a flag explained by keyboard alone, the records behind a figure, the submission refused
while an error flag is open and then accepted. A social worker has no such page; partner
A's coordinator never sees partner B's. In Italian and in English; axe-core finds no
serious violation; screenshots kept."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from franoi_contracts import housing as hs
from playwright.async_api import Page, expect

from tests.browser import tab_to
from tests.support import RunningService, auth_header, eventually
from tests.test_desk import FIRST, SECOND, check_page, desk_network, sign_in
from tests.test_reporting import PERSON, History, publish, ref

TODAY = dt.date.today()
PERIOD, OLD = "periodo-prova", "periodo-vecchio"
START = (TODAY - dt.timedelta(days=150)).replace(day=1)
NEXT_MONTH = (TODAY.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
CONSORTIUM = auth_header("consortium", "partner_admin")


def ago(days: int) -> str:
    return (TODAY - dt.timedelta(days=days)).isoformat()


@pytest.fixture(scope="module")
async def desk(databases: Any, kafka_bootstrap: str, kafka_idempotent: bool) -> AsyncIterator[Any]:
    async with desk_network(databases, kafka_bootstrap, kafka_idempotent, [FIRST, SECOND]) as on:
        yield on, kafka_bootstrap


async def answer(
    client: httpx.AsyncClient, method: str, path: str, status: int = 200, **kw: Any
) -> Any:
    response = await client.request(method, path, **kw)
    assert response.status_code == status, f"{method} {path}: {response.text}"
    return response.json() if response.content else None


async def records_of_first(desk: RunningService, bootstrap: str) -> dict[str, str]:
    """In FIRST's housing service: a request, and a placement whose planned end has passed
    without an exit; on FIRST's topic, a placement that ends before it starts (an error)."""
    housing = httpx.AsyncClient(
        base_url=desk.app.state.settings.housing_url, headers=auth_header(FIRST, "partner_admin")
    )
    async with housing:
        request = await answer(
            housing,
            "POST",
            "/v1/requests",
            201,
            json={
                "person_identifier": "RSSMRA80A01H501U",
                "household_size": 1,
                **PERSON,
                "need": "exit_from_reception",
                "submitted_on": ago(50),
            },
        )
        unit = await answer(
            housing,
            "POST",
            "/v1/units",
            201,
            json={
                "municipality_code": "L219",
                "beds": 4,
                "monthly_rent_eur": 450,
                "rent_regime": "agreed",
                "provider": "private_owner",
                "available_from": ago(140),
            },
        )
        placement = await answer(
            housing,
            "POST",
            "/v1/placements",
            201,
            json={
                "person_identifier": "VRDGPP60B02F205X",
                "household_size": 1,
                **PERSON,
                "unit_id": unit["unit_id"],
                "started_on": ago(100),
                "planned_end_on": ago(30),
            },
        )
    wrong = History(FIRST)
    crafted = uuid.uuid4()
    wrong.add(
        "housing",
        hs.PlacementStarted(
            placement_id=crafted,
            unit_id=uuid.uuid4(),
            request_id=None,
            person_ref=ref("d-end"),
            household_size=1,
            started_on=TODAY - dt.timedelta(days=60),
            planned_end_on=None,
            **PERSON,
        ),
    )
    wrong.add(
        "housing",
        hs.PlacementEnded(
            placement_id=crafted,
            unit_id=uuid.uuid4(),
            ended_on=TODAY - dt.timedelta(days=70),
            exit_outcome="unknown",
        ),
    )
    await publish(bootstrap, wrong)
    return {
        "request": request["request_id"],
        "placement": placement["placement_id"],
        "crafted": str(crafted),
    }


async def test_the_coordinator_explains_sees_the_records_and_submits(
    desk: Any, audited: Page
) -> None:
    on, bootstrap = desk
    projection: RunningService = on.projection
    client = projection.client
    for period, first, last, deadline in (
        (PERIOD, START, TODAY, NEXT_MONTH + dt.timedelta(days=3)),
        (OLD, dt.date(2025, 1, 1), dt.date(2025, 3, 1), dt.date(2025, 4, 30)),
    ):
        await answer(
            client,
            "POST",
            "/v1/reporting/periods",
            201,
            headers=CONSORTIUM,
            json={
                "period_id": period,
                "label_it": f"Periodo {period}",
                "label_en": f"Period {period}",
                "first_month": first.strftime("%Y-%m"),
                "last_month": last.strftime("%Y-%m"),
                "deadline": deadline.isoformat(),
            },
        )
    ids = await records_of_first(on, bootstrap)
    mine = f"/v1/reporting/periods/{PERIOD}/partners/{FIRST}"
    own = auth_header(FIRST, "partner_admin")

    async def flagged() -> set[str] | None:
        await answer(client, "POST", f"{mine}/quality-run", headers=own)
        rules = {f["rule_id"] for f in await answer(client, "GET", f"{mine}/flags", headers=own)}
        figures = await answer(client, "GET", mine, headers=own)
        values = {f["indicator_id"]: f["value"] for f in figures["figures"]}
        wanted = {"end_before_start", "past_planned_end"}
        return rules if rules >= wanted and values["housing_requests_submitted"] >= 1 else None

    await eventually(flagged, timeout_s=90)
    page = audited
    await sign_in(page, on, "Carla Coordinatrice", FIRST, "partner_admin")
    await page.get_by_role("link", name="Rendicontazione").click()
    await expect(page.get_by_role("heading", name="Rendicontazione", exact=True)).to_be_visible()
    await expect(page.locator(f"tr[data-period='{OLD}'] .badge.overdue")).to_have_text("in ritardo")
    await expect(page.locator(f"tr[data-period='{OLD}'] td").first).to_have_text(
        "gennaio 2025 \u2013 marzo 2025"
    )
    await check_page(page, "periods", prefix="reporting-desk")
    await page.get_by_role("link", name=f"Periodo {PERIOD}").click()

    # The checks run again from the page; the flags, rule by rule, with their records.
    await page.click("#run-checks")
    await expect(page.locator(".done")).to_have_text("Controlli eseguiti di nuovo.")
    error_rule = page.locator("section.rule[data-rule='end_before_start']")
    await expect(error_rule.locator("h3")).to_contain_text("Fine prima dell'inizio")
    await expect(error_rule.locator("h3 .badge")).to_have_text("Errore")
    await expect(error_rule.locator("h3 .badge")).to_have_class("badge severity severity-error")
    overdue = page.locator("section.rule[data-rule='past_planned_end']")
    link = overdue.get_by_role("link", name=ids["placement"])
    await expect(link).to_have_attribute("href", f"/records/housing/placements/{ids['placement']}")

    # Submitting is refused while the error flag is open.
    await page.click("#submit")
    await expect(page.locator(".problem")).to_contain_text("Invio rifiutato")
    await expect(page.locator("#own-status")).not_to_have_text("Inviato")
    await check_page(page, "refused", prefix="reporting-desk")

    # The error explained with the keyboard alone.
    box = error_rule.locator("textarea")
    await tab_to(page, box)
    await expect(box).to_be_focused()
    await page.keyboard.type("Uscita registrata con la data sbagliata sul cartaceo")
    await page.keyboard.press("Tab")
    await expect(error_rule.locator("button[type=submit]")).to_be_focused()
    await page.keyboard.press("Enter")
    await expect(page.locator(".done")).to_have_text("Spiegazione salvata.")
    await expect(error_rule.locator(".explained")).to_contain_text("data sbagliata")

    # The records behind a figure, each opening the desk's page of the record.
    figure = page.locator("li[data-indicator='housing_requests_submitted'] details")
    await figure.locator("summary").click()
    request_link = figure.get_by_role("link", name=ids["request"])
    await expect(request_link).to_be_visible()
    await check_page(page, "period", prefix="reporting-desk")
    await request_link.click()
    await expect(page.locator("main code")).to_have_text(ids["request"])
    await page.go_back()
    await page.goto(f"{on.url}/records/housing/placements/{ids['placement']}")
    await expect(page.get_by_role("heading", name="Operazioni su questo record")).to_be_visible()
    await check_page(page, "record", prefix="reporting-desk")

    # Submitted now; in English the same page.
    await page.goto(f"{on.url}/reporting/{PERIOD}")
    await page.click("#submit")
    await expect(page.locator(".done")).to_have_text("Periodo inviato al consorzio.")
    await expect(page.locator("#own-status")).to_have_text("Inviato")
    await expect(page.locator("#submit")).to_have_count(0)
    await page.select_option("#lang", "en")
    await page.locator("form[action='/language'] button").click()
    await expect(page.get_by_role("heading", name=f"Reporting: Period {PERIOD}")).to_be_visible()
    await expect(page.locator("#own-status")).to_have_text("Submitted")
    names = ("January February March April May June July August September October November"
             " December").split()  # fmt: skip
    months = f"{names[START.month - 1]} {START.year} \u2013 {names[TODAY.month - 1]} {TODAY.year}"
    await expect(page.locator("dl.facts dd").nth(1)).to_have_text(months)
    await check_page(page, "period-en", prefix="reporting-desk")
    status = await answer(client, "GET", f"/v1/reporting/periods/{PERIOD}", headers=CONSORTIUM)
    assert {p["partner_id"]: p["status"] for p in status["partners"]}[FIRST] == "submitted"

    # Returned by the consortium: its comment on the page, and the submission offered again.
    await answer(client, "POST", f"{mine}/return", headers=CONSORTIUM,
                 json={"comment": "Manca la visita di ottobre"})  # fmt: skip
    await page.reload()
    await expect(page.locator("#own-status")).to_have_text("Returned")
    await expect(page.locator("#own-comment")).to_have_text("Manca la visita di ottobre")
    await expect(page.locator("#submit")).to_be_visible()

    # Partner B's coordinator sees its own period only: none of A's flags or records.
    await page.context.clear_cookies()
    await sign_in(page, on, "Bruno Coordinatore", SECOND, "partner_admin")
    await page.goto(f"{on.url}/reporting/{PERIOD}")
    text = await page.locator("main").inner_text()
    assert not {ids["placement"], ids["crafted"]} & set(text.split()), text
    await expect(page.locator("section.rule[data-rule='end_before_start']")).to_have_count(0)
    response = await page.goto(f"{on.url}/reporting/{PERIOD}/figures/housing_requests_submitted")
    assert response is not None and response.status == 200
    await expect(page.locator("main")).not_to_contain_text(ids["request"])
    response = await page.goto(f"{on.url}/records/housing/requests/{ids['request']}")
    assert response is not None and response.status == 404

    # A social worker has no reporting: no link, and the page refused.
    await page.context.clear_cookies()
    await sign_in(page, on, "Sara Operatrice", FIRST)
    await expect(page.get_by_role("link", name="Rendicontazione")).to_have_count(0)
    response = await page.goto(f"{on.url}/reporting/{PERIOD}")
    assert response is not None and response.status == 403
    response = await page.goto(f"{on.url}/reporting")
    assert response is not None and response.status == 403

"""The dashboard and the public page in a real headless browser (Debian's chromium driven by
Playwright), against a real projection: real PostgreSQL, real Kafka, the real app.

History is applied through the projection's own handler; the live update goes the whole
way: an event on the partner's Kafka topic, the projection's consumer, the server-sent
event stream, the page's refetch. Screenshots of the main pages are kept under
``artifacts/screenshots/`` (git-ignored) for people to look at.
"""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import random
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer
from franoi_common.envelope import Envelope, encode
from franoi_common.kafka import ensure_topics
from franoi_contracts import housing as ev
from franoi_contracts.base import DomainEvent
from franoi_projection.bootstrap import DEFINITION as PROJECTION
from franoi_projection.projectors.handler import HANDLER
from openpyxl import load_workbook
from playwright.async_api import Browser, Page, expect

from tests.browser import EXPECT_TIMEOUT_MS, SCREENSHOTS, offline
from tests.support import (
    ANALYST,
    RunningService,
    eventually,
    kafka_settings,
    projection_settings,
    running,
    token,
)
from tests.test_network_views import interleave, other_axes

TODAY = dt.date.today()
MONTH = TODAY.strftime("%Y-%m")
FIRST = (TODAY.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
# The dashboard's default period: the last 12 months up to the current one.
PERIOD = {
    "from": f"{TODAY.year - (1 if TODAY.month < 12 else 0)}-{(TODAY.month % 12) + 1:02d}",
    "to": MONTH,
}
BIG, SMALL, LIVE = "p05", "p30", "p30"  # Toscana, Liguria; LIVE gets events through Kafka
PERSON = {"sex": "female", "age_band": "25-34", "protection_status": "refugee"}
SUBMITTED = "housing_requests_submitted"
HOUSED = "housing_persons_housed"


def ref(n: int) -> str:
    return f"{n:064x}"


def envelope(partner: str, event: DomainEvent, domain: str = "housing") -> Envelope:
    return Envelope(
        id=str(uuid.uuid4()),
        source=f"/partners/{partner}/{domain}",
        type=event.TYPE,
        time=dt.datetime.now(dt.UTC),
        subject=event.aggregate_id,
        partnerid=partner,
        data=event.data(),
    )


def months_ago(k: int) -> dt.date:
    """A day ``k`` months before today (today itself for k = 0)."""
    if k == 0:
        return TODAY
    year, month = divmod(TODAY.year * 12 + TODAY.month - 1 - k, 12)
    return dt.date(year, month + 1, 10)


def request(n: int, on: dt.date = TODAY) -> ev.RequestSubmitted:
    return ev.RequestSubmitted(
        request_id=uuid.uuid4(),
        person_ref=ref(n),
        household_size=1,
        need="exit_from_reception",
        submitted_on=on,
        **PERSON,
    )


async def apply(
    service: RunningService, partner: str, *events: DomainEvent, domain: str = "housing"
) -> None:
    """As the projection's consumer applies a Kafka record: the inbox row and the
    projection's handler in one transaction, so reporting completeness sees the events."""
    pool = service.app.state.pool
    topic = f"franoi.{partner}.{domain}.v1"
    for offset, event in enumerate(events):
        env = envelope(partner, event, domain)
        async with pool.acquire() as conn, conn.transaction():
            await conn.execute(
                "INSERT INTO processed_events (source, event_id, event_type, topic,"
                " kafka_partition, kafka_offset, occurred_at) VALUES ($1, $2, $3, $4, 0, $5, $6)",
                env.source,
                env.id,
                env.type,
                topic,
                offset,
                env.time,
            )
            await HANDLER.apply_one(conn, env)


# Requests submitted per month, oldest first (the last is the current month).
MONTHLY_REQUESTS = {BIG: [4, 6, 3, 7, 5, 8], "p06": [2, 3, 5, 4, 6, 3], "p09": [0, 1, 2, 0, 3, 2]}


async def history(service: RunningService) -> None:
    """Six months of housing requests in three regions; in the current month BIG houses 2
    persons (a count the public page must suppress) and SMALL receives 3 requests; BIG
    also works on every other axis."""
    people = iter(range(10_000))
    this_month: dict[str, list[ev.RequestSubmitted]] = {}
    for partner, counts in MONTHLY_REQUESTS.items():
        events: list[DomainEvent] = []
        for k, count in zip(range(len(counts) - 1, -1, -1), counts, strict=True):
            day = months_ago(k)
            submitted = [request(next(people), day) for _ in range(count)]
            events += submitted
            if k == 0:
                this_month[partner] = submitted
            else:  # older requests were closed: no unit for half of them
                events += [
                    ev.RequestUnsatisfied(
                        request_id=r.request_id, closed_on=day, reason="no_unit_available"
                    )
                    for r in submitted[::2]
                ]
        await apply(service, partner, *events)
    current = this_month[BIG][:2]
    unit = uuid.uuid4()
    placements = [uuid.uuid4(), uuid.uuid4()]
    await apply(
        service,
        BIG,
        ev.UnitRegistered(
            unit_id=unit,
            municipality_code="D612",
            beds=6,
            monthly_rent_eur=420,
            rent_regime="agreed",
            provider="private_owner",
            available_from=FIRST,
        ),
        *[
            ev.PlacementStarted(
                placement_id=placements[i],
                unit_id=unit,
                request_id=current[i].request_id,
                person_ref=current[i].person_ref,
                household_size=1,
                started_on=TODAY,
                **PERSON,
            )
            for i in range(2)
        ],
        *[
            ev.RequestSatisfied(
                request_id=current[i].request_id, closed_on=TODAY, placement_id=placements[i]
            )
            for i in range(2)
        ],
    )
    await apply(service, SMALL, *[request(next(people)) for _ in range(3)])
    # The other axes: the generated history the network views' own tests count exactly.
    rng = random.Random(13)
    for domain, aggregates in other_axes(rng).items():
        await apply(service, BIG, *interleave(rng, aggregates), domain=domain)


@pytest.fixture(scope="module")
async def network(databases, kafka_bootstrap, kafka_idempotent) -> AsyncIterator[Any]:
    kafka = kafka_settings(kafka_bootstrap, kafka_idempotent)
    # The live partner's topic exists before the consumer subscribes, so it is assigned at once.
    await ensure_topics(kafka, [f"franoi.{LIVE}.housing.v1"])
    settings = projection_settings(await databases.create("dashboard"), kafka, [LIVE])
    service = RunningService(PROJECTION, settings)
    async with running(service):
        await history(service)
        yield service, kafka_bootstrap


ANALYST_TOKEN = token("consortium", "consortium_analyst")


async def api(service: RunningService, path: str, **params: str) -> Any:
    response = await service.client.get(path, params=params, headers=ANALYST)
    assert response.status_code == 200, response.text
    return response.json()


async def key_numbers(service: RunningService, **params: str) -> dict[str, dict[str, Any]]:
    body = await api(service, "/v1/network/key-numbers", **PERIOD, **params)
    return {row["indicator_id"]: row for row in body["rows"]}


def card(page: Page, indicator: str) -> Any:
    return page.locator(f'#view .kpi[data-indicator="{indicator}"]')


async def open_dashboard(page: Page, service: RunningService, view: str = "") -> None:
    await page.goto(f"{service.url}/dashboard/#token={ANALYST_TOKEN}")
    await expect(page.locator("#view .kpi").first).to_be_visible()
    if view:
        await page.goto(f"{service.url}/dashboard/#{view}")


async def test_dashboard_shows_the_numbers_the_api_returns(network, page: Page) -> None:
    service, _ = network
    await open_dashboard(page, service)
    # The token left the address bar and stays for this tab only.
    assert "token" not in page.url
    assert await page.evaluate("sessionStorage.getItem('franoi.token')") == ANALYST_TOKEN
    expected = await key_numbers(service, lang="it")
    assert expected[SUBMITTED]["value"] >= 11 and expected[HOUSED]["value"] == 2
    cards = page.locator("#view .kpi")
    await expect(cards).to_have_count(len(expected))
    for indicator, row in expected.items():
        await expect(card(page, indicator).locator(".kpi-value")).to_have_text(row["display"])
        await expect(card(page, indicator).locator(".kpi-label")).to_have_text(row["label"])
    # The table says the same, with headers.
    table = page.locator("#view table").first
    await expect(table.locator("thead th")).to_have_text(["Indicatore", "Asse", "Valore"])
    await expect(table.locator("tbody tr")).to_have_count(len(expected))
    await expect(page.locator("h1")).to_have_text("Cruscotto della rete Fra Noi")
    await page.screenshot(path=SCREENSHOTS / "dashboard-it.png", full_page=True)


async def test_filters_change_the_numbers(network, page: Page) -> None:
    service, _ = network
    await open_dashboard(page, service)
    network_rows = await key_numbers(service, lang="it")
    await page.select_option("#f-region", "Liguria")
    await page.select_option("#f-partner", SMALL)
    small = await key_numbers(service, lang="it", region="Liguria", partner_id=SMALL)
    assert small[SUBMITTED]["display"] != network_rows[SUBMITTED]["display"]
    for indicator, row in small.items():
        await expect(card(page, indicator).locator(".kpi-value")).to_have_text(row["display"])
    await expect(page.locator("#scope")).to_contain_text("Partner 30")
    # Only the chosen region's partners are offered.
    partners = await page.locator("#f-partner option").all_inner_texts()
    assert any(SMALL in text for text in partners) and not any(BIG in text for text in partners)
    # A period with nothing recorded: every count is 0.
    await page.select_option("#f-partner", "")
    await page.select_option("#f-region", "")
    await page.select_option("#f-from-month", "01")
    await page.fill("#f-from-year", "2001")
    await page.locator("#f-from-year").dispatch_event("change")
    await page.select_option("#f-to-month", "03")
    await page.fill("#f-to-year", "2001")
    await page.locator("#f-to-year").dispatch_event("change")
    assert await page.locator("#f-from").input_value() == "2001-01"
    await expect(card(page, SUBMITTED).locator(".kpi-value")).to_have_text("0")
    await page.click("button[type=reset]")
    await expect(card(page, SUBMITTED).locator(".kpi-value")).to_have_text(
        network_rows[SUBMITTED]["display"]
    )


async def test_language_switch_and_its_memory(network, page: Page) -> None:
    service, _ = network
    await open_dashboard(page, service)
    await page.click("button[data-lang=en]")
    await expect(page.locator("h1")).to_have_text("Fra Noi network dashboard")
    assert await page.evaluate("document.documentElement.lang") == "en"
    english = await key_numbers(service, lang="en")
    for indicator, row in english.items():
        await expect(card(page, indicator).locator(".kpi-label")).to_have_text(row["label"])
    await expect(page.locator("label[for=f-region]")).to_have_text("Region")
    await expect(page.locator("button[data-lang=en]")).to_have_attribute("aria-pressed", "true")
    # The month fields speak the page's language, whatever the browser's locale.
    await expect(page.locator("#f-from-month option[value='03']")).to_have_text("March")
    await expect(page.locator("label[for=f-from-year]")).to_have_text("Year")
    # Remembered: a reload keeps English (and the token, in this tab).
    await page.reload()
    await expect(page.locator("h1")).to_have_text("Fra Noi network dashboard")
    await expect(card(page, SUBMITTED).locator(".kpi-label")).to_have_text(
        english[SUBMITTED]["label"]
    )
    await page.screenshot(path=SCREENSHOTS / "dashboard-en.png", full_page=True)
    await page.click("button[data-lang=it]")
    await expect(page.locator("h1")).to_have_text("Cruscotto della rete Fra Noi")
    await expect(page.locator("#f-from-month option[value='03']")).to_have_text("marzo")
    await expect(page.locator("label[for=f-from-year]")).to_have_text("Anno")


async def test_every_page_draws_with_text_alternatives(network, page: Page) -> None:
    service, _ = network
    await open_dashboard(page, service)
    indicators = await api(service, "/v1/network/indicators")
    by_month = await api(service, f"/v1/network/indicators/{SUBMITTED}/table", by="month", **PERIOD)
    await page.goto(f"{service.url}/dashboard/#trends")
    await page.select_option("#trend-indicator", SUBMITTED)
    chart = page.locator('#view section[data-indicator="housing_requests_submitted"] svg')
    await expect(chart).to_have_attribute("role", "img")
    description = await chart.locator("desc").text_content()
    assert description is not None and by_month["total"]["display"] != ""
    for row in by_month["rows"]:
        assert row["display"] in description
    await expect(page.locator("#view tfoot td").last).to_have_text(by_month["total"]["display"])
    # A stock is not summed over the months: its last line is the value at the period's end.
    stock = next(i for i in indicators if i.get("stock") and "month" in i["disaggregations"])
    stock_table = await api(
        service, f"/v1/network/indicators/{stock['id']}/table", by="month", **PERIOD
    )
    await page.select_option("#trend-indicator", stock["id"])
    await expect(page.locator("#view tfoot th")).to_have_text("A fine periodo")
    await expect(page.locator("#view tfoot td").last).to_have_text(stock_table["total"]["display"])
    await page.goto(f"{service.url}/dashboard/#compare")
    await page.select_option("#compare-indicator", SUBMITTED)
    await expect(page.locator("#view svg[role=img]")).to_have_count(2)
    await page.screenshot(path=SCREENSHOTS / "dashboard-compare.png", full_page=True)
    await page.goto(f"{service.url}/dashboard/#axis-housing")
    housing = [i for i in indicators if i["axis"] == "housing"]
    await expect(page.locator("#view section.indicator")).to_have_count(len(housing))
    await page.screenshot(path=SCREENSHOTS / "dashboard-housing.png", full_page=True)
    # Broken down by sex: each indicator's table follows (first one checked against the API).
    await page.select_option("#axis-by-housing", "sex")
    first = housing[0]
    by_sex = await api(service, f"/v1/network/indicators/{first['id']}/table", by="sex", **PERIOD)
    block = page.locator(f'#view section.indicator[data-indicator="{first["id"]}"]')
    await expect(block.locator("tbody tr")).to_have_count(len(by_sex["rows"]))
    await expect(block.locator("tbody td")).to_have_text([r["display"] for r in by_sex["rows"]])
    await page.goto(f"{service.url}/dashboard/#completeness")
    completeness = await api(service, "/v1/network/completeness", **PERIOD)
    await expect(page.locator("#view table tbody tr")).to_have_count(len(completeness["partners"]))
    silent = [
        p
        for p in completeness["partners"]
        if any(c["month"] == MONTH and not c["recorded"] for c in p["cells"])
    ]
    await expect(page.locator("#view .silent-list li")).to_have_count(len(silent))
    # BIG recorded on all its axes this month; SMALL on housing, not on cases.
    await expect(page.locator(f'#view .silent-list li[data-partner="{BIG}"]')).to_have_count(0)
    small = page.locator(f'#view .silent-list li[data-partner="{SMALL}"]')
    await expect(small).to_contain_text("Progetti individuali")
    await expect(small).not_to_contain_text("Casa")
    await page.screenshot(path=SCREENSHOTS / "dashboard-completeness.png", full_page=True)


CONTRASTS = """() => {
  const rgb = (c) => c.match(/[\\d.]+/g).map(Number);
  const lum = ([r, g, b]) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const background = (el) => {
    for (; el; el = el.parentElement) {
      const c = rgb(getComputedStyle(el).backgroundColor);
      if (c.length < 4 || c[3] > 0) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  const selectors = ["h1", ".subtitle", "#live", "#nav a", "label", "select", ".scope", "h2",
    ".intro", ".kpi-group h3", ".kpi-value", ".kpi-label", "th", "td", "caption", ".download",
    "button[type=reset]", ".lang button"];
  const result = {};
  for (const selector of selectors) {
    for (const el of document.querySelectorAll(selector)) {
      if (!el.offsetParent && getComputedStyle(el).position !== "fixed") continue;
      const a = lum(rgb(getComputedStyle(el).color)), b = lum(background(el));
      const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
      result[selector] = Math.min(result[selector] ?? 99, Math.round(ratio * 100) / 100);
    }
  }
  return result;
}"""


async def test_outcomes_page_shows_the_journeys_summary(network, page: Page) -> None:
    """Journeys and outcomes: the figures of the summary API, the persons by axes touched
    and one block per outcome indicator; in Italian, then in English."""
    service, _ = network
    await open_dashboard(page, service, "outcomes")
    summary = await api(service, "/v1/network/journeys/summary", **PERIOD)
    indicators = await api(service, "/v1/network/indicators")
    outcomes = [i for i in indicators if i["axis"] == "journeys"]
    assert summary["persons"] > 0 and len(outcomes) >= 9
    await expect(page.locator("#outcomes-persons .kpi-value")).to_have_text(
        f"{summary['persons']:,}".replace(",", ".")
    )
    median = summary["time_to_first_hire"]["median_days"]
    await expect(page.locator("#outcomes-median .kpi-value")).to_have_text(
        "-" if median is None else f"{round(median)} giorni"
    )
    rows = page.locator('#view section[data-summary="axes"] tbody tr')
    await expect(rows).to_have_count(len(summary["by_axes"]))
    await expect(page.locator('#view section[data-summary="axes"] svg[role=img]')).to_have_count(1)
    await expect(page.locator("#view section.indicator")).to_have_count(len(outcomes))
    await page.screenshot(path=SCREENSHOTS / "dashboard-outcomes.png", full_page=True)
    await page.click(".lang button[lang=en]")
    await expect(page.locator("#view h2")).to_have_text("Journeys and outcomes")
    await page.screenshot(path=SCREENSHOTS / "dashboard-outcomes-en.png", full_page=True)


async def test_keyboard_reaches_everything_with_visible_focus(network, page: Page) -> None:
    service, _ = network
    await open_dashboard(page, service)
    await page.keyboard.press("Tab")
    skip = page.locator(".skip")
    await expect(skip).to_be_focused()
    outline = await skip.evaluate("el => getComputedStyle(el).outlineStyle")
    assert outline != "none"
    # Text stands out from its background (WCAG AA: 4.5:1).
    contrasts = await page.evaluate(CONTRASTS)
    low = {selector: ratio for selector, ratio in contrasts.items() if ratio < 4.5}
    assert len(contrasts) >= 10 and not low, contrasts
    # Every control has a label.
    unlabelled = await page.evaluate(
        """() => [...document.querySelectorAll('input:not([type=hidden]), select')]
             .filter(el => !el.labels || el.labels.length === 0).map(el => el.id)"""
    )
    assert unlabelled == []
    # Tab to the navigation and open a section with the keyboard alone.
    link = page.locator("#nav a[href='#completeness']")
    # Bounded, with room for a live refresh that redraws the view (and so puts the focus
    # back at the start) while the keys are pressed: seen once on a loaded machine.
    for _attempt in range(3):  # a redraw between the Tab and the Enter: Tab there again
        for _ in range(60):
            await page.keyboard.press("Tab")
            if await link.evaluate("el => el === document.activeElement"):
                break
        await expect(link).to_be_focused()
        await page.keyboard.press("Enter")
        if await link.get_attribute("aria-current") == "page":
            break
        await page.wait_for_timeout(500)
    await expect(link).to_have_attribute("aria-current", "page")
    await expect(page.locator("#view h2")).to_have_text("Completezza dei dati")


async def test_downloads_arrive_and_parse(network, page: Page, tmp_path: Path) -> None:
    service, _ = network
    await open_dashboard(page, service)
    expected = await key_numbers(service, lang="it")
    async with page.expect_download() as csv_download:
        await page.click("#view a.download[data-format=csv]")
    saved = tmp_path / (await csv_download.value).suggested_filename
    await (await csv_download.value).save_as(saved)
    assert saved.suffix == ".csv"
    text = saved.read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), csv.Sniffer().sniff(text.splitlines()[0])))
    cells = {cell for row in rows for cell in row}
    assert expected[SUBMITTED]["label"] in cells
    assert str(expected[SUBMITTED]["value"]) in cells
    async with page.expect_download() as xlsx_download:
        await page.click("#view a.download[data-format=xlsx]")
    saved = tmp_path / (await xlsx_download.value).suggested_filename
    await (await xlsx_download.value).save_as(saved)
    assert saved.suffix == ".xlsx"
    sheet = load_workbook(saved).active
    assert sheet is not None
    values = [cell for row in sheet.iter_rows(values_only=True) for cell in row]
    assert expected[SUBMITTED]["label"] in values
    assert expected[SUBMITTED]["value"] in values  # a number, not text


async def test_login_asks_for_a_token_and_refuses_a_bad_one(network, page: Page) -> None:
    service, _ = network
    await page.goto(f"{service.url}/dashboard/")
    await expect(page.locator("#login")).to_be_visible()
    await expect(page.locator("#app")).to_be_hidden()
    partner_token = token(SMALL, "social_worker")
    await page.fill("#token", partner_token)
    await page.click("#login-form button[type=submit]")
    await expect(page.locator("#login-error")).to_have_text(
        "Token non valido, scaduto o senza i permessi necessari."
    )
    await page.fill("#token", ANALYST_TOKEN)
    await page.click("#login-form button[type=submit]")
    await expect(card(page, SUBMITTED)).to_be_visible()
    await page.click("#logout")
    await expect(page.locator("#login")).to_be_visible()
    assert await page.evaluate("sessionStorage.getItem('franoi.token')") is None


async def test_public_page_shows_suppressed_numbers_without_a_token(
    network, browser: Browser
) -> None:
    service, _ = network
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    remote = await offline(context)
    page = await context.new_page()
    page.set_default_timeout(EXPECT_TIMEOUT_MS)
    requests_made: list[dict[str, str]] = []
    page.on("request", lambda r: requests_made.append(r.headers))
    try:
        await page.goto(f"{service.url}/public/")
        response = await service.client.get("/public/v1/key-numbers", params={"lang": "it"})
        assert response.status_code == 200, response.text
        public = {row["indicator_id"]: row for row in response.json()["rows"]}
        assert public[HOUSED]["display"] == "<5" and public[HOUSED]["value"] is None
        for indicator, row in public.items():
            locator = page.locator(f'.kpi[data-indicator="{indicator}"] .kpi-value')
            await expect(locator).to_have_text(row["display"])
        await expect(page.locator(f'.kpi[data-indicator="{HOUSED}"] .kpi-value')).to_have_text("<5")
        await expect(page.locator("h1")).to_have_text("I numeri della rete Fra Noi")
        assert not any("authorization" in headers for headers in requests_made)
        await page.screenshot(path=SCREENSHOTS / "public-it.png", full_page=True)
        await page.click("button[data-lang=en]")
        await expect(page.locator("h1")).to_have_text("The Fra Noi network in numbers")
        english = await service.client.get("/public/v1/key-numbers", params={"lang": "en"})
        for indicator, row in ((r["indicator_id"], r) for r in english.json()["rows"]):
            label = page.locator(f'.kpi[data-indicator="{indicator}"] .kpi-label')
            await expect(label).to_have_text(row["label"])
        await page.select_option("#p-region", "Toscana")
        toscana = await service.client.get(
            "/public/v1/key-numbers", params={"lang": "en", "region": "Toscana"}
        )
        rows = {r["indicator_id"]: r for r in toscana.json()["rows"]}
        await expect(page.locator(f'.kpi[data-indicator="{SUBMITTED}"] .kpi-value')).to_have_text(
            rows[SUBMITTED]["display"]
        )
        await page.screenshot(path=SCREENSHOTS / "public-en.png", full_page=True)
    finally:
        await context.close()
    assert not remote, remote


async def _caught_up(service: RunningService) -> Any:
    """The consumer holds its partitions and has stopped replaying older runs' events."""
    first = await api(service, "/v1/consumer/status")
    if not first["assigned_partitions"]:
        return None
    await asyncio.sleep(1.0)
    second = await api(service, "/v1/consumer/status")
    return second["events_processed"] == first["events_processed"]


async def test_a_new_event_appears_without_a_reload(network, page: Page) -> None:
    service, bootstrap = network
    await eventually(lambda: _caught_up(service), timeout_s=60)
    await open_dashboard(page, service)
    before = await key_numbers(service, lang="it")
    await expect(card(page, SUBMITTED).locator(".kpi-value")).to_have_text(
        before[SUBMITTED]["display"]
    )
    await page.evaluate("window.__sameDocument = true")
    event = request(999)
    headers, value = encode(envelope(LIVE, event))
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all")
    await producer.start()
    try:
        await producer.send_and_wait(
            f"franoi.{LIVE}.housing.v1",
            value=value,
            key=event.aggregate_id.encode(),
            headers=headers,
        )
    finally:
        await producer.stop()

    async def counted() -> Any:
        rows = await key_numbers(service, lang="it")
        return rows if rows[SUBMITTED]["value"] == before[SUBMITTED]["value"] + 1 else None

    after = await eventually(counted, timeout_s=60)
    await expect(card(page, SUBMITTED).locator(".kpi-value")).to_have_text(
        after[SUBMITTED]["display"]
    )
    assert await page.evaluate("window.__sameDocument === true")
    await expect(page.locator("#live")).to_contain_text("Aggiornato alle")


STATIC = Path(__file__).resolve().parent.parent / (
    "services/projection/src/franoi_projection/web/static"
)


async def test_pages_are_local_files_outside_the_api_document(network) -> None:
    service, _ = network
    # No asset names another host (the SVG namespace is a name, not a download).
    for path in STATIC.iterdir():
        text = path.read_text(encoding="utf-8").replace("http://www.w3.org/2000/svg", "")
        assert "http://" not in text and "https://" not in text and "//cdn" not in text, path
    redirect = await service.client.get("/dashboard", follow_redirects=False)
    assert redirect.status_code == 308 and redirect.headers["location"] == "/dashboard/"
    page = await service.client.get("/public/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "default-src 'self'" in page.headers["content-security-policy"]
    script = await service.client.get("/dashboard/assets/dashboard.js")
    assert script.status_code == 200
    assert script.headers["content-type"].startswith("text/javascript")
    for missing in ("/dashboard/assets/nothing.js", "/dashboard/assets/..%2Fbootstrap.py",
                    "/public/assets/__init__.py", "/dashboard/assets/dashboard.html"):  # fmt: skip
        response = await service.client.get(missing)
        assert response.status_code == 404, missing
    regions = await service.client.get("/public/assets/regions.json")
    assert regions.status_code == 200 and "Toscana" in regions.json()
    assert len(regions.json()) == len(set(regions.json())) == 10
    document = (await service.client.get("/openapi.json")).json()
    pages = [p for p in document["paths"] if p.startswith(("/dashboard", "/public/assets"))]
    assert "/public/v1/key-numbers" in document["paths"] and pages == []

"""The desk with the connection down, in a real headless browser (Debian's chromium through
Playwright) against the real services, PostgreSQL and Apache Kafka: entries recorded
offline wait in the browser's outbox, survive a reload and arrive exactly once, in order,
when the connection returns (the projection counts each once); a desk answering 503 is
retried with backoff; a refused entry stays with its reason until corrected; a change made
on a record someone else changed meanwhile is a conflict the worker resolves field by
field. Screenshots in Italian and English."""

from __future__ import annotations

import datetime as dt
import itertools
import os
import re
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from playwright.async_api import (
    Browser,
    Dialog,
    Locator,
    Page,
    Route,
    async_playwright,
    expect,
)

from tests.browser import CHROMIUM_ARGS, watched_page
from tests.support import ANALYST, RunningService, auth_header, eventually
from tests.test_desk import (
    NGOZI,
    check_page,
    desk_network,
    fill_register,
    held,
    key_numbers,
    register,
    sign_in,
    submit,
)

FIRST, SECOND = "p26", "p27"
TODAY = dt.date.today()
SYNCED_S = 30
QUEUED = "Registrato su questo dispositivo"


@pytest.fixture(scope="module")
async def desk(
    databases: Any, kafka_bootstrap: str, kafka_idempotent: bool
) -> AsyncIterator[RunningService]:
    async with desk_network(databases, kafka_bootstrap, kafka_idempotent, [FIRST, SECOND]) as on:
        yield on


@pytest.fixture(scope="module")
async def browser(chromium: str) -> AsyncIterator[Browser]:
    """Chromium, with the service worker's requests visible to Playwright's routes (so that
    a test can make the desk unreachable for them too)."""
    os.environ["PW_EXPERIMENTAL_SERVICE_WORKER_NETWORK_EVENTS"] = "1"
    try:
        async with async_playwright() as playwright:
            launched = await playwright.chromium.launch(
                executable_path=chromium, args=CHROMIUM_ARGS
            )
            try:
                yield launched
            finally:
                await launched.close()
    finally:
        del os.environ["PW_EXPERIMENTAL_SERVICE_WORKER_NETWORK_EVENTS"]


@pytest.fixture
async def audited(browser: Browser) -> AsyncIterator[Page]:
    async with watched_page(browser, bypass_csp=True) as opened:
        yield opened


async def signed_in(page: Page, desk: RunningService, name: str, partner: str) -> None:
    """Signed in, and the desk's service worker controls the page (the shell and the forms
    are kept on the device)."""
    await sign_in(page, desk, name, partner)
    await page.wait_for_function("navigator.serviceWorker && navigator.serviceWorker.controller")


async def entries(page: Page) -> list[dict[str, Any]]:
    """The outbox of this browser, in the order its entries were recorded."""
    found: list[dict[str, Any]] = await page.evaluate("FranoiStore.all()")
    return found


def person(name: str, family: str, tax_code: str, born_on: str = "1991-05-05") -> dict[str, str]:
    return {
        **NGOZI,
        "given_names": name,
        "family_name": family,
        "tax_code": tax_code,
        "born_on": born_on,
    }


async def persons_named(desk: RunningService, partner: str, family_name: str) -> list[Any]:
    """The register's records of that family name (asked of the register itself)."""
    settings: Any = desk.settings
    async with httpx.AsyncClient(base_url=settings.cases_url) as register:
        found = await register.post(
            "/v1/persons/search",
            json={"name": family_name, "limit": 50},
            headers=auth_header(partner),
        )
    return [p for p in found.json()["items"] if p["family_name"] == family_name]


async def persons_registered(desk: RunningService, partner: str) -> Any:
    """How many persons the network view counts as registered by ``partner`` this month."""
    projection: RunningService = desk.projection  # type: ignore[attr-defined]
    month = TODAY.strftime("%Y-%m")
    answer = await projection.client.get(
        "/v1/network/indicators/cases_persons_registered/table",
        params={"partner_id": partner, "from": month, "to": month},
        headers=ANALYST,
    )
    return answer.json()["total"]["value"]


async def test_entries_recorded_offline_arrive_once_in_order_after_a_reload(
    desk: RunningService, audited: Page
) -> None:
    page = audited
    await signed_in(page, desk, "Giulia Rossi", SECOND)

    # online: a person followed already, kept available offline; an event to be held
    await register(page, desk, **person("Amina", "Yusuf", "YSFMNA91E45Z343K"))
    await expect(page.get_by_role("heading", name="Yusuf Amina")).to_be_visible()
    amina = page.url.split("?")[0]
    await page.get_by_role("button", name="Rendi disponibile offline").click()
    await expect(page.get_by_text("Disponibile offline su questo dispositivo")).to_be_visible()
    await check_page(page, "person-offline-it")
    await page.goto(desk.url + "/record")
    await page.get_by_role("link", name="Programma un evento", exact=True).click()
    event = {"Durata (minuti)": "90", "Tipo": "Evento pubblico", "Inizia il": TODAY.isoformat(),
             "Titolo": "Festa del quartiere", "Comune (codice catastale)": "L219"}  # fmt: skip
    await submit(page, event)
    await page.get_by_role("link", name="Registra lo svolgimento e le presenze").click()
    hold_form = page.url  # the form, opened once online: kept (it holds no personal data)

    # offline: register a person, a housing request for Amina, the event's attendance
    await page.context.set_offline(True)
    await page.goto(desk.url + "/persons/new")
    bilal = person("Bilal", "Haddad", "HDDBLL93A01Z330X", "1993-01-01")
    await fill_register(page, bilal, twice=True)  # a double save: still one entry
    await expect(page.get_by_role("status")).to_contain_text(QUEUED)
    await page.goto(amina)
    await page.get_by_role("main").get_by_role("link", name="Registra un'attività").click()
    await page.get_by_role("link", name="Registra una richiesta di alloggio", exact=True).click()
    request = {"Componenti del nucleo familiare": "2", "Bisogno": "Uscita dall'accoglienza",
               "Data della richiesta": TODAY.isoformat()}  # fmt: skip
    await submit(page, request, QUEUED)
    await page.goto(hold_form)
    await submit(page, held(participants=20, beneficiaries=11, volunteers=3), QUEUED)

    # the device keeps the shell, the forms without personal data and Amina's pages only
    kept = await page.evaluate(
        "caches.keys().then(async (names) => (await Promise.all(names.map("
        "async (n) => (await caches.open(n)).keys()))).flat().map((r) => r.url))"
    )
    amina_id = amina.rsplit("/", 1)[1]
    for url in kept:
        path = url.removeprefix(desk.url)
        shell = path.startswith(("/static/", "/outbox", "/persons/new", "/record/events/"))
        assert shell or path == "/record" or amina_id in path, path
    assert desk.url + "/" not in kept

    # a page not kept on the device says so (the home page lists persons: never kept)
    await page.goto(desk.url + "/")
    await expect(
        page.get_by_text("Questa pagina non è disponibile senza connessione")
    ).to_be_visible()

    # a reload keeps them, waiting; the header says how many
    await page.goto(desk.url + "/outbox")
    await page.reload()
    waiting = page.locator("[data-state=waiting]")
    await expect(waiting).to_have_count(3)
    await expect(page.locator("[data-outbox-count]")).to_have_text("Da inviare: 3")
    await check_page(page, "outbox-offline-it")
    queued = [e["id"] for e in await entries(page)]

    # back online: sent by themselves, one at a time, in order, never waiting for a reload
    sent_ids: list[str] = []
    page.on(
        "request",
        lambda r: r.headers.get("x-desk-outbox") and sent_ids.append(r.headers["x-desk-outbox"]),
    )
    await page.evaluate("window.notReloaded = true")
    await page.context.set_offline(False)
    await expect(page.locator("[data-state=sent]")).to_have_count(3, timeout=SYNCED_S * 1000)
    assert await page.evaluate("window.notReloaded === true")
    await expect(page.locator("[data-outbox-count]")).to_have_text("Da inviare: 0")
    await check_page(page, "outbox-sent-it")
    assert sent_ids == queued, (sent_ids, queued)  # each once, in the order recorded
    delivered = await entries(page)
    assert [e["sentAt"] for e in delivered] == sorted(e["sentAt"] for e in delivered)
    assert all(e["fields"] == [] for e in delivered)  # nothing personal left behind

    assert len(await persons_named(desk, SECOND, "Haddad")) == 1
    expected = {"housing_requests_submitted": 1, "events_held": 1, "events_participants": 20,
                "cases_persons_registered": 2}  # Amina (online) and Bilal (offline) # fmt: skip
    seen: list[dict[str, Any]] = []

    async def counted() -> bool:
        rows = await key_numbers(desk, SECOND)
        rows["cases_persons_registered"] = await persons_registered(desk, SECOND)
        seen.append(rows)
        return all(rows.get(k) == v for k, v in expected.items())

    try:
        await eventually(counted, timeout_s=60, interval_s=0.5)
    except AssertionError:
        raise AssertionError(f"the network view shows {seen[-1]}") from None


async def offline_entry(page: Page, desk: RunningService, fields: dict[str, str]) -> None:
    """A person registered with the connection down (the register's form kept)."""
    await page.context.set_offline(True)
    await page.goto(desk.url + "/persons/new")
    await fill_register(page, fields)
    await expect(page.get_by_role("status")).to_contain_text(QUEUED)


async def test_a_desk_answering_503_is_retried_with_backoff_then_delivered(
    desk: RunningService, audited: Page
) -> None:
    page = audited
    await signed_in(page, desk, "Paolo Neri", SECOND)
    await offline_entry(page, desk, person("Chidi", "Eze", "ZEECHD90A01Z335P", "1990-01-01"))
    refusals: list[float] = []

    async def busy(route: Route) -> None:
        if route.request.method == "POST" and "x-desk-outbox" in route.request.headers:
            if len(refusals) < 3:
                refusals.append(time.monotonic())
                await route.fulfill(status=503, body="busy")
                return
        await route.continue_()

    await page.route("**/persons", busy)
    await page.evaluate("window.notReloaded = true")
    await page.context.set_offline(False)
    await expect(page.locator("[data-state=sent]")).to_have_count(1, timeout=SYNCED_S * 1000)
    assert len(refusals) == 3 and await page.evaluate("window.notReloaded === true")
    gaps = [later - earlier for earlier, later in itertools.pairwise(refusals)]
    assert gaps[1] > gaps[0] > 0.7, gaps  # about 1 s, then about 2 s: exponential backoff
    assert len(await persons_named(desk, SECOND, "Eze")) == 1


async def test_a_form_that_never_reaches_the_desk_waits_in_the_outbox(
    desk: RunningService, audited: Page
) -> None:
    """The browser believes it is online, the desk does not answer: the form is not lost,
    it waits in the outbox and is sent when the desk answers again."""
    page = audited
    await signed_in(page, desk, "Elena Fabbri", SECOND)
    await page.goto(desk.url + "/persons/new")

    async def unreachable(route: Route) -> None:
        if route.request.method == "POST":
            await route.abort("connectionrefused")
        else:
            await route.continue_()

    await page.context.route("**/persons", unreachable)
    await fill_register(page, person("Gloria", "Okafor", "KFRGLR92A41Z335S", "1992-01-01"))
    await expect(page.get_by_role("status")).to_contain_text(QUEUED)
    await expect(page.locator("[data-state=waiting], [data-state=sending]")).to_have_count(1)
    await page.context.unroute("**/persons", unreachable)
    await page.get_by_role("button", name="Sincronizza ora").click()
    await expect(page.locator("[data-state=sent]")).to_have_count(1, timeout=SYNCED_S * 1000)
    assert len(await persons_named(desk, SECOND, "Okafor")) == 1


async def refused_offline(
    page: Page, desk: RunningService, worker: str, fields: dict[str, str]
) -> Locator:
    """``worker`` signs in, registers a person offline with a mistake, comes back online:
    the entry is refused (its line in the outbox)."""
    await signed_in(page, desk, worker, SECOND)
    await offline_entry(page, desk, fields)
    await page.context.set_offline(False)
    refused = page.locator("[data-state=refused]")
    await expect(refused).to_have_count(1, timeout=SYNCED_S * 1000)
    return refused


async def test_a_refused_entry_stays_with_its_reason_until_corrected(
    desk: RunningService, audited: Page
) -> None:
    page = audited
    refused = await refused_offline(page, desk, "Sara Conti", person("Dawit", "Tesfaye", "TSF"))
    await expect(refused).to_contain_text("Codice fiscale")
    await expect(page.locator("[data-outbox-count]")).to_have_text("Da inviare: 1")
    await check_page(page, "outbox-refused-it")
    await page.reload()  # still there, with its reason
    await expect(refused).to_contain_text("Codice fiscale")

    # corrected from the form, with everything typed kept and the reason above it
    await refused.get_by_role("link", name="Correggi e invia di nuovo").click()
    await expect(page.get_by_role("alert")).to_contain_text("Codice fiscale")
    assert await page.get_by_label("Cognome").input_value() == "Tesfaye"
    await check_page(page, "outbox-correct-it")
    await page.get_by_label("Codice fiscale").fill("TSFDWT85A01Z315K")
    await page.get_by_role("button", name="Registra").click()
    await expect(page.locator("[data-state=sent]")).to_have_count(1, timeout=SYNCED_S * 1000)
    await expect(page.locator("[data-state=refused]")).to_have_count(0)
    assert len(await persons_named(desk, SECOND, "Tesfaye")) == 1


async def test_signing_out_warns_of_unsent_entries_then_wipes_the_device(
    desk: RunningService, audited: Page
) -> None:
    page = audited
    await refused_offline(page, desk, "Marco Riva", person("Farah", "Nasser", "NSS"))
    warnings: list[str] = []

    async def answer(dialog: Dialog) -> None:
        warnings.append(dialog.message)
        await (dialog.dismiss() if len(warnings) == 1 else dialog.accept())

    page.on("dialog", answer)
    await page.get_by_role("button", name="Esci").click()  # dismissed: still signed in
    await expect(page.locator("[data-state=refused]")).to_have_count(1)
    await page.get_by_role("button", name="Esci").click()
    await page.wait_for_url(re.compile(r"/signin$"))
    assert len(warnings) == 2 and "1 registrazioni non ancora inviate" in warnings[0]
    left = await page.evaluate(
        """async () => ({
          databases: (await indexedDB.databases()).map((d) => d.name),
          caches: await caches.keys(),
          stored: localStorage.length,
        })"""
    )
    assert left == {"databases": [], "caches": [], "stored": 0}, left


async def change_phone(page: Page, person_url: str, phone: str) -> None:
    await page.goto(person_url)
    await page.get_by_role(
        "link", name=re.compile("Correggi o completa la scheda|Correct or complete")
    ).click()
    await page.get_by_label(re.compile("^(Telefono|Phone)")).fill(phone)
    await page.get_by_role("button", name=re.compile("^(Registra|Record)$")).click()


async def phone_of(desk: RunningService, partner: str, person_url: str) -> str:
    settings: Any = desk.settings
    async with httpx.AsyncClient(base_url=settings.cases_url) as register:
        found = await register.get(
            f"/v1/persons/{person_url.rsplit('/', 1)[1]}", headers=auth_header(partner)
        )
    phone: str = found.json()["phone"]
    return phone


async def test_two_workers_change_one_field_the_second_resolves_the_conflict(
    desk: RunningService, audited: Page, browser: Browser
) -> None:
    """Both choices: the second worker keeps their value, then (in English) the record's."""
    first = audited
    await sign_in(first, desk, "Anna Galli", FIRST)
    await register(first, desk, **person("Efua", "Mensah", "MNSFEU88A41Z318T", "1988-01-01"))
    await expect(first.get_by_role("heading", name="Mensah Efua")).to_be_visible()
    efua = first.url.split("?")[0]
    async with watched_page(browser, bypass_csp=True) as second:
        await signed_in(second, desk, "Luca Serra", FIRST)
        # online: the form opened, the record changed meanwhile: told, then sent knowingly
        await second.goto(efua)
        await second.get_by_role("link", name="Correggi o completa la scheda").click()
        await change_phone(first, efua, "+39 333 1000000")
        await second.get_by_label("Telefono").fill("+39 333 2000000")
        await second.get_by_role("button", name="Registra", exact=True).click()
        await expect(second.get_by_role("alert")).to_contain_text("Qualcun altro ha cambiato")
        await expect(second.locator("#e-phone")).to_have_text("Ora nel registro: +39 333 1000000")
        assert await second.get_by_label("Telefono").input_value() == "+39 333 2000000"
        assert await phone_of(desk, FIRST, efua) == "+39 333 1000000"
        await check_page(second, "changed-meanwhile-it")
        await second.get_by_role("button", name="Registra", exact=True).click()
        await expect(second.get_by_role("status")).to_contain_text("Registrato.")
        assert await phone_of(desk, FIRST, efua) == "+39 333 2000000"
        for round_, choice in ((1, "mine"), (2, "theirs")):
            await second.goto(efua)
            await second.get_by_role(
                "link", name=re.compile("Correggi o completa|Correct or complete")
            ).click()
            await second.context.set_offline(True)  # the form open, the connection gone
            await change_phone(first, efua, f"+39 333 100000{round_}")
            await expect(first.get_by_role("status")).to_contain_text("Registrato.")
            await second.get_by_label(re.compile("^(Telefono|Phone)")).fill(
                f"+39 333 200000{round_}"
            )
            await second.get_by_role("button", name=re.compile("^(Registra|Record)$")).click()
            await expect(second.locator("[data-state=waiting]")).to_have_count(1)
            await second.context.set_offline(False)
            conflict = second.locator("[data-state=conflict]")
            await expect(conflict).to_have_count(1, timeout=SYNCED_S * 1000)
            row = conflict.locator("tr.differs")
            await expect(row).to_have_count(1)
            await expect(row).to_contain_text(f"+39 333 100000{round_}")
            await expect(row).to_contain_text(f"+39 333 200000{round_}")
            lang = "it" if round_ == 1 else "en"
            await check_page(second, f"outbox-conflict-{lang}")
            await row.locator(f"input[value={choice}]").check()
            await conflict.get_by_role("button").click()
            await expect(second.locator("[data-state=sent]")).to_have_count(
                round_, timeout=SYNCED_S * 1000
            )
            kept = f"+39 333 {'2' if choice == 'mine' else '1'}00000{round_}"
            assert await phone_of(desk, FIRST, efua) == kept
            if round_ == 1:  # the second round in English
                await second.get_by_label("Lingua").select_option("en")
                await second.get_by_role("button", name="OK").click()
        await check_page(second, "outbox-resolved-en")

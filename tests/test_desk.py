"""The desk in a real headless browser (Debian's chromium driven by Playwright), against the
real cases and housing services, PostgreSQL and Apache Kafka: a social worker signs in,
finds and registers people, records for them; a second partner's worker sees none of it.
Every page is checked with axe-core (no serious or critical violation) and kept as a
screenshot, in Italian and in English."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import axe_playwright_python
import pytest
from franoi_cases.bootstrap import DEFINITION as CASES
from franoi_cases.settings import CasesSettings
from franoi_desk.bootstrap import DEFINITION as DESK
from franoi_desk.i18n import MESSAGES
from franoi_desk.settings import DeskSettings
from franoi_housing.bootstrap import DEFINITION as HOUSING
from playwright.async_api import Browser, Page, expect

from tests.browser import EXPECT_TIMEOUT_MS, SCREENSHOTS, offline
from tests.support import RunningService, housing_settings, kafka_settings, running

FIRST, SECOND = "p24", "p25"
AXE = Path(axe_playwright_python.__file__).parent / "axe.min.js"


@pytest.fixture(scope="module")
async def desk(databases: Any, kafka_bootstrap: str, kafka_idempotent: bool) -> AsyncIterator[Any]:
    """One partner instance shared by two partners: cases, housing and the desk."""
    kafka = kafka_settings(kafka_bootstrap, kafka_idempotent)
    partners = [FIRST, SECOND]
    housing = RunningService(
        HOUSING, housing_settings(await databases.create("housing"), kafka, partners)
    )
    cases = RunningService(
        CASES,
        CasesSettings(
            env="test",
            database_url=await databases.create("cases"),
            partner_id=",".join(partners),
            kafka=kafka,
            cases_peer_urls={"housing": housing.url},
        ),
    )
    desk = RunningService(
        DESK,
        DeskSettings(
            env="test",
            partner_id=",".join(partners),
            cases_url=cases.url,
            housing_url=housing.url,
            kafka=kafka,
        ),
    )
    async with running(housing, cases, desk):
        yield desk


@pytest.fixture
async def audited(browser: Browser) -> AsyncIterator[Page]:
    """A page in Italian whose script errors, CSP refusals and remote requests fail the
    test; axe-core is injected past the CSP (``bypass_csp``) only to check the pages."""
    context = await browser.new_context(
        viewport={"width": 1280, "height": 900}, locale="it-IT", bypass_csp=True
    )
    remote = await offline(context)
    opened = await context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    # a form answered again with its problems comes with a 4xx status: not a script error
    opened.on(
        "console",
        lambda m: (
            m.type == "error"
            and not m.text.startswith("Failed to load resource")
            and errors.append(m.text)
        ),
    )
    opened.set_default_timeout(EXPECT_TIMEOUT_MS)
    try:
        yield opened
    finally:
        await context.close()
    assert not errors, errors
    assert not remote, f"the page asked for remote resources: {remote}"


async def check_page(page: Page, name: str) -> None:
    """axe-core finds no serious or critical violation; the page is kept as a screenshot."""
    await page.add_script_tag(path=str(AXE))
    result = await page.evaluate("axe.run(document, {resultTypes: ['violations']})")
    bad = [
        (v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3])
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]
    assert not bad, f"{name}: {bad}"
    await page.screenshot(path=SCREENSHOTS / f"desk-{name}.png", full_page=True)


async def sign_in(
    page: Page, desk: RunningService, name: str, partner: str, role: str = "social_worker"
) -> None:
    await page.goto(desk.url + "/")
    assert page.url.endswith("/signin")  # nobody signed in: the sign-in page
    await page.get_by_label("Il tuo nome").fill(name)
    await page.get_by_label("Ente").select_option(partner)
    await page.get_by_label("Ruolo").select_option(role)
    await page.get_by_role("button", name="Entra").click()
    await expect(page.get_by_role("heading", name="I miei casi")).to_be_visible()


async def register(page: Page, desk: RunningService, **fields: str) -> None:
    await page.goto(desk.url + "/persons/new")
    await page.get_by_label("Nome", exact=False).first.fill(fields["given_names"])
    await page.get_by_label("Cognome").fill(fields["family_name"])
    await page.get_by_label("Data di nascita").fill(fields["born_on"])
    await page.get_by_label("Sesso").select_option(fields["sex"])
    await page.get_by_label("Cittadinanza").fill(fields["citizenship"])
    await page.get_by_label("Protezione").select_option(fields["protection_status"])
    if "tax_code" in fields:
        await page.get_by_label("Codice fiscale").fill(fields["tax_code"])
    await page.get_by_role("button", name="Registra").click()


NGOZI = {
    "given_names": "Ngozi",
    "family_name": "Okonkwo",
    "born_on": "1990-03-14",
    "sex": "female",
    "citizenship": "NG",
    "protection_status": "refugee",
    "tax_code": "KNKNGZ90C54Z335X",
}


async def test_a_social_worker_registers_finds_and_records(
    desk: RunningService, audited: Page
) -> None:
    page = audited
    await page.goto(desk.url + "/signin")
    await check_page(page, "signin-it")
    await sign_in(page, desk, "Giulia Rossi", FIRST)
    await check_page(page, "home-it")

    # find before create: nobody yet
    await page.get_by_role("link", name="Cerca una persona").first.click()
    await page.get_by_label("Nome e/o cognome").fill("Okonkwo")
    await page.get_by_role("button", name="Cerca").click()
    await expect(page.get_by_text("Nessuna persona trovata.")).to_be_visible()
    await check_page(page, "search-empty-it")

    # register: a mistake first, shown next to its field, nothing typed lost
    await register(page, desk, **{**NGOZI, "tax_code": "KNK"})
    await expect(page.locator("#e-tax_code")).to_be_visible()
    assert await page.get_by_label("Cognome").input_value() == "Okonkwo"
    await check_page(page, "register-error-it")
    await page.get_by_label("Codice fiscale").fill(NGOZI["tax_code"])
    await page.get_by_role("button", name="Registra").click()
    await expect(page.get_by_role("status")).to_have_text("Persona registrata.")
    await expect(page.get_by_role("heading", name="Okonkwo Ngozi")).to_be_visible()
    person_url = page.url.split("?")[0]
    await check_page(page, "person-it")

    # the search finds her now
    await page.goto(desk.url + "/persons")
    await page.get_by_label("Nome e/o cognome").fill("ngozi okonkwo")
    await page.get_by_role("button", name="Cerca").click()
    await expect(page.get_by_role("link", name="Okonkwo")).to_be_visible()
    await check_page(page, "search-it")

    # a housing request for her: sex, age band, protection and pseudonym from the register
    await page.goto(person_url)
    await page.get_by_role("link", name="Richiesta di alloggio").click()
    await page.get_by_label("Componenti del nucleo").fill("3")
    await page.get_by_label("Bisogno").select_option("exit_from_reception")
    await check_page(page, "housing-request-it")
    await page.get_by_role("button", name="Registra la richiesta").click()
    await expect(page.get_by_role("status")).to_have_text("Richiesta di alloggio registrata.")
    await expect(page.get_by_text("household_size: 3")).to_be_visible()

    # in English
    await page.get_by_label("Lingua").select_option("en")
    await page.get_by_role("button", name="OK").click()
    await expect(page.get_by_role("heading", name="In the organisation's services")).to_be_visible()
    await check_page(page, "person-en")
    await page.goto(desk.url + "/persons/new")
    await check_page(page, "register-en")
    await page.goto(desk.url + "/")
    await check_page(page, "home-en")

    # signed out, the pages lead to the sign-in again
    await page.get_by_role("button", name="Sign out").click()
    await page.goto(person_url)
    assert page.url.endswith("/signin")


async def test_another_partners_worker_sees_none_of_it(desk: RunningService, audited: Page) -> None:
    page = audited
    await sign_in(page, desk, "Marco Bianchi", FIRST)
    await register(
        page,
        desk,
        **{
            **NGOZI,
            "given_names": "Amara",
            "family_name": "Diallo",
            "tax_code": "DLLMRA88A41Z343K",
            "born_on": "1988-01-01",
        },
    )
    await expect(page.get_by_role("heading", name="Diallo Amara")).to_be_visible()
    person_url = page.url.split("?")[0]
    await page.get_by_role("button", name="Esci").click()

    await sign_in(page, desk, "Sara Verdi", SECOND)
    await page.goto(desk.url + "/persons")
    await page.get_by_label("Nome e/o cognome").fill("Diallo")
    await page.get_by_role("button", name="Cerca").click()
    await expect(page.get_by_text("Nessuna persona trovata.")).to_be_visible()
    await page.goto(person_url)
    await expect(page.get_by_text("Non trovato.")).to_be_visible()
    await check_page(page, "not-found-it")


async def test_a_form_without_its_token_is_refused(desk: RunningService) -> None:
    """CSRF: a post that does not carry the session's token changes nothing."""
    refused = await desk.client.post(
        "/signin", data={"name": "X Y", "partner_id": FIRST, "role": "social_worker"}
    )
    assert refused.status_code == 403
    assert "franoi_desk" not in refused.cookies or "user" not in refused.text


def test_every_label_is_in_both_languages() -> None:
    for key, (italian, english) in MESSAGES.items():
        assert italian.strip() and english.strip(), key
    templates = Path(DESK_TEMPLATES).glob("*.html")
    import re

    used = {
        m for path in templates for m in re.findall(r't\("([a-z_]+\.[a-z_.]+)"\)', path.read_text())
    }
    assert used <= set(MESSAGES), sorted(used - set(MESSAGES))


DESK_TEMPLATES = Path(__import__("franoi_desk").__file__).parent / "templates"

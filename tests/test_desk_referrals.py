"""Referrals at the desk, in a real headless browser against the real services and the
consortium's referral router: a worker of one partner refers a person from their record;
the other partner's worker finds it in «Invii» with its expiry badge, reads what was sealed
to them (the names the person consented to share, the referring worker's contact) and
accepts it; the referring worker sees it accepted. Every page is checked with axe-core and
kept as a screenshot, in Italian and in English."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from typing import Any

import pytest
from franoi_router.bootstrap import DEFINITION as ROUTER
from franoi_router.settings import RouterSettings
from playwright.async_api import Browser, expect

from tests.browser import watched_page
from tests.support import RunningService, auth_header, fresh_partners, kafka_settings, running
from tests.test_desk import NGOZI, check_page, desk_network, english, fill, register, sign_in

PARTNERS = fresh_partners(2)
REFERRING, RECEIVING = PARTNERS
DIRECTORY = [
    (REFERRING, "Cooperativa Inviante", "Lombardia"),
    (RECEIVING, "Cooperativa Ricevente", "Piemonte"),
]
"""The two partners as the consortium's directory names them (the desk shows the names)."""
IDENTITY_CONSENT = "Trasmettere nome, nascita e lingue a un partner a cui è inviata"


@pytest.fixture(scope="module")
async def desk(databases: Any, kafka_bootstrap: str, kafka_idempotent: bool) -> AsyncIterator[Any]:
    """The desk of one instance shared by two partners, and the router between them."""
    async with desk_network(databases, kafka_bootstrap, kafka_idempotent, PARTNERS) as on:
        router = RunningService(
            ROUTER,
            RouterSettings(
                env="test",
                database_url=await databases.create("router"),
                kafka=kafka_settings(kafka_bootstrap, kafka_idempotent),
                router_partners=",".join(PARTNERS),
                consumer_group=f"router-desk-{PARTNERS[0]}",
                relay_poll_interval_s=0.2,
            ),
        )
        admin = auth_header("consortium", "partner_admin")
        for partner, name, region in DIRECTORY:
            listed = await on.projection.client.post(
                "/v1/network/partners",
                headers=admin,
                json={"partner_id": partner, "name": name, "kind": "cooperative",
                      "region": region, "province": "TO", "axes": ["cases", "employment"],
                      "active_since": "2024-01-01"},
            )  # fmt: skip
            assert listed.status_code == 201, listed.text
        async with running(router):
            yield on


async def test_a_referral_is_made_received_read_and_accepted(
    desk: RunningService, browser: Browser
) -> None:
    async with watched_page(browser, bypass_csp=True) as page:
        await sign_in(page, desk, "Marco Bianchi", REFERRING)
        await register(page, desk, **{**NGOZI, "consent": IDENTITY_CONSENT})
        await expect(page.get_by_role("heading", name="Okonkwo Ngozi")).to_be_visible()
        person_url = page.url.split("?")[0]
        await page.get_by_role("link", name="Invia a un altro partner").click()
        expires = (dt.date.today() + dt.timedelta(days=2)).isoformat()
        offered = page.get_by_label("Partner a cui inviare").locator("option")
        await expect(offered.filter(has_text="Cooperativa Ricevente (Piemonte)")).to_have_count(1)
        await expect(offered.filter(has_text="Cooperativa Inviante")).to_have_count(0)  # itself
        await fill(
            page,
            {
                "Partner a cui inviare": "Cooperativa Ricevente (Piemonte)",
                "Area di intervento": "Lavoro",
                "Motivo": "Opportunità in un'altra città",
                "Urgenza": "Prioritario",
                "Scade il": expires,
                "Operatore che invia": "Marco Bianchi",
                "E-mail di lavoro": "m.bianchi@coop.example.org",
            },
        )
        await check_page(page, "referral-form-it")
        await page.get_by_role("button", name="Registra", exact=True).click()
        await expect(page.get_by_role("status")).to_contain_text("Registrato.")
        await page.goto(desk.url + "/referrals")
        sent = page.get_by_role("region", name="Inviati da noi")
        await expect(sent).to_contain_text("In attesa di risposta")
        await page.get_by_role("button", name="Esci").click()

        await sign_in(page, desk, "Sara Verdi", RECEIVING)
        for _ in range(60):  # the router carries it to this partner's inbox
            reminder = page.get_by_role("link", name="invii da altri partner aspettano")
            if await reminder.count():
                break
            await page.wait_for_timeout(500)
            await page.reload()
        await reminder.click()  # my cases remind of what waits for an answer
        waiting = page.get_by_role("region", name="Da rispondere")
        await expect(waiting).to_contain_text("scade entro 3 giorni")
        await expect(waiting).to_contain_text("Cooperativa Inviante (Lombardia)")
        await check_page(page, "referrals-inbox-it")
        await waiting.get_by_role("link", name="Lavoro").click()
        sealed = page.get_by_role("region", name="Cosa ci ha trasmesso il partner")
        await expect(sealed).to_contain_text("Ngozi")
        await expect(page.locator("dl.facts").first).to_contain_text(
            "Cooperativa Ricevente (Piemonte)"
        )
        await expect(sealed).to_contain_text("m.bianchi@coop.example.org")
        await expect(sealed).not_to_contain_text("KNKNGZ90C54Z335X")  # no consent for it
        await check_page(page, "referral-received-it")
        await page.get_by_role("button", name="Accetta l'invio").click()
        await expect(page.get_by_role("status")).to_contain_text("Invio accettato")
        await english(page)
        await expect(page.get_by_role("heading", name="Referral: Work")).to_be_visible()
        await check_page(page, "referral-accepted-en")
        await page.goto(desk.url + "/referrals")
        await check_page(page, "referrals-inbox-en")
        await page.get_by_label("Language").select_option("it")
        await page.get_by_role("button", name="OK").click()
        await page.get_by_role("button", name="Esci").click()

        await sign_in(page, desk, "Marco Bianchi", REFERRING)
        await page.goto(desk.url + "/referrals")
        sent = page.get_by_role("region", name="Inviati da noi")
        for _ in range(60):  # the answer travels back through the router
            if "Accettato" in await sent.inner_text():
                break
            await page.wait_for_timeout(500)
            await page.reload()
        await expect(sent).to_contain_text("Accettato")
        await check_page(page, "referrals-sent-it")
        await sent.get_by_role("link", name="Lavoro").click()
        await expect(page.get_by_role("link", name="Apri la scheda")).to_have_attribute(
            "href", person_url.removeprefix(desk.url)
        )
        await expect(page.get_by_role("button", name="Ritira l'invio")).to_be_visible()

"""Signing in with the organisation's identity provider, end to end, against a real Keycloak
(the network's realm, ``deploy/keycloak/franoi-realm.json``), real services, PostgreSQL and
Apache Kafka, and Debian's chromium: a social worker signs in to the desk through Keycloak's
own login page and records a consultation; an analyst signs in to the dashboard; an
integrator reads its API with a client-credentials token; the realm's signing key rotates
and the services take the new tokens without a restart; tokens the realm did not issue
(another realm, expired, ``alg: none``, a forged key id) are refused."""

from __future__ import annotations

import asyncio
import base64
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from franoi_cases.bootstrap import DEFINITION as CASES
from franoi_cases.settings import CasesSettings
from franoi_common.settings import AuthSettings, SignInSettings
from franoi_desk.bootstrap import DEFINITION as DESK
from franoi_desk.settings import DeskSettings
from franoi_devenv.keycloak import LocalKeycloak
from franoi_employment.bootstrap import DEFINITION as EMPLOYMENT
from franoi_projection.bootstrap import DEFINITION as PROJECTION
from playwright.async_api import Browser, Page, expect

from tests.browser import SCREENSHOTS, watched_page
from tests.support import (
    RunningService,
    kafka_settings,
    partner_service_settings,
    projection_settings,
    running,
)
from tests.test_desk import NGOZI, record, register

PASSWORD = "franoi-dev-password"


def provider_auth(keycloak: LocalKeycloak) -> AuthSettings:
    """How every service checks tokens here: the realm's published keys, the realm's claims."""
    return AuthSettings(
        oidc=True,
        issuer=keycloak.issuer,
        audience="franoi-network",
        partner_claim="partner",
        leeway_seconds=0,
        jwks_min_refresh_s=1,
    )


def client(keycloak: LocalKeycloak, client_id: str) -> SignInSettings:
    return SignInSettings(
        issuer=keycloak.issuer, client_id=client_id, client_secret=keycloak.client_secret(client_id)
    )


@pytest.fixture(scope="module")
async def signed_network(
    keycloak: LocalKeycloak, databases: Any, kafka_bootstrap: str, kafka_idempotent: bool
) -> AsyncIterator[dict[str, RunningService]]:
    """p01's register, the employment service, p01's desk (sign-in with the provider only)
    and the projection (its dashboard signs analysts in with the provider)."""
    kafka = kafka_settings(kafka_bootstrap, kafka_idempotent)
    auth = provider_auth(keycloak)
    employment = RunningService(
        EMPLOYMENT,
        EMPLOYMENT.settings_type(
            **partner_service_settings(
                await databases.create("employment"), kafka, ["p01"], auth=auth
            ).model_dump()
        ),
    )
    cases = RunningService(
        CASES,
        CasesSettings(
            env="test",
            database_url=await databases.create("cases"),
            partner_id="p01",
            kafka=kafka,
            auth=auth,
            cases_peer_urls={"employment": employment.url},
        ),
    )
    desk = RunningService(
        DESK,
        DeskSettings(
            env="test",
            partner_id="p01",
            kafka=kafka,
            auth=auth,
            dev_sign_in=False,
            oidc=client(keycloak, "franoi-desk"),
            cases_url=cases.url,
            employment_url=employment.url,
        ),
    )
    projection = RunningService(
        PROJECTION,
        projection_settings(
            await databases.create("projection"),
            kafka,
            ["p01"],
            auth=auth,
            oidc=client(keycloak, "franoi-dashboard"),
        ),
    )
    async with running(projection, employment, cases, desk):
        yield {"desk": desk, "projection": projection, "cases": cases}


@pytest.fixture
async def page(browser: Browser) -> AsyncIterator[Page]:
    async with watched_page(browser) as opened:
        yield opened


async def keycloak_login(page: Page, username: str) -> None:
    """Keycloak's own login page: username, password, sign in."""
    await expect(page.locator("#kc-form-login")).to_be_visible()
    await page.locator("#username").fill(username)
    await page.locator("#password").fill(PASSWORD)
    await page.locator("#kc-login").click()


async def test_a_social_worker_signs_in_through_keycloak_and_records_a_consultation(
    signed_network: dict[str, RunningService], page: Page, keycloak: LocalKeycloak
) -> None:
    desk = signed_network["desk"]
    await page.goto(desk.url + "/")
    assert page.url.endswith("/signin")
    await expect(page.get_by_label("Il tuo nome")).to_have_count(0)  # no development sign-in
    await page.screenshot(path=SCREENSHOTS / "oidc-desk-signin-it.png", full_page=True)
    await page.get_by_label("Lingua").select_option("en")
    await page.get_by_role("button", name="OK").click()
    await expect(
        page.get_by_role("link", name="Sign in with your organisation's account")
    ).to_be_visible()
    await page.screenshot(path=SCREENSHOTS / "oidc-desk-signin-en.png", full_page=True)
    await page.get_by_label("Language").select_option("it")
    await page.get_by_role("button", name="OK").click()
    await page.get_by_role("link", name="Accedi con l'identità del tuo ente").click()
    assert page.url.startswith(keycloak.issuer)  # Keycloak's own page
    await keycloak_login(page, "p01-worker")
    await expect(page.get_by_role("heading", name="I miei casi")).to_be_visible()
    assert page.url.startswith(desk.url)
    await page.screenshot(path=SCREENSHOTS / "oidc-desk-signed-in.png", full_page=True)
    cookie = next(c for c in await page.context.cookies() if c["name"] == "franoi_desk")
    session = base64.b64decode(cookie["value"].split(".")[0] + "==")
    assert b"eyJ" not in session  # no token in the browser: only a key to the desk's memory

    # an access token about to expire is refreshed with the provider, unseen by the worker
    store = desk.app.state.web_signin.store
    (key,) = store.keys()
    before = store.get(key)
    before.expires_at = time.time()
    await page.goto(desk.url + "/")
    await expect(page.get_by_role("heading", name="I miei casi")).to_be_visible()
    assert store.get(key).access_token != before.access_token

    await register(page, desk, **NGOZI)
    await expect(page.get_by_role("status")).to_contain_text("registrat")
    person = page.url.split("?")[0]
    await record(
        page,
        desk,
        "Registra un colloquio individuale",
        {
            "Data di svolgimento": time.strftime("%Y-%m-%d"),
            "Durata (minuti)": "30",
            "Tema": "Ricerca del lavoro",
            "Ruolo dell'operatore": "Orientatore al lavoro",
        },
        person_url=person,
    )
    await expect(page.get_by_role("status")).to_contain_text("Registrato.")
    await page.goto(person)
    await expect(page.get_by_role("main")).to_contain_text("Colloqui")

    # signing out ends the session at Keycloak too: the next sign-in asks for the password
    await page.get_by_role("button", name="Esci").click()
    await expect(page.get_by_role("heading", name="Accesso")).to_be_visible()
    await page.get_by_role("link", name="Accedi con l'identità del tuo ente").click()
    await expect(page.locator("#kc-form-login")).to_be_visible()


async def test_a_worker_of_another_partner_is_not_let_into_this_desk(
    signed_network: dict[str, RunningService], page: Page
) -> None:
    desk = signed_network["desk"]
    await page.goto(desk.url + "/signin/provider")
    await keycloak_login(page, "p02-worker")
    await expect(page.get_by_role("alert")).to_contain_text("non appartiene a questo ente")
    await page.goto(desk.url + "/")
    assert page.url.endswith("/signin")


async def test_an_analyst_signs_in_to_the_dashboard_and_a_worker_does_not(
    signed_network: dict[str, RunningService], page: Page, browser: Browser
) -> None:
    projection = signed_network["projection"]
    await page.goto(projection.url + "/dashboard/")
    await page.get_by_role("link", name="Accedi con l'account del consorzio").click()
    await keycloak_login(page, "analyst")
    await expect(page.locator("#app")).to_be_visible()
    await expect(page.locator("#login")).to_be_hidden()
    await expect(page.locator(".kpi").first).to_be_visible()
    await page.screenshot(path=SCREENSHOTS / "oidc-dashboard-signed-in.png", full_page=True)
    assert await page.evaluate("sessionStorage.getItem('franoi.token')") is None

    # a change through the session needs the session's own token in a header, which
    # another site can neither read nor send
    statuses = await page.evaluate(
        """async () => {
            const body = JSON.stringify({period_id: "oidc-t1", label_it: "T1",
                first_month: "2025-01", last_month: "2025-03", deadline: "2025-04-30"});
            const json = {"Content-Type": "application/json"};
            const bare = await fetch("/v1/reporting/periods",
                {method: "POST", headers: json, body});
            const wrong = await fetch("/v1/reporting/periods",
                {method: "POST", headers: {...json, "X-CSRF-Token": "guess"}, body});
            const session = await (await fetch("/dashboard/session")).json();
            const sent = await fetch("/v1/reporting/periods",
                {method: "POST", headers: {...json, "X-CSRF-Token": session.csrf}, body});
            return [bare.status, wrong.status, sent.status];
        }"""
    )
    assert statuses == [401, 401, 201]

    async with watched_page(browser) as other:
        await other.goto(projection.url + "/dashboard/signin")
        await keycloak_login(other, "p01-worker")
        await expect(other.get_by_text("consortium's analysts")).to_be_visible()


def integrator_token(keycloak: LocalKeycloak) -> str:
    return keycloak.client_credentials_token("franoi-integrator")


async def test_an_integrator_reads_its_api_and_a_rotated_key_needs_no_restart(
    signed_network: dict[str, RunningService], keycloak: LocalKeycloak
) -> None:
    projection = signed_network["projection"]
    token = integrator_token(keycloak)
    path = "/v1/network/key-numbers"
    answer = await projection.client.get(path, headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200, answer.text
    before = jwt.get_unverified_header(token)["kid"]

    kid = await asyncio.to_thread(keycloak.rotate_signing_key)
    assert kid != before
    await asyncio.sleep(1.1)  # the services refetch keys at most once a second here
    rotated = integrator_token(keycloak)
    assert jwt.get_unverified_header(rotated)["kid"] == kid
    answer = await projection.client.get(path, headers={"Authorization": f"Bearer {rotated}"})
    assert answer.status_code == 200, answer.text
    answer = await projection.client.get(path, headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200  # a token signed before the rotation is still good
    cases = signed_network["cases"]
    answer = await cases.client.get("/v1/persons", headers={"Authorization": f"Bearer {rotated}"})
    assert answer.status_code == 403  # an integrator reads no partner's register


def _resigned(token: str, header: dict[str, Any], key: Any, alg: str) -> str:
    claims = jwt.decode(token, options={"verify_signature": False})
    return jwt.encode(claims, key, algorithm=alg, headers=header)


async def test_tokens_the_realm_did_not_issue_are_refused(
    signed_network: dict[str, RunningService], keycloak: LocalKeycloak
) -> None:
    projection = signed_network["projection"]
    good = integrator_token(keycloak)
    kid = jwt.get_unverified_header(good)["kid"]
    payload = good.split(".")[1]
    none_header = base64.urlsafe_b64encode(
        json.dumps({"alg": "none", "typ": "JWT", "kid": kid}).encode()
    ).rstrip(b"=")
    forger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    refused = {
        "another realm": await asyncio.to_thread(keycloak.admin_token),
        "alg none": f"{none_header.decode()}.{payload}.",
        "forged kid": _resigned(good, {"kid": "forged-key"}, forger, "RS256"),
        "forged signature": _resigned(good, {"kid": kid}, forger, "RS256"),
    }
    lifespan = {"attributes": {"access.token.lifespan": "1"}}
    integrator = keycloak.admin("GET", "/clients?clientId=franoi-integrator").json()[0]
    await asyncio.to_thread(
        keycloak.admin, "PUT", f"/clients/{integrator['id']}", json_body=integrator | lifespan
    )
    try:
        short = integrator_token(keycloak)
    finally:
        await asyncio.to_thread(
            keycloak.admin, "PUT", f"/clients/{integrator['id']}", json_body=integrator
        )
    await asyncio.sleep(2.2)
    refused["expired"] = short
    for why, token in refused.items():
        answer = await projection.client.get(
            "/v1/network/key-numbers", headers={"Authorization": f"Bearer {token}"}
        )
        assert answer.status_code == 401, (why, answer.text)
        assert answer.headers["www-authenticate"] == "Bearer", why

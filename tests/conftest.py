"""Fixtures of the cross-service tests: a headless browser for the pages (see
:mod:`tests.browser`)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator

import pytest
from franoi_devenv.keycloak import REQUIRE_KEYCLOAK_ENV, LocalKeycloak
from playwright.async_api import Browser, Page, async_playwright

from tests.browser import CHROMIUM, CHROMIUM_ARGS, SCREENSHOTS, watched_page


@pytest.fixture(scope="module")
def chromium() -> str:
    assert os.path.exists(CHROMIUM), "Debian's chromium is needed: ./scripts/test installs it"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return CHROMIUM


@pytest.fixture(scope="module")
async def browser(chromium: str) -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            await launched.close()


@pytest.fixture
async def page(browser: Browser) -> AsyncIterator[Page]:
    """A page in Italian whose script errors and remote requests fail the test."""
    async with watched_page(browser, accept_downloads=True) as opened:
        yield opened


@pytest.fixture
async def audited(browser: Browser) -> AsyncIterator[Page]:
    """A watched page (:func:`tests.browser.watched_page`) where axe-core can be injected
    past the pages' CSP (``bypass_csp``), only to check them."""
    async with watched_page(browser, bypass_csp=True, accept_downloads=True) as opened:
        yield opened


@pytest.fixture(scope="session")
def keycloak() -> Iterator[LocalKeycloak]:
    """A real Keycloak with the network's realm (``deploy/keycloak/franoi-realm.json``), from
    its distribution in the Maven repository, shared by the session's tests. Skipped only
    where Java 21+ or Maven is missing; with ``FRANOI_TEST_REQUIRE_KEYCLOAK=1`` (CI) that
    is a failure instead."""
    reason = LocalKeycloak.unavailable_reason()
    if reason is not None:
        if os.environ.get(REQUIRE_KEYCLOAK_ENV, "").strip() == "1":
            pytest.fail(f"{REQUIRE_KEYCLOAK_ENV}=1 but Keycloak cannot run here: {reason}")
        pytest.skip(reason)
    with LocalKeycloak(startup_timeout=180.0) as server:
        yield server

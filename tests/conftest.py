"""Fixtures of the cross-service tests: a headless browser for the pages (see
:mod:`tests.browser`)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Browser, Page, async_playwright

from tests.browser import CHROMIUM, CHROMIUM_ARGS, EXPECT_TIMEOUT_MS, SCREENSHOTS, offline


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
    context = await browser.new_context(
        viewport={"width": 1280, "height": 900}, accept_downloads=True, locale="it-IT"
    )
    remote = await offline(context)
    opened = await context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    # Script errors fail the test; a refused request (a bad-token test) is the server's say.
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

"""Fixtures of the cross-service tests: a headless browser for the pages (see
:mod:`tests.browser`)."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

import pytest
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

"""Pages in a real headless browser: Debian's chromium driven by Playwright (it never
downloads a browser of its own). Every request that would leave the machine is refused and
recorded, since the pages must work offline; screenshots go to ``artifacts/screenshots/``
(git-ignored) for people to look at. The fixtures (``chromium``, ``browser``, ``page``) are
in ``tests/conftest.py``."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from playwright.async_api import Browser, BrowserContext, Locator, Page, Route

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parent.parent / "artifacts" / "screenshots"
EXPECT_TIMEOUT_MS = 20_000


async def offline(context: BrowserContext) -> list[str]:
    """Refuse (and record) every request that leaves the machine: the pages must work
    without an internet connection."""
    remote: list[str] = []

    async def only_local(route: Route) -> None:
        if urlsplit(route.request.url).hostname == "127.0.0.1":
            await route.continue_()
        else:
            remote.append(route.request.url)
            await route.abort()

    await context.route("**/*", only_local)
    return remote


@contextlib.asynccontextmanager
async def watched_page(browser: Browser, **options: Any) -> AsyncIterator[Page]:
    """A page in Italian whose script errors and remote requests fail the test (a refused
    request, or a form answered again with a 4xx status, is the server's say, not an
    error of the page). ``options`` go to the browser context."""
    context = await browser.new_context(
        viewport={"width": 1280, "height": 900}, locale="it-IT", **options
    )
    remote = await offline(context)
    opened = await context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
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


async def tab_to(page: Page, target: Locator, limit: int = 400) -> None:
    """Press Tab until ``target`` has the focus, as someone with a keyboard alone would
    (at most ``limit`` presses)."""
    for _ in range(limit):
        await page.keyboard.press("Tab")
        if await target.evaluate("el => el === document.activeElement"):
            return
    raise AssertionError(f"{limit} presses of Tab never reached {target}")

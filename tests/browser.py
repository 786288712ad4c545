"""Pages in a real headless browser: Debian's chromium driven by Playwright (it never
downloads a browser of its own). Every request that would leave the machine is refused and
recorded, since the pages must work offline; screenshots go to ``artifacts/screenshots/``
(git-ignored) for people to look at. The fixtures (``chromium``, ``browser``, ``page``) are
in ``tests/conftest.py``."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

from playwright.async_api import BrowserContext, Route

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

"""The desk's outbox: 500 entries recorded offline, delivered after reconnection.

Starts its own PostgreSQL (embedded, Unix socket) with the register's database, serves the
register (cases) and the desk as ``serve`` does (``--services subprocess``, the default, or
``in-process``), and drives Debian's Chromium through Playwright (the browser the desk's
tests use): a social worker signs in, the desk's service worker takes the page over.

* **online** (the raw baseline): ``--entries`` registrations sent from the page as the
  outbox sends them — one at a time, in order, each ``POST /persons`` with its client-chosen
  id and the session's CSRF token, answered in JSON — but straight away, without the outbox.
* **offline, then reconnected**: the browser goes offline (Playwright's offline mode),
  ``--entries`` other registrations are recorded into the outbox (IndexedDB, as a form
  submitted offline records them), the page is reloaded, the browser comes back online;
  the time is from reconnection until the page's header says nothing waits (each entry
  confirmed sent), by the outbox alone (it starts on the browser's ``online`` event:
  nothing is clicked, nothing reloaded).

Target (issue 22): the offline entries delivered within 60 s of reconnection. The ratio is
offline delivery / online sending of the same number of entries. Each person is then
counted in the register: every entry exactly once (a duplicate or a loss fails the run).

    franoi-bench outbox [--entries 500]
    franoi-bench outbox --quick

Everything it starts is stopped at the end; the run is bounded by ``--timeout``.
docs/benchmarks.md ("The desk's outbox") explains the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from typing import Any

import asyncpg
from franoi_common.migrations import migrate_url
from franoi_devenv.kafka import free_port
from playwright.async_api import Page, async_playwright

from franoi_benchmarks.benchmark import Benchmark, Option, Report
from franoi_benchmarks.databases import postgresql
from franoi_benchmarks.desk import environment
from franoi_benchmarks.desk.partner import PEERS
from franoi_benchmarks.serving import DEFINITIONS, Spec, serving
from franoi_benchmarks.stats import progress, table

TARGET_S = 60.0
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]

# One registration as the register's form posts it: no document (so no pseudonym), and a
# reason given, so that the register's duplicate check (which still runs) never stops it.
ENTRY = """(i, prefix) => {
  const csrf = document.querySelector('meta[name="csrf"]').content;
  const id = crypto.randomUUID();
  const fields = [["csrf", csrf], ["person_id", id], ["given_names", `${prefix} ${i}`],
    ["family_name", `Banco${prefix}${String(i).padStart(4, "0")}`], ["born_on", "1990-01-01"],
    ["sex", "female"], ["citizenship", "NG"], ["protection_status", "refugee"],
    ["duplicate_reason", "benchmark"]];
  return { id, fields };
}"""

ONLINE = """async ([count, make]) => {
  const entry = eval(make);
  const started = performance.now();
  for (let i = 0; i < count; i++) {
    const { id, fields } = entry(i, "online");
    const answer = await fetch("/persons", { method: "POST", body: new URLSearchParams(fields),
      headers: { "X-Desk-Outbox": id, Accept: "application/json" } });
    if ((await answer.json()).state !== "sent") throw new Error(`entry ${i}: ${answer.status}`);
  }
  return performance.now() - started;
}"""

QUEUE = """async ([count, make]) => {
  const entry = eval(make);
  for (let i = 0; i < count; i++) {
    const { id, fields } = entry(i, "offline");
    await FranoiStore.put({ id, seq: Date.now() + i / 1000, action: "/persons",
      title: "benchmark", page: "/persons/new", fields, state: "waiting", attempts: 0,
      notBefore: 0, recordedAt: Date.now() });
  }
  return (await FranoiStore.all()).length;
}"""

WAITING = "Number(document.querySelector('[data-outbox-count]').dataset.count)"
SENT = "FranoiStore.all().then((all) => all.filter((e) => e.state === 'sent').length)"


async def _sign_in(page: Page, desk: str) -> None:
    await page.goto(desk + "/signin")
    await page.fill("[name=name]", "Benchmark Worker")
    await page.select_option("#f-partner_id", "p01")
    await page.select_option("#f-role", "social_worker")
    await page.click("form[action='/signin'] button[type=submit]")
    await page.wait_for_url(desk + "/")
    await page.wait_for_function("navigator.serviceWorker && navigator.serviceWorker.controller")


async def _measure(args: argparse.Namespace, desk: str) -> dict[str, Any]:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path=args.chromium, args=CHROMIUM_ARGS
        )
        try:
            # bypass_csp: only so that Playwright may evaluate its own expressions in the
            # page; the desk's scripts and service worker run as they run for a worker.
            context = await browser.new_context(locale="it-IT", bypass_csp=True)
            page = await context.new_page()
            page.set_default_timeout(60_000)
            await _sign_in(page, desk)
            await page.goto(desk + "/outbox")
            progress(f"online: {args.entries} entries sent one at a time")
            online_ms = await page.evaluate(ONLINE.replace("eval(make)", ENTRY), [args.entries, ""])
            progress(f"offline: {args.entries} entries recorded into the outbox")
            await context.set_offline(True)
            await page.reload()
            queued = await page.evaluate(QUEUE.replace("eval(make)", ENTRY), [args.entries, ""])
            await page.reload()
            assert queued == args.entries, queued
            started = time.perf_counter()
            await context.set_offline(False)
            waiting = args.entries
            while waiting:  # what the worker sees: the header's count of entries to send
                await asyncio.sleep(0.05)
                waiting = await page.evaluate(WAITING)
                if time.perf_counter() - started > 10 * TARGET_S:
                    raise TimeoutError(f"{waiting} of {args.entries} still waiting")
            delivered_s = time.perf_counter() - started
            sent = await page.evaluate(SENT)
            assert sent == args.entries, f"{sent} of {args.entries} sent"
        finally:
            await browser.close()
    return {"online_s": online_ms / 1000, "offline_delivery_s": delivered_s}


async def run(args: argparse.Namespace, admin_url: str | None = None) -> Report:
    async with postgresql(admin_url) as server:
        database = await server.create("bench_outbox_cases")
        machine = await server.machine()
        await migrate_url(database, list(DEFINITIONS["cases"].migrations))
        ports = {domain: free_port() for domain in (*PEERS, "cases", "desk")}
        urls = {domain: f"http://127.0.0.1:{port}" for domain, port in ports.items()}
        groups = [
            [Spec("cases", "cases", environment("cases", database, urls), ports["cases"])],
            [Spec("desk", "desk", environment("desk", "", urls), ports["desk"])],
        ]
        progress(f"starting the register and the desk ({args.services})")
        async with serving(args.services, groups):
            figures = await _measure(args, urls["desk"])
        conn = await asyncpg.connect(database)
        try:
            counted = await conn.fetch(
                "SELECT family_name, count(*) AS n FROM persons GROUP BY family_name"
            )
        finally:
            await conn.close()
    names = {row["family_name"]: row["n"] for row in counted}
    once = len(names) == 2 * args.entries and all(n == 1 for n in names.values())
    if not once:
        raise AssertionError(f"{len(names)} persons for {2 * args.entries} entries")
    online, offline = figures["online_s"], figures["offline_delivery_s"]
    return {
        "entries": args.entries,
        "online_s": round(online, 2),
        "offline_delivery_s": round(offline, 2),
        "online_per_entry_ms": round(1000 * online / args.entries, 1),
        "offline_per_entry_ms": round(1000 * offline / args.entries, 1),
        "ratio": round(offline / online, 2),
        "each_once": once,
        "target_s": TARGET_S,
        "within_target": offline <= TARGET_S,
        "services": args.services,
        "machine": machine,
    }


def render(report: Report) -> str:
    rows = [
        [
            f"{report['entries']} registrations",
            f"{report['online_s']:.1f}",
            f"{report['online_per_entry_ms']:.1f}",
            f"{report['offline_delivery_s']:.1f}",
            f"{report['offline_per_entry_ms']:.1f}",
            f"{report['ratio']:.2f}",
            "yes" if report["within_target"] else "NO",
        ]
    ]
    columns = [
        ("entries", -22),
        ("online s", 9),
        ("ms each", 8),
        ("offline→sent s", 15),
        ("ms each", 8),
        ("ratio", 6),
        ("≤ 60 s", 7),
    ]
    head = f"\nservices {report['services']}; {json.dumps(report['machine'])}\n"
    return "\n".join([head, *table(columns, rows)])


OPTIONS = (
    Option("entries", 500, "entries sent online, then recorded offline", (1, 20_000), quick=50),
    Option("services", "subprocess", choices=("subprocess", "in-process")),
    Option("chromium", "/usr/bin/chromium", "the browser (Debian's chromium)"),
)
BENCHMARK = Benchmark("outbox", __doc__ or "", OPTIONS, run, render, timeout_s=900.0)
parse_args = BENCHMARK.parse_args

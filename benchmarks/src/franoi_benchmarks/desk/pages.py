"""The desk's pages and their raw baselines: a social worker's browser at the desk, the same
calls made directly to the partner's services, each page checked against its baseline."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import random
import re
import statistics
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from franoi_common.auth import mint_token
from franoi_common.settings import AuthSettings
from franoi_desk.entrypoints.worklists import LIST_SIZE, REFS_PER_CALL, WORKLISTS
from markupsafe import escape

from franoi_benchmarks.desk.partner import PARTNER, PEERS, TODAY, WORKER
from franoi_benchmarks.desk.records import Loaded
from franoi_benchmarks.desk.records.draw import Person
from franoi_benchmarks.register import typo
from franoi_benchmarks.stats import figures, percentile, progress, timed

TARGET_P95_MS = 150.0


CSRF = re.compile(r'name="csrf" value="([^"]+)"')
COUNT = r"\((\d+)\)"


def heading_count(page: str, heading_id: str) -> int:
    found = re.search(rf'<h2 id="{heading_id}">[^<]*{COUNT}</h2>', page)
    assert found is not None, f"no {heading_id} on the page"
    return int(found.group(1))


def h3_counts(page: str) -> list[int]:
    """The rows each working list shows: its heading's "(12)" or "(the newest 50 of 3409)"."""
    return [int(n) for n in re.findall(r"<h3>[^<]*\(\D*(\d+)[^)]*\)</h3>", page)]


def h4_counts(page: str) -> list[int]:
    return [int(n) for n in re.findall(rf"<h4>[^<]*{COUNT}</h4>", page)]


class Desk:
    """A social worker's browser at the desk: the session cookie and its CSRF token."""

    def __init__(self, url: str) -> None:
        self.client = httpx.AsyncClient(base_url=url, timeout=60)
        self.csrf = ""

    async def sign_in(self) -> None:
        page = await self.client.get("/signin")
        token = CSRF.search(page.text)
        assert token is not None, "no CSRF token on the sign-in page"
        signed = await self.client.post(
            "/signin",
            data={"csrf": token.group(1), "name": WORKER, "partner_id": PARTNER,
                  "role": "social_worker"},
        )  # fmt: skip
        assert signed.status_code == 303, signed.text
        home = await self.get("/persons")  # a page of the session, with its new token
        token = CSRF.search(home)
        assert token is not None
        self.csrf = token.group(1)

    async def get(self, path: str) -> str:
        answer = await self.client.get(path)
        if answer.status_code != 200:
            raise RuntimeError(f"desk GET {path}: {answer.status_code} {answer.text[:500]}")
        return answer.text

    async def search(self, name: str) -> str:
        """What htmx posts as a name is typed (the results' part of the page)."""
        answer = await self.client.post(
            "/persons/search",
            data={"csrf": self.csrf, "name": name},
            headers={"HX-Request": "true"},
        )
        if answer.status_code != 200:
            raise RuntimeError(f"desk search: {answer.status_code} {answer.text[:500]}")
        return answer.text

    async def close(self) -> None:
        await self.client.aclose()


class Api:
    """The partner's services asked directly, with the signed-in worker's bearer token,
    one kept-alive client per service (as the desk keeps them)."""

    def __init__(self, urls: dict[str, str]) -> None:
        token = mint_token(AuthSettings(), subject=WORKER, partner_id=PARTNER,
                           roles=["social_worker"], ttl=dt.timedelta(hours=10))  # fmt: skip
        self.headers = {"Authorization": f"Bearer {token}"}
        self.clients = {
            domain: httpx.AsyncClient(base_url=urls[domain], timeout=60)
            for domain in ("cases", *PEERS)
        }

    async def call(
        self, domain: str, path: str, params: dict[str, Any] | None = None, body: Any = None
    ) -> httpx.Response:
        """A GET (a POST with ``body``); raises unless the service answers 200."""
        client = self.clients[domain]
        if body is None:
            answer = await client.get(path, params=params, headers=self.headers)
        else:
            answer = await client.post(path, json=body, headers=self.headers)
        if answer.status_code != 200:
            raise RuntimeError(f"{domain} {path}: {answer.status_code} {answer.text[:500]}")
        return answer

    async def get(self, domain: str, path: str, params: dict[str, Any] | None = None) -> Any:
        return (await self.call(domain, path, params)).json()

    async def post(self, domain: str, path: str, body: dict[str, Any]) -> Any:
        return (await self.call(domain, path, body=body)).json()

    async def search(self, name: str) -> Any:
        """The desk's search: the register's similar-name search, 20 at a time."""
        return await self.post(
            "cases", "/v1/persons/search", {"name": name, "name_match": "similar", "limit": 20}
        )

    async def home(self, everyone: bool) -> dict[str, Any]:
        """The calls of "my cases", in the desk's order: the worker's plans, the count of the
        organisation's and the worker's tasks at once, then the four working lists at once
        (the worker's persons asked by pseudonym, 50 at a time, unless ``everyone``), then
        the names of the persons the lists show."""
        plans, _, tasks = await asyncio.gather(
            self.get("cases", "/v1/plans",
                     {"status": "open", "key_worker": WORKER, "limit": 200}),
            self.get("cases", "/v1/plans", {"status": "open", "limit": 1}),
            self.get("cases", "/v1/tasks",
                     {"assignee": WORKER, "status": "open", "limit": 200}),
        )  # fmt: skip
        mine = plans["items"]
        refs = sorted({p["person_ref"] for p in mine if p.get("person_ref")})
        chunks = [refs[i : i + REFS_PER_CALL] for i in range(0, len(refs), REFS_PER_CALL)]
        asked = [{}] if everyone else [{"person_ref": chunk} for chunk in chunks]
        pages = await asyncio.gather(
            *(asyncio.gather(*(self.get(w.domain, w.path,
                                        {"status": w.status, "limit": LIST_SIZE, **extra})
                               for extra in asked))
              for w in WORKLISTS)
        )  # fmt: skip
        lists = [
            [row for page in found for row in page["items"] if w.keeps(row, TODAY)][:LIST_SIZE]
            for w, found in zip(WORKLISTS, pages, strict=True)
        ]
        shown = {row["person_ref"] for rows in lists for row in rows if row.get("person_ref")}
        if shown:
            body = {"person_refs": sorted(shown), "limit": 200}
            await self.post("cases", "/v1/persons/search", body)
        return {"tasks": len(tasks["items"]), "plans": len(mine),
                "lists": [len(rows) for rows in lists]}  # fmt: skip

    async def file(self, person_id: uuid.UUID) -> Any:
        return await self.get("cases", f"/v1/persons/{person_id}/file")

    async def close(self) -> None:
        for client in self.clients.values():
            await client.aclose()


def records_in(file: dict[str, Any]) -> list[int]:
    """How many records of each kind a person's file holds (the kinds with any)."""
    return [
        len(rows)
        for service in file["services"]
        for rows in (service.get("records") or {}).values()
        if isinstance(rows, list) and rows
    ]


@dataclass
class Timings:
    desk: list[float] = field(default_factory=list)
    api: list[float] = field(default_factory=list)
    facts: list[dict[str, Any]] = field(default_factory=list)

    def summary(self) -> dict[str, Any]:
        desk_p95 = percentile(self.desk, 0.95)
        return {
            "requests": len(self.desk),
            "desk": figures(self.desk, 1),
            "api": figures(self.api, 1),
            "ratio_p50": round(percentile(self.desk, 0.5) / percentile(self.api, 0.5), 2),
            "ratio_p95": round(desk_p95 / percentile(self.api, 0.95), 2),
            "target_met": desk_p95 <= TARGET_P95_MS,
        }


PAGES = ("search", "my cases", "working lists, whole organisation", "person's file")


async def breakdown(
    args: argparse.Namespace, urls: dict[str, str], loaded: Loaded
) -> list[dict[str, Any]]:
    """Where the pages' time goes: each API call they make, alone, one at a time (the
    person's file for "frequent" persons, in turn), with the size of its answer."""
    rnd = random.Random(args.seed + 2)  # noqa: S311 - made-up data, repeatable from the seed
    frequent = loaded.records.frequent
    people = [frequent[int(rnd.random() * len(frequent))] for _ in range(args.warmup + 400)]
    api = Api(urls)
    found: list[dict[str, Any]] = []
    try:
        plans = await api.get(
            "cases", "/v1/plans", {"status": "open", "key_worker": WORKER, "limit": 200}
        )
        refs = sorted({p["person_ref"] for p in plans["items"]})[:REFS_PER_CALL]
        turn = iter(range(10**9))

        def someone() -> Person:
            return people[next(turn) % len(people)]

        asked: list[tuple[str, Callable[[], Awaitable[httpx.Response]]]] = [
            ("cases: the worker's open plans, with their tasks",
             lambda: api.call("cases", "/v1/plans",
                              {"status": "open", "key_worker": WORKER, "limit": 200})),
            ("cases: the worker's open tasks",
             lambda: api.call("cases", "/v1/tasks",
                              {"assignee": WORKER, "status": "open", "limit": 200})),
            *((f"{w.domain}: {w.path} {w.status}, the newest {LIST_SIZE}",
               lambda w=w: api.call(w.domain, w.path, {"status": w.status, "limit": LIST_SIZE}))
              for w in WORKLISTS),
            *((f"{w.domain}: {w.path} {w.status}, {len(refs)} persons' (person_ref)",
               lambda w=w: api.call(w.domain, w.path,
                                    {"status": w.status, "limit": LIST_SIZE, "person_ref": refs}))
              for w in WORKLISTS),
            (f"cases: the names of {len(refs)} persons (person_refs)",
             lambda: api.call("cases", "/v1/persons/search",
                              body={"person_refs": refs, "limit": 200})),
            ("cases: a person's file (the four services' records included)",
             lambda: api.call("cases", f"/v1/persons/{someone().person_id}/file")),
            ("cases: a person's record alone",
             lambda: api.call("cases", f"/v1/persons/{someone().person_id}")),
            *((f"{d}: a person's records",
               lambda d=d: api.call(d, f"/v1/persons/{someone().ref}/records"))
              for d in PEERS),
        ]  # fmt: skip
        n = max(5, args.requests // 4)
        progress(f"where the time goes: each API call of the pages, {n} times")
        for label, call in asked:
            for _ in range(min(args.warmup, 5)):
                await call()
            times, size = [], 0
            for _ in range(n):
                ms, answer = await timed(call)
                times.append(ms)
                size = max(size, len(answer.content))
            found.append({
                "call": label,
                "p50_ms": round(percentile(times, 0.5), 1),
                "p95_ms": round(percentile(times, 0.95), 1),
                "max_kb": round(size / 1024, 1),
            })  # fmt: skip
    finally:
        await api.close()
    return found


async def measure(
    args: argparse.Namespace, urls: dict[str, str], loaded: Loaded
) -> dict[str, dict[str, Any]]:
    """Each page ``--requests`` times after ``--warmup``, interleaved with the other pages;
    each next to its raw baseline (which goes first alternates). Checks that each page
    shows what the services answered."""
    rnd = random.Random(args.seed + 1)  # noqa: S311 - made-up data, repeatable from the seed
    desk, api = Desk(urls["desk"]), Api(urls)
    try:
        await desk.sign_in()
        rounds = args.warmup + args.requests
        names: list[tuple[str, str]] = []
        while len(names) < rounds:
            someone = rnd.choice(loaded.people)
            words = f"{someone.given_names.split()[0]} {someone.family_name}".split()
            long = [i for i, w in enumerate(words) if len(w) >= 5]
            if long:
                i = rnd.choice(long)
                words[i] = typo(rnd, words[i])
                names.append((" ".join(words), str(someone.row[0])))
        frequent = loaded.records.frequent
        files = [frequent[int(rnd.random() * len(frequent))] for _ in range(rounds)]
        timings = {page: Timings() for page in PAGES}
        progress(f"{args.requests} requests of each page (after {args.warmup}), and as many"
                 " raw baselines")  # fmt: skip
        for i in range(rounds):
            name, wanted = names[i]
            person = files[i]
            for page, (on_desk, on_api) in calls(desk, api, name, person).items():
                if i % 2:
                    api_ms, answer = await timed(on_api)
                    desk_ms, shown = await timed(on_desk)
                else:
                    desk_ms, shown = await timed(on_desk)
                    api_ms, answer = await timed(on_api)
                if i < args.warmup:
                    continue
                t = timings[page]
                t.desk.append(desk_ms)
                t.api.append(api_ms)
                t.facts.append(check(page, shown, answer, wanted=wanted, person=person))
    finally:
        await desk.close()
        await api.close()
    report = {}
    for page, t in timings.items():
        summary = t.summary()
        summary["facts"] = facts_of(page, t.facts)
        report[page] = summary
    return report


Call = Callable[[], Awaitable[Any]]


def calls(desk: Desk, api: Api, name: str, person: Person) -> dict[str, tuple[Call, Call]]:
    """Each page's request at the desk and its raw baseline at the services."""
    return {
        "search": (lambda: desk.search(name), lambda: api.search(name)),
        "my cases": (lambda: desk.get("/?scope=mine"), lambda: api.home(False)),
        "working lists, whole organisation": (
            lambda: desk.get("/?scope=all"),
            lambda: api.home(True),
        ),
        "person's file": (
            lambda: desk.get(f"/persons/{person.person_id}"),
            lambda: api.file(person.person_id),
        ),
    }


def check(page: str, shown: str, answer: Any, *, wanted: str, person: Person) -> dict[str, Any]:
    """What the page shows against what the services answered (raises when they differ)."""
    if page == "search":
        total = answer["total"]
        assert heading_count(shown, "results-title") == total, "not the register's count"
        ids = [p["person_id"] for p in answer["items"]]
        assert all(f'href="/persons/{i}"' in shown for i in ids), "a person found is missing"
        return {"found": total, "top_20_has_the_person": wanted in ids}
    if page in ("my cases", "working lists, whole organisation"):
        tasks, plans = heading_count(shown, "tasks-title"), heading_count(shown, "plans-title")
        lists = h3_counts(shown)
        assert (tasks, plans, lists) == (answer["tasks"], answer["plans"], answer["lists"]), (
            page, (tasks, plans, lists), answer)  # fmt: skip
        return {"tasks": tasks, "plans": plans, "lists": lists}
    records = records_in(answer)
    assert sorted(h4_counts(shown)) == sorted(records), (h4_counts(shown), records)
    family = answer["person"]["family_name"]
    assert str(escape(family)) in shown, "the person's name is not on the file"
    assert all(s["status"] == "ok" for s in answer["services"]), answer["services"]
    return {"records": sum(records), "plans": len(answer["plans"])}


def facts_of(page: str, facts: list[dict[str, Any]]) -> dict[str, Any]:
    if page == "search":
        return {
            "found_median": statistics.median(f["found"] for f in facts),
            "person_in_top_20": round(
                sum(f["top_20_has_the_person"] for f in facts) / len(facts), 2
            ),
        }
    if page == "person's file":
        return {
            "records_median": statistics.median(f["records"] for f in facts),
            "records_max": max(f["records"] for f in facts),
        }
    last = facts[-1]
    return {"tasks": last["tasks"], "plans": last["plans"], "lists": last["lists"]}

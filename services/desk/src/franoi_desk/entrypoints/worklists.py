"""Working lists: what is under way on each axis, for the worker's own cases (the persons
of the plans they follow) or for the whole organisation, read from each service's lists.
The choice is remembered for the session."""

from __future__ import annotations

import asyncio
import datetime as dt
from dataclasses import dataclass
from typing import Any

from fastapi import Request

from franoi_desk.adapters.partner_api import ServiceProblem
from franoi_desk.entrypoints.web import api
from franoi_desk.session import bearer_token

VISIT_DUE_AFTER = dt.timedelta(days=30)
"""A hosting stay whose last monitoring visit is older than this (or that had none) needs
one."""
SESSION_SCOPE = "worklists_all"
LIST_SIZE = 50
"""Rows a working list shows (the newest); its heading says how many there are."""
REFS_PER_CALL = 50
"""Persons a list asks a service for at once (the services' ``person_ref`` filter takes 50)."""


@dataclass(frozen=True)
class Worklist:
    key: str
    """Its catalogue label: ``worklist.<key>``."""
    domain: str
    path: str
    status: str
    kind: str
    """The records' kind (``placements``), whose own id their operations take."""

    def keeps(self, row: dict[str, Any], today: dt.date) -> bool:
        if self.key != "visits_due":
            return True
        last = row.get("last_visit_on") or row.get("started_on")
        return last is None or dt.date.fromisoformat(str(last)) <= today - VISIT_DUE_AFTER


WORKLISTS = (
    Worklist("housing_requests", "housing", "/v1/requests", "open", "requests"),
    Worklist("placements", "housing", "/v1/placements", "active", "placements"),
    Worklist("internships", "employment", "/v1/internships", "open", "internships"),
    Worklist("visits_due", "hosting", "/v1/stays", "active", "stays"),
)


async def worklists(
    request: Request, my_plans: list[dict[str, Any]], everyone: bool
) -> list[tuple[Worklist, list[dict[str, Any]], int]]:
    """Each list's records (each with ``person_id`` and ``person_name`` where the register
    names them) and how many the service holds: the worker's own persons' (those of the
    plans they follow, asked by their pseudonyms), unless ``everyone``; at most
    ``LIST_SIZE`` rows a list, the newest."""
    token = await bearer_token(request)
    mine = sorted({p["person_ref"] for p in my_plans if p.get("person_ref")})
    chunks = [mine[i : i + REFS_PER_CALL] for i in range(0, len(mine), REFS_PER_CALL)]
    today = dt.date.today()

    async def fetch(worklist: Worklist) -> tuple[list[dict[str, Any]], int]:
        asked = [{}] if everyone else [{"person_ref": chunk} for chunk in chunks]
        try:
            pages = await asyncio.gather(
                *(
                    api(request).get(
                        worklist.domain,
                        worklist.path,
                        token,
                        {"status": worklist.status, "limit": LIST_SIZE, **extra},
                    )
                    for extra in asked
                )
            )
        except ServiceProblem:
            return [], 0
        rows = [row for page in pages for row in page.get("items", [])]
        rows.sort(key=lambda row: str(row.get("created_at", "")), reverse=True)
        kept = [row for row in rows if worklist.keeps(row, today)][:LIST_SIZE]
        total = sum(int(page.get("total", 0)) for page in pages)
        return kept, total if worklist.key != "visits_due" else len(kept)

    found = await asyncio.gather(*(fetch(w) for w in WORKLISTS))
    shown = {row["person_ref"] for rows, _ in found for row in rows if row.get("person_ref")}
    names = await _names(request, token, shown)
    return [
        (worklist, [{**row, **names.get(str(row.get("person_ref")), {})} for row in rows], total)
        for worklist, (rows, total) in zip(WORKLISTS, found, strict=True)
    ]


async def _names(request: Request, token: str, refs: set[str]) -> dict[str, dict[str, str]]:
    """The register's ``person_id`` and names of the persons the lists show — only those,
    so the access log records just the persons a worker saw."""
    if not refs:
        return {}
    body = {"person_refs": sorted(refs), "limit": 200}
    try:
        page = await api(request).post("cases", "/v1/persons/search", token, body)
    except ServiceProblem:
        return {}
    return {
        row["person_ref"]: {
            "person_id": row["person_id"],
            "person_name": f"{row['family_name']} {row['given_names']}",
        }
        for row in page.get("items", [])
    }

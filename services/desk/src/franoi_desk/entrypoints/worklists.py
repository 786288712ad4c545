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
LIST_SIZE = 200


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
) -> list[tuple[Worklist, list[dict[str, Any]]]]:
    """Each list's records (each with ``person_id`` and ``person_name`` where the register
    names them): the worker's own persons' only (those of the plans they follow), unless
    ``everyone``."""
    token = bearer_token(request)
    mine = {p["person_ref"] for p in my_plans}
    today = dt.date.today()

    async def fetch(worklist: Worklist) -> list[dict[str, Any]]:
        params = {"status": worklist.status, "limit": LIST_SIZE}
        try:
            page = await api(request).get(worklist.domain, worklist.path, token, params)
        except ServiceProblem:
            return []
        return [
            row
            for row in page.get("items", [])
            if (everyone or row.get("person_ref") in mine) and worklist.keeps(row, today)
        ]

    found = await asyncio.gather(*(fetch(w) for w in WORKLISTS))
    shown = {row["person_ref"] for rows in found for row in rows if row.get("person_ref")}
    names = await _names(request, token, shown)
    return [
        (worklist, [{**row, **names.get(str(row.get("person_ref")), {})} for row in rows])
        for worklist, rows in zip(WORKLISTS, found, strict=True)
    ]


async def _names(request: Request, token: str, refs: set[str]) -> dict[str, dict[str, str]]:
    """The register's ``person_id`` and names of the persons the lists show — only those,
    so the access log records just the persons a worker saw."""
    if not refs:
        return {}
    body = {"person_refs": sorted(refs)[:LIST_SIZE], "limit": LIST_SIZE}
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

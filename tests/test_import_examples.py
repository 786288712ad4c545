"""The example files of the import guide (docs/import/examples/``<service>-<sheet>.csv``)
are files a coordinator could upload as they are: each partner service that imports runs
on a real PostgreSQL (the relay off), and every one of its sheets has its example, which
is checked (``check_only``: status ``checked``) and then imported, in the service's order,
so that the next sheets' references find their records. A sheet whose rows carry an end
that later sheets' records must come before (a lab series' close, which counts its
sessions) is imported as the guide says: first without its :data:`LATER` columns, then,
once every sheet is in, whole again (its ends update their records). An example of a
service or a sheet that does not import fails."""

from __future__ import annotations

import asyncio
import csv
import io
from pathlib import Path
from typing import Any

import httpx
import pytest
from franoi_common.service import ServiceDefinition
from franoi_network.api_docs import openapi_of
from franoi_network.registry import PARTNER_SERVICES

from tests.support import RunningService, auth_header, kafka_settings, running

EXAMPLES = Path(__file__).resolve().parents[1] / "docs" / "import" / "examples"
PARTNER = "p01"
ADMIN = auth_header(PARTNER, "partner_admin")
BY_NAME = {d.name: d for d in PARTNER_SERVICES}
LATER: dict[tuple[str, str], frozenset[str]] = {
    ("events", "lab_series"): frozenset(
        {"closed_on", "distinct_participants", "distinct_beneficiaries", "distinct_volunteers"}
    ),
}
"""The columns of a sheet imported again after the service's other sheets (by field)."""


def examples() -> dict[str, dict[str, Path]]:
    """The example files by service and sheet (``housing-units.csv``: housing, units)."""
    found: dict[str, dict[str, Path]] = {}
    for path in sorted(EXAMPLES.iterdir()):
        service, _, sheet = path.stem.partition("-")
        found.setdefault(service, {})[sheet] = path
    return found


def settings(definition: ServiceDefinition, database_url: str) -> Any:
    kafka = kafka_settings("127.0.0.1:1", False, create_topics=False)
    return definition.settings_type(
        env="test",
        database_url=database_url,
        partner_id=PARTNER,
        kafka=kafka,
        relay_enabled=False,
    )


def imports(definition: ServiceDefinition) -> bool:
    """Whether the service declares sheets (its API document has ``/v1/imports/sheets``)."""
    return "/v1/imports/sheets" in openapi_of(definition)["paths"]


def rows_in(path: Path) -> int:
    text = path.read_text(encoding="utf-8-sig")
    return sum(1 for row in csv.reader(io.StringIO(text), delimiter=";") if any(row))


def without(path: Path, headers: set[str]) -> tuple[bytes, int]:
    """The example without the columns headed ``headers``, and how many of its rows fill one
    of them (the rows the whole file updates later)."""
    text = path.read_text(encoding="utf-8-sig")
    header, *rows = [r for r in csv.reader(io.StringIO(text), delimiter=";") if any(r)]
    kept = [i for i, h in enumerate(header) if h not in headers]
    assert len(kept) < len(header), f"{path.name} has none of the columns {headers}"
    out = io.StringIO()
    csv.writer(out, delimiter=";", lineterminator="\n").writerows(
        [[r[i] for i in kept] for r in [header, *rows]]
    )
    filled = sum(1 for r in rows if any(r[i] for i in range(len(r)) if i not in kept))
    return ("\ufeff" + out.getvalue()).encode(), filled


async def check_and_import(
    client: httpx.AsyncClient, sheet: str, name: str, body: bytes, rows: int
) -> Any:
    """The file checked (``checked``, every row) then imported (``done``): its tally."""
    checked = await upload(client, sheet, body, check_only=True)
    assert checked["status"] == "checked", (name, checked["problems"])
    assert checked["checked_rows"] == rows >= 3, name
    done = await upload(client, sheet, body, check_only=False)
    assert done["status"] == "done", (name, done["problems"])
    assert done["problems"] == [], (name, done["problems"])
    return done["tally"]


async def upload(client: httpx.AsyncClient, sheet: str, body: bytes, check_only: bool) -> Any:
    answer = await client.post(
        f"/v1/imports/sheets/{sheet}",
        content=body,
        params={"check_only": str(check_only).lower()},
        headers={**ADMIN, "Content-Type": "text/csv"},
    )
    assert answer.status_code == 202, answer.text
    for _ in range(600):
        found = (await client.get(answer.headers["Location"], headers=ADMIN)).json()
        if found["status"] not in ("checking", "importing"):
            return found
        await asyncio.sleep(0.05)
    raise AssertionError(f"{sheet}: the import did not finish")


def test_every_example_is_named_after_a_partner_service_and_housing_has_them() -> None:
    found = examples()
    assert set(found) <= set(BY_NAME), f"no partner service named {set(found) - set(BY_NAME)}"
    assert set(found["housing"]) == {"agreements", "units", "housing_requests", "placements"}
    for service, sheet in LATER:
        assert sheet in found[service], (service, sheet)
    for service, definition in BY_NAME.items():
        if not imports(definition):
            assert service not in found, f"{service} imports nothing: {found.get(service)}"


@pytest.mark.parametrize("service", [d.name for d in PARTNER_SERVICES if imports(d)])
async def test_the_examples_of_a_service_are_checked_and_imported(
    service: str, databases: Any
) -> None:
    definition = BY_NAME[service]
    url = await databases.create(f"{service}_examples")
    running_service = RunningService(definition, settings(definition, url))
    async with running(running_service):
        client = running_service.client
        listed = await client.get("/v1/imports/sheets", headers=ADMIN)
        assert listed.status_code == 200, listed.text
        sheets = [s["name"] for s in listed.json()]
        given = examples().get(service, {})
        assert set(given) <= set(sheets), f"{service} imports no sheet {set(given) - set(sheets)}"
        assert set(sheets) <= set(given), f"no example of {service}: {set(sheets) - set(given)}"
        later = []
        for sheet in listed.json():  # the service's order: references after what they point to
            path = given[sheet["name"]]
            rows = rows_in(path) - 1
            fields = LATER.get((service, sheet["name"]))
            if fields is None:
                body = path.read_bytes()
            else:
                headers = {c["header"] for c in sheet["columns"] if c["name"] in fields}
                body, filled = without(path, headers)
                later.append((sheet["name"], path, filled))
            tally = await check_and_import(client, sheet["name"], path.name, body, rows)
            assert tally["created"] == rows, (path.name, tally)
        for name, path, filled in later:  # the ends, once what they count is in
            rows = rows_in(path) - 1
            tally = await check_and_import(client, name, path.name, path.read_bytes(), rows)
            ends = {"created": 0, "updated": filled, "unchanged": rows - filled, "refused": 0}
            assert tally == ends, (path.name, tally)

"""The published event contract: generated docs are current, schemas only evolve
compatibly, no schema can carry a direct identifier, and every event the housing
service publishes matches its schema exactly."""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from aiokafka import AIOKafkaConsumer
from franoi_common.envelope import decode
from franoi_contracts.catalogue import incompatibilities, render
from franoi_housing.bootstrap import DEFINITION as HOUSING

from tests.support import (
    RunningService,
    auth_header,
    eventually,
    kafka_settings,
    partner_service_settings,
    running,
)

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
SCHEMAS = DOCS / "events" / "schemas"
FORBIDDEN_NAME_PARTS = (
    "name", "surname", "address", "street", "phone", "mobile", "email", "mail", "tax",
    "fiscal", "codice", "permit", "passport", "document", "birth", "note", "comment",
    "description", "text", "iban", "member", "contact",
)  # fmt: skip


def test_committed_catalogue_is_current() -> None:
    for relative, content in render().items():
        path = DOCS / relative
        assert path.exists(), f"{relative} missing: run python -m franoi_contracts.catalogue docs"
        assert path.read_text() == content, f"{relative} is stale: regenerate the catalogue"
    committed = {p.name for p in SCHEMAS.glob("*.json")}
    generated = {Path(r).name for r in render() if r.startswith("events/schemas/")}
    assert committed == generated, "a published schema has no model any more (new version?)"


def _history(path: Path) -> list[str]:
    try:
        commits = subprocess.run(
            ["git", "log", "--format=%H", "--", str(path.relative_to(ROOT))],
            cwd=ROOT, capture_output=True, text=True, check=True,
        ).stdout.split()  # fmt: skip
    except (OSError, subprocess.CalledProcessError):
        return []
    versions = []
    for commit in commits:
        shown = subprocess.run(
            ["git", "show", f"{commit}:{path.relative_to(ROOT)}"],
            cwd=ROOT, capture_output=True, text=True,
        )  # fmt: skip
        if shown.returncode == 0:
            versions.append(shown.stdout)
    return versions


def test_schemas_only_change_compatibly() -> None:
    """Every version ever committed must still accept what the current model publishes."""
    current = {Path(r).name: json.loads(c) for r, c in render().items() if "schemas/" in r}
    checked = 0
    for name, schema in current.items():
        path = SCHEMAS / name
        for old_text in [path.read_text(), *_history(path)]:
            problems = incompatibilities(json.loads(old_text), schema)
            assert not problems, f"{name}: incompatible change, publish a new version: {problems}"
            checked += 1
    assert checked >= len(current)


def test_incompatibility_detector_catches_breaking_changes() -> None:
    old = {
        "type": "object",
        "required": ["a"],
        "properties": {
            "a": {"type": "string", "enum": ["x", "y"]},
            "b": {"type": "integer"},
        },
    }
    assert incompatibilities(old, old) == []
    removed = {**old, "properties": {"a": old["properties"]["a"]}}
    assert any("removed" in p for p in incompatibilities(old, removed))
    required = {**old, "required": ["a", "b"]}
    assert any("required" in p for p in incompatibilities(old, required))
    retyped = {**old, "properties": {**old["properties"], "b": {"type": "string"}}}
    assert any("type" in p for p in incompatibilities(old, retyped))
    narrowed = {**old, "properties": {**old["properties"], "a": {"type": "string", "enum": ["x"]}}}
    assert any("enum" in p for p in incompatibilities(old, narrowed))


def _walk(node: Any, path: str = "") -> Any:
    if isinstance(node, dict):
        yield path, node
        for key, value in node.items():
            yield from _walk(value, f"{path}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _walk(value, f"{path}/{i}")


@pytest.mark.parametrize("schema_file", sorted(SCHEMAS.glob("*.json")), ids=lambda p: p.stem)
def test_no_schema_can_carry_a_direct_identifier(schema_file: Path) -> None:
    schema = json.loads(schema_file.read_text())
    assert schema.get("additionalProperties") is False
    for path, node in _walk(schema):
        for prop in node.get("properties", {}) if isinstance(node.get("properties"), dict) else {}:
            assert not any(part in prop.lower() for part in FORBIDDEN_NAME_PARTS), (
                f"{schema_file.name}{path}: property {prop!r} looks like a direct identifier"
            )
        if node.get("type") == "string":
            constrained = {"enum", "pattern", "format", "const"} & node.keys()
            assert constrained, f"{schema_file.name}{path}: free-text string"


async def test_every_published_event_matches_its_schema(
    databases, kafka_bootstrap, kafka_idempotent
) -> None:
    """Drive every housing command through the API, then read the partner's topic."""
    kafka = kafka_settings(kafka_bootstrap, kafka_idempotent)
    housing = RunningService(
        HOUSING, partner_service_settings(await databases.create("housing"), kafka, ["p16"])
    )
    today = dt.date.today()
    h = auth_header("p16")
    async with running(housing):
        c = housing.client

        async def ok(method: str, url: str, body: dict[str, Any]) -> dict[str, Any]:
            response = await c.request(method, url, json=body, headers=h)
            assert response.status_code in (200, 201), response.text
            result: dict[str, Any] = response.json()
            return result

        agreement = await ok("POST", "/v1/agreements", {
            "counterpart_kind": "estate_agency", "counterpart_name": "Agenzia Casa Bella",
            "signed_on": today.isoformat(), "units_pledged": 3,
        })  # fmt: skip
        unit = await ok("POST", "/v1/units", {
            "municipality_code": "F205", "beds": 3, "monthly_rent_eur": 500,
            "rent_regime": "agreed", "provider": "estate_agency_agreement",
            "agreement_id": agreement["agreement_id"], "available_from": today.isoformat(),
        })  # fmt: skip
        await ok("PATCH", f"/v1/units/{unit['unit_id']}", {"beds": 4})
        person = {"sex": "male", "age_band": "35-44", "protection_status": "subsidiary_protection"}
        requests = []
        for identifier in ("AB1234567", "CD7654321", "EF1111111"):
            requests.append(await ok("POST", "/v1/requests", {
                "person_identifier": identifier, "household_size": 1, "need": "eviction_risk",
                "submitted_on": today.isoformat(), **person,
            }))  # fmt: skip
        await ok("POST", f"/v1/requests/{requests[1]['request_id']}/unsatisfied",
                 {"closed_on": today.isoformat(), "reason": "no_unit_available"})  # fmt: skip
        await ok("POST", f"/v1/requests/{requests[2]['request_id']}/withdraw",
                 {"closed_on": today.isoformat()})  # fmt: skip
        placement = await ok("POST", "/v1/placements", {
            "person_identifier": "AB1234567", "unit_id": unit["unit_id"],
            "request_id": requests[0]["request_id"], "household_size": 1,
            "started_on": today.isoformat(), **person,
        })  # fmt: skip
        pid = placement["placement_id"]
        await ok("POST", f"/v1/placements/{pid}/extend",
                 {"planned_end_on": (today + dt.timedelta(days=180)).isoformat()})  # fmt: skip
        await ok("POST", f"/v1/placements/{pid}/end",
                 {"ended_on": today.isoformat(), "exit_outcome": "autonomous_rent"})  # fmt: skip
        await ok(
            "POST", f"/v1/units/{unit['unit_id']}/withdraw", {"withdrawn_on": today.isoformat()}
        )
        await ok("POST", f"/v1/agreements/{agreement['agreement_id']}/end",
                 {"ended_on": today.isoformat()})  # fmt: skip
        relay = housing.wiring.workers["relay"]
        await eventually(lambda: _drained(relay))

    expected_types = {p.stem for p in SCHEMAS.glob("it.franoi.housing.*.json")}
    consumer = AIOKafkaConsumer(
        "franoi.p16.housing.v1", bootstrap_servers=kafka_bootstrap,
        auto_offset_reset="earliest", enable_auto_commit=False,
    )  # fmt: skip
    await consumer.start()
    seen: dict[str, int] = {}
    records = []
    try:
        idle = 0
        while idle < 3 and len(records) < 1000:
            batches = await consumer.getmany(timeout_ms=1000)
            fetched = [record for batch in batches.values() for record in batch]
            idle = 0 if fetched else idle + 1
            records.extend(fetched)
        for record in records:
            envelope = decode(record.headers, record.value)
            schema = json.loads((SCHEMAS / f"{envelope.type}.json").read_text())
            assert envelope.dataschema == schema["$id"]
            jsonschema.validate(envelope.data, schema)  # additionalProperties: false
            assert record.key == envelope.subject.encode()
            assert envelope.data[schema["x-kafka-key"]] == envelope.subject
            text = record.value.decode() + repr(record.headers)
            for secret in ("AB1234567", "Agenzia Casa Bella"):
                assert secret not in text
            assert not re.search(r"[A-Z]{6}[0-9]{2}[A-Z][0-9]{2}[A-Z][0-9]{3}[A-Z]", text)
            seen[envelope.type] = seen.get(envelope.type, 0) + 1
    finally:
        await consumer.stop()
    assert set(seen) == expected_types, f"not every event type was exercised: {seen}"


async def _drained(relay: Any) -> bool:
    return bool(await relay.pending() == 0)

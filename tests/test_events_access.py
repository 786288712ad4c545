"""Cross-partner access to the events API: denied for every endpoint.

One events instance serves two partners (p24, p25). p24 owns a hub, a lab series,
a community event and a day's access batch with a known person. Every route of
the app's OpenAPI document is then called (nothing is hand-listed, so a new
endpoint is covered by itself) with path parameters, id fields of bodies and id
filters pointing at p24's resources:

* as p25 staff: single resources and commands answer 403/404 (a create reusing
  p24's client-chosen id may also answer 409), lists answer 200 and empty, the
  person's file is empty, and no body mentions p24's ids, person_ref, hub name or
  event title;
* as a partner the instance does not serve, or without a role of partner staff: 403;
  without a token, or with a forged or stale one: 401;
* afterwards p24's resources are unchanged and nothing was written for anyone else.

The route enumeration, operation shape and forged tokens are the housing access
test's (:mod:`tests.test_access`).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx
import pytest
from franoi_events.bootstrap import DEFINITION as EVENTS
from franoi_events.service_layer import commands

from tests.support import (
    RunningService,
    auth_header,
    kafka_settings,
    partner_service_settings,
    running,
)
from tests.test_access import FORBIDDEN as HOUSING_FORBIDDEN
from tests.test_access import (
    Operation,
    _resolve,
    declared_operations,
    probe_every_operation,
    stored_partners,
)

OWNER, NEIGHBOUR, STRANGER = "p24", "p25", "p23"
TODAY = dt.date.today()
IDENTIFIER = "RZZGNN70C12Z330J"
HUB_NAME = "OP Cafè di Lainate"
TITLE = "Laboratorio di sartoria con Giulia"
TABLES = ("hubs", "lab_series", "community_events", "access_batches", "access_known_persons")
STORED = (*TABLES, "outbox")

PATTERN_SAMPLES = {
    r"^[A-Z][0-9]{3}$": "E415",
    r"^[0-9a-f]{64}$": "0" * 64,  # replaced by the owner's person_ref
    r"^[^\x00-\x1f\x7f]*$": "Etichetta di prova",
}

FORBIDDEN: dict[str, dict[str, str]] = {
    "partner not served (p23)": auth_header(STRANGER, "social_worker", "partner_admin"),
    "the consortium": auth_header("consortium", "social_worker", "consortium_analyst"),
    "owner's integrator (no staff role)": auth_header(OWNER, "integrator"),
    "owner's analyst (no staff role)": auth_header(OWNER, "consortium_analyst"),
    "no partner_id claim": HOUSING_FORBIDDEN["no partner_id claim"],
}


@dataclass
class Owned:
    ids: dict[str, str]
    person_ref: str

    @property
    def secrets(self) -> list[str]:
        return [*self.ids.values(), self.person_ref, HUB_NAME, TITLE, IDENTIFIER]


@pytest.fixture(scope="module")
async def instance(databases) -> AsyncIterator[tuple[RunningService, asyncpg.Connection]]:
    url = await databases.create("events_access")
    kafka = kafka_settings("127.0.0.1:1", False, create_topics=False)
    service = RunningService(
        EVENTS, partner_service_settings(url, kafka, (OWNER, NEIGHBOUR), relay_enabled=False)
    )
    async with running(service):
        db = await asyncpg.connect(url)
        try:
            yield service, db
        finally:
            await db.close()


async def _create(client: httpx.AsyncClient, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = await client.post(path, json=body, headers=auth_header(OWNER, "partner_admin"))
    assert response.status_code == 201, f"{path}: {response.status_code} {response.text}"
    result: dict[str, Any] = response.json()
    return result


async def _seed_owner(client: httpx.AsyncClient) -> Owned:
    opened = (TODAY - dt.timedelta(days=60)).isoformat()
    hub = await _create(
        client,
        "/v1/hubs",
        {"name": HUB_NAME, "municipality_code": "E415", "kind": "cafe_hub", "opened_on": opened},
    )
    series = await _create(
        client,
        "/v1/lab-series",
        {
            "kind": "community_lab",
            "title": TITLE,
            "hub_id": hub["hub_id"],
            "started_on": opened,
        },
    )
    event = await _create(
        client,
        "/v1/community-events",
        {
            "kind": "community_lab",
            "title": TITLE,
            "hub_id": hub["hub_id"],
            "lab_series_id": series["lab_series_id"],
            "starts_on": TODAY.isoformat(),
            "duration_minutes": 90,
        },
    )
    batch = await _create(
        client,
        "/v1/access-batches",
        {
            "access_batch_id": str(uuid.uuid4()),
            "hub_id": hub["hub_id"],
            "accessed_on": TODAY.isoformat(),
            "anonymous": [{"topic": "work", "referred": True, "accesses": 3}],
            "known_persons": [{"person_identifier": IDENTIFIER, "topic": "housing"}],
        },
    )
    ids = {
        "hub_id": hub["hub_id"],
        "lab_series_id": series["lab_series_id"],
        "community_event_id": event["community_event_id"],
        "access_batch_id": batch["access_batch_id"],
    }
    return Owned(ids=ids, person_ref=batch["known_persons"][0]["person_ref"])


def _sample(name: str, schema: dict[str, Any], owned: Owned, document: dict[str, Any]) -> Any:
    """A valid value for one body field; ids and person_ref point at the owner's data."""
    schema = _resolve(schema, document)
    if "anyOf" in schema:
        options = [o for o in schema["anyOf"] if o.get("type") != "null"]
        return _sample(name, options[0], owned, document)
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "string":
        if name in owned.ids:
            return owned.ids[name]
        if name == "person_ref":
            return owned.person_ref
        fmt = schema.get("format")
        if fmt == "uuid":
            return str(uuid.uuid4())
        if fmt == "date":
            return TODAY.isoformat()
        if fmt == "time":
            return "09:00:00"
        if "pattern" in schema:
            assert schema["pattern"] in PATTERN_SAMPLES, f"add a sample for {schema['pattern']}"
            return PATTERN_SAMPLES[schema["pattern"]]
        return "X" * max(6, schema.get("minLength", 1))
    if kind == "integer":
        return schema.get("minimum", 1)
    if kind == "boolean":
        return True
    if kind == "array":
        return []
    if kind == "object":
        return {
            key: _sample(key, prop, owned, document)
            for key, prop in schema.get("properties", {}).items()
        }
    raise AssertionError(f"no sample for field {name}: {schema}")


def _body(op: Operation, owned: Owned, document: dict[str, Any]) -> dict[str, Any] | None:
    """A body that the command model accepts, so a 422 cannot hide a missing check."""
    if op.body_schema is None:
        return None
    schema = _resolve({"$ref": f"#/components/schemas/{op.body_schema}"}, document)
    body = {
        name: _sample(name, prop, owned, document)
        for name, prop in schema.get("properties", {}).items()
    }
    model = getattr(commands, op.body_schema, None)
    assert isinstance(model, type) and issubclass(model, commands.Command), (
        f"{op}: the body {op.body_schema} is not a command model of service_layer/commands.py"
    )
    model.model_validate(body)  # raises if the generated body is not valid
    return body


def _url(op: Operation, owned: Owned) -> str:
    wanted = {**owned.ids, "person_ref": owned.person_ref}
    missing = [p for p in op.path_params if p not in wanted]
    assert not missing, f"{op}: no owned id for path parameters {missing}"
    return op.path.format(**{p: wanted[p] for p in op.path_params})


def _query(op: Operation, owned: Owned) -> dict[str, str]:
    wanted = {**owned.ids, "person_ref": owned.person_ref}
    return {name: wanted[name] for name in op.query_params if name in wanted}


async def _snapshot(client: httpx.AsyncClient, owned: Owned) -> dict[str, Any]:
    headers = auth_header(OWNER)
    paths = [
        f"/v1/hubs/{owned.ids['hub_id']}",
        f"/v1/lab-series/{owned.ids['lab_series_id']}",
        f"/v1/community-events/{owned.ids['community_event_id']}",
        f"/v1/access-batches/{owned.ids['access_batch_id']}",
        f"/v1/persons/{owned.person_ref}/records",
        "/v1/hubs",
        "/v1/lab-series",
        "/v1/community-events",
        "/v1/access-batches",
    ]
    seen = {}
    for path in paths:
        response = await client.get(path, headers=headers)
        assert response.status_code == 200, f"{path}: {response.text}"
        seen[path] = response.json()
    return seen


async def test_every_events_endpoint_denies_other_partners(instance) -> None:
    service, db = instance
    client = service.client
    owned = await _seed_owner(client)
    assert owned.person_ref and IDENTIFIER not in owned.person_ref

    document = (await client.get("/openapi.json")).json()
    operations = declared_operations(service, document)
    assert len(operations) >= 18

    before = await _snapshot(client, owned)
    outbox_before = await db.fetchval("SELECT count(*) FROM outbox")
    assert await stored_partners(db, (*TABLES, "outbox")) == {
        t: [OWNER] for t in (*TABLES, "outbox")
    }

    problems, kinds = await probe_every_operation(
        client,
        operations,
        url=lambda op: _url(op, owned),
        query=lambda op: _query(op, owned),
        body=lambda op: _body(op, owned, document),
        secrets=owned.secrets,
        neighbour_id=NEIGHBOUR,
        neighbour=auth_header(NEIGHBOUR, "partner_admin"),
        forbidden=FORBIDDEN,
    )
    assert not problems, "\n".join(problems)
    assert kinds == {"list": 4, "single": 4, "command": 9}, kinds

    assert await _snapshot(client, owned) == before
    assert await db.fetchval("SELECT count(*) FROM outbox") == outbox_before
    assert await stored_partners(db, (*TABLES, "outbox")) == {
        t: [OWNER] for t in (*TABLES, "outbox")
    }

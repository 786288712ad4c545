"""Cross-partner access through the API: denied for every endpoint.

One housing instance is shared by two partners (p21, p22). p21 owns an agreement,
a unit, a request and a placement. Every route of the app's OpenAPI document is
then called (nothing is hand-listed, so a new endpoint is covered by itself) with
path parameters, id fields of bodies and id filters pointing at p21's resources:

* as p22 staff: single resources and commands answer 403/404, lists answer 200 and
  empty, and no body ever mentions p21's ids, person_ref or counterpart name;
* as a partner the instance does not serve, or without a role of partner staff: 403;
  without a token, or with a forged or stale one claiming p21: 401;
* afterwards p21's resources are unchanged and nothing was written for anyone else.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import asyncpg
import httpx
import jwt
import pytest
from fastapi.routing import APIRoute
from franoi_housing.bootstrap import DEFINITION as HOUSING
from franoi_housing.entrypoints import api as housing_api
from franoi_housing.service_layer import commands

from tests.support import (
    AUTH,
    RunningService,
    auth_header,
    kafka_settings,
    partner_service_settings,
    running,
)

OWNER, NEIGHBOUR, STRANGER = "p21", "p22", "p23"
TODAY = dt.date.today()
IDENTIFIER = "KLMNPQ85T10Z330X"
COUNTERPART = "Agenzia Immobiliare Rossi di Paolo Rossi"
METHODS = ("get", "post", "put", "patch", "delete")
HOUSING_TABLES = ("agreements", "housing_units", "housing_requests", "placements", "outbox")

# Sample values for the string patterns the API declares (a new pattern must be added here).
PATTERN_SAMPLES = {
    r"^[A-Z][0-9]{3}$": "L219",
    r"^[0-9a-f]{64}$": "0" * 64,  # replaced by the owner's person_ref below
    r"^[^\x00-\x1f\x7f]*$": "Agenzia di prova",
}


@dataclass
class Owned:
    """p21's resources: the ids (by path/body field name) and the texts that must not leak."""

    ids: dict[str, str]
    person_ref: str

    @property
    def secrets(self) -> list[str]:
        return [*self.ids.values(), self.person_ref, COUNTERPART, IDENTIFIER]


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    path_params: tuple[str, ...]
    query_params: tuple[str, ...]
    body_schema: str | None

    @property
    def is_list(self) -> bool:
        return self.method == "get" and not self.path_params

    @property
    def is_create(self) -> bool:
        return self.method == "post" and not self.path_params

    def __str__(self) -> str:
        return f"{self.method.upper()} {self.path}"


@pytest.fixture(scope="module")
async def instance(databases) -> AsyncIterator[tuple[RunningService, asyncpg.Connection]]:
    url = await databases.create("access")
    kafka = kafka_settings("127.0.0.1:1", False, create_topics=False)
    service = RunningService(
        HOUSING, partner_service_settings(url, kafka, (OWNER, NEIGHBOUR), relay_enabled=False)
    )
    async with running(service):
        db = await asyncpg.connect(url)
        try:
            yield service, db
        finally:
            await db.close()


async def _create(client: httpx.AsyncClient, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = await client.post(path, json=body, headers=auth_header(OWNER))
    assert response.status_code == 201, f"{path}: {response.status_code} {response.text}"
    return response.json()


async def _seed_owner(client: httpx.AsyncClient) -> Owned:
    agreement = await _create(
        client,
        "/v1/agreements",
        {
            "counterpart_kind": "estate_agency",
            "counterpart_name": COUNTERPART,
            "signed_on": (TODAY - dt.timedelta(days=90)).isoformat(),
            "units_pledged": 3,
        },
    )
    unit = await _create(
        client,
        "/v1/units",
        {
            "municipality_code": "L219",
            "beds": 4,
            "monthly_rent_eur": 420,
            "rent_regime": "agreed",
            "provider": "estate_agency_agreement",
            "agreement_id": agreement["agreement_id"],
            "available_from": (TODAY - dt.timedelta(days=60)).isoformat(),
        },
    )
    person = {
        "person_identifier": IDENTIFIER,
        "household_size": 2,
        "sex": "female",
        "age_band": "25-34",
        "protection_status": "refugee",
    }
    request = await _create(
        client,
        "/v1/requests",
        {**person, "need": "exit_from_reception", "submitted_on": TODAY.isoformat()},
    )
    placement = await _create(
        client,
        "/v1/placements",
        {
            **person,
            "unit_id": unit["unit_id"],
            "request_id": request["request_id"],
            "started_on": TODAY.isoformat(),
            "planned_end_on": (TODAY + dt.timedelta(days=180)).isoformat(),
        },
    )
    ids = {
        "agreement_id": agreement["agreement_id"],
        "unit_id": unit["unit_id"],
        "request_id": request["request_id"],
        "placement_id": placement["placement_id"],
    }
    return Owned(ids=ids, person_ref=request["person_ref"])


def _operations(document: dict[str, Any]) -> list[Operation]:
    found = []
    for path, item in document["paths"].items():
        if not path.startswith("/v1/") or path.startswith(IMPORTS):
            continue  # /healthz and /readyz are public by design; imports: see IMPORTS
        for method in METHODS:
            op = item.get(method)
            if op is None:
                continue
            params = [*item.get("parameters", []), *op.get("parameters", [])]
            body = op.get("requestBody", {}).get("content", {}).get("application/json")
            ref = body["schema"]["$ref"] if body else None
            found.append(
                Operation(
                    method=method,
                    path=path,
                    path_params=tuple(p["name"] for p in params if p["in"] == "path"),
                    query_params=tuple(p["name"] for p in params if p["in"] == "query"),
                    body_schema=ref.rsplit("/", 1)[1] if ref else None,
                )
            )
    return found


def _resolve(schema: dict[str, Any], document: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


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
        if "pattern" in schema:
            assert schema["pattern"] in PATTERN_SAMPLES, f"add a sample for {schema['pattern']}"
            return PATTERN_SAMPLES[schema["pattern"]]
        return "X" * max(6, schema.get("minLength", 1))
    if kind == "integer":
        return schema.get("minimum", 1)
    if kind == "boolean":
        return True
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
    if "person_ref" in body:
        body.pop("person_identifier", None)  # exactly one of the two
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
    """Id filters of a list pointing at the owner's data (they must still find nothing)."""
    wanted = {**owned.ids, "person_ref": owned.person_ref}
    return {name: wanted[name] for name in op.query_params if name in wanted}


def _forged(**changes: Any) -> str:
    """Tokens that claim the owner's partner but must not be accepted."""
    now = dt.datetime.now(dt.UTC)
    claims: dict[str, Any] = {
        "sub": "intruder",
        "partner_id": OWNER,
        "roles": ["social_worker", "partner_admin"],
        "iss": AUTH.issuer,
        "aud": AUTH.audience,
        "iat": now,
        "exp": now + dt.timedelta(hours=1),
    }
    key = changes.pop("key", AUTH.key.get_secret_value())
    algorithm = changes.pop("algorithm", "HS256")
    claims.update(changes)
    claims = {k: v for k, v in claims.items() if v is not None}
    return jwt.encode(claims, None if algorithm == "none" else key, algorithm=algorithm)


UNAUTHENTICATED: dict[str, dict[str, str]] = {
    "no token": {},
    "not a bearer scheme": {"Authorization": "Basic cDIxOnNlY3JldA=="},
    "not a JWT": {"Authorization": "Bearer not-a-jwt"},
    "wrong audience": {"Authorization": f"Bearer {_forged(aud='another-network')}"},
    "wrong issuer": {"Authorization": f"Bearer {_forged(iss='https://evil.example')}"},
    "expired": {
        "Authorization": "Bearer "
        + _forged(
            iat=dt.datetime.now(dt.UTC) - dt.timedelta(hours=2),
            exp=dt.datetime.now(dt.UTC) - dt.timedelta(hours=1),
        )
    },
    "no expiry": {"Authorization": f"Bearer {_forged(exp=None)}"},
    "signed with another key": {
        "Authorization": f"Bearer {_forged(key='another-issuer-secret-key-0123456789abcdef')}"
    },
    'alg "none"': {"Authorization": f"Bearer {_forged(algorithm='none')}"},
}

FORBIDDEN: dict[str, dict[str, str]] = {
    # a genuine token that names no partner authorises nothing: 403, not 401
    "no partner_id claim": {"Authorization": f"Bearer {_forged(partner_id=None)}"},
    "partner not served (p23)": auth_header(STRANGER, "social_worker", "partner_admin"),
    "the consortium": auth_header("consortium", "social_worker", "consortium_analyst"),
    "owner's integrator (no staff role)": auth_header(OWNER, "integrator"),
    "owner's analyst (no staff role)": auth_header(OWNER, "consortium_analyst"),
}


async def _snapshot(client: httpx.AsyncClient, owned: Owned) -> dict[str, Any]:
    """Everything the owner sees: each resource and each list."""
    headers = auth_header(OWNER)
    paths = [
        f"/v1/agreements/{owned.ids['agreement_id']}",
        f"/v1/units/{owned.ids['unit_id']}",
        f"/v1/requests/{owned.ids['request_id']}",
        f"/v1/placements/{owned.ids['placement_id']}",
        "/v1/agreements",
        "/v1/units",
        "/v1/requests",
        "/v1/placements",
    ]
    seen = {}
    for path in paths:
        response = await client.get(path, headers=headers)
        assert response.status_code == 200, f"{path}: {response.text}"
        seen[path] = response.json()
    return seen


async def stored_partners(db: asyncpg.Connection, tables: Sequence[str]) -> dict[str, list[str]]:
    """Which partners each table holds rows of."""
    return {
        table: sorted(
            r["partner_id"] for r in await db.fetch(f"SELECT DISTINCT partner_id FROM {table}")
        )
        for table in tables
    }


def declared_operations(service: RunningService, document: dict[str, Any]) -> list[Operation]:
    """Every operation of the OpenAPI document, checked to be every route the app declares."""
    operations = _operations(document)
    declared = {
        (method.lower(), route.path)
        for router in service.definition.routers(service.settings)
        for route in router.routes
        if isinstance(route, APIRoute) and not route.path.startswith(IMPORTS)
        for method in route.methods
    }
    assert {(op.method, op.path) for op in operations} == declared
    return operations


async def probe_every_operation(
    client: httpx.AsyncClient,
    operations: Sequence[Operation],
    *,
    url: Callable[[Operation], str],
    query: Callable[[Operation], dict[str, str]],
    body: Callable[[Operation], dict[str, Any] | None],
    secrets: Sequence[str],
    neighbour_id: str,
    neighbour: dict[str, str],
    forbidden: Mapping[str, dict[str, str]],
) -> tuple[list[str], dict[str, int]]:
    """Call every operation, aimed at the owner's resources, as the ``neighbour`` partner's
    staff, as each ``forbidden`` caller and without a valid token; the problems found
    (a leaked secret, a 500, a status other than expected) and how many lists, single
    reads and commands were probed."""
    problems: list[str] = []
    kinds = {"list": 0, "single": 0, "command": 0}

    async def call(op: Operation, headers: dict[str, str]) -> httpx.Response:
        op_url, params = url(op), query(op) if op.is_list else None
        op_body = body(op)
        response = await client.request(
            op.method.upper(), op_url, params=params, json=op_body, headers=headers
        )
        hidden = list(secrets)
        problem_keys = {"type", "title", "status", "detail", "code", "errors"}
        if not response.is_success and set(response.json()) <= problem_keys:
            # An error message may name the id the caller itself asked for, nothing else.
            sent = f"{op_url} {params} {op_body}"
            hidden = [s for s in hidden if s not in sent]
        if op.path.endswith("/records"):  # the answer names the person_ref it was asked for
            hidden = [s for s in hidden if s not in op_url]
        leaked = [s for s in hidden if s in response.text]
        if leaked:
            problems.append(f"{op}: response {response.status_code} mentions {leaked}")
        if response.status_code == 500:
            problems.append(f"{op}: 500 {response.text}")
        return response

    for op in operations:
        # (a) the other partner served by the same instance
        response = await call(op, neighbour)
        status = response.status_code
        if op.is_list:
            kinds["list"] += 1
            page = response.json() if status == 200 else None
            if status != 200 or page["items"] != [] or page["total"] != 0:
                problems.append(f"{op} as {neighbour_id}: expected an empty page, got {status}")
        elif op.path.endswith("/records"):
            # The person's file: the neighbour's view of the person holds nothing.
            found = response.json() if status == 200 else None
            if status != 200 or any(found["records"].values()):
                problems.append(f"{op} as {neighbour_id}: expected no records, got {status}")
        elif op.method == "get":
            kinds["single"] += 1
            if status not in (403, 404):
                problems.append(f"{op} as {neighbour_id}: {status} {response.text}")
        else:
            kinds["command"] += 1
            # A create whose client-chosen id is the owner's id is refused as a conflict
            # (the id is taken); it must never be created, nor change the owner's row.
            allowed = (403, 404, 409) if op.is_create else (403, 404)
            if status not in allowed:
                problems.append(f"{op} as {neighbour_id}: {status} {response.text}")

        # (b) callers that are not the staff of a partner this instance serves
        for label, headers in forbidden.items():
            response = await call(op, headers)
            if response.status_code != 403:
                problems.append(f"{op} as {label}: {response.status_code}, expected 403")
        for label, headers in UNAUTHENTICATED.items():
            response = await call(op, headers)
            if response.status_code != 401:
                problems.append(f"{op} with {label}: {response.status_code}, expected 401")
            elif "bearer" not in response.headers.get("www-authenticate", "").lower():
                problems.append(f"{op} with {label}: 401 without WWW-Authenticate: Bearer")
    return problems, kinds


IMPORTS = "/v1/imports"
"""The coordinator's imports, probed by tests/test_imports.py (another partner's import is
not found, its list is empty)."""


def _routes_in_source() -> int:
    """How many routes entrypoints/api.py declares (the floor for the enumeration): the
    routes of its module-level router, each kind of record's declared in one call."""
    return sum(
        len(r.methods)
        for r in housing_api.router.routes
        if isinstance(r, APIRoute) and not r.path.startswith(IMPORTS)
    )


async def test_every_endpoint_denies_other_partners(instance) -> None:
    service, db = instance
    client = service.client
    owned = await _seed_owner(client)
    assert owned.person_ref and IDENTIFIER not in owned.person_ref

    document = (await client.get("/openapi.json")).json()
    operations = declared_operations(service, document)
    assert len(operations) >= _routes_in_source() >= 17

    before = await _snapshot(client, owned)
    outbox_before = await db.fetchval("SELECT count(*) FROM outbox")
    assert await stored_partners(db, HOUSING_TABLES) == {
        t: [OWNER] for t in ("agreements", "housing_units", "housing_requests", "placements")
    } | {"outbox": [OWNER]}

    problems, kinds = await probe_every_operation(
        client,
        operations,
        url=lambda op: _url(op, owned),
        query=lambda op: _query(op, owned),
        body=lambda op: _body(op, owned, document),
        secrets=owned.secrets,
        neighbour_id=NEIGHBOUR,
        neighbour=auth_header(NEIGHBOUR),
        forbidden=FORBIDDEN,
    )
    assert not problems, "\n".join(problems)
    assert kinds["list"] >= 4 and kinds["single"] >= 4 and kinds["command"] >= 9, kinds

    # (c) nothing changed for the owner, nothing was written for anyone else
    assert await _snapshot(client, owned) == before
    assert await db.fetchval("SELECT count(*) FROM outbox") == outbox_before
    assert await db.fetchval("SELECT count(*) FROM outbox WHERE partner_id <> $1", OWNER) == 0
    assert await stored_partners(db, HOUSING_TABLES) == {
        t: [OWNER] for t in ("agreements", "housing_units", "housing_requests", "placements")
    } | {"outbox": [OWNER]}

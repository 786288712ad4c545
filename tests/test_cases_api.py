"""The cases API's behaviour on a real PostgreSQL (no broker: the relay is off).

One instance serves several partners; each test works as its own partner, so
lists and totals are exact although the tests share the database. Commands go
through :meth:`Api.call`, which checks the status and that exactly the expected
events were appended to the outbox, each valid against its contract model and
free of the person's identity; a refused command must append nothing.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import uuid
from collections.abc import AsyncIterator, Sequence
from typing import Any, Self

import asyncpg
import pytest
from franoi_cases.bootstrap import DEFINITION as CASES
from franoi_cases.settings import CasesSettings
from franoi_common.pseudonym import person_ref
from franoi_common.settings import KafkaSettings
from franoi_housing.bootstrap import DEFINITION as HOUSING
from opentelemetry.trace import SpanKind

from tests.support import (
    Expected,
    OutboxApi,
    RunningService,
    Served,
    auth_header,
    kafka_settings,
    partner_service_settings,
    running,
    serving,
    token,
)

PARTNERS = ("p41", "p42", "p43", "p44", "p45", "p46", "p47", "p48", "p49")
TODAY = dt.date.today()
PSEUDONYM_KEY = b"development-only-pseudonym-key-0123456789"
TAX_CODE = "KNKNGZ90A41Z335X"
PERMIT = "I98765432"
PHONE = "+39 333 7654321"
EMAIL = "ngozi.okonkwo@example.org"
TABLES = ("persons", "plans", "plan_reviews", "access_log", "outbox")


def cases_settings(
    database_url: str, kafka: KafkaSettings, partners: Sequence[str], **overrides: Any
) -> CasesSettings:
    return CasesSettings(
        env="test",
        database_url=database_url,
        partner_id=",".join(partners),
        kafka=kafka,
        relay_poll_interval_s=0.5,
        **overrides,
    )


def day(offset: int = 0) -> str:
    return (TODAY + dt.timedelta(days=offset)).isoformat()


def person_body(**changes: Any) -> dict[str, Any]:
    return {
        "given_names": "Ngozi",
        "family_name": "Okonkwò",
        "born_on": "1990-01-01",
        "sex": "female",
        "citizenship": "NG",
        "languages": ["en", "ig"],
        "protection_status": "refugee",
        "protection_expires_on": "2030-06-30",
        "tax_code": TAX_CODE,
        "phone": PHONE,
        "email": EMAIL,
        "household": [{"relation": "child", "given_name": "Ada", "birth_year": 2019}],
        **changes,
    }


def plan_body(person_id: str, **changes: Any) -> dict[str, Any]:
    return {
        "person_id": person_id,
        "opened_on": day(-30),
        "axes": ["housing", "work", "language"],
        "goals": {"housing": ["autonomous_rent"], "work": ["Trovare lavoro come sarta"]},
        "planned_months": 12,
        **changes,
    }


class CasesApi(OutboxApi):
    """A partner's client of the cases service, for every cases test module."""

    DOMAIN = "cases"

    def as_admin(self) -> Self:
        return type(self)(self.service, self.db, self.partner, ("partner_admin",))

    async def operations_logged(self, person_id: str) -> list[str]:
        """The access log's operations on the person, in order."""
        rows = await self.db.fetch(
            "SELECT operation FROM access_log WHERE partner_id = $1 AND person_id = $2 ORDER BY id",
            self.partner,
            uuid.UUID(person_id),
        )
        return [r["operation"] for r in rows]


class Api(CasesApi):
    def check_event(self, row: asyncpg.Record) -> None:
        text = json.dumps(row["data"])
        for secret in ("Ngozi", "Okonk", "1990-01-01", TAX_CODE, PERMIT, "7654321", "Ada"):
            assert secret not in text, f"{secret} in {row['event_type']}"

    async def search(self, **criteria: Any) -> Any:
        return await self.call("POST", "/v1/persons/search", criteria, status=200)

    async def log_of(self, person_id: str) -> list[tuple[str, str, str]]:
        rows = await self.db.fetch(
            "SELECT operation, actor, role FROM access_log WHERE partner_id = $1"
            " AND person_id = $2 ORDER BY id",
            self.partner,
            uuid.UUID(person_id),
        )
        return [(r["operation"], r["actor"], r["role"]) for r in rows]


Cases = Served[Api]


@pytest.fixture(scope="module")
async def cases(databases) -> AsyncIterator[Cases]:
    url = await databases.create("cases_api")
    kafka = kafka_settings("127.0.0.1:1", False, create_topics=False)
    settings = cases_settings(url, kafka, PARTNERS, relay_enabled=False)
    async with serving(CASES, settings, Api, TABLES) as served:
        yield served


async def register(api: Api, status: int = 201, events: Expected | None = None, **changes: Any):
    body = person_body(**changes)
    if events is None:
        identified = body.get("tax_code") or body.get("residence_permit_number")
        events = [("person.registered", None)] if identified else []
    return await api.call("POST", "/v1/persons", body, status=status, events=events)


# --- persons -----------------------------------------------------------------------------


async def test_register_read_and_correct_a_person(cases: Cases) -> None:
    api = cases.api("p41")
    person = await register(api)
    pid = person["person_id"]
    assert person["person_ref"] == person_ref(TAX_CODE, PSEUDONYM_KEY)  # as housing computes it
    assert (person["tax_code"], person["phone"], person["email"]) == (TAX_CODE, PHONE, EMAIL)
    assert person["age_band"] == "35-44" and person["registered_on"] == day()
    assert person["household"] == [{"relation": "child", "given_name": "Ada", "birth_year": 2019}]
    event = await cases.db.fetchval(
        "SELECT data FROM outbox WHERE aggregate_id = $1 AND event_type LIKE '%person%'", pid
    )
    assert set(event) == {
        "person_id", "person_ref", "registered_on", "sex", "age_band", "protection_status",
    }  # fmt: skip
    read = await api.get(f"/v1/persons/{pid}")
    assert read == person
    changed = await api.call(
        "PATCH",
        f"/v1/persons/{pid}",
        {"residence_permit_number": "i-98765432", "email": None, "protection_status": "other"},
        status=200,
    )
    assert changed["residence_permit_number"] == PERMIT
    assert changed["email"] is None and changed["protection_status"] == "other"
    assert changed["person_ref"] == person["person_ref"]  # stable once given
    assert changed["phone"] == PHONE and changed["family_name"] == "Okonkwò"
    assert [op for op, _, _ in await api.log_of(pid)] == ["register", "read", "update"]


async def test_a_change_made_on_an_old_version_is_refused_not_overwritten(cases: Cases) -> None:
    """Optimistic concurrency (ETag / If-Match): a read answers the record's version; a
    change sent with the version it was made on is refused (412, a problem) once someone
    else changed the record meanwhile, and changes nothing; without If-Match it applies."""
    api = cases.api("p41")
    person = await register(api, tax_code="VRSPRS80A01H501U")
    path = f"/v1/persons/{person['person_id']}"
    client, headers = api.service.client, api.headers
    read = await client.get(path, headers=headers)
    assert read.headers["etag"] == '"1"'
    first = await client.patch(
        path, json={"phone": "+39 333 1111111"}, headers={**headers, "If-Match": '"1"'}
    )
    assert first.status_code == 200 and first.headers["etag"] == '"2"'
    late = await client.patch(
        path, json={"phone": "+39 333 2222222"}, headers={**headers, "If-Match": '"1"'}
    )
    assert late.status_code == 412, late.text
    assert late.headers["content-type"].startswith("application/problem+json")
    assert late.json()["code"] == "changed_meanwhile"
    now = await client.get(path, headers=headers)
    assert now.json()["phone"] == "+39 333 1111111" and now.headers["etag"] == '"2"'
    plan = await api.call(
        "POST", "/v1/plans", plan_body(person["person_id"]), status=201,
        events=[("plan.opened", None)],
    )  # fmt: skip
    review = {"reviewed_on": day(-1), "progress": {"work": "stalled"}}
    stale = await client.post(
        f"/v1/plans/{plan['plan_id']}/review", json=review, headers={**headers, "If-Match": '"7"'}
    )
    assert stale.status_code == 412 and stale.json()["code"] == "changed_meanwhile"
    fresh = await client.post(
        f"/v1/plans/{plan['plan_id']}/review", json=review, headers={**headers, "If-Match": '"1"'}
    )
    assert fresh.status_code == 200 and fresh.headers["etag"] == '"2"'


async def test_person_without_document_gets_a_ref_when_one_is_recorded(cases: Cases) -> None:
    api = cases.api("p42")
    person = await register(api, tax_code=None)
    pid = person["person_id"]
    assert person["person_ref"] is None
    refused = await api.call(
        "POST", "/v1/plans", plan_body(pid), status=409
    )  # the network counts plans by person_ref
    assert refused["code"] == "person_not_identified"
    changed = await api.call(
        "PATCH",
        f"/v1/persons/{pid}",
        {"residence_permit_number": PERMIT},
        status=200,
        events=[("person.registered", pid)],
    )
    assert changed["person_ref"] == person_ref(PERMIT, PSEUDONYM_KEY)


async def test_a_document_is_registered_once_per_partner(cases: Cases) -> None:
    api = cases.api("p43")
    first = await register(api)
    before = await cases.counts()
    for body in (
        {"tax_code": "knkngz 90a41 z335x"},
        {"tax_code": None, "residence_permit_number": TAX_CODE},
    ):
        problem = await register(api, status=409, events=[], **body)
        assert problem["code"] == "person_already_registered"
    other = await register(api, tax_code=None)
    problem = await api.call(
        "PATCH", f"/v1/persons/{other['person_id']}", {"tax_code": TAX_CODE}, status=409
    )
    assert problem["code"] == "person_already_registered"
    after = await cases.counts()
    assert after["persons"] == before["persons"] + 1  # only the record without a document
    assert after["outbox"] == before["outbox"]
    # Another partner may follow the same person: same person_ref, its own record.
    elsewhere = await register(cases.api("p44"))
    assert elsewhere["person_ref"] == first["person_ref"]


async def test_concurrent_registrations_of_one_document_leave_one_record(cases: Cases) -> None:
    api = cases.api("p42")
    body = person_body(tax_code="CNCRNT80A01H501U")
    responses = await asyncio.gather(
        *(api.service.client.post("/v1/persons", json=body, headers=api.headers) for _ in range(6))
    )
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201, 409, 409, 409, 409, 409], [r.text for r in responses]
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {
        "person_already_registered"
    }
    assert (await api.search(document="CNCRNT80A01H501U"))["total"] == 1


async def test_create_with_a_client_chosen_id_is_safe_to_retry(cases: Cases) -> None:
    api = cases.api("p45")
    chosen = str(uuid.uuid4())
    first = await api.call(
        "POST",
        "/v1/persons",
        person_body(person_id=chosen),
        status=201,
        events=[("person.registered", chosen)],
    )
    again = await api.call("POST", "/v1/persons", person_body(person_id=chosen), status=201)
    assert again == first
    assert [op for op, _, _ in await api.log_of(chosen)] == ["register", "read"]
    problem = await api.call(
        "POST", "/v1/persons", person_body(person_id=chosen, family_name="Other"), status=409
    )
    assert problem["code"] == "already_exists"
    plan_id = str(uuid.uuid4())
    body = plan_body(chosen, plan_id=plan_id)
    opened = await api.call(
        "POST", "/v1/plans", body, status=201, events=[("plan.opened", plan_id)]
    )
    assert await api.call("POST", "/v1/plans", body, status=201) == opened


async def test_search_by_name_with_and_without_accents_birth_date_and_document(
    cases: Cases,
) -> None:
    api = cases.api("p46")
    ngozi = await register(api)
    await register(
        api, given_names="Chidi", family_name="Okonkwo", born_on="1985-05-05",
        tax_code=None, residence_permit_number="PS1234567",
    )  # fmt: skip
    await register(api, given_names="Amina", family_name="Diallo", tax_code="DLLMNA95B50Z343Y")
    await register(cases.api("p47"), family_name="Okonkwò")  # another partner's Ngozi

    async def names(**params: Any) -> list[str]:
        page = await api.search(**params)
        assert page["total"] == len(page["items"]) or "limit" in params
        return [f"{p['given_names']} {p['family_name']}" for p in page["items"]]

    assert await names(name="okonkwo") == ["Chidi Okonkwo", "Ngozi Okonkwò"]
    assert await names(name="Okonkwò") == ["Chidi Okonkwo", "Ngozi Okonkwò"]
    assert await names(name="OKONKWÒ ngozi") == ["Ngozi Okonkwò"]
    assert await names(name="konk") == ["Chidi Okonkwo", "Ngozi Okonkwò"]
    assert await names(name="okonkwa") == []
    assert await names(name="dia") == ["Amina Diallo"]
    assert await names(name="100%") == []  # LIKE wildcards are literal
    assert await names(born_on="1985-05-05") == ["Chidi Okonkwo"]
    assert await names(name="okonkwo", born_on="1990-01-01") == ["Ngozi Okonkwò"]
    assert await names(document="knkngz90a41z335x") == ["Ngozi Okonkwò"]
    assert await names(document="PS-123 4567") == ["Chidi Okonkwo"]
    assert await names(document="ZZZ999999") == []
    first = await api.get("/v1/persons", limit=2)
    second = await api.search(limit=2, offset=2)
    beyond = await api.search(limit=2, offset=10)
    assert [p["person_id"] for p in (await api.search(limit=2))["items"]] == [
        p["person_id"] for p in first["items"]
    ]
    assert (first["total"], second["total"], beyond["total"]) == (3, 3, 3)
    assert len(first["items"]) == 2 and len(second["items"]) == 1 and beyond["items"] == []
    assert "tax_code" not in first["items"][0] and "phone" not in first["items"][0]
    log = await api.log_of(ngozi["person_id"])
    assert log.count(("search_hit", "test-user", "social_worker")) == 7


# --- the access log ----------------------------------------------------------------------


async def test_every_read_and_change_is_logged_and_only_admins_see_the_log(cases: Cases) -> None:
    api = cases.api("p48")
    person = await register(api)
    pid = person["person_id"]
    plan = await api.call(
        "POST", "/v1/plans", plan_body(pid), status=201, events=[("plan.opened", None)]
    )
    await api.get(f"/v1/persons/{pid}")
    await api.search(name="ngozi")
    await api.get(f"/v1/plans/{plan['plan_id']}")
    await api.get("/v1/plans")
    await api.get(f"/v1/persons/{pid}/plans")
    await api.get(f"/v1/persons/{pid}/file")
    records = await api.get(f"/v1/persons/{person['person_ref']}/records")
    assert (records["person_ref"], records["domain"]) == (person["person_ref"], "cases")
    assert [p["person_id"] for p in records["records"]["persons"]] == [pid]
    assert [p["plan_id"] for p in records["records"]["plans"]] == [plan["plan_id"]]
    await api.call(
        "POST",
        f"/v1/plans/{plan['plan_id']}/review",
        {"reviewed_on": day(-1), "progress": {"work": "in_progress"}},
        status=200,
        events=[("plan.reviewed", plan["plan_id"])],
    )
    expected = [
        "register", "open_plan", "read", "search_hit", "read_plan", "read_plan", "read_plan",
        "read_file", "read", "review_plan",
    ]  # fmt: skip
    assert [op for op, _, _ in await api.log_of(pid)] == expected

    for path in ("/v1/access-log", f"/v1/persons/{pid}/access-log"):
        problem = await api.call("GET", path, status=403)
        assert "partner_admin" in problem["detail"]
    admin = api.as_admin()
    listed = await admin.get("/v1/access-log", person_id=pid, limit=3)
    assert listed["total"] == len(expected)
    assert [e["operation"] for e in listed["items"]] == ["review_plan", "read", "read_file"]
    assert {e["actor"] for e in listed["items"]} == {"test-user"}
    exported = await admin.get(f"/v1/persons/{pid}/access-log")
    assert exported["total"] == len(expected) + 1
    assert exported["items"][0]["operation"] == "export_access_log"
    assert exported["items"][0]["role"] == "partner_admin"
    assert [e["operation"] for e in reversed(exported["items"])][:-1] == expected
    everything = await admin.get("/v1/access-log")
    assert {e["person_id"] for e in everything["items"]} == {pid}  # this partner's only


async def test_the_access_log_is_append_only(cases: Cases) -> None:
    count = "SELECT count(*) FROM access_log WHERE partner_id = 'p48'"
    before = await cases.db.fetchval(count)
    assert before > 0
    for statement in (
        "UPDATE access_log SET actor = 'someone else'",
        "DELETE FROM access_log",
        "TRUNCATE access_log",
    ):
        with pytest.raises(asyncpg.InsufficientPrivilegeError):
            await cases.db.execute(statement)
    assert await cases.db.fetchval(count) == before
    assert not await cases.db.fetchval("SELECT count(*) FROM access_log WHERE actor <> 'test-user'")


# --- encryption at rest ------------------------------------------------------------------


async def test_documents_and_contacts_are_not_readable_in_the_database(cases: Cases) -> None:
    api = cases.api("p49")
    person = await register(api, residence_permit_number=PERMIT)
    pid = uuid.UUID(person["person_id"])
    row = await cases.db.fetchrow("SELECT * FROM persons WHERE person_id = $1", pid)
    for column in ("tax_code_enc", "residence_permit_enc", "phone_enc", "email_enc"):
        assert isinstance(row[column], bytes) and len(row[column]) > 28
    dump = await cases.db.fetchval(
        "SELECT string_agg(t::text, ' ') FROM ("
        " SELECT row_to_json(p)::text AS t FROM persons p"
        " UNION ALL SELECT row_to_json(o)::text FROM outbox o"
        " UNION ALL SELECT row_to_json(a)::text FROM access_log a) x"
    )
    raw = bytes(row["tax_code_enc"]) + bytes(row["phone_enc"]) + bytes(row["email_enc"])
    for secret in (TAX_CODE, TAX_CODE.lower(), PERMIT, "7654321", "3337654321", EMAIL, "okonkwo@"):
        assert secret not in dump
        assert secret.encode() not in raw
    # The same plaintext seals differently for another row or field (random nonce, context).
    other = await register(api, tax_code="ZZZZZZ80A01H501U", phone=PHONE, email=None)
    other_row = await cases.db.fetchrow(
        "SELECT phone_enc FROM persons WHERE person_id = $1", uuid.UUID(other["person_id"])
    )
    assert other_row["phone_enc"] != row["phone_enc"]
    # Lookups use the blind index, not the plaintext: same document, same index.
    assert row["tax_code_index"] != TAX_CODE and len(row["tax_code_index"]) == 64
    # A ciphertext moved to another record does not decrypt there: the read fails closed.
    await cases.db.execute(
        "UPDATE persons SET phone_enc = $1 WHERE person_id = $2",
        row["phone_enc"],
        uuid.UUID(other["person_id"]),
    )
    response = await api.service.client.get(
        f"/v1/persons/{other['person_id']}", headers=api.headers
    )
    assert response.status_code == 500 and PHONE not in response.text


# --- plans -------------------------------------------------------------------------------


async def test_plan_lifecycle_and_its_rules(cases: Cases) -> None:
    api = cases.api("p44")
    person = await register(api, tax_code="PLNPRS80A01H501U")
    pid = person["person_id"]
    plan = await api.call(
        "POST", "/v1/plans", plan_body(pid), status=201, events=[("plan.opened", None)]
    )
    plan_id = plan["plan_id"]
    assert plan["status"] == "open" and plan["key_worker"] == "test-user"
    # Counting the open plans (the desk's home page) shows no one: nobody is logged.
    logged = (await api.as_admin().get("/v1/access-log", person_id=pid))["total"]
    counted = await api.get("/v1/plans/count", status="open", key_worker="test-user")
    assert counted == {"total": 1}
    assert (await api.as_admin().get("/v1/access-log", person_id=pid))["total"] == logged
    assert (await api.get("/v1/plans/count", key_worker="someone-else"))["total"] == 0
    assert (
        plan["goals"]["work"] == ["Trovare lavoro come sarta"] and plan["goals"]["language"] == []
    )
    problem = await api.call("POST", "/v1/plans", plan_body(pid, opened_on=day()), status=409)
    assert problem["code"] == "plan_already_open"
    base = f"/v1/plans/{plan_id}"
    problem = await api.call(
        "POST", f"{base}/review", {"reviewed_on": day(-31), "progress": {"work": "stalled"}},
        status=422,
    )  # fmt: skip
    assert problem["code"] == "invalid_dates"
    problem = await api.call(
        "POST", f"{base}/review", {"reviewed_on": day(-1), "progress": {"health": "stalled"}},
        status=422,
    )  # fmt: skip
    assert problem["code"] == "invalid_value"
    reviewed = await api.call(
        "POST",
        f"{base}/review",
        {"reviewed_on": day(-1), "progress": {"work": "achieved", "housing": "in_progress"}},
        status=200,
        events=[("plan.reviewed", plan_id)],
    )
    assert reviewed["reviews"] == [
        {"reviewed_on": day(-1), "progress": {"housing": "in_progress", "work": "achieved"}}
    ]
    problem = await api.call(
        "POST", f"{base}/close", {"closed_on": day(-40), "outcome": "completed_partly"}, status=422
    )
    assert problem["code"] == "invalid_dates"
    problem = await api.call(
        "POST", f"{base}/close", {"closed_on": day(), "outcome": "interrupted"}, status=422
    )
    assert "interruption_reason" in problem["detail"]
    closed = await api.call(
        "POST",
        f"{base}/close",
        {"closed_on": day(), "outcome": "interrupted", "interruption_reason": "moved_away"},
        status=200,
        events=[("plan.closed", plan_id)],
    )
    assert (closed["status"], closed["outcome"]) == ("closed", "interrupted")
    problem = await api.call(
        "POST", f"{base}/close", {"closed_on": day(), "outcome": "transferred"}, status=409
    )
    assert problem["code"] == "invalid_transition"
    await api.call(
        "POST", f"{base}/review", {"reviewed_on": day(), "progress": {"work": "achieved"}},
        status=409,
    )  # fmt: skip
    second = await api.call(
        "POST", "/v1/plans", plan_body(pid, opened_on=day()), status=201,
        events=[("plan.opened", None)],
    )  # fmt: skip
    listed = await api.get("/v1/plans", person_id=pid)
    assert [p["plan_id"] for p in listed["items"]] == [second["plan_id"], plan_id]
    assert [p["plan_id"] for p in (await api.get("/v1/plans", status="open"))["items"]] == [
        second["plan_id"]
    ]
    assert await api.get(f"/v1/persons/{pid}/plans") == [closed, second]


async def test_two_records_of_one_person_are_merged(cases: Cases) -> None:
    api = cases.api("p47")
    survivor = await register(api, tax_code=None, phone=None, given_names="Ngozi Ada")
    duplicate = await register(api, tax_code=None, residence_permit_number="MRG1234567")
    plan = await api.call(
        "POST", "/v1/plans", plan_body(duplicate["person_id"]), status=201,
        events=[("plan.opened", None)],
    )  # fmt: skip
    merged = await api.call(
        "POST",
        f"/v1/persons/{survivor['person_id']}/merge",
        {"duplicate_person_id": duplicate["person_id"]},
        status=200,
    )
    assert merged["person_ref"] == duplicate["person_ref"]
    assert merged["residence_permit_number"] == "MRG1234567" and merged["phone"] == PHONE
    assert merged["given_names"] == "Ngozi Ada"
    gone = await api.get(f"/v1/persons/{duplicate['person_id']}")
    assert gone["merged_into"] == survivor["person_id"] and gone["residence_permit_number"] is None
    plans = await api.get(f"/v1/persons/{survivor['person_id']}/plans")
    assert [p["plan_id"] for p in plans] == [plan["plan_id"]]
    found = await api.search(document="MRG1234567")
    assert [p["person_id"] for p in found["items"]] == [survivor["person_id"]]
    problem = await api.call(
        "POST",
        f"/v1/persons/{survivor['person_id']}/merge",
        {"duplicate_person_id": duplicate["person_id"]},
        status=409,
    )
    assert problem["code"] == "invalid_transition"


# --- partner isolation, roles and bad input ----------------------------------------------


async def test_partner_isolation_on_every_endpoint(cases: Cases) -> None:
    owner, other = cases.api("p45"), cases.api("p46")
    person = await register(owner, tax_code="SLTPRS80A01H501U")
    pid, ref = person["person_id"], person["person_ref"]
    plan = await owner.call(
        "POST", "/v1/plans", plan_body(pid), status=201, events=[("plan.opened", None)]
    )
    plan_id = plan["plan_id"]
    task_id = (
        await owner.call(
            "POST", f"/v1/plans/{plan_id}/tasks", {"title": "Call", "due_on": day()}, status=201
        )
    )["task_id"]
    review = {"reviewed_on": day(), "progress": {"work": "achieved"}}
    closing = {"closed_on": day(), "outcome": "transferred"}
    checked = await cases.service.client.post(
        "/v1/imports/sheets/persons?check_only=true",
        content=b"ref;given_names\nR1;Ngozi\n",
        headers={**auth_header("p45", "partner_admin"), "Content-Type": "text/csv"},
    )
    assert checked.status_code == 422  # the file lacks required columns: answered, not kept
    referral = {
        "person_id": pid, "to_partner_id": "p47", "axis": "work", "reason": "safety",
        "referrer_name": "Maria Rossi", "referrer_phone": "+39 02 1234567",
    }  # fmt: skip
    proposed = await cases.service.client.post(
        "/v1/referrals", json=referral, headers=auth_header("p45")
    )  # its event goes to the referrals topic (tests/test_referrals.py follows it)
    assert proposed.status_code == 201, proposed.text
    rid = proposed.json()["referral_id"]
    import_id = await cases.db.fetchval("SELECT gen_random_uuid()")
    await cases.db.execute(
        "INSERT INTO imports (import_id, partner_id, sheet, check_only, status, total_rows)"
        " VALUES ($1, 'p45', 'persons', true, 'checked', 1)",
        import_id,
    )
    # Every route of the app, aimed at p45's person and plan: (template, method) → request.
    aimed: dict[tuple[str, str], tuple[str, Any]] = {
        ("/v1/imports/{import_id}", "GET"): (f"/v1/imports/{import_id}", None),
        ("/v1/imports", "GET"): ("/v1/imports", None),
        ("/v1/imports/sheets", "GET"): ("/v1/imports/sheets", None),
        ("/v1/imports/sheets/{sheet}/template", "GET"): (
            "/v1/imports/sheets/persons/template", None,
        ),
        ("/v1/imports/sheets/{sheet}", "POST"): ("/v1/imports/sheets/persons", None),
        ("/v1/persons/{person_id}", "GET"): (f"/v1/persons/{pid}", None),
        ("/v1/persons/{person_id}", "PATCH"): (f"/v1/persons/{pid}", {"phone": "+39 0000000"}),
        ("/v1/persons/{person_id}/merge", "POST"): (
            f"/v1/persons/{pid}/merge", {"duplicate_person_id": str(uuid.uuid4())},
        ),
        ("/v1/persons/{person_id}/plans", "GET"): (f"/v1/persons/{pid}/plans", None),
        ("/v1/persons/{person_id}/file", "GET"): (f"/v1/persons/{pid}/file", None),
        ("/v1/persons/{person_id}/access-log", "GET"): (f"/v1/persons/{pid}/access-log", None),
        ("/v1/persons/{person_id}/export", "GET"): (f"/v1/persons/{pid}/export", None),
        ("/v1/persons/{person_id}/erase", "POST"): (f"/v1/persons/{pid}/erase", None),
        ("/v1/plans", "POST"): ("/v1/plans", plan_body(pid)),
        ("/v1/plans/{plan_id}", "GET"): (f"/v1/plans/{plan_id}", None),
        ("/v1/plans/{plan_id}/review", "POST"): (f"/v1/plans/{plan_id}/review", review),
        ("/v1/plans/{plan_id}/close", "POST"): (f"/v1/plans/{plan_id}/close", closing),
        # lists and lookups: answer, but only with the caller's own partner's data
        ("/v1/persons", "GET"): ("/v1/persons", None),
        ("/v1/persons", "POST"): ("/v1/persons", person_body(tax_code="SLTPRS80A01H501U")),
        ("/v1/persons/search", "POST"): ("/v1/persons/search", {"document": "SLTPRS80A01H501U"}),
        ("/v1/persons/{person_ref}/records", "GET"): (f"/v1/persons/{ref}/records", None),
        ("/v1/plans", "GET"): (f"/v1/plans?person_id={pid}", None),
        ("/v1/plans/count", "GET"): ("/v1/plans/count?status=open", None),
        ("/v1/access-log", "GET"): (f"/v1/access-log?person_id={pid}", None),
        ("/v1/persons/{person_id}/consent", "GET"): (f"/v1/persons/{pid}/consent", None),
        ("/v1/persons/{person_id}/consent", "POST"): (
            f"/v1/persons/{pid}/consent", {"given_on": day(), "scopes": []},
        ),
        ("/v1/plans/{plan_id}/tasks", "POST"): (
            f"/v1/plans/{plan_id}/tasks", {"title": "Call", "due_on": day()},
        ),
        ("/v1/tasks/{task_id}", "GET"): (f"/v1/tasks/{task_id}", None),
        ("/v1/tasks/{task_id}/complete", "POST"): (
            f"/v1/tasks/{task_id}/complete", {"done_on": day()},
        ),
        ("/v1/tasks/{task_id}/cancel", "POST"): (f"/v1/tasks/{task_id}/cancel", None),
        ("/v1/tasks", "GET"): (f"/v1/tasks?person_id={pid}", None),
        ("/v1/referrals", "POST"): ("/v1/referrals", referral),
        ("/v1/referrals/{referral_id}", "GET"): (f"/v1/referrals/{rid}", None),
        ("/v1/referrals/{referral_id}/accept", "POST"): (f"/v1/referrals/{rid}/accept", None),
        ("/v1/referrals/{referral_id}/decline", "POST"): (
            f"/v1/referrals/{rid}/decline", {"reason": "no_capacity"},
        ),
        ("/v1/referrals/{referral_id}/withdraw", "POST"): (f"/v1/referrals/{rid}/withdraw", None),
        ("/v1/referrals/{referral_id}/complete", "POST"): (
            f"/v1/referrals/{rid}/complete", {"person_id": pid},
        ),
        ("/v1/referrals/inbox", "GET"): ("/v1/referrals/inbox", None),
        ("/v1/referrals/sent", "GET"): (f"/v1/referrals/sent?person_id={pid}", None),
        ("/v1/persons/duplicates", "POST"): (
            "/v1/persons/duplicates",
            {"given_names": "Ngozi", "family_name": "Okonkwo", "born_on": "1990-01-01",
             "tax_code": "SLTPRS80A01H501U"},
        ),
    }  # fmt: skip
    # The key store (/v1/person-keys) answers the partner's services and the projection by
    # its secret, not to partner tokens: tests/test_shredding.py checks who it answers.
    routes = {
        (path, method.upper())
        for path, operations in cases.service.app.openapi()["paths"].items()
        if path.startswith("/v1/") and not path.startswith("/v1/person-keys/")
        for method in operations
    }
    assert set(aimed) == routes, "a new endpoint needs its isolation check here"

    before = await cases.counts()
    admin = other.as_admin()
    for (template, method), (path, body) in aimed.items():
        if template in (
            "/v1/persons", "/v1/persons/search", "/v1/plans", "/v1/access-log", "/v1/tasks",
            "/v1/persons/duplicates", "/v1/plans/count", "/v1/imports", "/v1/imports/sheets",
            "/v1/imports/sheets/{sheet}/template", "/v1/imports/sheets/{sheet}",
            "/v1/referrals/inbox", "/v1/referrals/sent",
        ) or template.endswith("/records"):  # fmt: skip
            continue
        problem = await admin.call(method, path, body, status=404)
        assert problem["code"] == "not_found", path
    assert (await other.search(document="SLTPRS80A01H501U"))["items"] == []
    assert (await other.get("/v1/plans", person_id=pid))["items"] == []
    assert (await other.get("/v1/plans/count", status="open"))["total"] == 0
    assert (await owner.get("/v1/plans/count", status="open"))["total"] >= 1
    records = await other.get(f"/v1/persons/{ref}/records")
    assert records["records"] == {"persons": [], "plans": []}
    assert (await admin.get("/v1/access-log", person_id=pid))["total"] == 0
    assert await admin.get("/v1/imports") == []
    assert (await admin.get("/v1/referrals/sent"))["items"] == []
    assert (await admin.get("/v1/referrals/inbox"))["items"] == []
    after = await cases.counts()
    assert after == before
    # Staff of a partner this instance does not serve, other roles, no token: every route.
    client = cases.service.client
    for headers, status in [
        (auth_header("p07", "partner_admin"), 403),
        (auth_header("p45", "integrator"), 403),
        ({"Authorization": f"Bearer {token('consortium', 'consortium_analyst')}"}, 403),
        ({}, 401),
    ]:
        for (_, method), (path, body) in aimed.items():
            response = await client.request(method, path, json=body, headers=headers)
            assert response.status_code == status, f"{method} {path}: {response.text}"
            assert "Okonk" not in response.text
    assert await cases.counts() == after
    # p46's own registration of the same document is its own record (last: it writes).
    theirs = await register(other, tax_code="SLTPRS80A01H501U")
    assert theirs["person_ref"] == ref and theirs["person_id"] != pid
    assert pid not in str(await other.get("/v1/persons"))


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/v1/persons", person_body(notes="free text")),
        ("POST", "/v1/persons", person_body(born_on="01/01/1990")),
        ("POST", "/v1/persons", person_body(born_on="1890-01-01")),
        ("POST", "/v1/persons", person_body(born_on=day(1))),
        ("POST", "/v1/persons", person_body(sex="F")),
        ("POST", "/v1/persons", person_body(citizenship="Nigeria")),
        ("POST", "/v1/persons", person_body(family_name="")),
        ("POST", "/v1/persons", person_body(family_name="x" * 101)),
        ("POST", "/v1/persons", person_body(family_name="Oko\x00nkwo")),
        ("POST", "/v1/persons", person_body(tax_code="AB-1")),
        ("POST", "/v1/persons", person_body(tax_code="A" * 41)),
        ("POST", "/v1/persons", person_body(phone="call me")),
        ("POST", "/v1/persons", person_body(email="not-an-address")),
        ("POST", "/v1/persons", person_body(languages=["English"])),
        ("POST", "/v1/persons", person_body(household=[{"relation": "cousin", "given_name": "A"}])),
        ("POST", "/v1/persons", person_body(protection_expires_on="3000-01-01")),
        ("POST", "/v1/persons", person_body(person_id="not-a-uuid")),
        ("POST", "/v1/persons", [1, 2]),
        ("POST", "/v1/persons", None),
        ("PATCH", "/v1/persons/00000000-0000-0000-0000-000000000000", {}),
        ("PATCH", "/v1/persons/not-a-uuid", {"phone": PHONE}),
        ("GET", "/v1/persons/not-a-uuid", None),
        ("POST", "/v1/persons/search", {"name": "x"}),
        ("POST", "/v1/persons/search", {"name": "Oko\x00"}),
        ("POST", "/v1/persons/search", {"document": "12345"}),
        ("POST", "/v1/persons/search", {"born_on": "yesterday"}),
        ("POST", "/v1/persons/search", {"limit": 0}),
        ("POST", "/v1/persons/search", {"offset": -1}),
        ("POST", "/v1/persons/search", {"surname": "Okonkwo"}),
        ("GET", "/v1/persons?limit=0", None),
        ("GET", "/v1/persons?limit=201", None),
        ("GET", "/v1/persons?offset=-1", None),
        ("GET", "/v1/persons/ABCDEF/records", None),
        ("GET", "/v1/plans?status=maybe", None),
        ("POST", "/v1/plans", plan_body("not-a-uuid")),
        ("POST", "/v1/plans", plan_body(str(uuid.uuid4()), axes=[])),
        ("POST", "/v1/plans", plan_body(str(uuid.uuid4()), axes=["wellbeing"])),
        ("POST", "/v1/plans", plan_body(str(uuid.uuid4()), planned_months=0)),
        ("POST", "/v1/plans", plan_body(str(uuid.uuid4()), planned_months=37)),
        ("POST", "/v1/plans", plan_body(str(uuid.uuid4()), opened_on="1999-12-31")),
        ("POST", "/v1/plans", plan_body(str(uuid.uuid4()), goals={"work": ["x" * 201]})),
        ("POST", "/v1/plans/00000000-0000-0000-0000-000000000000/review", {"progress": {}}),
        ("POST", "/v1/plans/00000000-0000-0000-0000-000000000000/close", {"outcome": "done"}),
    ],
)
async def test_bad_input_is_a_4xx_problem_and_writes_nothing(
    cases: Cases, method: str, path: str, body: Any
) -> None:
    api = cases.api("p43")
    before = await cases.counts()
    response = await api.service.client.request(method, path, json=body, headers=api.headers)
    assert 400 <= response.status_code < 500, f"{response.status_code}: {response.text}"
    assert response.headers["content-type"].startswith("application/problem+json")
    assert TAX_CODE not in response.text
    assert await cases.counts() == before


# --- the person's file -------------------------------------------------------------------


async def test_the_file_gathers_the_partners_other_services(databases, spans) -> None:
    """A real housing service of the same partner instance, a peer that is down, and
    peers not configured: each answered for, none a 500."""
    kafka = kafka_settings("127.0.0.1:1", False, create_topics=False)
    partners = ["p41", "p42"]
    housing = RunningService(
        HOUSING,
        partner_service_settings(
            await databases.create("file_housing"), kafka, partners, relay_enabled=False
        ),
    )
    peers = {"housing": housing.url, "employment": "http://127.0.0.1:1"}
    cases_service = RunningService(
        CASES,
        cases_settings(
            await databases.create("file_cases"), kafka, partners, relay_enabled=False,
            cases_peer_urls=peers, cases_peer_timeout_s=2,
        ),
    )  # fmt: skip
    async with running(housing, cases_service):
        h = auth_header("p41")
        person = (
            await cases_service.client.post("/v1/persons", json=person_body(), headers=h)
        ).json()
        ref = person["person_ref"]
        submitted = await housing.client.post(
            "/v1/requests",
            json={
                "person_ref": ref, "household_size": 2, "need": "exit_from_reception",
                "submitted_on": day(-3), "sex": "female", "age_band": "35-44",
                "protection_status": "refugee",
            },
            headers=h,
        )  # fmt: skip
        assert submitted.status_code == 201, submitted.text
        # Another partner's request for the same person stays with that partner.
        elsewhere = await housing.client.post(
            "/v1/requests",
            json={**json.loads(submitted.request.content), "submitted_on": day(-2)},
            headers=auth_header("p42"),
        )
        assert elsewhere.status_code == 201

        spans.clear()
        response = await cases_service.client.get(
            f"/v1/persons/{person['person_id']}/file", headers=h
        )
        assert response.status_code == 200, response.text
        file = response.json()
        assert file["person"]["tax_code"] == TAX_CODE and file["plans"] == []
        services = {s["domain"]: s for s in file["services"]}
        assert set(services) == {"housing", "employment", "hosting", "events"}
        assert services["housing"]["status"] == "ok"
        requests = services["housing"]["records"]["requests"]
        assert [r["request_id"] for r in requests] == [submitted.json()["request_id"]]
        assert services["housing"]["records"]["placements"] == []
        assert services["employment"]["status"] == "unreachable"
        assert services["hosting"]["status"] == services["events"]["status"] == "not_configured"
        # One trace: the file's request at the cases service and the housing request it made.
        server = [s for s in spans.get_finished_spans() if s.kind is SpanKind.SERVER]
        file_span = next(s for s in server if "/file" in s.name)
        records_span = next(s for s in server if "/records" in s.name)
        assert records_span.context.trace_id == file_span.context.trace_id

        # A person without a document has no person_ref: nobody else can hold records.
        unknown = (
            await cases_service.client.post(
                "/v1/persons", json=person_body(tax_code=None), headers=h
            )
        ).json()
        file = (
            await cases_service.client.get(f"/v1/persons/{unknown['person_id']}/file", headers=h)
        ).json()
        assert {s["status"] for s in file["services"]} == {"no_person_ref"}

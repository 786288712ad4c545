"""Erasure across the network (GDPR art. 17), end to end on real PostgreSQL and Kafka.

A person with a plan and records on all four axes is erased at their partner's
cases service. Afterwards no column of any table of any service's database or of
the projection holds their ``person_ref``; the projection's figures are those of
before; a rebuild of the projection from the topics (which still hold the older
events with the reference) ends in the same figures, again without the reference;
erasing twice changes nothing; another partner cannot erase the person; and an
erasure accepted while the broker is down reaches every service when it returns.

Partners are fresh for every run (a directory of our own for the projection), so
the topics hold only this run's events and a rebuild replays exactly them.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import time
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import asyncpg
import pytest
from franoi_cases.bootstrap import DEFINITION as CASES
from franoi_common.migrations import migrate_url
from franoi_common.pseudonym import person_ref
from franoi_common.settings import KafkaSettings
from franoi_employment.bootstrap import DEFINITION as EMPLOYMENT
from franoi_events.bootstrap import DEFINITION as EVENTS
from franoi_hosting.bootstrap import DEFINITION as HOSTING
from franoi_housing.bootstrap import DEFINITION as HOUSING
from franoi_projection.bootstrap import DEFINITION as PROJECTION

from tests.support import (
    ANALYST,
    RunningService,
    auth_header,
    eventually,
    fresh_partners,
    kafka_settings,
    partner_service_settings,
    projection_settings,
    running,
)
from tests.test_cases_api import cases_settings

KEY = b"development-only-pseudonym-key-0123456789"
TODAY = dt.date.today()
COARSE = {"sex": "female", "age_band": "25-34", "protection_status": "refugee"}
DOMAINS = ("housing", "employment", "hosting", "events")
VIEWS = ("housing", "employment", "hosting", "events", "cases")


def day(offset: int) -> str:
    return (TODAY + dt.timedelta(days=offset)).isoformat()


def directory(tmp_path: Path, partners: Sequence[str]) -> str:
    path = tmp_path / "partners.csv"
    lines = ["partner_id,name,region,province"]
    lines += [f"{p},Cooperativa {p},Piemonte,TO" for p in partners]
    path.write_text("\n".join(lines) + "\n")
    return str(path)


@dataclass
class Network:
    partners: list[str]
    cases: RunningService
    domains: dict[str, RunningService]
    projection: RunningService
    directory: str

    @property
    def services(self) -> list[RunningService]:
        return [self.cases, *self.domains.values()]

    @property
    def databases(self) -> list[str]:
        return [s.settings.database_url for s in (*self.services, self.projection)]


@contextlib.asynccontextmanager
async def started_network(
    databases: Any,
    kafka: KafkaSettings,
    tmp_path: Path,
    *,
    cases_port: int | None = None,
    partner_options: Callable[[list[str]], dict[str, Any]] = lambda _: {},
    cases_options: dict[str, Any] | None = None,
    projection_options: Callable[[list[str]], dict[str, Any]] = lambda _: {},
) -> AsyncIterator[Network]:
    """Two fresh partners' cases and domain services and a projection, running; the
    options are settings of the domain services, the cases service and the projection."""
    partners = fresh_partners(2)
    domains = {
        name: RunningService(
            definition,
            partner_service_settings(
                await databases.create(name), kafka, partners, **partner_options(partners)
            ),
        )
        for name, definition in zip(DOMAINS, (HOUSING, EMPLOYMENT, HOSTING, EVENTS), strict=True)
    }
    cases = RunningService(
        CASES,
        cases_settings(
            await databases.create("cases"),
            kafka,
            partners,
            cases_peer_urls={name: s.url for name, s in domains.items()},
            **(cases_options or {}),
        ),
        port=cases_port,
    )
    path = directory(tmp_path, partners)
    projection = RunningService(
        PROJECTION,
        projection_settings(
            await databases.create("projection"),
            kafka,
            partners,
            partner_directory=path,
            **projection_options(partners),
        ),
    )
    async with running(*domains.values(), cases, projection):
        yield Network(partners, cases, domains, projection, path)


@pytest.fixture
async def network(databases, kafka_bootstrap, kafka_idempotent, tmp_path) -> AsyncIterator[Network]:
    kafka = kafka_settings(kafka_bootstrap, kafka_idempotent)
    async with started_network(databases, kafka, tmp_path) as net:
        yield net


class Api:
    def __init__(self, service: RunningService, partner: str, *roles: str) -> None:
        self.service, self.headers = service, auth_header(partner, *roles)

    async def call(self, method: str, path: str, body: Any = None, status: int = 201) -> Any:
        response = await self.service.client.request(method, path, json=body, headers=self.headers)
        assert response.status_code == status, f"{method} {path}: {response.text}"
        return response.json()


async def person_everywhere(net: Network, partner: str, identifier: str, **names: str) -> str:
    """Register a person with a plan at the partner, and give them records on all four
    axes; returns their person_ref."""
    cases = Api(net.cases, partner)
    person = await cases.call("POST", "/v1/persons", {
        "given_names": names.get("given", "Ngozi"), "family_name": names.get("family", "Okonkwo"),
        "born_on": "1990-01-01", "sex": "female", "citizenship": "NG", "languages": ["en"],
        "protection_status": "refugee", "tax_code": identifier, "registered_on": day(-40),
        "phone": "+39 333 7654321",
    })  # fmt: skip
    plan = await cases.call("POST", "/v1/plans", {
        "person_id": person["person_id"], "opened_on": day(-39), "axes": ["housing", "work"],
        "goals": {"work": ["Trovare lavoro come sarta"]}, "planned_months": 12,
        "key_worker": "Maria Rossi",
    })  # fmt: skip
    review = {"reviewed_on": day(-20), "progress": {"work": "in_progress"}}
    await cases.call("POST", f"/v1/plans/{plan['plan_id']}/review", review, 200)
    who = {"person_identifier": identifier, **COARSE}

    housing = Api(net.domains["housing"], partner)
    unit = await housing.call("POST", "/v1/units", {
        "municipality_code": "L219", "beds": 4, "monthly_rent_eur": 450, "rent_regime": "agreed",
        "provider": "private_owner", "available_from": day(-60),
    })  # fmt: skip
    request = await housing.call("POST", "/v1/requests", {
        **who, "household_size": 2, "need": "exit_from_reception", "submitted_on": day(-38),
    })  # fmt: skip
    await housing.call("POST", "/v1/placements", {
        **who, "household_size": 2, "unit_id": unit["unit_id"], "started_on": day(-30),
        "request_id": request["request_id"],
    })  # fmt: skip

    jobs = Api(net.domains["employment"], partner)
    await jobs.call("POST", "/v1/consultations", {
        **who, "held_on": day(-35), "topic": "orientation", "minutes": 60,
        "worker_role": "job_counsellor",
    })  # fmt: skip
    await jobs.call("POST", "/v1/skills-profiles", {
        "person_identifier": identifier, "assessed_on": day(-35),
        "education_level": "lower_secondary", "italian_level": "a1",
        "italian_assessed_on": day(-35), "other_languages": ["en"], "prior_sectors": [],
        "driving_licence": "none",
    })  # fmt: skip
    group = await jobs.call(
        "POST", "/v1/group-activities", {"kind": "orientation_group", "scheduled_on": day(-34)}
    )
    await jobs.call("POST", f"/v1/group-activities/{group['group_activity_id']}/hold", {
        "held_on": day(-34), "anonymous_attendees": 2,
        "registered_attendees": [{"person_identifier": identifier}],
    }, 200)  # fmt: skip
    agreement = await jobs.call("POST", "/v1/company-agreements", {
        "company_name": "Trattoria da Gino", "sector": "I", "places_offered": 2,
        "signed_on": day(-50),
    })  # fmt: skip
    internship = await jobs.call("POST", "/v1/internships", {
        **who, "company_agreement_id": agreement["company_agreement_id"],
        "started_on": day(-33), "planned_end_on": day(-10), "monthly_stipend_eur": 400,
        "stipend_paid_by": "project",
    })  # fmt: skip
    await jobs.call("POST", f"/v1/internships/{internship['internship_id']}/end",
                    {"ended_on": day(-12)}, 200)  # fmt: skip
    await jobs.call("POST", "/v1/hires", {
        **who, "sector": "I", "contract_type": "fixed_term", "weekly_hours": 30,
        "started_on": day(-11), "ends_on": day(100),
    })  # fmt: skip

    hosting = Api(net.domains["hosting"], partner)
    family = await hosting.call("POST", "/v1/families", {
        "municipality_code": "F205", "rooms_offered": 2, "household_size": 3,
        "languages": ["it"], "applied_on": day(-60),
        "private": {"members": [{"full_name": "Giulia Bianchi"}],
                    "address": "Via Padova 12, 20127 Milano", "phone": "+39 333 1234567",
                    "email": "giulia.bianchi@example.org"},
    })  # fmt: skip
    fid = family["family_id"]
    await hosting.call("POST", f"/v1/families/{fid}/assess",
                       {"interview_on": day(-55), "home_visit_on": day(-50)}, 200)  # fmt: skip
    await hosting.call("POST", f"/v1/families/{fid}/approve", {"approved_on": day(-45)}, 200)
    hreq = await hosting.call("POST", "/v1/requests", {
        **who, "kind": "hosting", "household_size": 1, "submitted_on": day(-42),
    })  # fmt: skip
    match = await hosting.call("POST", "/v1/matches", {
        "person_identifier": identifier, "family_id": fid, "proposed_on": day(-35),
        "request_id": hreq["request_id"],
    })  # fmt: skip
    await hosting.call("POST", f"/v1/matches/{match['match_id']}/accept",
                       {"accepted_on": day(-32)}, 200)  # fmt: skip
    stay = await hosting.call("POST", "/v1/stays", {
        "match_id": match["match_id"], "started_on": day(-30), "planned_months": 3,
        "monthly_contribution_eur": 250, **COARSE,
    })  # fmt: skip
    await hosting.call("POST", f"/v1/stays/{stay['stay_id']}/visits", {
        "visited_on": day(-20), "guest_wellbeing": 2, "family_wellbeing": 4, "flags": ["health"],
    })  # fmt: skip

    events = Api(net.domains["events"], partner)
    hub = await Api(net.domains["events"], partner, "partner_admin").call("POST", "/v1/hubs", {
        "name": "OP Cafè", "municipality_code": "H026", "kind": "cafe_hub",
        "opened_on": day(-60),
    })  # fmt: skip
    await events.call("POST", "/v1/access-batches", {
        "access_batch_id": str(uuid.uuid4()), "hub_id": hub["hub_id"], "accessed_on": day(-25),
        "anonymous": [{"topic": "housing", "referred": True, "accesses": 3}],
        "known_persons": [{"person_identifier": identifier, "topic": "work", "referred": True}],
    })  # fmt: skip
    ref: str = person["person_ref"]
    assert ref == person_ref(identifier, KEY)
    return ref


async def holders(database_url: str, needle: str) -> list[str]:
    """Every ``table.column`` (text, json, arrays of text: any column that can hold a string)
    of every table of the database whose value contains ``needle``."""
    conn = await asyncpg.connect(database_url)
    try:
        columns = await conn.fetch(
            "SELECT c.table_name, c.column_name FROM information_schema.columns c"
            " JOIN information_schema.tables t USING (table_schema, table_name)"
            " WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE'"
            " AND (c.data_type IN ('text', 'character varying', 'jsonb', 'json', 'ARRAY'))"
        )
        assert len(columns) > 5
        found = []
        for table, column in columns:
            hit = await conn.fetchval(
                f'SELECT count(*) FROM "{table}" WHERE strpos("{column}"::text, $1) > 0',
                needle,
            )
            if hit:
                found.append(f"{table}.{column}")
        return found
    finally:
        await conn.close()


async def everywhere(net: Network, needle: str, databases: Sequence[str] | None = None) -> dict:
    found = {}
    for url in databases or net.databases:
        hits = await holders(url, needle)
        if hits:
            found[urlsplit(url).path.lstrip("/")] = hits
    return found


async def views(projection: RunningService, partner: str) -> dict[str, Any]:
    """Every domain's monthly network view of the partner, over the months we used."""
    figures = {}
    for domain in VIEWS:
        response = await projection.client.get(
            f"/v1/{domain}/monthly",
            params={"partner_id": partner, "from": day(-70)[:7], "to": day(0)[:7]},
            headers=ANALYST,
        )
        assert response.status_code == 200, response.text
        figures[domain] = response.json()["rows"]
    return figures


async def distinct_persons(projection_url: str, partner: str) -> dict[str, int]:
    """Distinct person references per projection table holding them (journeys' counts)."""
    conn = await asyncpg.connect(projection_url)
    try:
        tables = await conn.fetch(
            "SELECT table_name FROM information_schema.columns"
            " WHERE table_schema = 'public' AND column_name = 'person_ref' ORDER BY 1"
        )
        counts = {}
        for (table,) in tables:
            counts[table] = await conn.fetchval(
                f'SELECT count(DISTINCT person_ref) FROM "{table}" WHERE partner_id = $1',
                partner,
            )
        counts["axes_of_one_person"] = await conn.fetchval(
            "SELECT count(*) FROM (SELECT p.person_ref FROM housing_placements p"
            " JOIN employment_hires h USING (partner_id, person_ref)"
            " JOIN hosting_stays s USING (partner_id, person_ref) WHERE p.partner_id = $1) j",
            partner,
        )
        return counts
    finally:
        await conn.close()


async def outbox_total(net: Network) -> int:
    total = 0
    for service in net.services:
        conn = await asyncpg.connect(service.settings.database_url)
        try:
            total += await conn.fetchval("SELECT count(*) FROM outbox WHERE sent_at IS NOT NULL")
            assert await conn.fetchval("SELECT count(*) FROM outbox WHERE sent_at IS NULL") == 0
        finally:
            await conn.close()
    return total


async def settled(net: Network, projection: RunningService | None = None) -> int:
    """Wait until every outbox row is sent and applied by the projection; returns how many."""
    projection = projection or net.projection

    async def done() -> int | None:
        try:
            total = await outbox_total(net)
        except AssertionError:
            return None
        conn = await asyncpg.connect(projection.settings.database_url)
        try:
            applied = await conn.fetchval("SELECT count(*) FROM processed_events")
        finally:
            await conn.close()
        return total if applied == total else None

    result: int = await eventually(done, timeout_s=120, interval_s=0.2)
    return result


async def test_an_erased_person_is_gone_everywhere_and_the_counts_stay(
    network: Network, databases, kafka_bootstrap, kafka_idempotent
) -> None:
    net = network
    mine, theirs = net.partners
    ref = await person_everywhere(net, mine, "KNKNGZ90A41Z335X")
    other_ref = await person_everywhere(net, mine, "BSSMRA85C12Z336Y", given="Amina")
    their_person = await Api(net.cases, theirs).call("POST", "/v1/persons", {
        "given_names": "Chidi", "family_name": "Eze", "born_on": "1991-03-03", "sex": "male",
        "citizenship": "NG", "protection_status": "refugee", "tax_code": "ZEECHD91C03Z335W",
    })  # fmt: skip
    await settled(net)
    before = await views(net.projection, mine)
    persons_before = await distinct_persons(net.projection.settings.database_url, mine)
    assert persons_before["axes_of_one_person"] == 2
    assert persons_before["housing_placements"] == 2
    assert await everywhere(net, ref), "the person is known before the erasure"

    admin = Api(net.cases, mine, "partner_admin")
    person_id = (await admin.call("POST", "/v1/persons/search", {"name": "Ngozi"}, 200))["items"][
        0
    ]["person_id"]
    # subject access (art. 15): the whole file as one document, every service's part in it
    export = await net.cases.client.get(
        f"/v1/persons/{person_id}/export", headers=auth_header(mine, "partner_admin")
    )
    assert export.status_code == 200, export.text
    assert export.headers["content-disposition"].startswith("attachment")
    document = export.json()
    assert document["person"]["tax_code"] == "KNKNGZ90A41Z335X"
    assert document["plans"][0]["goals"]["work"] == ["Trovare lavoro come sarta"]
    assert {s["domain"]: s["status"] for s in document["services"]} == dict.fromkeys(DOMAINS, "ok")
    hires = next(s for s in document["services"] if s["domain"] == "employment")
    assert len(hires["records"]["hires"]) == 1
    assert "export_access_log" in [line["operation"] for line in document["access_log"]]

    # only a partner admin of the person's own partner may erase
    await Api(net.cases, mine).call("POST", f"/v1/persons/{person_id}/erase", None, 403)
    await Api(net.cases, theirs, "partner_admin").call(
        "POST", f"/v1/persons/{person_id}/erase", None, 404
    )
    await admin.call("POST", f"/v1/persons/{uuid.uuid4()}/erase", None, 404)

    started = time.monotonic()
    erased = await admin.call("POST", f"/v1/persons/{person_id}/erase", None, 200)
    assert erased == {"person_id": person_id, "erased_on": day(0), "records_erased": 1}

    databases_of = {"cases": net.cases, **net.domains, "projection": net.projection}
    reached: dict[str, float] = {}

    async def gone() -> bool:
        for name, service in databases_of.items():
            if name not in reached and not await holders(service.settings.database_url, ref):
                reached[name] = time.monotonic() - started
        return len(reached) == len(databases_of)

    await eventually(gone, timeout_s=120, interval_s=0.05)
    print(
        "\nerasure at rest, seconds after the request:",
        {k: round(v, 2) for k, v in reached.items()},
    )
    assert not await everywhere(net, ref)

    again = await admin.call("POST", f"/v1/persons/{person_id}/erase", None, 200)
    assert again == {**erased, "records_erased": 0}
    await admin.call("GET", f"/v1/persons/{person_id}", None, 404)
    # the access log keeps its lines, erasure included, with the person id only
    log = await admin.call("GET", "/v1/access-log", None, 200)
    assert "erase" in [line["operation"] for line in log["items"]]

    total = await settled(net)
    assert await views(net.projection, mine) == before
    assert await distinct_persons(net.projection.settings.database_url, mine) == persons_before
    assert await everywhere(net, other_ref), "the other person is untouched"
    assert await everywhere(net, their_person["person_ref"])
    assert not await everywhere(net, "Ngozi"), "the name is gone"

    # employment deleted the skills profile; hosting cleared the visit's flags
    conn = await asyncpg.connect(net.domains["employment"].settings.database_url)
    try:
        assert await conn.fetchval("SELECT count(*) FROM skills_profiles") == 1
        assert await conn.fetchval("SELECT count(DISTINCT person_ref) FROM hires") == 2
    finally:
        await conn.close()
    conn = await asyncpg.connect(net.domains["hosting"].settings.database_url)
    try:
        flags = await conn.fetch("SELECT flags FROM monitoring_visits ORDER BY visited_on")
        assert sorted(len(r["flags"]) for r in flags) == [0, 1]
    finally:
        await conn.close()

    # a later command naming the person does not re-create the link
    await Api(net.domains["housing"], mine).call("POST", "/v1/requests", {
        "person_identifier": "KNKNGZ90A41Z335X", **COARSE, "household_size": 1,
        "need": "exit_from_reception", "submitted_on": day(-1),
    })  # fmt: skip
    total = await settled(net)
    assert not await everywhere(net, ref)

    # a rebuild: a fresh projection replays the topics (older events carry the reference)
    rebuilt = RunningService(
        PROJECTION,
        projection_settings(
            await databases.create("rebuild"),
            kafka_settings(kafka_bootstrap, kafka_idempotent),
            net.partners,
            partner_directory=net.directory,
        ),
    )
    async with running(rebuilt):
        assert await settled(net, rebuilt) == total
        after_request = await views(net.projection, mine)
        assert await views(rebuilt, mine) == after_request
        assert await distinct_persons(rebuilt.settings.database_url, mine) == (
            await distinct_persons(net.projection.settings.database_url, mine)
        )
        assert not await holders(rebuilt.settings.database_url, ref)
    housing_requests = [r["requests_submitted"] for r in after_request["housing"]]
    assert sum(housing_requests) == sum(r["requests_submitted"] for r in before["housing"]) + 1


async def test_an_erasure_accepted_while_the_broker_is_down_completes_when_it_returns(
    databases, kafka_server, kafka_idempotent, tmp_path
) -> None:
    if kafka_server is None:
        pytest.fail("this test needs a broker it can stop: unset FRANOI_TEST_KAFKA_BOOTSTRAP")
    partners = fresh_partners(1)
    kafka = kafka_settings(kafka_server.bootstrap, kafka_idempotent)
    domains = {
        name: RunningService(
            definition, partner_service_settings(await databases.create(name), kafka, partners)
        )
        for name, definition in zip(DOMAINS, (HOUSING, EMPLOYMENT, HOSTING, EVENTS), strict=True)
    }
    cases = RunningService(CASES, cases_settings(await databases.create("cases"), kafka, partners))
    projection = RunningService(
        PROJECTION,
        projection_settings(
            await databases.create("projection"),
            kafka,
            partners,
            partner_directory=directory(tmp_path, partners),
        ),
    )
    async with running(*domains.values(), cases, projection):
        net = Network(partners, cases, domains, projection, "")
        ref = await person_everywhere(net, partners[0], "KNKNGZ90A41Z335X")
        await settled(net)
        before = await views(projection, partners[0])
        admin = Api(cases, partners[0], "partner_admin")
        found = await admin.call("POST", "/v1/persons/search", {"name": "Ngozi"}, 200)
        person_id = found["items"][0]["person_id"]
        await kafka_server.astop()
        try:
            await admin.call("POST", f"/v1/persons/{person_id}/erase", None, 200)
            await asyncio.sleep(2)
            assert await holders(domains["housing"].settings.database_url, ref)
        finally:
            await kafka_server.astart()

        async def gone() -> bool:
            return not await everywhere(net, ref)

        await eventually(gone, timeout_s=180, interval_s=0.5)
        await settled(net)
        assert await views(projection, partners[0]) == before


@pytest.mark.parametrize(
    "definition",
    [CASES, HOUSING, EMPLOYMENT, HOSTING, EVENTS, PROJECTION],
    ids=lambda d: d.name,
)
async def test_every_table_holding_a_reference_keeps_erased_ones_out(databases, definition) -> None:
    """A table with a person_ref column that a migration forgot would let an erased
    reference back in: every one has the trigger (and the outbox of a partner service)."""
    url = await databases.create(f"triggers_{definition.name}")
    await migrate_url(url, list(definition.migrations))
    conn = await asyncpg.connect(url)
    try:
        holding = {
            r["table_name"]
            for r in await conn.fetch(
                "SELECT c.table_name FROM information_schema.columns c"
                " JOIN information_schema.tables t USING (table_schema, table_name)"
                " WHERE c.table_schema = 'public' AND c.column_name = 'person_ref'"
                " AND t.table_type = 'BASE TABLE'"
            )
        }
        guarded = {
            r["relname"]
            for r in await conn.fetch(
                "SELECT c.relname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid"
                " WHERE t.tgname = 'franoi_erased_refs'"
            )
        }
    finally:
        await conn.close()
    assert holding, "no table holds person_ref?"
    expected = holding | ({"outbox"} if definition.name != "projection" else set())
    assert guarded == expected

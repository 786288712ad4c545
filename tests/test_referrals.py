"""Referrals between partners, end to end on real PostgreSQL and Kafka with three partners.

Each partner has its own cases service (its own database, shredding on); the consortium's
referral router carries what one partner publishes on its referrals topic to the other
partner's inbox topic. A refers a person to B; B accepts, the person presents themselves
and is registered at B, the transfer completes and A's plan closes as transferred. B's
instance offline during the referral receives it on its return. C never receives anything
(its inbox topic and its API). Without consent to share identity nothing of the identity
crosses; with it, only what the consent names, and never readable on any topic. A
withdrawn referral cannot be accepted; an erased person's pending referrals are withdrawn
and what B received about them is erased.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from franoi_cases.bootstrap import DEFINITION as CASES
from franoi_common.envelope import decode
from franoi_common.pseudonym import person_ref
from franoi_common.settings import KafkaSettings, KeyStoreAccess
from franoi_projection.bootstrap import DEFINITION as PROJECTION
from franoi_router.bootstrap import DEFINITION as ROUTER
from franoi_router.settings import RouterSettings

from tests.support import (
    ANALYST,
    RunningService,
    auth_header,
    eventually,
    fresh_partners,
    kafka_settings,
    projection_settings,
    read_records,
)
from tests.test_cases_api import cases_settings

KEY = b"development-only-pseudonym-key-0123456789"
SECRET = "key-store-secret-for-tests-0123456789"
TODAY = dt.date.today()
TAX_CODE = "KNKNGZ90A41Z335X"
IDENTITY = {
    "given_names": "Ngozi",
    "family_name": "Okonkwò",
    "phone": "+39 333 7654321",
    "email": "ngozi@example.org",
}
REFERRER = {"name": "Maria Rossi", "email": "m.rossi@coop.example.org", "phone": "+39 02 1234567"}
REFERRER_FIELDS = {f"referrer_{k}": v for k, v in REFERRER.items()}


def day(offset: int = 0) -> str:
    return (TODAY + dt.timedelta(days=offset)).isoformat()


def person(
    tax_code: str = TAX_CODE, scopes: Sequence[str] = ("processing",), registered_on: int = -40
) -> dict[str, Any]:
    return {
        **{k: v for k, v in IDENTITY.items()},
        "born_on": "1990-01-01",
        "sex": "female",
        "citizenship": "NG",
        "languages": ["en"],
        "protection_status": "refugee",
        "tax_code": tax_code,
        "registered_on": day(registered_on),
        "consent": {"given_on": day(registered_on), "scopes": list(scopes)},
    }


class Api:
    def __init__(self, service: RunningService, partner: str, *roles: str) -> None:
        self.service, self.headers = service, auth_header(partner, *roles)

    async def call(self, method: str, path: str, body: Any = None, status: int = 200) -> Any:
        response = await self.service.client.request(method, path, json=body, headers=self.headers)
        assert response.status_code == status, f"{method} {path}: {response.text}"
        return response.json()


@dataclass
class Network:
    partners: list[str]
    kafka: KafkaSettings
    cases: dict[str, RunningService]
    router: RunningService
    databases: Any
    projection: RunningService | None = None

    def api(self, partner: str, *roles: str) -> Api:
        return Api(self.cases[partner], partner, *roles)

    def restart(self, partner: str) -> RunningService:
        """A new process of the partner's cases service, same database and settings."""
        service = RunningService(CASES, self.cases[partner].settings)
        self.cases[partner] = service
        return service


@contextlib.asynccontextmanager
async def three_partners(
    databases: Any, kafka: KafkaSettings, tmp_path: Path | None = None
) -> AsyncIterator[Network]:
    """Three fresh partners' cases services and the router; with ``tmp_path``, the
    consortium's projection too (opening the partners' tokens at their key stores)."""
    partners = fresh_partners(3)
    cases = {
        p: RunningService(
            CASES,
            cases_settings(
                await databases.create(f"cases_{p}"),
                kafka,
                [p],
                shredding=True,
                key_store_secret=SECRET,
            ),
        )
        for p in partners
    }
    router = RunningService(
        ROUTER,
        RouterSettings(
            env="test",
            database_url=await databases.create("router"),
            kafka=kafka,
            router_partners=",".join(partners),
            consumer_group=f"router-test-{uuid.uuid4().hex[:8]}",
            relay_poll_interval_s=0.2,
        ),
    )
    net = Network(partners, kafka, cases, router, databases)
    if tmp_path is not None:
        directory = tmp_path / "partners.csv"
        regions = ("Lombardia", "Piemonte", "Veneto")
        directory.write_text(
            "partner_id,name,region,province\n"
            + "".join(
                f"{p},Cooperativa {p},{r},MI\n" for p, r in zip(partners, regions, strict=True)
            )
        )
        store = {p: KeyStoreAccess(url=cases[p].url, secret=SECRET) for p in partners}
        net.projection = RunningService(
            PROJECTION,
            projection_settings(
                await databases.create("projection"),
                kafka,
                partners,
                partner_directory=str(directory),
                key_stores=store,
            ),
        )
    try:
        for service in (router, *cases.values(), *([net.projection] if net.projection else [])):
            await service.start()
        yield net
    finally:
        extra = [net.projection] if net.projection else []
        for service in reversed([router, *net.cases.values(), *extra]):
            with contextlib.suppress(Exception):
                await service.stop()


@pytest.fixture
async def network(databases, kafka_bootstrap, kafka_idempotent) -> AsyncIterator[Network]:
    async with three_partners(databases, kafka_settings(kafka_bootstrap, kafka_idempotent)) as net:
        yield net


async def registered(net: Network, partner: str, **options: Any) -> dict[str, Any]:
    body = person(**options)
    return await net.api(partner).call("POST", "/v1/persons", body, 201)  # type: ignore[no-any-return]


async def refer(
    net: Network, source: str, target: str, person_id: str, axis: str = "whole_case"
) -> dict[str, Any]:
    body = {
        "person_id": person_id,
        "to_partner_id": target,
        "axis": axis,
        "reason": "opportunity_elsewhere",
        "urgency": "priority",
        "expires_on": day(2),
        **REFERRER_FIELDS,
    }
    return await net.api(source).call("POST", "/v1/referrals", body, 201)  # type: ignore[no-any-return]


async def inbox(net: Network, partner: str, **params: str) -> list[dict[str, Any]]:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    page = await net.api(partner).call("GET", f"/v1/referrals/inbox?{query}")
    return page["items"]  # type: ignore[no-any-return]


async def state_at(net: Network, partner: str, referral_id: str) -> str:
    return (await net.api(partner).call("GET", f"/v1/referrals/{referral_id}"))["state"]  # type: ignore[no-any-return]


async def every_message(bootstrap: str, net: Network) -> list[tuple[str, dict[str, str], bytes]]:
    """Every message of every topic of the three partners and the consortium: topic,
    headers and value, read from the beginning."""
    topics = [
        f"franoi.{p}.{d}.v1" for p in net.partners for d in ("cases", "referrals", "inbox")
    ] + [f"franoi.{p}.inbox.deadletter.v1" for p in net.partners]
    topics.append("franoi.consortium.router.deadletter.v1")
    return await read_records(
        bootstrap,
        topics,
        lambda r: (r.topic, {k: v.decode() for k, v in r.headers or ()}, r.value or b""),
        timeout_s=20,
        group_id=f"referrals-test-{uuid.uuid4().hex[:8]}",
        metadata_max_age_ms=500,
    )


def assert_nothing_identifies(messages: Sequence[tuple[str, dict[str, str], bytes]]) -> None:
    """No identity field, document, contact or reference in clear in any message."""
    ref = person_ref(TAX_CODE, KEY)
    secrets = [*IDENTITY.values(), TAX_CODE, "Okonkw", ref, "1990-01-01", REFERRER["email"]]
    assert messages
    for topic, headers, value in messages:
        text = value.decode("utf-8", "replace") + json.dumps(headers)
        for secret in secrets:
            assert secret not in text, f"{topic} carries an identity field in clear"


async def test_a_referral_crosses_to_b_only_and_the_case_moves(
    network: Network, kafka_bootstrap: str
) -> None:
    net = network
    a, b, c = net.partners
    someone = await registered(net, a, scopes=("processing", "referral_identity"))
    plan = await net.api(a).call("POST", "/v1/plans", {
        "person_id": someone["person_id"], "opened_on": day(-39), "axes": ["housing", "work"],
        "goals": {"work": ["Trovare lavoro come sarta"]}, "planned_months": 12,
        "key_worker": "Maria Rossi",
    }, 201)  # fmt: skip
    sent = await refer(net, a, b, someone["person_id"])
    rid = sent["referral_id"]
    assert sent["state"] == "proposed" and sent["side"] == "sent" and sent["identity_shared"]

    waiting = await eventually(lambda: inbox(net, b, state="proposed"), timeout_s=60)
    assert [r["referral_id"] for r in waiting] == [rid]
    assert waiting[0]["expiry_badge"] == "due_soon"  # expires in 2 days
    detail = await net.api(b).call("GET", f"/v1/referrals/{rid}")
    part = detail["sealed_part"]
    assert part["identity"] == {
        "given_names": "Ngozi",
        "family_name": "Okonkwò",
        "born_on": "1990-01-01",
        "citizenship": "NG",
        "languages": ["en"],
    }  # fmt: skip  (the consent names no document or contact)
    assert part["referrer"] == REFERRER
    assert part["plans"][0]["axes"] == ["housing", "work"]
    assert "goals" not in part["plans"][0] and "key_worker" not in part["plans"][0]
    assert detail["known_person_id"] is None

    accepted = await net.api(b).call("POST", f"/v1/referrals/{rid}/accept")
    assert accepted["state"] == "accepted"
    assert await eventually(lambda: _is(state_at(net, a, rid), "accepted"), timeout_s=60)

    # The person presents themselves at B: another person's documents do not complete it.
    stranger = await registered(net, b, tax_code="RSSMRA80A01H501U")
    refused = await net.cases[b].client.post(
        f"/v1/referrals/{rid}/complete", json={"person_id": stranger["person_id"]},
        headers=auth_header(b),
    )  # fmt: skip
    assert refused.status_code == 422 and refused.json()["code"] == "not_the_referred_person"
    arrived = await registered(net, b)
    done = await net.api(b).call(
        "POST", f"/v1/referrals/{rid}/complete", {"person_id": arrived["person_id"]}
    )
    assert done["state"] == "completed" and done["person_id"] == arrived["person_id"]
    assert await eventually(lambda: _is(state_at(net, a, rid), "completed"), timeout_s=60)
    closed = await eventually(
        lambda: _closed(net.api(a).call("GET", f"/v1/plans/{plan['plan_id']}")), timeout_s=30
    )
    assert closed["outcome"] == "transferred"

    # C never hears of it: not on its inbox topic, not through its API.
    assert await inbox(net, c) == []
    assert (await net.api(c).call("GET", "/v1/referrals/sent"))["items"] == []
    elsewhere = await net.cases[c].client.get(f"/v1/referrals/{rid}", headers=auth_header(c))
    assert elsewhere.status_code == 404
    messages = await every_message(kafka_bootstrap, net)
    assert not [m for m in messages if m[0] == f"franoi.{c}.inbox.v1"]
    at_b = [m for m in messages if m[0] == f"franoi.{b}.inbox.v1"]
    at_a = [m for m in messages if m[0] == f"franoi.{a}.inbox.v1"]
    assert {h["ce_type"] for _, h, _ in at_b} == {"it.franoi.referrals.referral.proposed.v1"}
    assert {h["ce_type"] for _, h, _ in at_a} == {
        "it.franoi.referrals.referral.accepted.v1",
        "it.franoi.referrals.referral.completed.v1",
    }
    assert {h["ce_partnerid"] for _, h, _ in at_b} == {a}  # forwarded unchanged
    # nothing of these partners refused on the way (the dead-letter topics are shared with
    # the other tests of the session, which refuse on purpose)
    ours = (a, b, c)
    refused = [
        value.decode("utf-8", "replace") + json.dumps(headers)
        for topic, headers, value in messages
        if "deadletter" in topic
    ]
    assert not [text for text in refused if any(f'"{p}"' in text for p in ours)]
    assert all(h["ce_subject"] == rid for _, h, _ in at_a + at_b)
    assert_nothing_identifies(messages)


async def _is(state: Any, expected: str) -> bool:
    return await state == expected


async def _closed(plan: Any) -> Any:
    found = await plan
    return found if found["status"] == "closed" else None


async def test_b_offline_during_the_referral_receives_it_on_return(
    network: Network, kafka_bootstrap: str
) -> None:
    net = network
    a, b, _ = net.partners
    await net.cases[b].stop()
    someone = await registered(net, a)
    rid = (await refer(net, a, b, someone["person_id"], axis="work"))["referral_id"]

    async def routed() -> Any:
        messages = await read_records(
            kafka_bootstrap, [f"franoi.{b}.inbox.v1"], lambda r: decode(r.headers, r.value),
            timeout_s=5, group_id=f"offline-{uuid.uuid4().hex[:8]}",
        )  # fmt: skip
        return [m for m in messages if m.subject == rid] or None

    assert await eventually(routed, timeout_s=60)  # waiting on B's inbox topic, B away
    back = net.restart(b)
    await back.start()
    waiting = await eventually(lambda: inbox(net, b, state="proposed"), timeout_s=60)
    assert [r["referral_id"] for r in waiting] == [rid]
    accepted = await net.api(b).call("POST", f"/v1/referrals/{rid}/accept")
    assert accepted["state"] == "accepted"


async def test_without_identity_consent_nothing_of_the_identity_crosses(
    network: Network, kafka_bootstrap: str
) -> None:
    net = network
    a, b, _ = net.partners
    someone = await registered(net, a, scopes=("processing", "sharing_within_network"))
    sent = await refer(net, a, b, someone["person_id"], axis="housing")
    assert sent["identity_shared"] is False
    await eventually(lambda: inbox(net, b), timeout_s=60)
    detail = await net.api(b).call("GET", f"/v1/referrals/{sent['referral_id']}")
    assert detail["identity_shared"] is False
    assert detail["sealed_part"]["identity"] is None
    assert detail["sealed_part"]["plans"] is None  # one axis: no plans' summary
    assert detail["sex"] == "female" and detail["protection_status"] == "refugee"
    # B knows the person once they present themselves: their documents give the reference.
    arrived = await registered(net, b)
    again = await net.api(b).call("GET", f"/v1/referrals/{sent['referral_id']}")
    assert again["known_person_id"] == arrived["person_id"]
    assert_nothing_identifies(await every_message(kafka_bootstrap, net))


async def test_a_withdrawn_referral_cannot_be_accepted(network: Network) -> None:
    net = network
    a, b, _ = net.partners
    someone = await registered(net, a)
    rid = (await refer(net, a, b, someone["person_id"], axis="community"))["referral_id"]
    await eventually(lambda: inbox(net, b), timeout_s=60)
    withdrawn = await net.api(a).call(
        "POST", f"/v1/referrals/{rid}/withdraw", {"reason": "referred_elsewhere"}
    )
    assert withdrawn["state"] == "withdrawn"
    assert await eventually(lambda: _is(state_at(net, b, rid), "withdrawn"), timeout_s=60)
    refused = await net.cases[b].client.post(f"/v1/referrals/{rid}/accept", headers=auth_header(b))
    assert refused.status_code == 409, refused.text
    # Only the receiving partner answers, only the referring one withdraws.
    wrong = await net.cases[a].client.post(f"/v1/referrals/{rid}/accept", headers=auth_header(a))
    assert wrong.status_code == 409 and wrong.json()["code"] == "not_this_partners_move"


async def test_an_erased_persons_pending_referrals_are_withdrawn_and_erased_at_b(
    network: Network,
) -> None:
    net = network
    a, b, _ = net.partners
    someone = await registered(net, a, scopes=("processing", "referral_identity"))
    rid = (await refer(net, a, b, someone["person_id"]))["referral_id"]
    await eventually(lambda: inbox(net, b), timeout_s=60)
    await net.api(a, "partner_admin").call("POST", f"/v1/persons/{someone['person_id']}/erase")
    sent = await net.api(a).call("GET", f"/v1/referrals/{rid}")
    assert sent["state"] == "withdrawn" and sent["withdrawal_reason"] == "person_erased"
    assert sent["person_id"] is None
    assert await eventually(lambda: _is(state_at(net, b, rid), "withdrawn"), timeout_s=60)
    detail = await net.api(b).call("GET", f"/v1/referrals/{rid}")
    assert detail["sealed_part"] is None and detail["withdrawal_reason"] == "person_erased"
    ref = person_ref(TAX_CODE, KEY)
    for partner in (a, b):
        db = await asyncpg.connect(net.cases[partner].settings.database_url)
        try:
            rows = await db.fetch("SELECT person_ref, sealed FROM referrals")
        finally:
            await db.close()
        assert rows and all(r["person_ref"] != ref and r["sealed"] is None for r in rows)


async def test_the_network_counts_referrals_and_the_transferred_persons_journey_is_one(
    databases, kafka_bootstrap, kafka_idempotent, tmp_path
) -> None:
    kafka = kafka_settings(kafka_bootstrap, kafka_idempotent)
    async with three_partners(databases, kafka, tmp_path) as net:
        a, b, c = net.partners
        assert net.projection is not None
        someone = await registered(net, a)
        await net.api(a).call("POST", "/v1/plans", {
            "person_id": someone["person_id"], "opened_on": day(-39), "axes": ["work"],
            "goals": {}, "planned_months": 6, "key_worker": "Maria Rossi",
        }, 201)  # fmt: skip
        moved = (await refer(net, a, b, someone["person_id"]))["referral_id"]
        other = await registered(net, a, tax_code="RSSMRA80A01H501U")
        declined = (await refer(net, a, c, other["person_id"], axis="housing"))["referral_id"]
        await eventually(lambda: inbox(net, b), timeout_s=60)
        await eventually(lambda: inbox(net, c), timeout_s=60)
        await net.api(b).call("POST", f"/v1/referrals/{moved}/accept")
        await net.api(c).call(
            "POST", f"/v1/referrals/{declined}/decline", {"reason": "no_capacity"}
        )
        arrived = await registered(net, b, registered_on=0)  # arrives at B today
        await net.api(b).call(
            "POST", f"/v1/referrals/{moved}/complete", {"person_id": arrived["person_id"]}
        )
        await eventually(lambda: _is(state_at(net, a, moved), "completed"), timeout_s=60)

        db = await asyncpg.connect(net.projection.settings.database_url)
        try:

            async def counted() -> dict[tuple[str, str, str, str], int]:
                rows = await db.fetch(
                    "SELECT indicator_id, partner_id, dimension, key, sum(n) AS n"
                    " FROM indicator_counts WHERE indicator_id LIKE 'referrals_%'"
                    " OR indicator_id = 'journeys_first_contacts'"
                    " GROUP BY 1, 2, 3, 4"
                )
                return {(r[0], r[1], r[2], r[3]): r[4] for r in rows if r[4]}

            # One journey: first contact at A, none counted again at B for the same person
            # (the other person referred, never transferred, is a journey of their own).
            expected = {
                ("referrals_made", a, "all", ""): 2,
                ("referrals_made", a, "referral_axis", "whole_case"): 1,
                ("referrals_made", a, "referral_axis", "housing"): 1,
                ("referrals_made", a, "sex", "female"): 2,
                ("referrals_accepted", b, "all", ""): 1,
                ("referrals_accepted", b, "referral_axis", "whole_case"): 1,
                ("referrals_declined", c, "all", ""): 1,
                ("referrals_completed", b, "all", ""): 1,
                ("journeys_first_contacts", a, "all", ""): 2,
            }
            never = [
                ("referrals_days_to_acceptance", b, "all", ""),  # accepted the same day
                ("journeys_first_contacts", b, "all", ""),
                ("journeys_first_contacts", c, "all", ""),
            ]

            last: dict[str, Any] = {}

            async def settled() -> Any:
                got = last["got"] = await counted()
                wanted = {k: got.get(k) for k in expected}
                return got if wanted == expected and not set(never) & set(got) else None

            try:
                await eventually(settled, timeout_s=120)
            except AssertionError:
                got = last["got"]
                assert {k: got.get(k) for k in expected} == expected
                assert not set(never) & set(got), set(never) & set(got)
                raise
            refs = await db.fetch(
                "SELECT partner_id, person_ref FROM cases_persons WHERE person_ref = $1",
                person_ref(TAX_CODE, KEY),
            )
            assert sorted(r["partner_id"] for r in refs) == sorted([a, b])

            # Nothing of it was refused on the way (the projection's own dead letters).
            assert await db.fetchval("SELECT count(*) FROM dead_letters") == 0

            async def closed() -> Any:
                return await db.fetchval("SELECT outcome FROM cases_plans WHERE partner_id = $1", a)

            assert await eventually(closed, timeout_s=60) == "transferred"
            # Nothing the projection keeps of a referral names or seals the person.
            assert "sealed" not in {
                r["column_name"]
                for r in await db.fetch(
                    "SELECT column_name FROM information_schema.columns"
                    " WHERE table_name IN ('referrals_made', 'referrals_answered')"
                )
            }
        finally:
            await db.close()
        # The network view, by region.
        month = TODAY.strftime("%Y-%m")
        response = await net.projection.client.get(
            f"/v1/network/indicators/referrals_accepted/table?by=region&from={month}&to={month}",
            headers=ANALYST,
        )
        assert response.status_code == 200, response.text
        assert response.json()["total"]["value"] == 1

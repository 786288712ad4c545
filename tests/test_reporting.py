"""Reporting periods on the real pipeline: events published on the partners' topics of a
real broker, consumed by the projection into a real PostgreSQL; the data-quality rules each
raised by a crafted case at one partner and quiet on a clean history at another; a period
submitted, approved, then a late event and a correction arriving (the approved report
unchanged to the unit, the live view changed, the late entries listed), reopened as version
2 with version 1 still readable; each partner's coordinator confined to its own partner."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from aiokafka import AIOKafkaProducer
from franoi_common.envelope import Envelope, encode
from franoi_contracts import cases as ce
from franoi_contracts import employment as em
from franoi_contracts import hosting as ho
from franoi_contracts import housing as hs
from franoi_contracts.base import DomainEvent
from franoi_projection.bootstrap import DEFINITION as PROJECTION
from franoi_projection.domain import quality
from openpyxl import load_workbook

from tests.support import (
    ANALYST,
    RunningService,
    auth_header,
    eventually,
    kafka_settings,
    projection_settings,
    running,
)
from tests.test_projection_rebuild import unused_partners

D = dt.date
TODAY = dt.datetime.now(dt.UTC).date()


ALL = "/v1/reporting/periods/all/partners"


class P:
    """The partners of this module: ids no other test publishes for (topics not seen on
    the session's broker), put in the directory by the fixture as each case needs them."""

    messy = clean = a = b = ""


PERSON = {"sex": "female", "age_band": "25-34", "protection_status": "refugee"}
ALL_AXES = ["housing", "employment", "hosting", "events", "cases"]


def ago(days: int) -> dt.date:
    return TODAY - dt.timedelta(days=days)


def coordinator(partner: str) -> dict[str, str]:
    return auth_header(partner, "partner_admin")


CONSORTIUM = auth_header("consortium", "partner_admin")


REFS: set[str] = set()


def ref_of(name: str) -> str:
    """A person's network pseudonym, as a partner's cases service makes one."""
    value = hashlib.sha256(name.encode()).hexdigest()
    REFS.add(value)
    return value


ref = ref_of


def _id() -> uuid.UUID:
    return uuid.uuid4()


class History:
    """Events of one partner, each with the time it is entered (by default on its own
    day: on time)."""

    def __init__(self, partner: str) -> None:
        self.partner = partner
        self.items: list[tuple[str, DomainEvent, dt.datetime | None]] = []
        self.ids: dict[str, uuid.UUID] = {}

    def add(self, domain: str, event: DomainEvent, entered: dt.datetime | None = None) -> None:
        self.items.append((domain, event, entered))

    def person(self, name: str, registered: dt.date) -> None:
        self.add(
            "cases",
            ce.PersonRegistered(
                person_id=_id(), person_ref=ref_of(name), registered_on=registered, **PERSON
            ),
        )

    def envelopes(self) -> Iterator[tuple[str, Envelope]]:
        from franoi_projection.projectors.entries import event_day

        for domain, event, entered in self.items:
            day = event_day(event)
            if entered is None:
                entered = (
                    dt.datetime.combine(day, dt.time(10), dt.UTC)
                    if day
                    else dt.datetime.now(dt.UTC)
                )
            yield (
                f"franoi.{self.partner}.{domain}.v1",
                Envelope(
                    id=str(uuid.uuid4()),
                    source=f"/partners/{self.partner}/{domain}",
                    type=event.TYPE,
                    time=entered,
                    subject=event.aggregate_id,
                    partnerid=self.partner,
                    data=event.data(),
                ),
            )


async def publish(bootstrap: str, *histories: History) -> int:
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, acks="all", enable_idempotence=True)
    await producer.start()
    sent = 0
    try:
        for history in histories:
            for topic, envelope in history.envelopes():
                headers, value = encode(envelope)
                await producer.send_and_wait(
                    topic, value=value, key=envelope.subject.encode(), headers=headers
                )
                sent += 1
    finally:
        await producer.stop()
    return sent


def internship(h: History, name: str, start: dt.date, end: dt.date) -> uuid.UUID:
    internship_id = _id()
    h.add(
        "employment",
        em.InternshipStarted(
            internship_id=internship_id,
            person_ref=ref(name),
            company_agreement_id=_id(),
            sector="G",
            started_on=start,
            planned_end_on=end,
            monthly_stipend_eur=500,
            stipend_paid_by="project",
            **PERSON,
        ),
    )
    return internship_id


def hire(h: History, name: str, start: dt.date, internship_id: uuid.UUID | None = None) -> None:
    h.add(
        "employment",
        em.HireRecorded(
            hire_id=_id(),
            person_ref=ref(name),
            company_agreement_id=None,
            internship_id=internship_id,
            sector="G",
            contract_type="permanent",
            weekly_hours=20,
            started_on=start,
            ends_on=None,
            **PERSON,
        ),
    )


def housing_request(h: History, name: str, day: dt.date, request_id: uuid.UUID) -> None:
    h.add(
        "housing",
        hs.RequestSubmitted(
            request_id=request_id,
            person_ref=ref(name),
            household_size=1,
            need="exit_from_reception",
            submitted_on=day,
            **PERSON,
        ),
    )


def placement_started(
    h: History,
    name: str,
    placement_id: uuid.UUID,
    unit_id: uuid.UUID,
    start: dt.date,
    planned_end: dt.date | None,
    request_id: uuid.UUID | None,
) -> None:
    h.add(
        "housing",
        hs.PlacementStarted(
            placement_id=placement_id,
            unit_id=unit_id,
            request_id=request_id,
            person_ref=ref(name),
            household_size=1,
            started_on=start,
            planned_end_on=planned_end,
            **PERSON,
        ),
    )


def stay(h: History, name: str, start: dt.date, planned_end: dt.date) -> tuple[Any, Any]:
    stay_id, family = _id(), _id()
    h.add(
        "hosting",
        ho.StayStarted(
            stay_id=stay_id,
            match_id=_id(),
            family_id=family,
            request_id=None,
            person_ref=ref(name),
            started_on=start,
            planned_months=3,
            planned_end_on=planned_end,
            monthly_contribution_eur=0,
            **PERSON,
        ),
    )
    return stay_id, family


def messy() -> History:
    """One crafted case per rule at a partner listing only employment and cases."""
    h = History(P.messy)
    now = dt.datetime.now(dt.UTC)
    # end_before_start: an exit dated before the placement's start.
    h.person("m-end", ago(400))
    placement, unit = _id(), _id()
    placement_started(h, "m-end", placement, unit, ago(300), None, None)
    h.add(
        "housing",
        hs.PlacementEnded(
            placement_id=placement, unit_id=unit, ended_on=ago(310), exit_outcome="unknown"
        ),
    )
    # future_date: registered next week.
    h.add(
        "cases",
        ce.PersonRegistered(
            person_id=_id(),
            person_ref=ref("m-future"),
            registered_on=TODAY + dt.timedelta(days=7),
            **PERSON,
        ),
        now,
    )
    # before_registration: an internship before the person's registration.
    h.person("m-early", ago(100))
    internship(h, "m-early", ago(150), ago(-200))
    # before_partner_joined: the partner is active from 2019-05-01.
    h.person("m-joined", D(2019, 1, 2))
    # past_planned_end + stay_without_visit (+ axis_not_listed: hosting is not p21's).
    h.person("m-stay", ago(500))
    stay(h, "m-stay", ago(200), ago(110))
    # internship_without_outcome: ended 40 days ago, no outcome.
    h.person("m-intern", ago(300))
    ended = h.ids["no outcome"] = internship(h, "m-intern", ago(200), ago(40))
    h.add("employment", em.InternshipEnded(internship_id=ended, ended_on=ago(40)))
    # request_open_too_long and duplicate_open_requests (housing: not p21's axis either).
    h.person("m-req", ago(400))
    for _ in range(2):
        housing_request(h, "m-req", ago(250), _id())
    # hire_without_contact: a person never seen by the network.
    hire(h, "m-stranger", ago(20))
    # late_entry: registered 30 days ago, entered today.
    h.add(
        "cases",
        ce.PersonRegistered(
            person_id=_id(), person_ref=ref("m-late"), registered_on=ago(30), **PERSON
        ),
        now,
    )
    # figure_outlier: one registration a month for a year, then thirty in one month.
    first = TODAY.replace(day=1)
    for back in range(14, 2, -1):
        h.person(f"m-month-{back}", (first - dt.timedelta(days=30 * back)).replace(day=10))
    spike = (first - dt.timedelta(days=45)).replace(day=12)
    for n in range(30):
        h.person(f"m-spike-{n}", spike)
    return h


def clean() -> History:
    """The same kinds of records, all consistent and entered on their day."""
    h = History(P.clean)
    h.person("c-1", ago(400))
    request, placement, unit = _id(), _id(), _id()
    housing_request(h, "c-1", ago(390), request)
    placement_started(h, "c-1", placement, unit, ago(380), ago(200), request)
    h.add(
        "housing",
        hs.RequestSatisfied(request_id=request, closed_on=ago(380), placement_id=placement),
    )
    h.add(
        "housing",
        hs.PlacementEnded(
            placement_id=placement, unit_id=unit, ended_on=ago(210), exit_outcome="autonomous_rent"
        ),
    )
    stay_id, family = stay(h, "c-1", ago(150), ago(60))
    for day in (120, 90):
        h.add(
            "hosting",
            ho.StayVisitRecorded(
                stay_id=stay_id,
                visit_id=_id(),
                family_id=family,
                visited_on=ago(day),
                guest_wellbeing=4,
                family_wellbeing=4,
                flags=[],
            ),
        )
    h.add(
        "hosting",
        ho.StayEnded(
            stay_id=stay_id, family_id=family, ended_on=ago(65), outcome="completed_with_autonomy"
        ),
    )
    ended = internship(h, "c-1", ago(120), ago(30))
    h.add("employment", em.InternshipEnded(internship_id=ended, ended_on=ago(30)))
    h.add(
        "employment",
        em.InternshipOutcomeRecorded(
            internship_id=ended,
            ended_on=ago(30),
            outcome="hired",
            interrupted_by=None,
            recorded_on=ago(30),
        ),
    )
    hire(h, "c-1", ago(29), ended)
    return h


@pytest.fixture(scope="module")
async def network(databases, kafka_bootstrap, kafka_idempotent):
    kafka = kafka_settings(kafka_bootstrap, kafka_idempotent)
    P.messy, P.clean, P.a, P.b = await unused_partners(kafka, 4)
    settings = projection_settings(
        await databases.create("reporting"), kafka, [P.messy, P.clean, P.a, P.b]
    )
    service = RunningService(PROJECTION, settings)
    async with running(service):
        # the messy partner lists employment and cases only, and joined on 2019-05-01
        for partner, axes, since in [
            (P.messy, ["employment", "cases"], "2019-05-01"),
            (P.clean, ALL_AXES, "2015-01-01"),
            (P.a, ALL_AXES, "2015-01-01"),
            (P.b, ALL_AXES, "2015-01-01"),
        ]:
            body = {"partner_id": partner, "name": f"Cooperativa {partner}",
                    "kind": "cooperative", "region": "Umbria", "province": "PG", "axes": axes,
                    "active_since": since}  # fmt: skip
            await call(service, "POST", "/v1/network/partners", CONSORTIUM, 201, json=body)
        yield service, kafka_bootstrap


async def call(
    service: RunningService,
    method: str,
    path: str,
    headers: dict[str, str],
    status: int = 200,
    **kwargs: Any,
) -> Any:
    response = await service.client.request(method, path, headers=headers, **kwargs)
    assert response.status_code == status, f"{method} {path}: {response.text}"
    if response.headers.get("content-type", "").startswith("application/json"):
        return response.json()
    if status >= 400:
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["detail"]
    return response


async def rerun(service: RunningService, partner: str) -> int:
    """The partner's checks run again: how many flags they raise."""
    run = await call(
        service,
        "POST",
        f"/v1/reporting/periods/all/partners/{partner}/quality-run",
        coordinator(partner),
    )
    return int(run["flags"][partner])


async def test_every_rule_raises_on_its_case_and_is_quiet_on_a_clean_history(network) -> None:
    service, bootstrap = network
    await call(
        service,
        "POST",
        "/v1/reporting/periods",
        CONSORTIUM,
        201,
        json={
            "period_id": "all",
            "label_it": "Tutto",
            "first_month": "2018-01",
            "last_month": TODAY.strftime("%Y-%m"),
            "deadline": (TODAY + dt.timedelta(days=60)).isoformat(),
        },
    )
    mess, tidy = messy(), clean()
    await publish(bootstrap, mess, tidy)
    wanted = {rule.id for rule in quality.RULES}

    async def raised() -> set[str] | None:
        await call(
            service,
            "POST",
            f"/v1/reporting/periods/all/partners/{P.messy}/quality-run",
            coordinator(P.messy),
        )
        flags = await call(
            service,
            "GET",
            f"/v1/reporting/periods/all/partners/{P.messy}/flags",
            coordinator(P.messy),
        )
        rules = {f["rule_id"] for f in flags}
        return rules if rules >= wanted else None

    assert await eventually(raised, timeout_s=60) == wanted

    async def quiet() -> list[Any] | None:
        run = await call(
            service,
            "POST",
            f"/v1/reporting/periods/all/partners/{P.clean}/quality-run",
            coordinator(P.clean),
        )
        figures = await call(
            service, "GET", f"/v1/reporting/periods/all/partners/{P.clean}", coordinator(P.clean)
        )
        hired = {f["indicator_id"]: f["value"] for f in figures["figures"]}
        return run if hired.get("employment_hires", 0) >= 1 else None

    run = await eventually(quiet, timeout_s=60)
    flags = await call(
        service, "GET", f"/v1/reporting/periods/all/partners/{P.clean}/flags", coordinator(P.clean)
    )
    assert run["flags"][P.clean] == 0 and flags == []

    # Each rule's flag names the partner's own records and the days that make it.
    flags = await call(
        service,
        "GET",
        f"/v1/reporting/periods/all/partners/{P.messy}/flags",
        coordinator(P.messy),
        params={"lang": "en"},
    )
    by_rule = {f["rule_id"]: f for f in flags}
    assert by_rule["hire_without_contact"]["subject"] == "employment_hires"
    assert (
        by_rule["end_before_start"]["severity"],
        by_rule["end_before_start"]["severity_level"],
    ) == ("Error", "error")
    assert by_rule["late_entry"]["severity_level"] == "warning"
    assert (
        by_rule["future_date"]["dates"]["registered_on"]
        == (TODAY + dt.timedelta(days=7)).isoformat()
    )
    assert by_rule["figure_outlier"]["value"] > 3.5
    assert by_rule["axis_not_listed"]["title"] == "Activity on an axis not listed"
    for flag in flags:
        assert not REFS & set(flag["record_ids"]), flag

    # An explained flag is not raised again; an error flag refuses the submission.
    status = await call(service, "GET", "/v1/reporting/periods/all", coordinator(P.messy))
    assert [p["status"] for p in status["partners"]] == ["flags_open"]
    refused = await service.client.post(
        f"/v1/reporting/periods/all/partners/{P.messy}/submission",
        json={},
        headers=coordinator(P.messy),
    )
    assert refused.status_code == 409 and "error flag" in refused.json()["detail"]
    late = by_rule["late_entry"]
    path = f"/v1/reporting/periods/all/partners/{P.messy}/flags/{late['flag_key']}/explanation"
    await call(
        service,
        "PUT",
        path,
        coordinator(P.messy),
        204,
        json={"comment": "Registrazione recuperata dal cartaceo"},
    )
    await call(service, "PUT", path, coordinator(P.clean), 404, json={"comment": "x"})
    await call(service, "PUT", path, CONSORTIUM, 403, json={"comment": "x"})
    await rerun(service, P.messy)
    keys = {
        f["flag_key"]
        for f in await call(
            service,
            "GET",
            f"/v1/reporting/periods/all/partners/{P.messy}/flags",
            coordinator(P.messy),
        )
    }
    assert late["flag_key"] not in keys
    explained = await call(
        service,
        "GET",
        f"/v1/reporting/periods/all/partners/{P.messy}/flags",
        coordinator(P.messy),
        params={"explained": "true"},
    )
    assert any(f["explanation"] for f in explained if f["flag_key"] == late["flag_key"])

    # a record fixed in its service: its flag is gone at the next run
    fix = History(P.messy)
    outcome = em.InternshipOutcomeRecorded(
        internship_id=mess.ids["no outcome"], ended_on=ago(40), outcome="not_hired",
        interrupted_by=None, recorded_on=ago(1))  # fmt: skip
    fix.add("employment", outcome)
    await publish(bootstrap, fix)

    async def fixed() -> list[Any] | None:
        await rerun(service, P.messy)
        flags = await call(service, "GET", f"{ALL}/{P.messy}/flags", coordinator(P.messy))
        rules = {f["rule_id"] for f in flags}
        return flags if "internship_without_outcome" not in rules else None

    still = await eventually(fixed, timeout_s=60)
    # the others stand (the one late entry was explained above)
    assert {f["rule_id"] for f in still} == wanted - {"internship_without_outcome", "late_entry"}


def quarter_before(today: dt.date) -> tuple[dt.date, dt.date]:
    """The three whole months before the current one."""
    last = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    first = last
    for _ in range(2):
        first = (first - dt.timedelta(days=1)).replace(day=1)
    return first, last


def requests(partner: str, days: list[dt.date], entered: dt.datetime | None = None) -> History:
    h = History(partner)
    for n, day in enumerate(days):
        h.add(
            "housing",
            hs.RequestSubmitted(
                request_id=_id(),
                person_ref=ref(f"{partner}-r{n}-{day}"),
                household_size=2,
                need="exit_from_reception",
                submitted_on=day,
                **PERSON,
            ),
            entered,
        )
    return h


def key_number(
    report: dict[str, Any], indicator: str, scope: str = "network", key: str = ""
) -> Any:
    (row,) = [
        r
        for r in report["key_numbers"]
        if (r["scope"], r["key"], r["indicator_id"]) == (scope, key, indicator)
    ]
    return row["value"]


async def submit_and_approve_all(service: RunningService, period: str) -> dict[str, Any]:
    status = await call(service, "GET", f"/v1/reporting/periods/{period}", CONSORTIUM)
    partners = [p["partner_id"] for p in status["partners"]]
    assert {P.a, P.b} <= set(partners) and len(partners) >= 43
    last: dict[str, Any] = {}
    for p in partners:
        await call(
            service,
            "POST",
            f"/v1/reporting/periods/{period}/partners/{p}/submission",
            coordinator(p),
            json={},
        )
    for p in partners:
        last = await call(
            service,
            "POST",
            f"/v1/reporting/periods/{period}/partners/{p}/approval",
            CONSORTIUM,
            json={},
        )
        assert last["period_approved"] is (p == partners[-1])
    return last


async def test_approved_figures_stay_fixed_late_entries_listed_reopening_versions(
    network,
) -> None:
    service, bootstrap = network
    first, last = quarter_before(TODAY)
    period = "q-test"
    await call(
        service,
        "POST",
        "/v1/reporting/periods",
        CONSORTIUM,
        201,
        json={
            "period_id": period,
            "label_it": "Trimestre",
            "label_en": "Quarter",
            "first_month": first.strftime("%Y-%m"),
            "last_month": last.strftime("%Y-%m"),
            "deadline": (TODAY + dt.timedelta(days=30)).isoformat(),
        },
    )
    in_period = [first + dt.timedelta(days=3), first + dt.timedelta(days=40), last]
    await publish(bootstrap, requests(P.a, in_period), requests(P.b, in_period[:1]))

    async def counted() -> dict[str, Any] | None:
        mine = await call(
            service, "GET", f"/v1/reporting/periods/{period}/partners/{P.a}", coordinator(P.a)
        )
        values = {f["indicator_id"]: f["value"] for f in mine["figures"]}
        return mine if values["housing_requests_submitted"] == 3 else None

    mine = await eventually(counted, timeout_s=60)
    assert mine["partner"]["status"] in ("not_started", "flags_open")
    records = await call(
        service,
        "GET",
        f"/v1/reporting/periods/{period}/partners/{P.a}/figures/housing_requests_submitted/records",
        coordinator(P.a),
    )
    assert len(records["records"]) == 3
    assert {r["table"] for r in records["records"]} == {"housing_requests"}

    # Partner A's coordinator cannot see, explain or submit partner B; nor approve.
    base = f"/v1/reporting/periods/{period}/partners/{P.b}"
    for method, path, body in [
        ("GET", base, None),
        ("GET", f"{base}/flags", None),
        ("GET", f"{base}/figures/housing_requests_submitted/records", None),
        ("POST", f"{base}/submission", {}),
        ("POST", f"{base}/quality-run", None),
    ]:
        await call(service, method, path, coordinator(P.a), 404, json=body)
    await call(service, "POST", f"{base}/approval", coordinator(P.a), 403, json={})
    await call(service, "GET", f"/v1/reporting/periods/{period}/report", coordinator(P.a), 403)
    own = await call(service, "GET", f"/v1/reporting/periods/{period}", coordinator(P.a))
    assert [p["partner_id"] for p in own["partners"]] == [P.a]
    for who in (auth_header(P.a, "social_worker"), auth_header("consortium", "integrator")):
        await call(service, "GET", "/v1/reporting/periods", who, 403)

    # Not approved yet: no report. A return sends a partner back to submit again.
    await call(service, "GET", f"/v1/reporting/periods/{period}/report", CONSORTIUM, 422)
    await call(service, "POST", f"{base}/submission", coordinator(P.b), json={})
    await call(service, "POST", f"{base}/return", CONSORTIUM, json={"comment": "Manca marzo"})
    await call(service, "POST", f"{base}/approval", CONSORTIUM, 409, json={})
    returned = await call(service, "GET", f"/v1/reporting/periods/{period}", CONSORTIUM)
    assert {p["partner_id"]: p["status"] for p in returned["partners"]}[P.b] == "returned"

    await submit_and_approve_all(service, period)
    v1 = await call(service, "GET", f"/v1/reporting/periods/{period}/report", CONSORTIUM)
    assert v1["version"] == 1 and v1["late_entries"] == []
    assert key_number(v1, "housing_requests_submitted") == 4
    assert key_number(v1, "housing_requests_submitted", "partner", P.a) == 3
    await call(service, "POST", f"{base}/submission", coordinator(P.b), 409, json={})

    # A late request and a correction (one of A's requests closed unsatisfied in the period).
    h = requests(P.a, [first + dt.timedelta(days=10)], dt.datetime.now(dt.UTC))
    closed_one = await call(
        service,
        "GET",
        f"/v1/reporting/periods/{period}/partners/{P.a}/figures/housing_requests_submitted/records",
        coordinator(P.a),
    )
    request_id = closed_one["records"][0]["record_id"]
    h.add(
        "housing",
        hs.RequestUnsatisfied(
            request_id=uuid.UUID(request_id), closed_on=last, reason="no_unit_available"
        ),
        dt.datetime.now(dt.UTC),
    )
    await publish(bootstrap, h)

    async def live_changed() -> dict[str, Any] | None:
        live = await call(
            service,
            "GET",
            "/v1/network/key-numbers",
            ANALYST,
            params={"from": first.strftime("%Y-%m"), "to": last.strftime("%Y-%m")},
        )
        values = {r["indicator_id"]: r["value"] for r in live["rows"]}
        return live if values["housing_requests_submitted"] == 5 else None

    await eventually(live_changed, timeout_s=60)
    again = await call(service, "GET", f"/v1/reporting/periods/{period}/report", CONSORTIUM)
    assert again["key_numbers"] == v1["key_numbers"]
    assert again["indicators"] == v1["indicators"]
    (late,) = again["late_entries"]
    assert late["partner_id"] == P.a and late["entries"] == 2
    assert late["changed"]["housing_requests_submitted"] == 1

    workbook = await call(
        service,
        "GET",
        f"/v1/reporting/periods/{period}/report",
        CONSORTIUM,
        params={"format": "xlsx"},
    )
    sheets = load_workbook(io.BytesIO(workbook.content))
    rows = list(sheets["Numeri chiave"].iter_rows(values_only=True))
    network_row = [r for r in rows if r[0] == "Rete" and r[2] == "housing_requests_submitted"]
    assert network_row[0][4] == 4
    assert len(list(sheets["Registrazioni tardive"].iter_rows())) == 3
    pdf = await call(
        service,
        "GET",
        f"/v1/reporting/periods/{period}/report",
        CONSORTIUM,
        params={"format": "pdf", "lang": "en"},
    )
    assert pdf.content.startswith(b"%PDF") and len(pdf.content) > 5000

    # Reopened: version 2 counts the late entries; version 1 unchanged and still readable.
    await call(
        service,
        "POST",
        f"/v1/reporting/periods/{period}/reopening",
        coordinator(P.a),
        403,
        json={"comment": "x"},
    )
    reopened = await call(
        service,
        "POST",
        f"/v1/reporting/periods/{period}/reopening",
        CONSORTIUM,
        json={"comment": "Richieste arrivate in ritardo"},
    )
    assert reopened["version"] == 2 and reopened["approved"] is False
    status = await call(service, "GET", f"/v1/reporting/periods/{period}", CONSORTIUM)
    assert {p["status"] for p in status["partners"]} <= {"not_started", "flags_open"}
    assert status["versions"] == [1]
    await submit_and_approve_all(service, period)
    v2 = await call(service, "GET", f"/v1/reporting/periods/{period}/report", CONSORTIUM)
    assert v2["version"] == 2 and key_number(v2, "housing_requests_submitted") == 5
    assert key_number(v2, "housing_requests_unsatisfied", "partner", P.a) == 1
    old = await call(
        service, "GET", f"/v1/reporting/periods/{period}/report", CONSORTIUM, params={"version": 1}
    )
    assert old["key_numbers"] == v1["key_numbers"] and old["reopened_at"]


async def test_bad_input_is_a_clear_problem(network) -> None:
    service, _ = network
    bad = [
        {
            "period_id": "Q1",
            "label_it": "x",
            "first_month": "2025-01",
            "last_month": "2025-03",
            "deadline": "2025-04-30",
        },
        {
            "period_id": "q1",
            "label_it": "x",
            "first_month": "2025-04",
            "last_month": "2025-03",
            "deadline": "2025-04-30",
        },
        {
            "period_id": "q1",
            "label_it": "x",
            "first_month": "2025-01",
            "last_month": "2025-03",
            "deadline": "2025-03-31",
        },
        {
            "period_id": "q1",
            "label_it": "",
            "first_month": "2025-01",
            "last_month": "2025-03",
            "deadline": "2025-04-30",
        },
        {
            "period_id": "q1",
            "label_it": "x",
            "first_month": "2025-1",
            "last_month": "2025-03",
            "deadline": "2025-04-30",
        },
    ]
    for body in bad:
        response = await service.client.post("/v1/reporting/periods", json=body, headers=CONSORTIUM)
        assert response.status_code == 422, (body, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
    await call(service, "GET", "/v1/reporting/periods/nope", CONSORTIUM, 404)
    body = {
        "period_id": "dup",
        "label_it": "x",
        "first_month": "2025-01",
        "last_month": "2025-03",
        "deadline": "2025-04-30",
    }
    await call(service, "POST", "/v1/reporting/periods", coordinator(P.a), 403, json=body)
    await call(service, "POST", "/v1/reporting/periods", CONSORTIUM, 201, json=body)
    await call(service, "POST", "/v1/reporting/periods", CONSORTIUM, 200, json=body)
    await call(
        service,
        "POST",
        "/v1/reporting/periods",
        CONSORTIUM,
        409,
        json={**body, "deadline": "2025-05-30"},
    )
    await call(
        service,
        "POST",
        "/v1/reporting/periods/dup/reopening",
        CONSORTIUM,
        409,
        json={"comment": "x"},
    )
    await call(
        service, "POST", "/v1/reporting/periods/dup/partners/p01/return", CONSORTIUM, 422, json={}
    )


async def test_the_network_checks_run_by_themselves(network) -> None:
    """A serving process runs every partner's checks when they are older than the interval
    (at start: never run), so the consortium's statuses are current without anyone asking."""
    service, _ = network
    await call(service, "POST", "/v1/reporting/periods", CONSORTIUM, 201, json={
        "period_id": "sched", "label_it": "x", "first_month": "2025-01",
        "last_month": "2025-03", "deadline": "2025-04-30"})  # fmt: skip
    page = await call(service, "GET", "/v1/reporting/periods/sched/partners/p05", CONSORTIUM)
    assert page["checked_on"] == TODAY.isoformat()
    assert service.wiring.workers["quality"].runs >= 1

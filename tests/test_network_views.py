"""The network views on the real database and app: exact figures for a generated
multi-partner housing history (corrections, closings, out-of-order aggregates, duplicates,
one-by-one and set-wise application), suppression of every outside-facing table, exports,
completeness, the public page and the directory's access rules."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import json
import random
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import pytest
from franoi_common.db import create_pool
from franoi_common.envelope import Envelope
from franoi_contracts import housing as ev
from franoi_contracts.base import DomainEvent
from franoi_projection.bootstrap import DEFINITION as PROJECTION
from franoi_projection.domain.suppression import THRESHOLD
from franoi_projection.projectors.handler import HANDLER
from openpyxl import load_workbook

from tests.support import (
    ANALYST,
    RunningService,
    auth_header,
    fresh_partners,
    kafka_settings,
    running,
    set_wise_batches,
)

D = dt.date
INTEGRATOR = auth_header("consortium", "integrator")
PARTNERS_ONE_BY_ONE = ["p01", "p11", "p02"]  # p01, p11: Lombardia
PARTNERS_SET_WISE = ["p05", "p06"]
FIRST, LAST = D(2024, 1, 1), D(2025, 12, 31)
SEXES = ["female", "male", "other", "undisclosed"]
AGES = ["0-17", "18-24", "25-34", "35-44", "45-54", "55+"]
STATUSES = ["refugee", "subsidiary_protection", "special_protection", "other"]
OUTCOMES = ["autonomous_rent", "public_housing", "other_project", "back_to_reception", "unknown"]


def ref(rng: random.Random) -> str:
    return f"{rng.getrandbits(256):064x}"


def day(rng: random.Random, low: dt.date, high: dt.date) -> dt.date:
    return low + dt.timedelta(days=rng.randint(0, max(0, (high - low).days)))


@dataclass
class Facts:
    """What the generated history leaves, per partner (the oracle)."""

    units: dict[uuid.UUID, dict[str, Any]] = field(default_factory=dict)
    requests: dict[uuid.UUID, dict[str, Any]] = field(default_factory=dict)
    placements: dict[uuid.UUID, dict[str, Any]] = field(default_factory=dict)


def history(rng: random.Random, facts: Facts, size: int) -> list[list[DomainEvent]]:
    """One partner's events, as one list per aggregate (in the aggregate's order)."""
    aggregates: list[list[DomainEvent]] = []
    unit_ids = []
    for _ in range(max(3, size // 8)):
        unit_id = uuid.uuid4()
        unit_ids.append(unit_id)
        since = day(rng, FIRST, D(2025, 6, 30))
        beds = rng.randint(1, 6)
        events: list[DomainEvent] = [
            ev.UnitRegistered(
                unit_id=unit_id,
                municipality_code="F205",
                beds=beds,
                monthly_rent_eur=300,
                rent_regime="agreed",
                provider="private_owner",
                available_from=since,
            )
        ]
        if rng.random() < 0.3:  # a correction of the registration (same unit, new beds)
            beds = rng.randint(1, 6)
            events.append(
                ev.UnitRegistered(
                    unit_id=unit_id,
                    municipality_code="F205",
                    beds=beds,
                    monthly_rent_eur=300,
                    rent_regime="agreed",
                    provider="private_owner",
                    available_from=since,
                )
            )
        if rng.random() < 0.4:
            beds = rng.randint(1, 6)
            events.append(
                ev.UnitUpdated(
                    unit_id=unit_id, beds=beds, monthly_rent_eur=350, rent_regime="market"
                )
            )
        withdrawn = None
        if rng.random() < 0.3:
            withdrawn = day(rng, since, LAST)
            events.append(ev.UnitWithdrawn(unit_id=unit_id, withdrawn_on=withdrawn))
        facts.units[unit_id] = {"beds": beds, "from": since, "withdrawn": withdrawn}
        aggregates.append(events)
    for _ in range(size):
        request_id = uuid.uuid4()
        person = {
            "sex": rng.choice(SEXES),
            "age_band": rng.choice(AGES),
            "protection_status": rng.choice(STATUSES),
        }
        household = rng.randint(1, 5)
        person_ref = ref(rng)
        submitted = day(rng, FIRST, LAST - dt.timedelta(days=60))
        request_events: list[DomainEvent] = [
            ev.RequestSubmitted(
                request_id=request_id,
                person_ref=person_ref,
                household_size=household,
                need="exit_from_reception",
                submitted_on=submitted,
                **person,
            )
        ]
        fact: dict[str, Any] = {"submitted": submitted, "status": "open", "closed": None, **person}
        roll = rng.random()
        closed = day(rng, submitted, submitted + dt.timedelta(days=50))
        if roll < 0.5:
            placement_id = uuid.uuid4()
            request_events.append(
                ev.RequestSatisfied(
                    request_id=request_id, closed_on=closed, placement_id=placement_id
                )
            )
            fact.update(status="satisfied", closed=closed)
            placement: list[DomainEvent] = [
                ev.PlacementStarted(
                    placement_id=placement_id,
                    unit_id=rng.choice(unit_ids),
                    request_id=request_id,
                    person_ref=person_ref,
                    household_size=household,
                    started_on=closed,
                    **person,
                )
            ]
            ended, outcome = None, None
            if rng.random() < 0.3:
                placement.append(
                    ev.PlacementExtended(placement_id=placement_id, planned_end_on=D(2026, 6, 30))
                )
            if rng.random() < 0.6:
                ended = day(rng, closed, LAST)
                outcome = rng.choice(OUTCOMES)
                placement.append(
                    ev.PlacementEnded(
                        placement_id=placement_id,
                        unit_id=uuid.uuid4(),
                        ended_on=ended,
                        exit_outcome=outcome,
                    )
                )
            facts.placements[placement_id] = {
                "started": closed,
                "ended": ended,
                "outcome": outcome,
                "size": household,
                **person,
            }
            aggregates.append(placement)
        elif roll < 0.75:
            request_events.append(
                ev.RequestUnsatisfied(
                    request_id=request_id, closed_on=closed, reason="no_unit_available"
                )
            )
            fact.update(status="unsatisfied", closed=closed)
        elif roll < 0.85:
            request_events.append(ev.RequestWithdrawn(request_id=request_id, closed_on=closed))
            fact.update(status="withdrawn", closed=closed)
        facts.requests[request_id] = fact
        aggregates.append(request_events)
    return aggregates


def interleave(rng: random.Random, aggregates: list[list[DomainEvent]]) -> list[DomainEvent]:
    """Every aggregate's events in its order, aggregates mixed at random (placements may
    arrive before their unit or request: different aggregates are not ordered)."""
    queues = [list(a) for a in aggregates]
    out: list[DomainEvent] = []
    while queues:
        queue = rng.choice(queues)
        out.append(queue.pop(0))
        if rng.random() < 0.05:
            out.append(out[-1])  # redelivered right after (another envelope: not deduplicated)
        if not queue:
            queues.remove(queue)
    return out


def envelope(
    partner: str, event: DomainEvent, domain: str = "housing", time: dt.datetime | None = None
) -> Envelope:
    return Envelope(
        id=str(uuid.uuid4()),
        source=f"/partners/{partner}/{domain}",
        type=event.TYPE,
        time=time or dt.datetime.now(dt.UTC),
        subject=event.aggregate_id,
        partnerid=partner,
        data=event.data(),
    )


async def apply_one_by_one(
    pool: asyncpg.Pool, partner: str, events: list[DomainEvent], domain: str = "housing"
) -> None:
    async with pool.acquire() as conn:
        for event in events:
            async with conn.transaction():
                await conn.execute(
                    "INSERT INTO processed_events (source, event_id, event_type, topic,"
                    " kafka_partition, kafka_offset) VALUES ($1, $2, $3, 't', 0, 0)",
                    f"/partners/{partner}/{domain}",
                    str(uuid.uuid4()),
                    event.TYPE,
                )
                await HANDLER.apply_one(conn, envelope(partner, event, domain))


async def apply_set_wise(
    pool: asyncpg.Pool, partner: str, events: list[DomainEvent], domain: str = "housing"
) -> None:
    """Batches of one event type with at most one event per aggregate, applied with
    executemany, as a batching consumer would."""
    for batch in set_wise_batches(events, lambda event: event):
        async with pool.acquire() as conn, conn.transaction():
            await conn.executemany(
                "INSERT INTO processed_events (source, event_id, event_type, topic,"
                " kafka_partition, kafka_offset) VALUES ($1, $2, $3, 't', 0, 0)",
                [(f"/partners/{partner}/{domain}", str(uuid.uuid4()), e.TYPE) for e in batch],
            )
            await HANDLER.apply_batch(conn, [(partner, e) for e in batch])


@pytest.fixture(scope="module")
async def network(databases, kafka_bootstrap, kafka_idempotent):
    """A projection with a generated two-year history of five partners, and the oracle."""
    from franoi_common.settings import ProjectionSettings

    settings = ProjectionSettings(
        env="test",
        database_url=await databases.create("netviews"),
        kafka=kafka_settings(kafka_bootstrap, kafka_idempotent),
        consumer_enabled=False,
    )
    service = RunningService(PROJECTION, settings)
    rng = random.Random(13)
    facts: dict[str, Facts] = {}
    async with running(service):
        pool = await create_pool(settings.database_url)
        try:
            for partner in PARTNERS_ONE_BY_ONE + PARTNERS_SET_WISE:
                facts[partner] = Facts()
                events = interleave(rng, history(rng, facts[partner], 120))
                if partner in PARTNERS_SET_WISE:
                    await apply_set_wise(pool, partner, events)
                else:
                    await apply_one_by_one(pool, partner, events)
            yield service, pool, facts
        finally:
            await pool.close()


def in_period(d: dt.date | None, first: dt.date, last: dt.date) -> bool:
    return d is not None and first <= d <= last


def expected(facts: Facts, first: dt.date, last: dt.date) -> dict[str, int]:
    """The key figures computed straight from the facts."""
    r, p, u = facts.requests.values(), facts.placements.values(), facts.units.values()
    satisfied = sum(x["status"] == "satisfied" and in_period(x["closed"], first, last) for x in r)
    unsatisfied = sum(
        x["status"] == "unsatisfied" and in_period(x["closed"], first, last) for x in r
    )
    beds = sum(
        x["beds"]
        for x in u
        if x["from"] <= last and not (x["withdrawn"] and x["withdrawn"] <= last)
    )
    occupied = sum(
        x["size"] for x in p if x["started"] <= last and not (x["ended"] and x["ended"] <= last)
    )
    return {
        "housing_requests_submitted": sum(in_period(x["submitted"], first, last) for x in r),
        "housing_requests_satisfied": satisfied,
        "housing_requests_unsatisfied": unsatisfied,
        "housing_requests_decided": satisfied + unsatisfied,
        "housing_persons_housed": sum(x["size"] for x in p if in_period(x["started"], first, last)),
        "housing_households_housed": sum(
            x["started"] <= last and not (x["ended"] and x["ended"] <= last) for x in p
        ),
        "housing_units_available": sum(
            x["from"] <= last and not (x["withdrawn"] and x["withdrawn"] <= last) for x in u
        ),
        "housing_beds_available": beds - occupied,
        "housing_exits_to_autonomy": sum(
            x["outcome"] in ("autonomous_rent", "public_housing")
            and in_period(x["ended"], first, last)
            for x in p
        ),
    }


def end_of(month: str) -> dt.date:
    year, m = int(month[:4]), int(month[5:])
    return (D(year + m // 12, m % 12 + 1, 1)) - dt.timedelta(days=1)


async def get(
    service: RunningService, path: str, headers: dict[str, str] | None = None, **params: str
) -> Any:
    response = await service.client.get(path, params=params, headers=headers or ANALYST)
    assert response.status_code == 200, response.text
    return response.json() if "json" in response.headers["content-type"] else response


PERIODS = [("2024-01", "2025-12"), ("2024-04", "2024-09"), ("2025-03", "2025-03")]


@pytest.mark.parametrize("first,last", PERIODS)
async def test_key_numbers_of_each_partner_equal_the_facts(network, first, last) -> None:
    service, _, facts = network
    for partner, partner_facts in facts.items():
        body = await get(
            service, "/v1/network/key-numbers", partner_id=partner, **{"from": first, "to": last}
        )
        got = {row["indicator_id"]: row for row in body["rows"]}
        want = expected(partner_facts, D(int(first[:4]), int(first[5:]), 1), end_of(last))
        for indicator_id, value in want.items():
            if indicator_id in got:
                assert got[indicator_id]["value"] == value, (partner, indicator_id)
        rate = got["housing_satisfaction_rate"]
        assert rate["numerator"] == want["housing_requests_satisfied"]
        assert rate["denominator"] == want["housing_requests_decided"]
        if want["housing_requests_decided"]:
            expected_rate = want["housing_requests_satisfied"] / want["housing_requests_decided"]
            assert rate["value"] == pytest.approx(expected_rate, abs=1e-4)
        assert body["scope"] == {"partner_id": partner, "region": None}


async def test_network_and_region_are_the_sums_of_their_partners(network) -> None:
    service, _, facts = network
    period = {"from": "2024-01", "to": "2025-12"}
    body = await get(service, "/v1/network/key-numbers", **period)
    got = {row["indicator_id"]: row["value"] for row in body["rows"]}
    wants = [expected(f, FIRST, LAST) for f in facts.values()]
    for indicator_id in (
        "housing_requests_submitted",
        "housing_persons_housed",
        "housing_units_available",
        "housing_exits_to_autonomy",
    ):
        assert got[indicator_id] == sum(w[indicator_id] for w in wants)
    lombardia = await get(service, "/v1/network/key-numbers", region="Lombardia", **period)
    got = {row["indicator_id"]: row["value"] for row in lombardia["rows"]}
    want = sum(
        expected(facts[p], FIRST, LAST)["housing_requests_submitted"] for p in ("p01", "p11")
    )
    assert got["housing_requests_submitted"] == want


async def test_tables_break_the_figures_down_exactly(network) -> None:
    service, _, facts = network
    f = facts["p01"]
    by_sex = await get(
        service,
        "/v1/network/indicators/housing_requests_submitted/table",
        by="sex",
        partner_id="p01",
        **{"from": "2024-01", "to": "2025-12"},
    )
    counts: dict[str, int] = defaultdict(int)
    for r in f.requests.values():
        counts[r["sex"]] += 1
    assert {row["key"]: row["value"] for row in by_sex["rows"]} == {s: counts[s] for s in SEXES}
    assert by_sex["total"]["value"] == len(f.requests)

    # a stock by month: the beds free at each month's end
    beds = await get(
        service,
        "/v1/network/indicators/housing_beds_available/table",
        by="month",
        partner_id="p05",
        **{"from": "2024-06", "to": "2025-05"},
    )
    for row in beds["rows"]:
        assert (
            row["value"]
            == expected(facts["p05"], FIRST, end_of(row["key"]))["housing_beds_available"]
        ), row["key"]
    assert beds["total"]["value"] == beds["rows"][-1]["value"]

    by_partner = await get(
        service,
        "/v1/network/indicators/housing_persons_housed/table",
        by="partner",
        **{"from": "2024-01", "to": "2025-12"},
    )
    values = {row["key"]: row["value"] for row in by_partner["rows"]}
    assert len(values) == 43
    for partner, partner_facts in facts.items():
        assert values[partner] == expected(partner_facts, FIRST, LAST)["housing_persons_housed"]
    assert by_partner["total"]["value"] == sum(values.values())

    by_region = await get(
        service,
        "/v1/network/indicators/housing_satisfaction_rate/table",
        by="region",
        **{"from": "2024-01", "to": "2025-12"},
    )
    lombardia = next(row for row in by_region["rows"] if row["key"] == "Lombardia")
    sat = sum(expected(facts[p], FIRST, LAST)["housing_requests_satisfied"] for p in ("p01", "p11"))
    dec = sum(expected(facts[p], FIRST, LAST)["housing_requests_decided"] for p in ("p01", "p11"))
    assert lombardia["value"] == pytest.approx(sat / dec, abs=1e-4)
    assert lombardia["display"] == f"{round(sat / dec * 100)}%"


async def test_counters_equal_a_recount_of_the_facts(network) -> None:
    """Every counter, every month and disaggregation, against a scan of the fact tables."""
    from franoi_projection.projectors.counters import mismatches_sql

    _, pool, _ = network
    async with pool.acquire() as conn:
        assert await conn.fetch(mismatches_sql()) == []
        mismatches = await conn.fetch(
            """
            WITH recount AS (
                SELECT partner_id, date_trunc('month', submitted_on)::date AS month, sex, 1 AS n
                FROM housing_requests
            )
            SELECT r.partner_id, r.month, r.sex, count(*) AS want, c.n AS got
            FROM recount r LEFT JOIN indicator_counts c
              ON c.dimension = 'sex' AND c.indicator_id = 'housing_requests_submitted'
             AND c.partner_id = r.partner_id AND c.month = r.month AND c.key = r.sex
            GROUP BY r.partner_id, r.month, r.sex, c.n HAVING count(*) <> coalesce(c.n, 0)
            """
        )
        assert mismatches == []
        exits = await conn.fetch(
            "SELECT p.partner_id, p.month, p.want, c.n FROM ("
            " SELECT partner_id, date_trunc('month', ended_on)::date AS month, count(*) AS want"
            " FROM housing_placements WHERE ended_on IS NOT NULL GROUP BY 1, 2) p"
            " LEFT JOIN indicator_counts c ON c.dimension = 'all'"
            " AND c.indicator_id = 'housing_exits' AND c.partner_id = p.partner_id"
            " AND c.month = p.month AND c.key = '' WHERE p.want <> coalesce(c.n, 0)"
        )
        assert exits == []
        negative = await conn.fetchval(
            "SELECT count(*) FROM indicator_counts WHERE n < 0 AND indicator_id NOT IN"
            " ('housing_beds_available', 'housing_households_housed', 'housing_units_available')"
        )
        assert negative == 0


def _published_small(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        r
        for r in rows
        if r["value"] is not None and 0 < r["value"] < THRESHOLD and "%" not in r["display"]
    ]


async def test_outside_facing_tables_are_suppressed_and_not_recoverable(network) -> None:
    service, _, _ = network
    catalogue = await get(service, "/v1/network/indicators")
    checked = 0
    for indicator in catalogue:
        for by in indicator["disaggregations"]:
            params = {"from": "2025-03", "to": "2025-05", "by": by}
            if by in ("sex", "age_band", "protection_status", "month"):
                params["partner_id"] = "p02"
            exact = await get(service, f"/v1/network/indicators/{indicator['id']}/table", **params)
            outside = await get(
                service, f"/v1/network/indicators/{indicator['id']}/table", INTEGRATOR, **params
            )
            assert _published_small(outside["rows"]) == []
            if indicator["unit"] == "rate":
                continue
            total = outside["total"]["value"]
            hidden = [i for i, r in enumerate(outside["rows"]) if r["value"] is None]
            additive = not (indicator["stock"] and by == "month")
            if total is not None and additive and hidden:
                # the attacker's recovery: total minus what is published
                rest = total - sum(r["value"] for r in outside["rows"] if r["value"] is not None)
                assert len(hidden) >= 2, (indicator["id"], by, outside)
                for i in hidden:
                    truth = exact["rows"][i]["value"]
                    assert truth != rest or len(hidden) > 1
            for row, exact_row in zip(outside["rows"], exact["rows"], strict=True):
                if row["value"] is not None:
                    assert row["value"] == exact_row["value"]
                elif 0 < exact_row["value"] < THRESHOLD:
                    assert row["display"] == "<5"
            checked += 1
    assert checked > 50

    public = await get(
        service, "/public/v1/key-numbers", {}, **{"from": "2025-03", "to": "2025-03"}
    )
    assert public["rows"] and _published_small(public["rows"]) == []
    small = [r for r in public["rows"] if r["display"] == "<5"]
    for row in small:
        assert row["value"] is None


async def test_no_combination_of_outside_answers_recovers_a_suppressed_figure(network) -> None:
    """An integrator asks the key numbers of the network, of every region and of every
    partner separately (and the tables by region and by partner), then subtracts: no
    suppressed figure is the difference of published ones, and no hidden region is the sum
    of its published partners."""
    service, _, _ = network
    partners = await get(service, "/v1/network/partners")
    regions: dict[str, list[str]] = {}
    for p in partners:
        regions.setdefault(p["region"], []).append(p["partner_id"])
    attempts = hidden_small = 0
    for month in ("2025-03", "2025-07", "2025-11"):
        period = {"from": month, "to": month}

        async def figures(period: dict[str, str] = period, **scope: str) -> dict[str, int | None]:
            body = await get(service, "/v1/network/key-numbers", INTEGRATOR, **period, **scope)
            return {r["indicator_id"]: r["value"] for r in body["rows"] if r["unit"] != "rate"}

        exact = await get(service, "/v1/network/key-numbers", **period)
        network_figures = await figures()
        by_region = {r: await figures(region=r) for r in regions}
        by_partner = {p: await figures(partner_id=p) for ps in regions.values() for p in ps}
        for indicator in network_figures:
            groups = [(network_figures, [by_region[r] for r in regions])] + [
                (by_region[r], [by_partner[p] for p in ps]) for r, ps in regions.items()
            ]
            for parent, children in groups:
                attempts += 1
                hidden = [c for c in children if c[indicator] is None]
                if parent[indicator] is not None:
                    # one hidden child would be the parent minus the published ones
                    assert len(hidden) != 1, (month, indicator, parent[indicator])
                else:
                    assert hidden, (month, indicator)  # else the parent is their sum
            hidden_small += sum(
                f[indicator] is None
                for f in (network_figures, *by_region.values(), *by_partner.values())
            )
        # The tables by region and by partner agree with the separate answers.
        for indicator in list(network_figures)[:6]:
            for by, answers in (("region", by_region), ("partner", by_partner)):
                table = await get(
                    service,
                    f"/v1/network/indicators/{indicator}/table",
                    INTEGRATOR,
                    by=by,
                    **period,
                )
                for row in table["rows"]:
                    assert row["value"] == answers[row["key"]][indicator], (indicator, by, row)
                assert table["total"]["value"] == network_figures[indicator]
        exact_values = {r["indicator_id"]: r["value"] for r in exact["rows"]}
        for indicator, value in network_figures.items():
            assert value is None or value == exact_values[indicator]
    assert attempts > 500 and hidden_small > 0


async def test_exports_parse_back_with_the_same_numbers(network) -> None:
    service, _, _ = network
    params = {"from": "2024-01", "to": "2025-12", "by": "month", "partner_id": "p01"}
    body = await get(service, "/v1/network/indicators/housing_requests_submitted/table", **params)
    response = await get(
        service, "/v1/network/indicators/housing_requests_submitted/table", format="xlsx", **params
    )
    assert "attachment" in response.headers["content-disposition"]
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == ("Mese", "Mese (nome)", "Richieste abitative presentate")
    assert len(rows) == 1 + len(body["rows"]) + 1
    for (month, _, value), row in zip(rows[1:], body["rows"], strict=False):
        assert isinstance(month, dt.datetime) and month.strftime("%Y-%m") == row["key"]
        assert isinstance(value, int) and value == row["value"]
    assert rows[-1][2] == body["total"]["value"]

    english = await get(
        service,
        "/v1/network/key-numbers",
        format="csv",
        lang="en",
        partner_id="p01",
        **{"from": "2024-01", "to": "2025-12"},
    )
    lines = english.text.splitlines()
    assert lines[0].startswith("Indicator,Axis,Label")
    numbers = await get(
        service,
        "/v1/network/key-numbers",
        partner_id="p01",
        lang="en",
        **{"from": "2024-01", "to": "2025-12"},
    )
    first = numbers["rows"][0]
    assert lines[1].startswith(f"{first['indicator_id']},{first['axis']},{first['label']}")
    assert f",{first['value']},{first['display']}," in lines[1]

    outside = await get(
        service,
        "/v1/network/indicators/housing_requests_submitted/table",
        INTEGRATOR,
        format="xlsx",
        **{**params, "by": "age_band"},
    )
    values = [
        r[2]
        for r in load_workbook(io.BytesIO(outside.content)).active.iter_rows(
            min_row=2, values_only=True
        )
    ]
    assert all(isinstance(v, str) or v == 0 or v >= THRESHOLD for v in values)

    for path in ("/v1/network/partners", "/v1/network/indicators", "/v1/network/completeness"):
        download = await get(service, path, format="xlsx")
        assert load_workbook(io.BytesIO(download.content)).active.max_row > 1


async def test_completeness_shows_who_is_silent(network) -> None:
    service, _, facts = network
    this_month = dt.date.today().strftime("%Y-%m")
    body = await get(service, "/v1/network/completeness", **{"from": this_month, "to": this_month})
    partners = {p["partner_id"]: p for p in body["partners"]}
    assert len(partners) == 43 and body["months"] == [this_month]
    for partner in facts:
        cell = next(c for c in partners[partner]["cells"] if c["axis"] == "housing")
        assert cell["recorded"] and cell["events"] > 0
        assert partners[partner]["last_event_at"] is not None
    silent = partners["p03"]  # works on employment, events and cases; sent nothing
    assert silent["last_event_at"] is None
    assert {c["axis"] for c in silent["cells"]} == set(silent["axes"])
    assert not any(c["recorded"] for c in silent["cells"])


async def test_directory_is_managed_by_consortium_admins_only(network) -> None:
    service, _, _ = network
    admin = auth_header("consortium", "partner_admin")
    body = {
        "partner_id": "p44",
        "name": "Cooperativa Nuova",
        "kind": "cooperative",
        "region": "Marche",
        "province": "AN",
        "axes": ["housing", "employment"],
        "active_since": "2026-01-01",
    }
    for headers in (ANALYST, INTEGRATOR, auth_header("p07", "partner_admin"), {}):
        refused = await service.client.post("/v1/network/partners", json=body, headers=headers)
        assert refused.status_code in (401, 403), refused.text
        assert refused.headers["content-type"] == "application/problem+json"
    created = await service.client.post("/v1/network/partners", json=body, headers=admin)
    assert created.status_code == 201, created.text
    assert created.json()["axes"] == ["housing", "employment"]
    again = await service.client.post("/v1/network/partners", json=body, headers=admin)
    assert again.status_code == 201
    clash = await service.client.post(
        "/v1/network/partners", json={**body, "name": "Altro"}, headers=admin
    )
    assert clash.status_code == 409
    update = {k: v for k, v in body.items() if k != "partner_id"} | {"kind": "association"}
    changed = await service.client.put("/v1/network/partners/p44", json=update, headers=admin)
    assert changed.status_code == 200 and changed.json()["kind"] == "association"
    missing = await service.client.put("/v1/network/partners/p98", json=update, headers=admin)
    assert missing.status_code == 404
    bad = await service.client.put(
        "/v1/network/partners/p44", json={**update, "axes": ["housing", "housing"]}, headers=admin
    )
    assert bad.status_code == 422
    assert len(await get(service, "/v1/network/partners", admin)) == 44
    listed = await get(service, "/v1/network/partners", INTEGRATOR)
    assert len(listed) == 44 and {"p44", "p01"} <= {p["partner_id"] for p in listed}
    assert len({p["region"] for p in listed if p["partner_id"] != "p44"}) == 10
    other = await service.client.get(
        "/v1/network/key-numbers", headers=auth_header("p07", "partner_admin")
    )
    assert other.status_code == 403
    anonymous = await service.client.get("/v1/network/key-numbers")
    assert anonymous.status_code == 401


async def test_bad_input_is_a_problem(network) -> None:
    service, _, _ = network
    for path, params in [
        ("/v1/network/key-numbers", {"from": "2025-05", "to": "2024-01"}),
        ("/v1/network/key-numbers", {"from": "2000-01", "to": "2100-12"}),
        ("/v1/network/indicators/housing_units_available/table", {"by": "sex"}),
        ("/v1/network/indicators/nothing_here/table", {}),
        ("/v1/network/key-numbers", {"format": "pdf"}),
        ("/public/v1/key-numbers", {"lang": "de"}),
    ]:
        response = await service.client.get(path, params=params, headers=ANALYST)
        assert 400 <= response.status_code < 500, (path, params, response.text)
        assert response.headers["content-type"] == "application/problem+json"


async def test_stream_announces_updates(network) -> None:
    service, _, _ = network
    token = ANALYST["Authorization"].removeprefix("Bearer ")
    refused = await service.client.get("/v1/network/stream")
    assert refused.status_code == 401
    async with service.client.stream(
        "GET", "/v1/network/stream", params={"access_token": token}
    ) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        lines = []
        async for line in response.aiter_lines():
            lines.append(line)
            if line.startswith("data:"):
                break
    assert "event: update" in lines
    assert '"events_processed"' in lines[-1]


async def test_open_streams_share_one_poll_and_all_hear_a_change(network) -> None:
    """Three dashboards open: one poller serves them all, each hears the new count, and
    the poller stops when the last one leaves."""
    service, pool, _ = network
    token = ANALYST["Authorization"].removeprefix("Bearer ")

    async def first_counts(ready: asyncio.Event, seen: list[int]) -> None:
        async with service.client.stream(
            "GET", "/v1/network/stream", params={"access_token": token}
        ) as response:
            async for line in response.aiter_lines():
                if line.startswith("data:"):
                    seen.append(json.loads(line[5:])["events_processed"])
                    ready.set()
                    if len(seen) == 2:
                        return

    streams = [(asyncio.Event(), []) for _ in range(3)]
    tasks = [asyncio.create_task(first_counts(ready, seen)) for ready, seen in streams]
    try:
        for ready, _ in streams:
            await asyncio.wait_for(ready.wait(), 10)
        progress = service.app.state.progress
        assert progress._listeners == 3
        async with pool.acquire() as conn:
            await conn.execute(
                "UPDATE partner_activity SET events = events + 1"
                " WHERE (partner_id, month, axis) = (SELECT partner_id, month, axis"
                " FROM partner_activity ORDER BY 1, 2, 3 LIMIT 1)"
            )
        await asyncio.wait_for(asyncio.gather(*tasks), 10)
        for _, seen in streams:
            assert seen[1] == seen[0] + 1
    finally:
        async with pool.acquire() as conn:
            await conn.execute(
                "UPDATE partner_activity SET events = events - 1"
                " WHERE (partner_id, month, axis) = (SELECT partner_id, month, axis"
                " FROM partner_activity ORDER BY 1, 2, 3 LIMIT 1)"
            )
        for task in tasks:
            task.cancel()
    from tests.support import eventually

    async def left() -> bool:
        return progress._listeners == 0

    await eventually(left, timeout_s=10)


# --- every axis ------------------------------------------------------------------------------


def other_axes(rng: random.Random) -> dict[str, list[list[DomainEvent]]]:
    """Per domain, a history as one list per aggregate, for the employment, hosting,
    community-events and cases indicators."""
    from franoi_contracts import cases as cs
    from franoi_contracts import events as evs
    from franoi_contracts import hosting as hs

    from tests.test_employment_views import scenario

    employment = defaultdict(list)
    for event in scenario():
        employment[event.aggregate_id].append(event)
    person = {"sex": "female", "age_band": "25-34", "protection_status": "refugee"}
    hosting: list[list[DomainEvent]] = []
    for i in range(12):
        fid, rid, sid = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
        on = D(2025, 1 + i % 6, 3)
        hosting.append(
            [
                hs.FamilyApplied(
                    family_id=fid,
                    municipality_code="F205",
                    rooms_offered=1,
                    household_size=2,
                    languages=["it"],
                    applied_on=on,
                ),
                hs.FamilyApproved(family_id=fid, approved_on=on + dt.timedelta(days=10)),
            ]
        )
        request: list[DomainEvent] = [
            hs.RequestSubmitted(
                request_id=rid,
                person_ref=ref(rng),
                kind="hosting",
                household_size=1,
                submitted_on=on,
                **person,
            )
        ]
        if i % 3 == 0:
            request.append(hs.RequestSatisfied(request_id=rid, closed_on=on, stay_id=sid))
            stay: list[DomainEvent] = [
                hs.StayStarted(
                    stay_id=sid,
                    match_id=uuid.uuid4(),
                    family_id=fid,
                    request_id=rid,
                    person_ref=ref(rng),
                    started_on=on,
                    planned_months=6,
                    planned_end_on=on + dt.timedelta(days=180),
                    monthly_contribution_eur=300,
                    **person,
                )
            ]
            if i % 2 == 0:
                stay.append(
                    hs.StayEnded(
                        stay_id=sid,
                        family_id=fid,
                        ended_on=D(2025, 9, 1),
                        outcome="completed_with_autonomy",
                    )
                )
            hosting.append(stay)
        elif i % 3 == 1:
            request.append(
                hs.RequestUnsatisfied(request_id=rid, closed_on=on, reason="no_family_available")
            )
        hosting.append(request)
    community: list[list[DomainEvent]] = []
    hub = uuid.uuid4()
    for i in range(10):
        on = D(2025, 1 + i % 8, 10)
        community.append(
            [
                evs.AccessBatchRecorded(
                    access_batch_id=uuid.uuid4(),
                    hub_id=hub,
                    accessed_on=on,
                    anonymous=[
                        {"topic": "work", "referred": False, "accesses": 3 + i},
                        {"topic": "housing", "referred": True, "accesses": 2},
                    ],
                )
            ]
        )
        eid = uuid.uuid4()
        kind = ["public_event", "festival", "info_session"][i % 3]
        scheduled = evs.CommunityEventScheduled(
            community_event_id=eid,
            kind=kind,
            municipality_code="H264",
            starts_on=on,
            duration_minutes=90,
        )
        tail: list[DomainEvent] = (
            [
                evs.CommunityEventHeld(
                    community_event_id=eid,
                    held_on=on,
                    participants=20 + i,
                    beneficiaries=5,
                    volunteers=2,
                )
            ]
            if i % 4
            else [
                evs.CommunityEventCancelled(
                    community_event_id=eid, cancelled_on=on, reason="weather"
                )
            ]
        )
        community.append([scheduled, *tail])
        lab = uuid.uuid4()
        lab_kind = "socialisation_lab" if i % 2 else "community_lab"
        community.append(
            [
                evs.LabSeriesStarted(
                    lab_series_id=lab, kind=lab_kind, municipality_code="H264", started_on=on
                ),
                evs.LabSeriesClosed(
                    lab_series_id=lab,
                    closed_on=on + dt.timedelta(days=40),
                    sessions_held=6,
                    distinct_participants=10 + i,
                    distinct_beneficiaries=7,
                    distinct_volunteers=2,
                ),
            ]
        )
    cases: list[list[DomainEvent]] = []
    outcomes = ["completed_autonomy_reached", "completed_partly", "interrupted", None]
    for i in range(16):
        on = D(2025, 1 + i % 5, 2)
        cases.append(
            [
                cs.PersonRegistered(
                    person_id=uuid.uuid4(), person_ref=ref(rng), registered_on=on, **person
                )
            ]
        )
        plan = uuid.uuid4()
        events: list[DomainEvent] = [
            cs.PlanOpened(
                plan_id=plan, person_ref=ref(rng), opened_on=on, axes=["housing"], planned_months=12
            )
        ]
        outcome = outcomes[i % 4]
        if outcome:
            reason = "lost_contact" if outcome == "interrupted" else None
            events.append(
                cs.PlanClosed(
                    plan_id=plan,
                    closed_on=D(2025, 8, 1),
                    outcome=outcome,
                    interruption_reason=reason,
                )
            )
        cases.append(events)
    return {
        "employment": list(employment.values()),
        "hosting": hosting,
        "events": community,
        "cases": cases,
    }


def oracle(history: dict[str, list[list[DomainEvent]]]) -> dict[str, int]:
    """Key numbers counted straight from the events (everything falls in 2025 or 2026)."""
    from franoi_contracts import cases as cs
    from franoi_contracts import employment as em
    from franoi_contracts import events as evs
    from franoi_contracts import hosting as hs

    flat = [e for aggregates in history.values() for a in aggregates for e in a]

    def of(cls: type[DomainEvent]) -> list[Any]:
        return [e for e in flat if type(e) is cls]

    held = [e for e in of(em.GroupActivityHeld)]
    cancelled_ids = {e.community_event_id for e in of(evs.CommunityEventCancelled)}
    kinds = {e.community_event_id: e.kind for e in of(evs.CommunityEventScheduled)}
    lab_kinds = {e.lab_series_id: e.kind for e in of(evs.LabSeriesStarted)}
    public = [
        e
        for e in of(evs.CommunityEventHeld)
        if e.community_event_id not in cancelled_ids and not kinds[e.community_event_id].is_lab
    ]
    closed = of(cs.PlanClosed)
    consultations = of(em.ConsultationRecorded)
    return {
        "employment_job_consultations": sum(
            c.topic != "savings_and_financial_education" for c in consultations
        ),
        "employment_savings_consultations": sum(
            c.topic == "savings_and_financial_education" for c in consultations
        ),
        "employment_orientation_participants": sum(
            len(e.registered_attendees) + e.anonymous_attendees
            for e in held
            if e.kind == "orientation_group"
        ),
        "employment_school_pupils": sum(
            len(e.registered_attendees) + e.anonymous_attendees
            for e in held
            if e.kind == "school_session"
        ),
        "employment_training_participants": len(of(em.EnrolmentStarted))
        + len(of(em.InternshipStarted)),
        "employment_hires": len(of(em.HireRecorded)),
        "hosting_requests_submitted": len(of(hs.RequestSubmitted)),
        "hosting_stays_started": len(of(hs.StayStarted)),
        "events_accesses": sum(sum(e.totals().values()) for e in of(evs.AccessBatchRecorded)),
        "events_held": len(public),
        "events_participants": sum(e.participants for e in public),
        "events_socialisation_labs": sum(k == "socialisation_lab" for k in lab_kinds.values()),
        "events_socialisation_lab_participants": sum(
            e.distinct_participants
            for e in of(evs.LabSeriesClosed)
            if lab_kinds[e.lab_series_id] == "socialisation_lab"
        ),
        "events_community_labs": sum(k == "community_lab" for k in lab_kinds.values()),
        "cases_plans_opened": len(of(cs.PlanOpened)),
        "cases_plans_completed": sum(c.outcome.startswith("completed") for c in closed),
        "cases_plans_autonomy_reached": sum(
            c.outcome == "completed_autonomy_reached" for c in closed
        ),
    }


async def test_every_axis_counts_exactly_and_counters_equal_a_recount(
    databases, kafka_bootstrap, kafka_idempotent
) -> None:
    from franoi_common.settings import ProjectionSettings
    from franoi_projection.projectors.counters import mismatches_sql

    settings = ProjectionSettings(
        env="test",
        database_url=await databases.create("netviews_axes"),
        kafka=kafka_settings(kafka_bootstrap, kafka_idempotent),
        consumer_enabled=False,
    )
    rng = random.Random(7)
    history = other_axes(rng)
    service = RunningService(PROJECTION, settings)
    async with running(service):
        pool = await create_pool(settings.database_url)
        try:
            for domain, aggregates in history.items():
                events = interleave(rng, aggregates)
                partner = "p07"
                if domain in ("events", "cases"):
                    await apply_set_wise(pool, partner, events, domain)
                else:
                    await apply_one_by_one(pool, partner, events, domain)
            async with pool.acquire() as conn:
                assert await conn.fetch(mismatches_sql()) == []
        finally:
            await pool.close()
        body = await get(
            service,
            "/v1/network/key-numbers",
            partner_id="p07",
            **{"from": "2025-01", "to": "2026-12"},
        )
        got = {row["indicator_id"]: row["value"] for row in body["rows"]}
        for indicator_id, value in oracle(history).items():
            assert got[indicator_id] == value, indicator_id
        assert got["hosting_satisfaction_rate"] == pytest.approx(4 / 8)


async def test_consumer_lag_per_topic_on_the_api_metrics_and_readiness(
    databases, kafka_bootstrap, kafka_idempotent, monkeypatch
) -> None:
    from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
    from franoi_common.kafka import ensure_topics, started
    from franoi_projection.adapters import consumer_lag

    from tests.support import projection_settings

    monkeypatch.setattr(consumer_lag, "CACHE_S", 0.0)
    (partner,) = fresh_partners(1)
    topic = f"franoi.{partner}.housing.v1"
    kafka = kafka_settings(kafka_bootstrap, kafka_idempotent)
    settings = projection_settings(
        await databases.create("netviews_lag"), kafka, [partner], consumer_enabled=False
    )
    await ensure_topics(kafka, [topic])
    service = RunningService(PROJECTION, settings)
    async with running(service):
        from tests.support import eventually

        async def broker_answers() -> bool:
            # A fresh broker creates its offsets topic at the first group look-up, which
            # may take longer than the probe waits (503, "retry later").
            response = await service.client.get("/v1/consumer/lag", headers=ANALYST)
            return response.status_code == 200

        await eventually(broker_answers, timeout_s=60, interval_s=0.5)
        # the topic may hold records of an earlier run (the broker is shared): count from here
        before = (await get(service, "/v1/consumer/lag"))["by_topic"].get(topic, 0)
        producer = await started(AIOKafkaProducer(**kafka.client_options()))
        try:
            for i in range(7):
                await producer.send_and_wait(topic, value=b"{}", key=str(i).encode(), partition=0)
        finally:
            await producer.stop()
        body = await get(service, "/v1/consumer/lag")
        assert body["by_topic"] == {topic: before + 7} and body["total"] == before + 7
        # the group commits all but the last 3
        group = AIOKafkaConsumer(
            group_id=settings.consumer_group, enable_auto_commit=False, **kafka.client_options()
        )
        group = await started(group)
        try:
            tp = TopicPartition(topic, 0)
            group.assign([tp])
            end = (await group.end_offsets([tp]))[tp]
            await group.commit({tp: end - 3})
        finally:
            await group.stop()
        body = await get(service, "/v1/consumer/lag")
        assert body["by_topic"] == {topic: 3}
        metrics = await service.client.get("/metrics")
        assert f'franoi_projection_consumer_lag{{topic="{topic}"}} 3' in metrics.text
        ready = await service.client.get("/readyz")
        assert ready.json()["checks"]["consumer_lag"] == "ok"
        refused = await service.client.get("/v1/consumer/lag", headers=INTEGRATOR)
        assert refused.status_code == 403


async def test_through_kafka_the_key_numbers_equal_the_facts_and_strangers_are_dead_lettered(
    databases, kafka_bootstrap, kafka_idempotent
) -> None:
    """The real pipeline: envelopes on the partner's topic (redeliveries included), the
    projection's consumer, the counters; events of a partner outside the directory end in
    the dead letters with the reason and count nowhere."""
    from aiokafka import AIOKafkaProducer
    from aiokafka.admin import AIOKafkaAdminClient
    from franoi_common.envelope import encode
    from franoi_common.kafka import ensure_topics, started
    from franoi_projection.projectors.counters import mismatches_sql

    from tests.support import eventually, projection_settings

    kafka = kafka_settings(kafka_bootstrap, kafka_idempotent)
    admin = await started(AIOKafkaAdminClient(**kafka.client_options()))
    try:
        existing = set(await admin.list_topics())
    finally:
        await admin.close()
    member, stranger = fresh_partners(2, avoid={t.split(".")[1] for t in existing if "." in t})
    settings = projection_settings(
        await databases.create("netviews_kafka"), kafka, [member, stranger]
    )
    await ensure_topics(kafka, [f"franoi.{p}.housing.v1" for p in (member, stranger)])
    rng = random.Random(2026)
    facts = Facts()
    events = interleave(rng, history(rng, facts, 40))
    service = RunningService(PROJECTION, settings)
    async with running(service):
        pool = await create_pool(settings.database_url)
        admin_header = auth_header("consortium", "partner_admin")
        created = await service.client.post(
            "/v1/network/partners",
            headers=admin_header,
            json={
                "partner_id": member,
                "name": "Cooperativa di prova",
                "kind": "cooperative",
                "region": "Umbria",
                "province": "PG",
                "axes": ["housing"],
            },
        )
        assert created.status_code == 201, created.text
        producer = await started(AIOKafkaProducer(**kafka.client_options()))
        unique = 0
        # Recorded in two months: the first events happened in March 2025 (a partner that
        # recorded then is not silent then, whenever the projection receives them).
        march = dt.datetime(2025, 3, 14, 10, 30, tzinfo=dt.UTC)
        in_march = len(events) // 3
        try:
            sent = [
                (member, envelope(member, event, time=march if i < in_march else None))
                for i, event in enumerate(events)
            ]
            for partner, env in sent:
                headers, value = encode(env)
                await producer.send_and_wait(
                    f"franoi.{partner}.housing.v1",
                    value=value,
                    key=env.subject.encode(),
                    headers=headers,
                )
                unique += 1
                if rng.random() < 0.05:  # a redelivery: the very same envelope again
                    await producer.send_and_wait(
                        f"franoi.{partner}.housing.v1",
                        value=value,
                        key=env.subject.encode(),
                        headers=headers,
                    )
            strangers = interleave(rng, history(rng, Facts(), 2))
            for event in strangers:
                headers, value = encode(envelope(stranger, event))
                await producer.send_and_wait(
                    f"franoi.{stranger}.housing.v1",
                    value=value,
                    key=event.aggregate_id.encode(),
                    headers=headers,
                )
        finally:
            await producer.stop()

        async def caught_up() -> bool:
            async with pool.acquire() as conn:
                applied = await conn.fetchval("SELECT count(*) FROM processed_events")
                dead = await conn.fetchval(
                    "SELECT count(*) FROM dead_letters WHERE reason LIKE 'unknown partner%'"
                )
            return applied == unique and dead == len(strangers)

        try:
            await eventually(caught_up, timeout_s=90)
            async with pool.acquire() as conn:
                assert await conn.fetch(mismatches_sql()) == []
                assert (
                    await conn.fetchval(
                        "SELECT count(*) FROM indicator_counts WHERE partner_id = $1", stranger
                    )
                    == 0
                )
        finally:
            await pool.close()
        body = await get(
            service,
            "/v1/network/key-numbers",
            partner_id=member,
            **{"from": "2024-01", "to": "2025-12"},
        )
        got = {row["indicator_id"]: row["value"] for row in body["rows"]}
        for indicator_id, value in expected(facts, FIRST, LAST).items():
            if indicator_id in got:
                assert got[indicator_id] == value, indicator_id
        this_month = dt.date.today().strftime("%Y-%m")
        complete = await get(
            service,
            "/v1/network/completeness",
            region="Umbria",
            **{"from": this_month, "to": this_month},
        )
        (row,) = [p for p in complete["partners"] if p["partner_id"] == member]
        assert row["cells"] == [
            {"month": this_month, "axis": "housing", "events": unique - in_march, "recorded": True}
        ]
        assert row["last_event_at"] is not None
        assert dt.datetime.fromisoformat(row["last_event_at"]) > march
        then = await get(
            service,
            "/v1/network/completeness",
            region="Umbria",
            **{"from": "2025-02", "to": "2025-04"},
        )
        (row,) = [p for p in then["partners"] if p["partner_id"] == member]
        assert row["cells"] == [
            {"month": "2025-02", "axis": "housing", "events": 0, "recorded": False},
            {"month": "2025-03", "axis": "housing", "events": in_march, "recorded": True},
            {"month": "2025-04", "axis": "housing", "events": 0, "recorded": False},
        ]


async def test_a_partners_people_read_the_directory_and_nothing_else_of_the_network(
    network,
) -> None:
    """A social worker chooses whom to refer a person to by name: the directory is theirs to
    read; the network's figures stay the consortium's and the integrators'."""
    service, _, _ = network
    for role in ("social_worker", "partner_admin"):
        own = auth_header("p07", role)
        directory = await service.client.get("/v1/network/partners", headers=own)
        assert directory.status_code == 200, directory.text
        names = {p["partner_id"]: p["name"] for p in directory.json()}
        assert len(names) >= 43 and all(names.values())
        figures = await service.client.get("/v1/network/indicators", headers=own)
        assert figures.status_code == 403, figures.text
    refused_ones = (
        auth_header("consortium", "social_worker"),  # the consortium's: not a partner's
        auth_header("p07", "consortium_analyst"),  # a role the partner's token cannot hold
        {},
    )
    for refused in refused_ones:
        answer = await service.client.get("/v1/network/partners", headers=refused)
        assert answer.status_code in (401, 403), answer.text

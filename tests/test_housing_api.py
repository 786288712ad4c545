"""The housing API's behaviour on a real PostgreSQL (no broker: the relay is off).

One instance serves several partners; each test works as its own partner, so
lists and totals are exact although the tests share the database. Every command
goes through :meth:`Api.call`, which checks the status and that exactly the
expected events were appended to the outbox (type, aggregate, topic, source,
schema) with data that validates against the event's pydantic model; a refused
command must append nothing.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
from franoi_common.pseudonym import normalise_identifier
from franoi_housing.bootstrap import DEFINITION as HOUSING

from tests.support import (
    Expected,
    OutboxApi,
    Served,
    auth_header,
    ids,
    kafka_settings,
    partner_service_settings,
    serving,
)

PARTNERS = ("p30", "p31", "p32", "p33", "p34", "p35", "p36", "p37", "p38", "p39")
TODAY = dt.date.today()
TABLES = ("agreements", "housing_units", "housing_requests", "placements", "outbox")


def day(offset: int = 0) -> str:
    return (TODAY + dt.timedelta(days=offset)).isoformat()


def unit_body(**changes: Any) -> dict[str, Any]:
    return {
        "municipality_code": "L219",
        "beds": 4,
        "monthly_rent_eur": 450,
        "rent_regime": "agreed",
        "provider": "private_owner",
        "available_from": day(-60),
        **changes,
    }


def person(identifier: str, household_size: int = 1, **changes: Any) -> dict[str, Any]:
    return {
        "person_identifier": identifier,
        "household_size": household_size,
        "sex": "female",
        "age_band": "25-34",
        "protection_status": "refugee",
        **changes,
    }


def request_body(identifier: str, household_size: int = 1, **changes: Any) -> dict[str, Any]:
    return {
        **person(identifier, household_size),
        "need": "exit_from_reception",
        "submitted_on": day(-10),
        **changes,
    }


def placement_body(unit_id: str, identifier: str, household_size: int = 1, **changes: Any):
    return {
        **person(identifier, household_size),
        "unit_id": unit_id,
        "started_on": day(-1),
        **changes,
    }


class Api(OutboxApi):
    DOMAIN = "housing"


Housing = Served[Api]


@pytest.fixture(scope="module")
async def housing(databases) -> AsyncIterator[Housing]:
    url = await databases.create("housing_api")
    kafka = kafka_settings("127.0.0.1:1", False, create_topics=False)
    settings = partner_service_settings(url, kafka, PARTNERS, relay_enabled=False)
    async with serving(HOUSING, settings, Api, TABLES) as served:
        yield served


# --- resources ---------------------------------------------------------------------------


async def test_agreements_sign_list_get_and_end(housing: Housing) -> None:
    api = housing.api("p31")
    first = await api.call(
        "POST",
        "/v1/agreements",
        {
            "counterpart_kind": "estate_agency",
            "counterpart_name": "Agenzia Casa Torino",
            "signed_on": day(-100),
            "valid_until": day(265),
            "units_pledged": 5,
        },
        status=201,
        events=[("agreement.signed", None)],
    )
    assert first["partner_id"] == "p31" and first["ended_on"] is None
    assert first["counterpart_name"] == "Agenzia Casa Torino" and first["units_pledged"] == 5
    chosen = str(uuid.uuid4())
    second = await api.call(
        "POST",
        "/v1/agreements",
        {"agreement_id": chosen, "counterpart_kind": "private_owner", "signed_on": day(-5)},
        status=201,
        events=[("agreement.signed", chosen)],
    )
    assert second["agreement_id"] == chosen and second["counterpart_name"] is None

    assert await api.get(f"/v1/agreements/{first['agreement_id']}") == first
    page = await api.get("/v1/agreements")
    assert page["total"] == 2 and page["items"] == [second, first]  # newest first

    ended = await api.call(
        "POST",
        f"/v1/agreements/{first['agreement_id']}/end",
        {"ended_on": day(-1)},
        status=200,
        events=[("agreement.ended", first["agreement_id"])],
    )
    assert ended == {**first, "ended_on": day(-1)}
    assert ids(await api.get("/v1/agreements", active=True), "agreement_id") == [chosen]
    assert ids(await api.get("/v1/agreements", active=False), "agreement_id") == [
        first["agreement_id"]
    ]

    again = await api.call(
        "POST", f"/v1/agreements/{first['agreement_id']}/end", {"ended_on": day()}, status=409
    )
    assert again["code"] == "invalid_transition" and "already ended" in again["detail"]
    early = await api.call(
        "POST", f"/v1/agreements/{chosen}/end", {"ended_on": day(-6)}, status=422
    )
    assert early["code"] == "invalid_dates" and "before it was signed" in early["detail"]
    taken = await api.call(
        "POST",
        "/v1/agreements",
        {"agreement_id": chosen, "counterpart_kind": "public_body", "signed_on": day()},
        status=409,
    )
    assert "already exists" in taken["detail"]
    on_ended = await api.call(
        "POST",
        "/v1/units",
        unit_body(
            provider="estate_agency_agreement",
            agreement_id=first["agreement_id"],
            available_from=day(),
        ),
        status=409,
    )  # a unit of before the end (a history recorded late) is taken: see test_imports
    assert f"agreement ended on {day(-1)}, by the day the unit is available" in on_ended["detail"]
    assert (await api.get(f"/v1/agreements/{chosen}")) == second


async def test_units_register_update_withdraw_and_count_beds(housing: Housing) -> None:
    api = housing.api("p32")
    agreement = await api.call(
        "POST",
        "/v1/agreements",
        {"counterpart_kind": "estate_agency", "signed_on": day(-30)},
        status=201,
        events=[("agreement.signed", None)],
    )
    unit = await api.call(
        "POST", "/v1/units", unit_body(beds=3), status=201, events=[("unit.registered", None)]
    )
    assert (unit["beds"], unit["occupied_beds"], unit["free_beds"]) == (3, 0, 3)
    assert unit["withdrawn_on"] is None and unit["partner_id"] == "p32"
    agency_unit = await api.call(
        "POST",
        "/v1/units",
        unit_body(
            provider="estate_agency_agreement",
            agreement_id=agreement["agreement_id"],
            municipality_code="F205",
        ),
        status=201,
        events=[("unit.registered", None)],
    )
    assert agency_unit["agreement_id"] == agreement["agreement_id"]
    unit_path = f"/v1/units/{unit['unit_id']}"
    assert await api.get(unit_path) == unit

    since = await housing.db.fetchval("SELECT max(id) FROM outbox")
    updated = await api.call(
        "PATCH",
        unit_path,
        {"beds": 4, "monthly_rent_eur": 500},
        status=200,
        events=[("unit.updated", unit["unit_id"])],
    )
    assert (updated["beds"], updated["free_beds"], updated["monthly_rent_eur"]) == (4, 4, 500)
    data = await api.check_events(since, [("unit.updated", unit["unit_id"])], updated)
    assert data[0] == {
        "unit_id": unit["unit_id"],
        "beds": 4,
        "monthly_rent_eur": 500,
        "rent_regime": "agreed",
    }

    placement = await api.call(
        "POST",
        "/v1/placements",
        placement_body(unit["unit_id"], "BRNLCU70A01L219K", household_size=3),
        status=201,
        events=[("placement.started", None)],
    )
    occupied = await api.get(unit_path)
    assert (occupied["occupied_beds"], occupied["free_beds"]) == (3, 1)
    listed = {u["unit_id"]: u for u in (await api.get("/v1/units"))["items"]}
    assert listed[unit["unit_id"]] == occupied
    agency_listed = listed[agency_unit["unit_id"]]
    assert (agency_listed["occupied_beds"], agency_listed["free_beds"]) == (0, 4)

    shrink = await api.call("PATCH", unit_path, {"beds": 2}, status=409)
    assert shrink["code"] == "capacity_exceeded" and "3 beds occupied" in shrink["detail"]
    free = await api.call("PATCH", unit_path, {"rent_regime": "free"}, status=422)
    assert free["code"] == "invalid_value" and "free rent regime" in free["detail"]
    busy = await api.call("POST", f"{unit_path}/withdraw", {"withdrawn_on": day()}, status=409)
    assert "active placement" in busy["detail"]

    await api.call(
        "POST",
        f"/v1/placements/{placement['placement_id']}/end",
        {"ended_on": day(), "exit_outcome": "autonomous_rent"},
        status=200,
        events=[("placement.ended", placement["placement_id"])],
    )
    emptied = await api.get(unit_path)
    assert (emptied["occupied_beds"], emptied["free_beds"]) == (0, 4)
    withdrawn = await api.call(
        "POST",
        f"{unit_path}/withdraw",
        {"withdrawn_on": day()},
        status=200,
        events=[("unit.withdrawn", unit["unit_id"])],
    )
    assert withdrawn == {**emptied, "withdrawn_on": day()}

    assert "withdrawn" in (await api.call("PATCH", unit_path, {"beds": 5}, status=409))["detail"]
    # A retry of the same withdrawal answers the unit again and records nothing; another
    # date is a conflict.
    assert await api.call("POST", f"{unit_path}/withdraw", {"withdrawn_on": day()}, status=200) == (
        withdrawn
    )
    await api.call("POST", f"{unit_path}/withdraw", {"withdrawn_on": day(-1)}, status=409)
    await api.call(
        "POST", "/v1/placements", placement_body(unit["unit_id"], "VRDGPP60B02F205X"), status=409
    )
    assert ids(await api.get("/v1/units", withdrawn=True), "unit_id") == [unit["unit_id"]]
    assert ids(await api.get("/v1/units", withdrawn=False), "unit_id") == [agency_unit["unit_id"]]
    assert await api.get(unit_path) == withdrawn


async def test_requests_submit_close_and_get_satisfied_by_a_placement(housing: Housing) -> None:
    api = housing.api("p33")
    unit = await api.call(
        "POST", "/v1/units", unit_body(), status=201, events=[("unit.registered", None)]
    )
    first = await api.call(
        "POST",
        "/v1/requests",
        request_body("NRIPLA80C41H501W", household_size=2),
        status=201,
        events=[("request.submitted", None)],
    )
    assert first["status"] == "open" and first["household_size"] == 2
    assert len(first["person_ref"]) == 64 and first["closed_on"] is None
    by_ref = await api.call(
        "POST",
        "/v1/requests",
        {
            **request_body("unused", need="homeless"),
            "person_identifier": None,
            "person_ref": "ab" * 32,
        },
        status=201,
        events=[("request.submitted", None)],
    )
    assert by_ref["person_ref"] == "ab" * 32
    third = await api.call(
        "POST",
        "/v1/requests",
        request_body("SMNFBA91D12L219Q"),
        status=201,
        events=[("request.submitted", None)],
    )
    assert await api.get(f"/v1/requests/{first['request_id']}") == first

    unsatisfied = await api.call(
        "POST",
        f"/v1/requests/{by_ref['request_id']}/unsatisfied",
        {"closed_on": day(), "reason": "no_unit_available"},
        status=200,
        events=[("request.unsatisfied", by_ref["request_id"])],
    )
    assert unsatisfied == {
        **by_ref,
        "status": "unsatisfied",
        "closed_on": day(),
        "unsatisfied_reason": "no_unit_available",
    }
    withdrawn = await api.call(
        "POST",
        f"/v1/requests/{third['request_id']}/withdraw",
        {"closed_on": day()},
        status=200,
        events=[("request.withdrawn", third["request_id"])],
    )
    assert (withdrawn["status"], withdrawn["closed_on"]) == ("withdrawn", day())
    closed = await api.call(
        "POST", f"/v1/requests/{third['request_id']}/withdraw", {"closed_on": day(-1)}, status=409
    )
    assert "already closed" in closed["detail"]
    early = await api.call(
        "POST",
        f"/v1/requests/{first['request_id']}/unsatisfied",
        {"closed_on": day(-11), "reason": "lost_contact"},
        status=422,
    )
    assert early["code"] == "invalid_dates"

    other = await api.call(
        "POST",
        "/v1/placements",
        placement_body(unit["unit_id"], "SMNFBA91D12L219Q", request_id=first["request_id"]),
        status=422,
    )
    assert "another person" in other["detail"]
    placement = await api.call(
        "POST",
        "/v1/placements",
        placement_body(
            unit["unit_id"], "nri pla 80c41 h501w", household_size=2, request_id=first["request_id"]
        ),
        status=201,
        events=[("placement.started", None), ("request.satisfied", first["request_id"])],
    )
    assert placement["request_id"] == first["request_id"]
    assert placement["person_ref"] == first["person_ref"]
    satisfied = await api.get(f"/v1/requests/{first['request_id']}")
    assert satisfied == {
        **first,
        "status": "satisfied",
        "closed_on": day(-1),
        "placement_id": placement["placement_id"],
    }
    await api.call(
        "POST",
        "/v1/placements",
        placement_body(unit["unit_id"], "SMNFBA91D12L219Q", request_id=third["request_id"]),
        status=409,
    )

    def statuses(page: dict[str, Any]) -> dict[str, str]:
        return {item["request_id"]: item["status"] for item in page["items"]}

    assert statuses(await api.get("/v1/requests")) == {
        first["request_id"]: "satisfied",
        by_ref["request_id"]: "unsatisfied",
        third["request_id"]: "withdrawn",
    }
    for status in ("satisfied", "unsatisfied", "withdrawn"):
        page = await api.get("/v1/requests", status=status)
        assert page["total"] == 1 and list(statuses(page).values()) == [status]
    assert (await api.get("/v1/requests", status="open"))["total"] == 0
    mine = await api.get("/v1/requests", person_ref=first["person_ref"])
    assert ids(mine, "request_id") == [first["request_id"]]


async def test_lists_filter_and_paginate(housing: Housing) -> None:
    api = housing.api("p34")
    created = []
    for n in range(7):
        code = "L219" if n < 4 else "F205"
        unit = await api.call(
            "POST",
            "/v1/units",
            unit_body(municipality_code=code, beds=n + 1),
            status=201,
            events=[("unit.registered", None)],
        )
        created.append(unit["unit_id"])
    newest_first = created[::-1]

    seen = []
    for offset, size in ((0, 3), (3, 3), (6, 1)):
        page = await api.get("/v1/units", limit=3, offset=offset)
        assert (page["total"], page["limit"], page["offset"]) == (7, 3, offset)
        assert len(page["items"]) == size
        seen += ids(page, "unit_id")
    assert seen == newest_first
    beyond = await api.get("/v1/units", limit=3, offset=7)
    assert beyond["items"] == [] and beyond["total"] == 7
    default = await api.get("/v1/units")
    assert (default["limit"], default["offset"], len(default["items"])) == (50, 0, 7)
    assert (await api.get("/v1/units", limit=200))["limit"] == 200

    await api.call(
        "POST",
        f"/v1/units/{created[6]}/withdraw",
        {"withdrawn_on": day()},
        status=200,
        events=[("unit.withdrawn", created[6])],
    )
    milan = await api.get("/v1/units", municipality_code="F205")
    assert milan["total"] == 3 and set(ids(milan, "unit_id")) == set(created[4:])
    assert ids(await api.get("/v1/units", withdrawn=True), "unit_id") == [created[6]]
    open_milan = await api.get("/v1/units", municipality_code="F205", withdrawn=False)
    assert ids(open_milan, "unit_id") == [created[5], created[4]]
    assert (await api.get("/v1/units", municipality_code="A001"))["total"] == 0

    placements = []
    for identifier, unit_id in (
        ("PGLLSN85E15A662T", created[3]),
        ("FRRGLI77H50A662B", created[3]),
        ("CSTMRC99S20L219J", created[2]),
    ):
        placed = await api.call(
            "POST",
            "/v1/placements",
            placement_body(unit_id, identifier),
            status=201,
            events=[("placement.started", None)],
        )
        placements.append(placed)
    await api.call(
        "POST",
        f"/v1/placements/{placements[0]['placement_id']}/end",
        {"ended_on": day(), "exit_outcome": "public_housing"},
        status=200,
        events=[("placement.ended", placements[0]["placement_id"])],
    )
    p_ids = [p["placement_id"] for p in placements]
    assert ids(await api.get("/v1/placements"), "placement_id") == p_ids[::-1]
    in_unit = await api.get("/v1/placements", unit_id=created[3])
    assert in_unit["total"] == 2 and ids(in_unit, "placement_id") == [p_ids[1], p_ids[0]]
    assert ids(await api.get("/v1/placements", status="ended"), "placement_id") == [p_ids[0]]
    active = await api.get("/v1/placements", status="active", unit_id=created[3])
    assert ids(active, "placement_id") == [p_ids[1]]
    by_person = await api.get("/v1/placements", person_ref=placements[2]["person_ref"])
    assert ids(by_person, "placement_id") == [p_ids[2]]
    second = await api.get("/v1/placements", limit=1, offset=1)
    assert second["total"] == 3 and ids(second, "placement_id") == [p_ids[1]]
    busy = await api.get(f"/v1/units/{created[3]}")
    assert (busy["occupied_beds"], busy["free_beds"]) == (1, 3)


# --- invariants --------------------------------------------------------------------------


async def test_capacity_and_one_active_placement_per_person(housing: Housing) -> None:
    api = housing.api("p35")
    small = await api.call(
        "POST", "/v1/units", unit_body(beds=2), status=201, events=[("unit.registered", None)]
    )
    large = await api.call(
        "POST", "/v1/units", unit_body(beds=4), status=201, events=[("unit.registered", None)]
    )
    before = await housing.counts()

    too_big = await api.call(
        "POST",
        "/v1/placements",
        placement_body(small["unit_id"], "GLLRRT66L10F205H", household_size=3),
        status=409,
    )
    assert too_big["code"] == "capacity_exceeded"
    assert "2 free bed(s) of 2" in too_big["detail"] and "household of 3" in too_big["detail"]
    assert await housing.counts() == before

    first = await api.call(
        "POST",
        "/v1/placements",
        placement_body(small["unit_id"], "RSSMRA80A01H501U", household_size=2),
        status=201,
        events=[("placement.started", None)],
    )
    full = await api.call(
        "POST", "/v1/placements", placement_body(small["unit_id"], "GLLRRT66L10F205H"), status=409
    )
    assert "0 free bed(s) of 2" in full["detail"]

    before = await housing.counts()
    for written in (" rssmra80a01h501u ", "RSS-MRA 80A01-H501U", "Rssmra.80a01.h501u"):
        twice = await api.call(
            "POST", "/v1/placements", placement_body(large["unit_id"], written), status=409
        )
        assert twice["code"] == "person_already_placed", written
        assert "active placement" in twice["detail"]
    by_ref = {**placement_body(large["unit_id"], "x"), "person_identifier": None}
    by_ref["person_ref"] = first["person_ref"]
    assert (await api.call("POST", "/v1/placements", by_ref, status=409))[
        "code"
    ] == "person_already_placed"
    assert await housing.counts() == before

    await api.call(
        "POST",
        f"/v1/placements/{first['placement_id']}/end",
        {"ended_on": day(), "exit_outcome": "other_project"},
        status=200,
        events=[("placement.ended", first["placement_id"])],
    )
    ended_again = await api.call(
        "POST",
        f"/v1/placements/{first['placement_id']}/end",
        {"ended_on": day(), "exit_outcome": "unknown"},
        status=409,
    )
    assert "already ended" in ended_again["detail"]
    await api.call(
        "POST",
        f"/v1/placements/{first['placement_id']}/extend",
        {"planned_end_on": day(90)},
        status=409,
    )
    again = await api.call(
        "POST",
        "/v1/placements",
        placement_body(large["unit_id"], "rssmra 80a01 h501u", started_on=day()),
        status=201,
        events=[("placement.started", None)],
    )
    assert again["person_ref"] == first["person_ref"]
    extended = await api.call(
        "POST",
        f"/v1/placements/{again['placement_id']}/extend",
        {"planned_end_on": day(120)},
        status=200,
        events=[("placement.extended", again["placement_id"])],
    )
    assert extended == {**again, "planned_end_on": day(120)}
    refill = await api.call(
        "POST",
        "/v1/placements",
        # from the day the first household left: the day before, its 2 beds were taken
        placement_body(small["unit_id"], "GLLRRT66L10F205H", household_size=2, started_on=day()),
        status=201,
        events=[("placement.started", None)],
    )
    assert refill["status"] == "active"
    active = await housing.db.fetch(
        "SELECT person_ref, count(*) AS n FROM placements"
        " WHERE partner_id = 'p35' AND status = 'active' GROUP BY person_ref"
    )
    assert sorted(r["n"] for r in active) == [1, 1]


async def test_history_recorded_in_any_order_on_the_dates_it_concerns(housing: Housing) -> None:
    """The reported case: a household of 2 in a 2-bed unit from June 2019; a stay of one
    person from February to May 2019, recorded afterwards with its end, fits; one that
    shares a day with the household's is refused, naming it and its dates."""
    api = housing.api("p30")
    unit = await api.call(
        "POST",
        "/v1/units",
        unit_body(beds=2, available_from="2019-01-01"),
        status=201,
        events=[("unit.registered", None)],
    )
    later = await api.call(
        "POST",
        "/v1/placements",
        placement_body(
            unit["unit_id"], "RSSMRA80A01H501U", household_size=2, started_on="2019-06-01"
        ),
        status=201,
        events=[("placement.started", None)],
    )
    past = {"ended_on": "2019-05-01", "exit_outcome": "autonomous_rent"}
    earlier = await api.call(
        "POST",
        "/v1/placements",
        placement_body(unit["unit_id"], "GLLRRT66L10F205H", started_on="2019-02-01", **past),
        status=201,
        events=[("placement.started", None), ("placement.ended", None)],
    )
    assert (earlier["status"], earlier["ended_on"]) == ("ended", "2019-05-01")
    assert earlier["exit_outcome"] == "autonomous_rent"
    # touching: from the day the household of 2 arrived, the stay of one ended that day
    touching = {**past, "ended_on": "2019-06-01"}
    before = await housing.counts()
    overlapping = await api.call(
        "POST",
        "/v1/placements",
        placement_body(
            unit["unit_id"], "VRDGPP60B02F205X", started_on="2019-05-01", ended_on="2019-06-02",
            exit_outcome="other_project",
        ),
        status=409,
    )  # fmt: skip
    assert overlapping["code"] == "capacity_exceeded"
    assert (
        f"0 free bed(s) of 2 from 2019-06-01, taken by the active placement"
        f" {later['placement_id']} from 2019-06-01 (household of 2)" in overlapping["detail"]
    ), overlapping["detail"]
    assert await housing.counts() == before
    await api.call(
        "POST",
        "/v1/placements",
        placement_body(unit["unit_id"], "VRDGPP60B02F205X", started_on="2019-05-01", **touching),
        status=201,
        events=[("placement.started", None), ("placement.ended", None)],
    )

    # the person's placements: one at a time on their dates, in any unit
    other = await api.call(
        "POST",
        "/v1/units",
        unit_body(beds=4, available_from="2019-01-01"),
        status=201,
        events=[("unit.registered", None)],
    )
    twice = await api.call(
        "POST",
        "/v1/placements",
        placement_body(other["unit_id"], "GLLRRT66L10F205H", started_on="2019-04-01"),
        status=409,
    )
    assert twice["code"] == "person_already_placed"
    assert (
        f"placement {earlier['placement_id']} from 2019-02-01 to 2019-05-01" in twice["detail"]
    ), twice["detail"]
    before_that = await api.call(
        "POST",
        "/v1/placements",
        placement_body(
            other["unit_id"], "GLLRRT66L10F205H", started_on="2019-01-01", ended_on="2019-02-01",
            exit_outcome="other_project",
        ),
        status=201,
        events=[("placement.started", None), ("placement.ended", None)],
    )  # fmt: skip
    assert before_that["status"] == "ended"
    # an end without its outcome, or one before the start, is refused before anything
    no_outcome = placement_body(other["unit_id"], "VRDGPP60B02F205X", ended_on="2019-03-01")
    invalid = await api.call("POST", "/v1/placements", no_outcome, status=422)
    assert "exit_outcome together" in invalid["errors"][0]["msg"], invalid
    backwards = placement_body(
        other["unit_id"], "VRDGPP60B02F205X", started_on="2019-03-01", ended_on="2019-02-01",
        exit_outcome="other_project",
    )  # fmt: skip
    assert (
        "cannot end before"
        in (await api.call("POST", "/v1/placements", backwards, status=422))["detail"]
    )


async def test_concurrent_placements_cannot_overfill_a_unit_or_double_place(
    housing: Housing,
) -> None:
    api = housing.api("p36")
    unit = await api.call(
        "POST", "/v1/units", unit_body(beds=2), status=201, events=[("unit.registered", None)]
    )
    since = await housing.db.fetchval("SELECT max(id) FROM outbox")
    bodies = [
        placement_body(unit["unit_id"], f"CNCRRN90A01L219{n}", household_size=2) for n in range(8)
    ]
    responses = await asyncio.gather(
        *(
            housing.service.client.post("/v1/placements", json=b, headers=api.headers)
            for b in bodies
        )
    )
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] + [409] * 7, [r.text for r in responses]
    assert all(r.json()["code"] == "capacity_exceeded" for r in responses if r.status_code == 409)
    winner = next(r.json() for r in responses if r.status_code == 201)
    await api.check_events(since, [("placement.started", winner["placement_id"])], winner)
    active = await housing.db.fetchval(
        "SELECT count(*) FROM placements WHERE unit_id = $1 AND status = 'active'",
        uuid.UUID(unit["unit_id"]),
    )
    assert active == 1
    assert (await api.get(f"/v1/units/{unit['unit_id']}"))["free_beds"] == 0

    units = []
    for _ in range(5):
        created = await api.call(
            "POST", "/v1/units", unit_body(beds=4), status=201, events=[("unit.registered", None)]
        )
        units.append(created["unit_id"])
    since = await housing.db.fetchval("SELECT max(id) FROM outbox")
    spellings = ["DPPSTF82M10A662Y", "dppstf82m10a662y", "DPP STF 82M10 A662Y"]
    responses = await asyncio.gather(
        *(
            housing.service.client.post(
                "/v1/placements",
                json=placement_body(unit_id, spellings[n % 3]),
                headers=api.headers,
            )
            for n, unit_id in enumerate(units)
        )
    )
    assert sorted(r.status_code for r in responses) == [201] + [409] * 4, [
        r.text for r in responses
    ]
    assert all(
        r.json()["code"] == "person_already_placed" for r in responses if r.status_code == 409
    )
    winner = next(r.json() for r in responses if r.status_code == 201)
    await api.check_events(since, [("placement.started", winner["placement_id"])], winner)
    placed = await housing.db.fetchval(
        "SELECT count(*) FROM placements WHERE person_ref = $1", winner["person_ref"]
    )
    assert placed == 1

    # placements of the past, recorded with their ends at once for one person in five units
    # together: no unique index sees ended ones, the lock on the person serialises them
    since = await housing.db.fetchval("SELECT max(id) FROM outbox")
    past = {
        "started_on": day(-50), "ended_on": day(-40), "exit_outcome": "other_project",
    }  # fmt: skip
    responses = await asyncio.gather(
        *(
            housing.service.client.post(
                "/v1/placements",
                json=placement_body(unit_id, "FRNCRL75C03L219Z", **past),
                headers=api.headers,
            )
            for unit_id in units
        )
    )
    assert sorted(r.status_code for r in responses) == [201] + [409] * 4, [
        r.text for r in responses
    ]
    winner = next(r.json() for r in responses if r.status_code == 201)
    assert all(
        winner["placement_id"] in r.json()["detail"] for r in responses if r.status_code == 409
    )
    await api.check_events(
        since,
        [
            ("placement.started", winner["placement_id"]),
            ("placement.ended", winner["placement_id"]),
        ],
        winner,
    )


# --- bad input ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Bad:
    label: str
    method: str
    path: str
    body: Any = None
    about: str = ""
    """Text the answer must contain (a field name or a message), so it is clear."""
    status: int = 422
    params: dict[str, Any] | None = None
    raw: bytes | None = None
    content_type: str = "application/json"


def drop(body: dict[str, Any], name: str) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k != name}


def lone_surrogate(body: dict[str, Any]) -> bytes:
    """JSON whose counterpart_name is a lone UTF-16 surrogate (valid JSON, not valid text)."""
    return json.dumps({**body, "counterpart_name": "@@"}).replace("@@", "\\ud800").encode()


async def test_bad_input_is_refused_clearly_and_writes_nothing(housing: Housing) -> None:
    api = housing.api("p37")
    agreement = await api.call(
        "POST",
        "/v1/agreements",
        {"counterpart_kind": "private_owner", "signed_on": day(-30)},
        status=201,
        events=[("agreement.signed", None)],
    )
    unit = await api.call(
        "POST", "/v1/units", unit_body(beds=2), status=201, events=[("unit.registered", None)]
    )
    spare = await api.call(
        "POST", "/v1/units", unit_body(), status=201, events=[("unit.registered", None)]
    )
    request = await api.call(
        "POST",
        "/v1/requests",
        request_body("MRTLSE88P50Z330R"),
        status=201,
        events=[("request.submitted", None)],
    )
    placement = await api.call(
        "POST",
        "/v1/placements",
        placement_body(unit["unit_id"], "MRTLSE88P50Z330R", 2, request_id=request["request_id"]),
        status=201,
        events=[("placement.started", None), ("request.satisfied", request["request_id"])],
    )
    u, a, r, p = (
        unit["unit_id"],
        agreement["agreement_id"],
        request["request_id"],
        placement["placement_id"],
    )
    sign = {"counterpart_kind": "estate_agency", "signed_on": day()}
    req = request_body("KZMHSS95R10Z352D")
    place = placement_body(spare["unit_id"], "KZMHSS95R10Z352D")
    AG, UN, RQ, PL = "/v1/agreements", "/v1/units", "/v1/requests", "/v1/placements"
    none = {"person_identifier": None}
    cases = [
        # agreements
        Bad("missing field", "POST", AG, drop(sign, "signed_on"), "signed_on"),
        Bad("impossible date", "POST", AG, {**sign, "signed_on": "2025-02-30"}, "signed_on"),
        Bad("not a date", "POST", AG, {**sign, "signed_on": "yesterday"}, "signed_on"),
        Bad("unknown kind", "POST", AG, {**sign, "counterpart_kind": "bank"}, "counterpart_kind"),
        Bad("negative pledge", "POST", AG, {**sign, "units_pledged": -1}, "units_pledged"),
        Bad("huge pledge", "POST", AG, {**sign, "units_pledged": 1001}, "units_pledged"),
        Bad("pledge as text", "POST", AG, {**sign, "units_pledged": "many"}, "units_pledged"),
        Bad("fractional pledge", "POST", AG, {**sign, "units_pledged": 1.5}, "units_pledged"),
        Bad("extra field", "POST", AG, {**sign, "owner_phone": "+39 333 123"}, "owner_phone"),
        Bad("empty name", "POST", AG, {**sign, "counterpart_name": ""}, "counterpart_name"),
        Bad("long name", "POST", AG, {**sign, "counterpart_name": "x" * 201}, "counterpart_name"),
        Bad("NUL in name", "POST", AG, {**sign, "counterpart_name": "A\x00"}, "counterpart_name"),
        Bad("expires before signing", "POST", AG, {**sign, "valid_until": day(-1)}, "expire"),
        Bad("body is a list", "POST", AG, [sign]),
        Bad("body is null", "POST", AG, raw=b"null"),
        Bad("body is empty", "POST", AG, raw=b""),
        Bad("form encoded", "POST", AG, raw=b"counterpart_kind=estate_agency&signed_on=2025-01-01", about="not valid JSON", status=400),  # noqa: E501
        Bad("truncated JSON", "POST", AG, raw=b'{"counterpart_kind": "estate_agency", "signed', about="not valid JSON", status=400),  # noqa: E501
        Bad("plain text", "POST", AG, raw=b"sign it please", content_type="text/plain"),
        Bad("lone surrogate", "POST", AG, raw=lone_surrogate(sign), about="counterpart_name"),
        Bad("end: missing date", "POST", f"{AG}/{a}/end", {}, "ended_on"),
        Bad("end: malformed id", "POST", f"{AG}/42/end", {"ended_on": day()}, "agreement_id"),
        Bad("end: unknown id", "POST", f"{AG}/{uuid.uuid4()}/end", {"ended_on": day()}, "not found", 404),  # noqa: E501
        # units
        Bad("lowercase municipality", "POST", UN, unit_body(municipality_code="l219"), "municipality_code"),  # noqa: E501
        Bad("short municipality", "POST", UN, unit_body(municipality_code="L21"), "municipality_code"),  # noqa: E501
        Bad("municipality name", "POST", UN, unit_body(municipality_code="TORINO"), "municipality_code"),  # noqa: E501
        Bad("zero beds", "POST", UN, unit_body(beds=0), "beds"),
        Bad("too many beds", "POST", UN, unit_body(beds=51), "beds"),
        Bad("beds as text", "POST", UN, unit_body(beds="two"), "beds"),
        Bad("negative rent", "POST", UN, unit_body(monthly_rent_eur=-1), "monthly_rent_eur"),
        Bad("huge rent", "POST", UN, unit_body(monthly_rent_eur=10_001), "monthly_rent_eur"),
        Bad("free but rented", "POST", UN, unit_body(rent_regime="free"), "free rent regime"),
        Bad("agency, no agreement", "POST", UN, unit_body(provider="estate_agency_agreement"), "agreement"),  # noqa: E501
        Bad("unknown agreement", "POST", UN, unit_body(agreement_id=str(uuid.uuid4())), "not found", 404),  # noqa: E501
        Bad("malformed agreement id", "POST", UN, unit_body(agreement_id="abc"), "agreement_id"),
        Bad("month 13", "POST", UN, unit_body(available_from="2025-13-01"), "available_from"),
        Bad("taken unit id", "POST", UN, unit_body(unit_id=u), "already exists", 409),
        Bad("update nothing", "PATCH", f"{UN}/{u}", {}, "at least one"),
        Bad("update with nulls", "PATCH", f"{UN}/{u}", {"beds": None}, "at least one"),
        Bad("update zero beds", "PATCH", f"{UN}/{u}", {"beds": 0}, "beds"),
        Bad("update a fixed field", "PATCH", f"{UN}/{u}", {"municipality_code": "A001"}, "municipality_code"),  # noqa: E501
        Bad("update below occupancy", "PATCH", f"{UN}/{u}", {"beds": 1}, "2 beds occupied", 409),
        Bad("withdraw: malformed id", "POST", f"{UN}/x-y/withdraw", {"withdrawn_on": day()}, "unit_id"),  # noqa: E501
        Bad("withdraw: occupied", "POST", f"{UN}/{u}/withdraw", {"withdrawn_on": day()}, "active placement", 409),  # noqa: E501
        Bad("get: malformed id", "GET", f"{UN}/123", about="unit_id"),
        # requests
        Bad("both person fields", "POST", RQ, {**req, "person_ref": "ab" * 32}, "exactly one"),
        Bad("no person", "POST", RQ, {**req, **none}, "exactly one"),
        Bad("short identifier", "POST", RQ, {**req, "person_identifier": "AB12"}, "person_identifier"),  # noqa: E501
        Bad("identifier of punctuation", "POST", RQ, {**req, "person_identifier": "AB-1.2 - 3"}, "identifier"),  # noqa: E501
        Bad("uppercase person_ref", "POST", RQ, {**req, **none, "person_ref": "AB" * 32}, "person_ref"),  # noqa: E501
        Bad("zero household", "POST", RQ, {**req, "household_size": 0}, "household_size"),
        Bad("huge household", "POST", RQ, {**req, "household_size": 21}, "household_size"),
        Bad("unknown need", "POST", RQ, {**req, "need": "luxury"}, "need"),
        Bad("unknown sex", "POST", RQ, {**req, "sex": "n/a"}, "sex"),
        Bad("unknown age band", "POST", RQ, {**req, "age_band": "30"}, "age_band"),
        Bad("slashed date", "POST", RQ, {**req, "submitted_on": "2025/01/01"}, "submitted_on"),
        Bad("unknown reason", "POST", f"{RQ}/{r}/unsatisfied", {"closed_on": day(), "reason": "bored"}, "reason"),  # noqa: E501
        Bad("already satisfied", "POST", f"{RQ}/{r}/unsatisfied", {"closed_on": day(), "reason": "other"}, "already closed", 409),  # noqa: E501
        # placements
        Bad("no unit", "POST", PL, drop(place, "unit_id"), "unit_id"),
        Bad("unknown unit", "POST", PL, {**place, "unit_id": str(uuid.uuid4())}, "not found", 404),
        Bad("before availability", "POST", PL, {**place, "started_on": day(-61)}, "available from"),
        Bad("planned end first", "POST", PL, {**place, "planned_end_on": day(-2)}, "planned end"),
        Bad("unit is full", "POST", PL, {**place, "unit_id": u}, "0 free bed(s)", 409),
        Bad("another person's request", "POST", PL, {**place, "request_id": r}, "another person"),
        Bad("extend: before start", "POST", f"{PL}/{p}/extend", {"planned_end_on": day(-30)}, "before the start"),  # noqa: E501
        Bad("end: unknown outcome", "POST", f"{PL}/{p}/end", {"ended_on": day(), "exit_outcome": "moved"}, "exit_outcome"),  # noqa: E501
        Bad("end: before start", "POST", f"{PL}/{p}/end", {"ended_on": day(-30), "exit_outcome": "unknown"}, "before it started"),  # noqa: E501
        Bad("end: missing outcome", "POST", f"{PL}/{p}/end", {"ended_on": day()}, "exit_outcome"),
        # list parameters
        Bad("limit 0", "GET", UN, params={"limit": 0}, about="limit"),
        Bad("limit 1000", "GET", UN, params={"limit": 1000}, about="limit"),
        Bad("limit text", "GET", AG, params={"limit": "ten"}, about="limit"),
        Bad("negative offset", "GET", RQ, params={"offset": -1}, about="offset"),
        Bad("municipality filter", "GET", UN, params={"municipality_code": "l219"}, about="municipality_code"),  # noqa: E501
        Bad("status filter", "GET", RQ, params={"status": "closed"}, about="status"),
        Bad("person_ref filter", "GET", PL, params={"person_ref": "RSSMRA80A01H501U"}, about="person_ref"),  # noqa: E501
        Bad("unit filter", "GET", PL, params={"unit_id": "7"}, about="unit_id"),
        Bad("boolean filter", "GET", AG, params={"active": "maybe"}, about="active"),
    ]  # fmt: skip
    failures = []
    for case in cases:
        before = await housing.counts()
        headers = {**api.headers, "Content-Type": case.content_type}
        content = case.raw
        if content is None and case.body is not None:
            content = json.dumps(case.body).encode()
        response = await housing.service.client.request(
            case.method, case.path, content=content, params=case.params, headers=headers
        )
        name = f"{case.label} ({case.method} {case.path})"
        try:
            answer = response.json()
        except ValueError:
            failures.append(f"{name}: {response.status_code} not JSON: {response.text[:200]}")
            continue
        if response.status_code != case.status:
            failures.append(f"{name}: {response.status_code} (expected {case.status}) {answer}")
        elif not isinstance(answer.get("detail"), str) or not answer["detail"]:
            failures.append(f"{name}: no detail in {answer}")
        elif answer.get("status") != response.status_code or not answer.get("title"):
            failures.append(f"{name}: not a problem document: {answer}")
        elif response.headers["content-type"] != "application/problem+json":
            failures.append(f"{name}: content type {response.headers['content-type']}")
        elif (
            response.status_code == 422
            and answer.get("code") == "invalid_request"
            and not (
                answer.get("errors")
                and all(p.get("loc") and p.get("msg") for p in answer["errors"])
            )
        ):
            failures.append(f"{name}: no located problems in {answer}")
        elif case.about.lower() not in response.text.lower():
            failures.append(f"{name}: answer does not mention {case.about!r}: {answer}")
        if "KZMHSS95R10Z352D" in response.text or "MRTLSE88P50Z330R" in response.text:
            failures.append(f"{name}: the answer repeats a person identifier")
        if await housing.counts() != before:
            failures.append(f"{name}: something was written")
    assert not failures, "\n".join(failures)
    assert await api.get(f"/v1/units/{u}") == {**unit, "occupied_beds": 2, "free_beds": 0}


# --- privacy -----------------------------------------------------------------------------


async def test_person_identifiers_and_counterpart_names_never_leave(housing: Housing) -> None:
    api = housing.api("p38")
    identifier = "bncgnn 75c41-f205z"
    permit = "IT.PERMIT.0042.xyz"
    counterpart = "Mario Bianchi, via Roma 12, Torino"
    answers: list[str] = []

    async def call(method: str, path: str, body: Any, status: int, events: Expected = ()):
        payload = await api.call(method, path, body, status=status, events=events)
        answers.append(json.dumps(payload))
        return payload

    agreement = await call(
        "POST",
        "/v1/agreements",
        {"counterpart_kind": "private_owner", "counterpart_name": counterpart, "signed_on": day()},
        201,
        [("agreement.signed", None)],
    )
    unit = await call("POST", "/v1/units", unit_body(beds=3), 201, [("unit.registered", None)])
    request = await call(
        "POST", "/v1/requests", request_body(identifier), 201, [("request.submitted", None)]
    )
    await call("POST", "/v1/requests", request_body(permit), 201, [("request.submitted", None)])
    placement = await call(
        "POST",
        "/v1/placements",
        placement_body(unit["unit_id"], identifier.upper(), request_id=request["request_id"]),
        201,
        [("placement.started", None), ("request.satisfied", request["request_id"])],
    )
    await call("POST", "/v1/placements", placement_body(unit["unit_id"], permit, 3), 409)
    await call("POST", "/v1/placements", placement_body(str(uuid.uuid4()), permit), 404)
    await call("POST", "/v1/requests", request_body(permit, household_size=99), 422)
    await call(
        "POST",
        f"/v1/placements/{placement['placement_id']}/end",
        {"ended_on": day(), "exit_outcome": "autonomous_rent"},
        200,
        [("placement.ended", placement["placement_id"])],
    )
    for path in ("/v1/agreements", "/v1/units", "/v1/requests", "/v1/placements"):
        answers.append(json.dumps(await api.get(path)))
    assert agreement["counterpart_name"] == counterpart  # a local label, shown locally

    forms = {identifier, permit}
    forms |= {normalise_identifier(i) for i in (identifier, permit)}
    forms |= {f.lower() for f in forms}
    for form in forms:
        assert not any(form in answer for answer in answers), form

    tables = await housing.db.fetch(
        "SELECT table_name FROM information_schema.tables"
        " WHERE table_schema = 'public' AND table_type = 'BASE TABLE'"
    )
    dump = {
        t["table_name"]: [
            r["row"]
            for r in await housing.db.fetch(
                f'SELECT row_to_json(t)::text AS row FROM "{t["table_name"]}" AS t'
            )
        ]
        for t in tables
    }
    assert set(TABLES) <= set(dump)
    everything = "\n".join(row for rows in dump.values() for row in rows)
    assert request["person_ref"] in everything  # the dump does see the stored data
    for form in forms:
        assert form not in everything, f"{form!r} is stored"
    assert any(counterpart in row for row in dump["agreements"])
    outbox = "\n".join(dump["outbox"])
    assert agreement["agreement_id"] in outbox
    assert counterpart not in outbox and "Bianchi" not in outbox
    for row in await housing.db.fetch("SELECT data FROM outbox WHERE partner_id = 'p38'"):
        assert "counterpart_name" not in row["data"]


# --- safe retries and problem details ----------------------------------------------------


async def test_identical_creates_answer_the_same_resource_and_record_once(housing: Housing) -> None:
    """A client that timed out retries with the same id: same status, same body, one event.
    The same id with a different body is a conflict that says so."""
    api = housing.api("p39")
    unit_id = str(uuid.uuid4())
    body = unit_body(unit_id=unit_id, beds=3)
    first = await api.call(
        "POST", "/v1/units", body, status=201, events=[("unit.registered", unit_id)]
    )
    assert await api.call("POST", "/v1/units", body, status=201) == first
    other = await api.call("POST", "/v1/units", {**body, "beds": 4}, status=409)
    assert other["code"] == "already_exists" and "different content" in other["detail"]

    request_id, placement_id = str(uuid.uuid4()), str(uuid.uuid4())
    ask = {**person("RSSMRA80A01H501U", 2), "request_id": request_id, "need": "homeless",
           "submitted_on": day(-3)}  # fmt: skip
    submitted = await api.call(
        "POST", "/v1/requests", ask, status=201, events=[("request.submitted", request_id)]
    )
    assert await api.call("POST", "/v1/requests", ask, status=201) == submitted
    place = {**person("RSSMRA80A01H501U", 2), "placement_id": placement_id, "unit_id": unit_id,
             "request_id": request_id, "started_on": day(-1)}  # fmt: skip
    placed = await api.call(
        "POST", "/v1/placements", place, status=201,
        events=[("placement.started", placement_id), ("request.satisfied", request_id)],
    )  # fmt: skip
    # Without the stored fingerprint this retry would be refused: the person is placed.
    assert await api.call("POST", "/v1/placements", place, status=201) == placed
    clash = await api.call("POST", "/v1/placements", {**place, "started_on": day()}, status=409)
    assert "different content" in clash["detail"]

    end = {"ended_on": day(), "exit_outcome": "autonomous_rent"}
    path = f"/v1/placements/{placement_id}/end"
    ended = await api.call(
        "POST", path, end, status=200, events=[("placement.ended", placement_id)]
    )
    assert await api.call("POST", path, end, status=200) == ended  # no second event
    await api.call("POST", path, {**end, "exit_outcome": "unknown"}, status=409)
    stored = await housing.db.fetchval(
        "SELECT count(*) FROM command_fingerprints WHERE partner_id = 'p39'"
    )
    assert stored == 3
    fingerprints = await housing.db.fetch("SELECT fingerprint FROM command_fingerprints")
    assert all("RSSMRA" not in r["fingerprint"] for r in fingerprints)


async def test_every_error_is_a_problem_document(housing: Housing) -> None:
    client = housing.service.client
    headers = auth_header("p39")
    unknown = f"/v1/units/{uuid.uuid4()}"
    answers = {
        400: await client.post(
            "/v1/units",
            content=b"{not json",
            headers={**headers, "Content-Type": "application/json"},
        ),
        401: await client.get("/v1/units"),
        403: await client.get("/v1/units", headers=auth_header("p77")),
        404: await client.get(unknown, headers=headers),
        409: await client.post(
            f"{unknown}/withdraw", json={"withdrawn_on": day()}, headers=headers
        ),
        422: await client.post("/v1/units", json={"beds": 0}, headers=headers),
    }
    answers[409] = await client.post(
        "/v1/units", json=unit_body(unit_id=str(uuid.uuid4()), rent_regime="free"), headers=headers
    )
    for status, response in answers.items():
        if status == 409:
            continue
        assert response.status_code == status, response.text
        assert response.headers["content-type"] == "application/problem+json"
        problem = response.json()
        assert problem["status"] == status and problem["title"] and problem["detail"]
        assert problem["type"].startswith("https://franoi.org/problems/")
    assert answers[422].json()["errors"] and all(
        e["loc"] and e["msg"] for e in answers[422].json()["errors"]
    )
    assert answers[401].headers["www-authenticate"].lower().startswith("bearer")
    unit_id = str(uuid.uuid4())
    await client.post("/v1/units", json=unit_body(unit_id=unit_id), headers=headers)
    conflict = await client.post(
        "/v1/units", json=unit_body(unit_id=unit_id, beds=9), headers=headers
    )
    assert conflict.status_code == 409
    assert conflict.headers["content-type"] == "application/problem+json"
    assert conflict.json()["code"] == "already_exists"


async def test_root_leads_to_the_docs_and_dates_are_bounded(housing: Housing) -> None:
    client = housing.service.client
    root = await client.get("/", follow_redirects=False)
    assert root.status_code in (302, 307) and root.headers["location"] == "/docs"
    headers = auth_header("p39")
    for bad in ("0001-01-01", "1999-12-31", "2101-01-01"):
        response = await client.post(
            "/v1/units", json=unit_body(available_from=bad), headers=headers
        )
        assert response.status_code == 422, response.text
        assert response.json()["errors"][0]["loc"] == ["body", "available_from"]

"""The family-hosting API's behaviour on a real PostgreSQL (no broker: the relay is off).

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
from typing import Any

import pytest
from franoi_hosting.bootstrap import DEFINITION as HOSTING

from tests.support import (
    OutboxApi,
    Served,
    auth_header,
    ids,
    kafka_settings,
    partner_service_settings,
    serving,
)

PARTNERS = ("p40", "p41", "p42", "p43", "p44", "p45", "p46", "p47", "p48")
TODAY = dt.date.today()
TABLES = (
    "host_families",
    "host_family_private",
    "family_requests",
    "matches",
    "hosting_stays",
    "monitoring_visits",
    "outbox",
)
PRIVATE = {
    "members": [
        {"full_name": "Giulia Bianchi", "relationship": "reference person"},
        {"full_name": "Marco Rossi"},
    ],
    "address": "Via Padova 12, 20127 Milano",
    "phone": "+39 333 1234567",
    "email": "giulia.bianchi@example.org",
}


def day(offset: int = 0) -> str:
    return (TODAY + dt.timedelta(days=offset)).isoformat()


def family_body(rooms: int = 2, **changes: Any) -> dict[str, Any]:
    return {
        "municipality_code": "F205",
        "rooms_offered": rooms,
        "household_size": 4,
        "languages": ["it", "en"],
        "applied_on": day(-90),
        "private": PRIVATE,
        **changes,
    }


def coarse(**changes: Any) -> dict[str, Any]:
    return {"sex": "male", "age_band": "18-24", "protection_status": "refugee", **changes}


def request_body(identifier: str, kind: str = "hosting", **changes: Any) -> dict[str, Any]:
    return {
        "person_identifier": identifier,
        "kind": kind,
        "household_size": 1,
        "submitted_on": day(-60),
        **coarse(),
        **changes,
    }


def stay_body(match_id: str, **changes: Any) -> dict[str, Any]:
    return {
        "match_id": match_id,
        "started_on": day(-20),
        "planned_months": 6,
        "monthly_contribution_eur": 300,
        **coarse(),
        **changes,
    }


class Api(OutboxApi):
    DOMAIN = "hosting"

    async def approved_family(self, rooms: int = 2) -> dict[str, Any]:
        family = await self.call(
            "POST", "/v1/families", family_body(rooms), status=201,
            events=[("family.applied", None)],
        )  # fmt: skip
        fid = family["family_id"]
        await self.call(
            "POST", f"/v1/families/{fid}/assess",
            {"interview_on": day(-80), "home_visit_on": day(-75)}, status=200,
            events=[("family.assessed", fid)],
        )  # fmt: skip
        return await self.call(
            "POST", f"/v1/families/{fid}/approve", {"approved_on": day(-70)}, status=200,
            events=[("family.approved", fid)],
        )  # fmt: skip

    async def propose(self, family_id: str, identifier: str, **changes: Any) -> dict[str, Any]:
        body = {
            "person_identifier": identifier, "family_id": family_id, "proposed_on": day(-40),
            **changes,
        }  # fmt: skip
        return await self.call(
            "POST", "/v1/matches", body, status=201, events=[("match.proposed", None)]
        )

    async def accept(self, match_id: str) -> dict[str, Any]:
        return await self.call(
            "POST", f"/v1/matches/{match_id}/accept", {"accepted_on": day(-30)}, status=200,
            events=[("match.accepted", match_id)],
        )  # fmt: skip


Hosting = Served[Api]


@pytest.fixture(scope="module")
async def hosting(databases) -> AsyncIterator[Hosting]:
    url = await databases.create("hosting_api")
    kafka = kafka_settings("127.0.0.1:1", False, create_topics=False)
    settings = partner_service_settings(url, kafka, PARTNERS, relay_enabled=False)
    async with serving(HOSTING, settings, Api, TABLES) as served:
        yield served


# --- families ----------------------------------------------------------------------------


async def test_family_vetting_availability_and_private_data(hosting: Hosting) -> None:
    api = hosting.api("p41")
    chosen = str(uuid.uuid4())
    body = family_body(3, family_id=chosen)
    family = await api.call(
        "POST", "/v1/families", body, status=201, events=[("family.applied", chosen)]
    )
    assert family["family_id"] == chosen and family["vetting"] == "applied"
    assert family["availability"] is None and family["free_rooms"] == 3
    assert family["private"]["members"][0]["full_name"] == "Giulia Bianchi"
    assert family["private"]["email"] == PRIVATE["email"]
    # an identical retry answers the same family and records nothing; another body is refused
    assert await api.call("POST", "/v1/families", body, status=201) == family
    taken = await api.call("POST", "/v1/families", {**body, "rooms_offered": 1}, status=409)
    assert taken["code"] == "already_exists"

    listed = await api.get("/v1/families")
    assert listed["total"] == 1 and "private" not in listed["items"][0]
    assert "Giulia" not in json.dumps(listed)

    fid = family["family_id"]
    early = await api.call(
        "POST", f"/v1/families/{fid}/approve", {"approved_on": day()}, status=409
    )
    assert early["code"] == "invalid_transition"
    await api.call(
        "POST", f"/v1/families/{fid}/assess", {"interview_on": day(-80), "home_visit_on": day(-70)},
        status=200, events=[("family.assessed", fid)],
    )  # fmt: skip
    before_visit = await api.call(
        "POST", f"/v1/families/{fid}/approve", {"approved_on": day(-75)}, status=422
    )
    assert before_visit["code"] == "invalid_dates"
    approved = await api.call(
        "POST", f"/v1/families/{fid}/approve", {"approved_on": day(-60)}, status=200,
        events=[("family.approved", fid)],
    )  # fmt: skip
    assert (approved["vetting"], approved["availability"]) == ("approved", "active")
    # a retried approval changes nothing and records nothing
    assert (
        await api.call("POST", f"/v1/families/{fid}/approve", {"approved_on": day(-60)}, status=200)
        == approved
    )

    updated = await api.call(
        "PATCH", f"/v1/families/{fid}", {"rooms_offered": 2, "languages": ["it", "ar"]},
        status=200, events=[("family.updated", fid)],
    )  # fmt: skip
    assert (updated["rooms_offered"], updated["languages"]) == (2, ["it", "ar"])
    moved = await api.call(
        "PATCH", f"/v1/families/{fid}", {"private": {**PRIVATE, "address": "Via Roma 1, Rho"}},
        status=200, events=[],  # private data changes publish nothing
    )  # fmt: skip
    assert moved["private"]["address"] == "Via Roma 1, Rho" and moved["rooms_offered"] == 2

    paused = await api.call(
        "POST", f"/v1/families/{fid}/pause", {"paused_on": day(-10)}, status=200,
        events=[("family.paused", fid)],
    )  # fmt: skip
    assert paused["availability"] == "paused" and paused["paused_on"] == day(-10)
    assert ids(await api.get("/v1/families", availability="paused"), "family_id") == [fid]
    await api.call(
        "POST", f"/v1/families/{fid}/resume", {"resumed_on": day(-5)}, status=200,
        events=[("family.resumed", fid)],
    )  # fmt: skip
    withdrawn = await api.call(
        "POST", f"/v1/families/{fid}/withdraw", {"withdrawn_on": day()}, status=200,
        events=[("family.withdrawn", fid)],
    )  # fmt: skip
    assert withdrawn["availability"] == "withdrawn"

    other = await api.call(
        "POST", "/v1/families", family_body(1), status=201, events=[("family.applied", None)]
    )
    rejected = await api.call(
        "POST", f"/v1/families/{other['family_id']}/reject",
        {"rejected_on": day(), "reason": "home_unsuitable"}, status=200,
        events=[("family.rejected", other["family_id"])],
    )  # fmt: skip
    assert (rejected["vetting"], rejected["rejection_reason"]) == ("rejected", "home_unsuitable")
    assert ids(await api.get("/v1/families", vetting="rejected"), "family_id") == [
        other["family_id"]
    ]
    assert (await api.get("/v1/families", municipality_code="L219"))["total"] == 0


# --- requests ----------------------------------------------------------------------------


async def test_family_requests_open_and_close(hosting: Hosting) -> None:
    api = hosting.api("p42")
    hosting_req = await api.call(
        "POST", "/v1/requests", request_body("HSTREQ90A01F205X"), status=201,
        events=[("request.submitted", None)],
    )  # fmt: skip
    support = await api.call(
        "POST", "/v1/requests", request_body("SUPREQ90A01F205X", "childcare", household_size=3),
        status=201, events=[("request.submitted", None)],
    )  # fmt: skip
    other = await api.call(
        "POST", "/v1/requests", request_body("OTHREQ90A01F205X", "school_support"),
        status=201, events=[("request.submitted", None)],
    )  # fmt: skip
    assert hosting_req["status"] == "open" and len(hosting_req["person_ref"]) == 64
    assert "HSTREQ" not in json.dumps(hosting_req)

    by_stay = await api.call(
        "POST", f"/v1/requests/{hosting_req['request_id']}/satisfy", {"closed_on": day()},
        status=409,
    )  # fmt: skip
    assert "satisfied by starting a hosting stay" in by_stay["detail"]
    satisfied = await api.call(
        "POST", f"/v1/requests/{support['request_id']}/satisfy", {"closed_on": day(-1)},
        status=200, events=[("request.satisfied", support["request_id"])],
    )  # fmt: skip
    assert satisfied["status"] == "satisfied" and satisfied["stay_id"] is None
    unsatisfied = await api.call(
        "POST", f"/v1/requests/{other['request_id']}/unsatisfied",
        {"closed_on": day(), "reason": "no_service_available"}, status=200,
        events=[("request.unsatisfied", other["request_id"])],
    )  # fmt: skip
    assert unsatisfied["unsatisfied_reason"] == "no_service_available"
    again = await api.call(
        "POST", f"/v1/requests/{other['request_id']}/withdraw", {"closed_on": day()}, status=409
    )
    assert again["code"] == "invalid_transition"
    await api.call(
        "POST", f"/v1/requests/{hosting_req['request_id']}/withdraw", {"closed_on": day()},
        status=200, events=[("request.withdrawn", hosting_req["request_id"])],
    )  # fmt: skip

    assert (await api.get("/v1/requests"))["total"] == 3
    assert ids(await api.get("/v1/requests", kind="childcare"), "request_id") == [
        support["request_id"]
    ]
    assert ids(await api.get("/v1/requests", status="withdrawn"), "request_id") == [
        hosting_req["request_id"]
    ]
    mine = await api.get("/v1/requests", person_ref=support["person_ref"])
    assert ids(mine, "request_id") == [support["request_id"]]
    first = await api.get("/v1/requests", limit=2)
    rest = await api.get("/v1/requests", limit=2, offset=2)
    assert len(first["items"]) == 2 and len(rest["items"]) == 1 and first["total"] == 3
    assert ids(first, "request_id") + ids(rest, "request_id") == [
        other["request_id"], support["request_id"], hosting_req["request_id"],
    ]  # fmt: skip


# --- matches, stays, visits --------------------------------------------------------------


async def test_match_to_stay_visits_follow_up_and_end(hosting: Hosting) -> None:
    api = hosting.api("p43")
    family = await api.approved_family(rooms=2)
    fid = family["family_id"]
    request = await api.call(
        "POST", "/v1/requests", request_body("GUESTA90A01F205X"), status=201,
        events=[("request.submitted", None)],
    )  # fmt: skip
    match = await api.propose(fid, "GUESTA90A01F205X", request_id=request["request_id"])
    assert match["status"] == "proposed" and match["person_ref"] == request["person_ref"]
    not_yet = await api.call("POST", "/v1/stays", stay_body(match["match_id"]), status=409)
    assert "accepted match" in not_yet["detail"]
    accepted = await api.accept(match["match_id"])
    assert accepted["status"] == "accepted" and accepted["accepted_on"] == day(-30)
    assert (await api.get(f"/v1/families/{fid}"))["free_rooms"] == 1

    stay = await api.call(
        "POST", "/v1/stays", stay_body(match["match_id"]), status=201,
        events=[("stay.started", None), ("request.satisfied", request["request_id"])],
    )  # fmt: skip
    sid = stay["stay_id"]
    assert stay["status"] == "active" and stay["family_id"] == fid
    assert stay["planned_end_on"] > stay["started_on"] and stay["outcome"] is None
    assert (await api.get(f"/v1/matches/{match['match_id']}"))["status"] == "started"
    assert (await api.get(f"/v1/requests/{request['request_id']}"))["stay_id"] == sid
    assert (await api.get(f"/v1/families/{fid}"))["free_rooms"] == 1  # the room moved over

    calm = await api.call(
        "POST", f"/v1/stays/{sid}/visits",
        {"visited_on": day(-15), "guest_wellbeing": 4, "family_wellbeing": 4},
        status=201, events=[("stay.visit_recorded", sid)],
    )  # fmt: skip
    assert calm["flags"] == [] and calm["stay_id"] == sid
    assert (await api.get("/v1/stays/follow-up"))["total"] == 0
    worried = await api.call(
        "POST", f"/v1/stays/{sid}/visits",
        {"visited_on": day(-10), "guest_wellbeing": 4, "family_wellbeing": 2,
         "flags": ["conflict", "documents"]},
        status=201, events=[("stay.visit_recorded", sid)],
    )  # fmt: skip
    follow = await api.get("/v1/stays/follow-up")
    assert follow["total"] == 1
    assert follow["items"][0]["stay"]["stay_id"] == sid
    assert follow["items"][0]["last_visit"] == {
        "visit_id": worried["visit_id"], "visited_on": day(-10), "guest_wellbeing": 4,
        "family_wellbeing": 2, "flags": ["conflict", "documents"],
    }  # fmt: skip
    # a better visit later takes the stay off the list (only the last visit counts)
    await api.call(
        "POST", f"/v1/stays/{sid}/visits",
        {"visited_on": day(-5), "guest_wellbeing": 3, "family_wellbeing": 3},
        status=201, events=[("stay.visit_recorded", sid)],
    )  # fmt: skip
    assert (await api.get("/v1/stays/follow-up"))["total"] == 0
    assert (await api.get(f"/v1/stays/{sid}/visits"))["total"] == 3
    retry = {"visit_id": str(uuid.uuid4()), "visited_on": day(-4), "guest_wellbeing": 3,
             "family_wellbeing": 3}  # fmt: skip
    first = await api.call("POST", f"/v1/stays/{sid}/visits", retry, status=201,
                           events=[("stay.visit_recorded", sid)])  # fmt: skip
    assert await api.call("POST", f"/v1/stays/{sid}/visits", retry, status=201) == first
    elsewhere = await api.call("POST", f"/v1/stays/{uuid.uuid4()}/visits", retry, status=409)
    assert elsewhere["code"] == "already_exists"
    before = await api.call(
        "POST", f"/v1/stays/{sid}/visits",
        {"visited_on": day(-21), "guest_wellbeing": 3, "family_wellbeing": 3}, status=422,
    )  # fmt: skip
    assert before["code"] == "invalid_dates"

    extended = await api.call(
        "POST", f"/v1/stays/{sid}/extend", {"planned_months": 12}, status=200,
        events=[("stay.extended", sid)],
    )  # fmt: skip
    assert extended["planned_months"] == 12
    early = await api.call(
        "POST", f"/v1/stays/{sid}/end", {"ended_on": day(-6), "outcome": "other"}, status=422
    )
    assert "last visit" in early["detail"]
    ended = await api.call(
        "POST", f"/v1/stays/{sid}/end", {"ended_on": day(), "outcome": "completed_with_autonomy"},
        status=200, events=[("stay.ended", sid)],
    )  # fmt: skip
    assert (ended["status"], ended["outcome"]) == ("ended", "completed_with_autonomy")
    retried = await api.call(
        "POST", f"/v1/stays/{sid}/end", {"ended_on": day(), "outcome": "completed_with_autonomy"},
        status=200,
    )  # fmt: skip
    assert retried == ended
    once = await api.call(
        "POST", f"/v1/stays/{sid}/end", {"ended_on": day(), "outcome": "interrupted_by_guest"},
        status=409,
    )  # fmt: skip
    assert once["code"] == "invalid_transition"
    after = await api.call(
        "POST", f"/v1/stays/{sid}/visits",
        {"visited_on": day(1), "guest_wellbeing": 3, "family_wellbeing": 3}, status=422,
    )  # fmt: skip
    assert "after it" in after["detail"]
    assert (await api.get(f"/v1/families/{fid}"))["free_rooms"] == 2

    declined = await api.propose(fid, "GUESTB90A01F205X")
    refused = await api.call(
        "POST", f"/v1/matches/{declined['match_id']}/decline",
        {"declined_on": day(-35), "declined_by": "guest"}, status=200,
        events=[("match.declined", declined["match_id"])],
    )  # fmt: skip
    assert (refused["status"], refused["declined_by"]) == ("declined", "guest")
    called_off = await api.propose(fid, "GUESTC90A01F205X")
    await api.accept(called_off["match_id"])
    cancelled = await api.call(
        "POST", f"/v1/matches/{called_off['match_id']}/cancel",
        {"cancelled_on": day(-25), "cancelled_by": "family"}, status=200,
        events=[("match.cancelled", called_off["match_id"])],
    )  # fmt: skip
    assert cancelled["status"] == "cancelled"
    assert ids(await api.get("/v1/matches", status="declined"), "match_id") == [
        declined["match_id"]
    ]
    assert (await api.get("/v1/matches", family_id=fid))["total"] == 3
    assert ids(await api.get("/v1/stays", status="ended"), "stay_id") == [sid]

    records = await api.get(f"/v1/persons/{request['person_ref']}/records")
    assert records["person_ref"] == request["person_ref"] and records["domain"] == "hosting"
    assert [r["request_id"] for r in records["records"]["requests"]] == [request["request_id"]]
    assert [m["match_id"] for m in records["records"]["matches"]] == [match["match_id"]]
    assert records["records"]["stays"] == [await api.get(f"/v1/stays/{sid}")]
    assert len(records["records"]["visits"]) == 4
    nobody = await api.get(f"/v1/persons/{'0' * 64}/records")
    assert nobody["records"] == {"requests": [], "matches": [], "stays": [], "visits": []}


# --- invariants --------------------------------------------------------------------------


async def test_only_approved_active_families_with_a_free_room_are_matched(hosting: Hosting) -> None:
    api = hosting.api("p44")
    applicant = await api.call(
        "POST", "/v1/families", family_body(), status=201, events=[("family.applied", None)]
    )
    body = {"person_identifier": "NOTAVL90A01F205X", "family_id": applicant["family_id"],
            "proposed_on": day()}  # fmt: skip
    refused = await api.call("POST", "/v1/matches", body, status=409)
    assert refused["code"] == "family_not_available"

    family = await api.approved_family(rooms=1)
    fid = family["family_id"]
    first = await api.propose(fid, "ROOMAA90A01F205X")
    second = await api.propose(fid, "ROOMBB90A01F205X")  # a proposal holds no room
    await api.accept(first["match_id"])
    full = await api.call(
        "POST", f"/v1/matches/{second['match_id']}/accept", {"accepted_on": day(-30)}, status=409
    )
    assert full["code"] == "capacity_exceeded"
    no_room = await api.call(
        "POST", "/v1/matches",
        {"person_identifier": "ROOMCC90A01F205X", "family_id": fid, "proposed_on": day()},
        status=409,
    )  # fmt: skip
    assert no_room["code"] == "capacity_exceeded"
    shrink = await api.call("PATCH", f"/v1/families/{fid}", {"household_size": 5}, status=200,
                            events=[("family.updated", fid)])  # fmt: skip
    assert shrink["free_rooms"] == 0

    await api.call(
        "POST", f"/v1/families/{fid}/pause", {"paused_on": day(-1)}, status=200,
        events=[("family.paused", fid)],
    )  # fmt: skip
    paused = await api.call(
        "POST", f"/v1/matches/{second['match_id']}/accept", {"accepted_on": day()}, status=409
    )
    assert paused["code"] == "family_not_available"
    busy = await api.call(
        "POST", f"/v1/families/{fid}/withdraw", {"withdrawn_on": day()}, status=409
    )
    assert f"proposed match {second['match_id']} from {day(-40)}" in busy["detail"], busy

    # one active stay per person: the same person, accepted in another family, cannot start
    other = await api.approved_family(rooms=1)
    stay = await api.call(
        "POST", "/v1/stays", stay_body(first["match_id"]), status=201,
        events=[("stay.started", None)],
    )  # fmt: skip
    again = await api.propose(other["family_id"], "ROOMAA90A01F205X")
    await api.accept(again["match_id"])
    twice = await api.call("POST", "/v1/stays", stay_body(again["match_id"]), status=409)
    assert twice["code"] == "person_already_hosted"
    assert (await api.get(f"/v1/stays/{stay['stay_id']}"))["status"] == "active"


async def test_stays_recorded_in_any_order_on_the_dates_they_concern(hosting: Hosting) -> None:
    """A family of one room hosts a guest from 20 days ago, open; a stay of another guest
    before it, recorded afterwards with its end, takes the room then; one sharing a day with
    it is refused naming it and its dates, and so is a person's second stay on the same days."""
    api = hosting.api("p40")
    family = await api.approved_family(rooms=1)
    fid = family["family_id"]
    match = await api.propose(fid, "RSSMRA80A01H501U")
    await api.accept(match["match_id"])
    later = await api.call(
        "POST", "/v1/stays", stay_body(match["match_id"]), status=201,
        events=[("stay.started", None)],
    )  # fmt: skip

    async def accepted_on(identifier: str, on: str, family_id: str = fid) -> str:
        proposed = await api.propose(family_id, identifier, proposed_on=on)
        await api.call(
            "POST", f"/v1/matches/{proposed['match_id']}/accept", {"accepted_on": on},
            status=200, events=[("match.accepted", proposed["match_id"])],
        )  # fmt: skip
        return str(proposed["match_id"])

    past = {"ended_on": day(-20), "outcome": "completed_with_autonomy"}
    earlier = await api.call(
        "POST", "/v1/stays",
        stay_body(await accepted_on("GLLRRT66L10F205H", day(-69)), started_on=day(-68), **past),
        status=201, events=[("stay.started", None), ("stay.ended", None)],
    )  # fmt: skip
    assert (earlier["status"], earlier["ended_on"]) == ("ended", day(-20))
    assert (await api.get(f"/v1/families/{fid}"))["free_rooms"] == 0

    waiting = await accepted_on("VRDGPP60B02F205X", day(-69))  # free then
    before = await hosting.counts()
    overlapping = {**past, "ended_on": day(-19)}
    refused = await api.call(
        "POST", "/v1/stays", stay_body(waiting, started_on=day(-69), **overlapping), status=409
    )
    assert refused["code"] == "capacity_exceeded"
    assert (
        f"on {day(-68)}: by the stay {earlier['stay_id']} from {day(-68)} to {day(-20)}"
        in refused["detail"]
    ), refused["detail"]
    assert await hosting.counts() == before
    await api.call(
        "POST", f"/v1/matches/{waiting}/cancel",
        {"cancelled_on": day(-69), "cancelled_by": "partner"}, status=200,
        events=[("match.cancelled", waiting)],
    )  # fmt: skip

    # the person's stays: one at a time on their dates, in any family
    other = await api.approved_family(rooms=2)
    elsewhere = await accepted_on("GLLRRT66L10F205H", day(-69), other["family_id"])
    twice = await api.call(
        "POST", "/v1/stays", stay_body(elsewhere, started_on=day(-25)), status=409
    )
    assert twice["code"] == "person_already_hosted"
    assert f"stay {earlier['stay_id']} from {day(-68)} to {day(-20)}" in twice["detail"]
    await api.call(
        "POST", "/v1/stays", stay_body(elsewhere, started_on=day(-20)), status=201,
        events=[("stay.started", None)],
    )  # fmt: skip
    assert later["status"] == "active"
    no_outcome = stay_body(elsewhere, ended_on=day(-1))
    invalid = await api.call("POST", "/v1/stays", no_outcome, status=422)
    assert "outcome together" in invalid["errors"][0]["msg"], invalid


async def test_concurrent_acceptances_race_for_the_last_room(hosting: Hosting) -> None:
    api = hosting.api("p45")
    family = await api.approved_family(rooms=2)
    fid = family["family_id"]
    sitting = await api.propose(fid, "SITTIN90A01F205X")
    await api.accept(sitting["match_id"])  # one room left
    matches = [await api.propose(fid, f"RACERS90A01F205{n}") for n in range(6)]
    since = await hosting.db.fetchval("SELECT max(id) FROM outbox")
    responses = await asyncio.gather(
        *(
            hosting.service.client.post(
                f"/v1/matches/{m['match_id']}/accept",
                json={"accepted_on": day(-30)},
                headers=api.headers,
            )
            for m in matches
        )
    )
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] + [409] * 5, [r.text for r in responses]
    assert all(r.json()["code"] == "capacity_exceeded" for r in responses if r.status_code == 409)
    winner = next(r.json() for r in responses if r.status_code == 200)
    await api.check_events(since, [("match.accepted", winner["match_id"])], winner)
    held = await hosting.db.fetchval(
        "SELECT count(*) FROM matches WHERE family_id = $1 AND status = 'accepted'",
        uuid.UUID(fid),
    )
    assert held == 2
    assert (await api.get(f"/v1/families/{fid}"))["free_rooms"] == 0
    shrink = await api.call("PATCH", f"/v1/families/{fid}", {"rooms_offered": 1}, status=409)
    assert shrink["code"] == "capacity_exceeded" and "taken" in shrink["detail"]

    # concurrent proposals and acceptances for one free room in a fresh family
    fresh = await api.approved_family(rooms=1)
    proposals = await asyncio.gather(
        *(
            hosting.service.client.post(
                "/v1/matches",
                json={"person_identifier": f"PROPOS90A01F205{n}", "family_id": fresh["family_id"],
                      "proposed_on": day(-40)},
                headers=api.headers,
            )
            for n in range(4)
        )
    )  # fmt: skip
    assert [p.status_code for p in proposals] == [201] * 4
    accepts = await asyncio.gather(
        *(
            hosting.service.client.post(
                f"/v1/matches/{p.json()['match_id']}/accept",
                json={"accepted_on": day(-30)},
                headers=api.headers,
            )
            for p in proposals
        )
    )
    assert sorted(a.status_code for a in accepts) == [200, 409, 409, 409]

    # one person accepted in several families at once: only one acceptance stands
    families = [await api.approved_family(rooms=1) for _ in range(4)]
    same = [await api.propose(f["family_id"], "SAMEPR90A01F205X") for f in families]
    responses = await asyncio.gather(
        *(
            hosting.service.client.post(
                f"/v1/matches/{m['match_id']}/accept",
                json={"accepted_on": day(-30)},
                headers=api.headers,
            )
            for m in same
        )
    )
    assert sorted(r.status_code for r in responses) == [200, 409, 409, 409], [
        r.text for r in responses
    ]
    assert all(
        r.json()["code"] == "person_already_hosted" for r in responses if r.status_code == 409
    )


# --- partner isolation -------------------------------------------------------------------


async def test_partners_see_and_change_only_their_own(hosting: Hosting) -> None:
    owner = hosting.api("p46")
    family = await owner.approved_family(rooms=2)
    fid = family["family_id"]
    request = await owner.call(
        "POST", "/v1/requests", request_body("ISOLAT90A01F205X"), status=201,
        events=[("request.submitted", None)],
    )  # fmt: skip
    match = await owner.propose(fid, "ISOLAT90A01F205X", request_id=request["request_id"])
    await owner.accept(match["match_id"])
    stay = await owner.call(
        "POST", "/v1/stays", stay_body(match["match_id"]), status=201,
        events=[("stay.started", None), ("request.satisfied", request["request_id"])],
    )  # fmt: skip
    sid, mid, rid = stay["stay_id"], match["match_id"], request["request_id"]
    await owner.call(
        "POST", f"/v1/stays/{sid}/visits",
        {"visited_on": day(-1), "guest_wellbeing": 1, "family_wellbeing": 1}, status=201,
        events=[("stay.visit_recorded", sid)],
    )  # fmt: skip

    other = hosting.api("p47")
    not_found = [
        ("GET", f"/v1/families/{fid}", None),
        ("PATCH", f"/v1/families/{fid}", {"rooms_offered": 3}),
        ("POST", f"/v1/families/{fid}/pause", {"paused_on": day()}),
        ("POST", f"/v1/families/{fid}/withdraw", {"withdrawn_on": day()}),
        ("GET", f"/v1/requests/{rid}", None),
        ("POST", f"/v1/requests/{rid}/withdraw", {"closed_on": day()}),
        ("GET", f"/v1/matches/{mid}", None),
        ("POST", f"/v1/matches/{mid}/cancel", {"cancelled_on": day(), "cancelled_by": "guest"}),
        ("POST", "/v1/matches", {"person_identifier": "INTRUD90A01F205X", "family_id": fid,
                                 "proposed_on": day()}),
        ("POST", "/v1/stays", stay_body(mid)),
        ("GET", f"/v1/stays/{sid}", None),
        ("GET", f"/v1/stays/{sid}/visits", None),
        ("POST", f"/v1/stays/{sid}/visits",
         {"visited_on": day(), "guest_wellbeing": 3, "family_wellbeing": 3}),
        ("POST", f"/v1/stays/{sid}/end", {"ended_on": day(), "outcome": "other"}),
    ]  # fmt: skip
    for method, path, body in not_found:
        answer = await other.call(method, path, body, status=404)
        assert answer["status"] == 404, (method, path)
    for path in ("/v1/families", "/v1/requests", "/v1/matches", "/v1/stays",
                 "/v1/stays/follow-up"):  # fmt: skip
        assert (await other.get(path))["total"] == 0, path
    records = await other.get(f"/v1/persons/{request['person_ref']}/records")
    assert all(v == [] for v in records["records"].values())
    assert (await owner.get("/v1/stays/follow-up"))["total"] == 1

    stranger = {**auth_header("p99")}
    integrator = {**auth_header("p46", "integrator")}
    paths = [
        ("GET", "/v1/families"), ("GET", f"/v1/families/{fid}"), ("GET", "/v1/requests"),
        ("GET", "/v1/matches"), ("GET", "/v1/stays"), ("GET", "/v1/stays/follow-up"),
        ("GET", f"/v1/stays/{sid}/visits"), ("POST", "/v1/families"),
        ("POST", f"/v1/matches/{mid}/accept"), ("GET", f"/v1/persons/{'a' * 64}/records"),
    ]  # fmt: skip
    for method, path in paths:
        for headers, status in ((stranger, 403), (integrator, 403), ({}, 401)):
            response = await hosting.service.client.request(method, path, json={}, headers=headers)
            assert response.status_code == status, (method, path, response.text)
    assert (await owner.get(f"/v1/stays/{sid}"))["status"] == "active"


# --- bad input ---------------------------------------------------------------------------


async def test_bad_input_is_refused_clearly_and_writes_nothing(hosting: Hosting) -> None:
    api = hosting.api("p48")
    family = await api.approved_family(rooms=2)
    fid = family["family_id"]
    match = await api.propose(fid, "BADINP90A01F205X")
    await api.accept(match["match_id"])
    stay = await api.call(
        "POST", "/v1/stays", stay_body(match["match_id"]), status=201,
        events=[("stay.started", None)],
    )  # fmt: skip
    sid, mid = stay["stay_id"], match["match_id"]
    req = request_body("BADREQ90A01F205X")
    cases: list[tuple[str, str, Any, int, str]] = [
        ("POST", "/v1/families", {**family_body(), "rooms_offered": 0}, 422, "rooms_offered"),
        ("POST", "/v1/families", {**family_body(), "rooms_offered": 11}, 422, "rooms_offered"),
        ("POST", "/v1/families", {**family_body(), "municipality_code": "Milano"}, 422,
         "municipality_code"),
        ("POST", "/v1/families", {**family_body(), "languages": []}, 422, "languages"),
        ("POST", "/v1/families", {**family_body(), "languages": ["Italiano"]}, 422, "languages"),
        ("POST", "/v1/families", {**family_body(), "languages": ["it", "it"]}, 422,
         "language is listed twice"),
        ("POST", "/v1/families", {**family_body(), "applied_on": "1999-12-31"}, 422,
         "applied_on"),
        ("POST", "/v1/families", {**family_body(), "notes": "nice people"}, 422, "notes"),
        ("POST", "/v1/families",
         {**family_body(), "private": {**PRIVATE, "email": "not an address"}}, 422, "email"),
        ("POST", "/v1/families",
         {**family_body(), "private": {**PRIVATE, "phone": "call me"}}, 422, "phone"),
        ("POST", "/v1/families",
         {**family_body(), "private": {"members": [{"full_name": "A\u0000B"}]}}, 422,
         "full_name"),
        ("PATCH", f"/v1/families/{fid}", {}, 422, "at least one"),
        ("PATCH", f"/v1/families/{fid}", {"rooms_offered": 0}, 422, "rooms_offered"),
        ("POST", f"/v1/families/{fid}/assess", {"interview_on": day()}, 422, "home_visit_on"),
        ("POST", f"/v1/families/{fid}/reject", {"rejected_on": day(), "reason": "rude"}, 422,
         "reason"),
        ("POST", f"/v1/families/{fid}/withdraw", {"withdrawn_on": day()}, 409, "active stay"),
        ("POST", "/v1/families/not-a-uuid/pause", {"paused_on": day()}, 422, "family_id"),
        ("POST", f"/v1/families/{uuid.uuid4()}/pause", {"paused_on": day()}, 404, "not found"),
        ("POST", "/v1/requests", {**req, "kind": "housing"}, 422, "kind"),
        ("POST", "/v1/requests", {**req, "household_size": 0}, 422, "household_size"),
        ("POST", "/v1/requests", {**req, "person_ref": "ab" * 32}, 422, "exactly one"),
        ("POST", "/v1/requests", {**req, "person_identifier": "x"}, 422, "person_identifier"),
        ("POST", "/v1/requests", {**req, "submitted_on": "2026-02-30"}, 422, "submitted_on"),
        ("POST", "/v1/matches", {"person_identifier": "BADMAT90A01F205X", "family_id": fid},
         422, "proposed_on"),
        ("POST", "/v1/matches", {"person_identifier": "BADMAT90A01F205X", "family_id": fid,
                                 "proposed_on": day(), "request_id": str(uuid.uuid4())},
         404, "not found"),
        ("POST", f"/v1/matches/{mid}/decline", {"declined_on": day(), "declined_by": "cat"},
         422, "declined_by"),
        ("POST", f"/v1/matches/{mid}/accept", {"accepted_on": day()}, 409, "started"),
        ("POST", "/v1/stays", stay_body(mid), 409, "accepted match"),
        ("POST", "/v1/stays", {**stay_body(mid), "planned_months": 0}, 422, "planned_months"),
        ("POST", "/v1/stays", {**stay_body(mid), "monthly_contribution_eur": 5000}, 422,
         "monthly_contribution_eur"),
        ("POST", "/v1/stays", stay_body(str(uuid.uuid4())), 404, "not found"),
        ("POST", f"/v1/stays/{sid}/visits",
         {"visited_on": day(), "guest_wellbeing": 6, "family_wellbeing": 3}, 422,
         "guest_wellbeing"),
        ("POST", f"/v1/stays/{sid}/visits",
         {"visited_on": day(), "guest_wellbeing": 3, "family_wellbeing": 3,
          "flags": ["tired"]}, 422, "flags"),
        ("POST", f"/v1/stays/{sid}/visits",
         {"visited_on": day(), "guest_wellbeing": 3, "family_wellbeing": 3,
          "flags": ["health", "health"]}, 422, "twice"),
        ("POST", f"/v1/stays/{sid}/end", {"ended_on": day(), "outcome": "happy"}, 422,
         "outcome"),
        ("POST", f"/v1/stays/{sid}/end", {"ended_on": day(-40), "outcome": "other"}, 422,
         "before it started"),
        ("POST", f"/v1/stays/{sid}/extend", {"planned_months": 37}, 422, "planned_months"),
        ("GET", "/v1/families?limit=0", None, 422, "limit"),
        ("GET", "/v1/stays?status=paused", None, 422, "status"),
        ("GET", "/v1/requests?person_ref=RSSMRA80A01H501U", None, 422, "person_ref"),
        ("GET", "/v1/persons/RSSMRA80A01H501U/records", None, 422, "person_ref"),
    ]  # fmt: skip
    before = await hosting.counts()
    failures = []
    for method, path, body, status, about in cases:
        name = f"{method} {path} {json.dumps(body)[:80]}"
        response = await hosting.service.client.request(
            method, path, json=body, headers=api.headers
        )
        answer = response.json()
        if response.status_code != status:
            failures.append(f"{name}: {response.status_code} (expected {status}) {answer}")
        elif response.headers["content-type"] != "application/problem+json":
            failures.append(f"{name}: content type {response.headers['content-type']}")
        elif answer.get("status") != status or not answer.get("detail"):
            failures.append(f"{name}: not a problem document: {answer}")
        elif about.lower() not in response.text.lower():
            failures.append(f"{name}: answer does not mention {about!r}: {answer}")
        if "BADREQ90A01F205X" in response.text or "BADMAT90A01F205X" in response.text:
            failures.append(f"{name}: the answer repeats a person identifier")
        if await hosting.counts() != before:
            failures.append(f"{name}: something was written")
            before = await hosting.counts()
    assert not failures, "\n".join(failures)
    assert (await api.get(f"/v1/stays/{sid}"))["status"] == "active"


async def test_every_endpoint_of_the_openapi_document_is_isolated(hosting: Hosting) -> None:
    """Every route the app declares (nothing hand-picked: a new route without a sample
    fails here) is called by another partner's staff with the owner's ids: 404 for the
    owner's resources, empty lists, nothing of the owner's in any answer; a stranger
    partner and a non-staff role get 403, no token 401; the owner's data is unchanged."""
    owner = hosting.api("p46")
    family = await owner.approved_family(rooms=2)
    fid = family["family_id"]
    request = await owner.call(
        "POST", "/v1/requests", request_body("OPENAP90A01F205X"), status=201,
        events=[("request.submitted", None)],
    )  # fmt: skip
    match = await owner.propose(fid, "OPENAP90A01F205X", request_id=request["request_id"])
    await owner.accept(match["match_id"])
    stay = await owner.call(
        "POST", "/v1/stays", stay_body(match["match_id"]), status=201,
        events=[("stay.started", None), ("request.satisfied", request["request_id"])],
    )  # fmt: skip
    ids_of = {
        "family_id": fid,
        "request_id": request["request_id"],
        "match_id": match["match_id"],
        "stay_id": stay["stay_id"],
        "person_ref": request["person_ref"],
    }
    samples: dict[tuple[str, str], Any] = {
        ("POST", "/v1/families"): family_body(),
        ("GET", "/v1/families"): None,
        ("GET", "/v1/families/{family_id}"): None,
        ("PATCH", "/v1/families/{family_id}"): {"rooms_offered": 3},
        ("POST", "/v1/families/{family_id}/assess"):
            {"interview_on": day(), "home_visit_on": day()},
        ("POST", "/v1/families/{family_id}/approve"): {"approved_on": day()},
        ("POST", "/v1/families/{family_id}/reject"):
            {"rejected_on": day(), "reason": "other"},
        ("POST", "/v1/families/{family_id}/pause"): {"paused_on": day()},
        ("POST", "/v1/families/{family_id}/resume"): {"resumed_on": day()},
        ("POST", "/v1/families/{family_id}/withdraw"): {"withdrawn_on": day()},
        ("POST", "/v1/requests"): request_body("NEIGHB90A01F205X"),
        ("GET", "/v1/requests"): None,
        ("GET", "/v1/requests/{request_id}"): None,
        ("POST", "/v1/requests/{request_id}/satisfy"): {"closed_on": day()},
        ("POST", "/v1/requests/{request_id}/unsatisfied"):
            {"closed_on": day(), "reason": "other"},
        ("POST", "/v1/requests/{request_id}/withdraw"): {"closed_on": day()},
        ("POST", "/v1/matches"): {"person_ref": request["person_ref"], "family_id": fid,
                                  "request_id": request["request_id"], "proposed_on": day()},
        ("GET", "/v1/matches"): None,
        ("GET", "/v1/matches/{match_id}"): None,
        ("POST", "/v1/matches/{match_id}/accept"): {"accepted_on": day()},
        ("POST", "/v1/matches/{match_id}/decline"):
            {"declined_on": day(), "declined_by": "partner"},
        ("POST", "/v1/matches/{match_id}/cancel"):
            {"cancelled_on": day(), "cancelled_by": "partner"},
        ("POST", "/v1/stays"): stay_body(match["match_id"]),
        ("GET", "/v1/stays"): None,
        ("GET", "/v1/stays/follow-up"): None,
        ("GET", "/v1/stays/{stay_id}"): None,
        ("POST", "/v1/stays/{stay_id}/extend"): {"planned_months": 9},
        ("POST", "/v1/stays/{stay_id}/end"): {"ended_on": day(), "outcome": "other"},
        ("POST", "/v1/stays/{stay_id}/visits"):
            {"visited_on": day(), "guest_wellbeing": 1, "family_wellbeing": 1},
        ("GET", "/v1/stays/{stay_id}/visits"): None,
        ("GET", "/v1/persons/{person_ref}/records"): None,
    }  # fmt: skip
    document = hosting.service.app.openapi()
    routes = {
        (method.upper(), path)
        for path, operations in document["paths"].items()
        for method in operations
        if path.startswith("/v1/") and not path.startswith("/v1/imports")
    }  # the coordinator's imports: their isolation is tests/test_imports.py's
    assert routes == set(samples), "a route without a sample, or a sample without a route"

    async def owner_view() -> list[Any]:
        return [
            await owner.get(f"/v1/families/{fid}"),
            await owner.get(f"/v1/requests/{request['request_id']}"),
            await owner.get(f"/v1/matches/{match['match_id']}"),
            await owner.get(f"/v1/stays/{stay['stay_id']}"),
            await owner.get(f"/v1/stays/{stay['stay_id']}/visits"),
        ]

    before = await owner_view()
    neighbour = hosting.api("p47")
    secrets = [*ids_of.values(), "Giulia Bianchi"]
    for (method, template), body in sorted(samples.items()):
        path = template.format(**ids_of)
        params = {k: ids_of[k] for k in ("family_id", "person_ref") if method == "GET"}
        response = await hosting.service.client.request(
            method, path, json=body, headers=neighbour.headers,
            params=params if "{" not in template and method == "GET" else None,
        )  # fmt: skip
        creates_own = (method, template) in {("POST", "/v1/families"), ("POST", "/v1/requests")}
        if template.endswith("/records"):
            expected = 200  # the person's file: never 404, empty for another partner
        elif "{" in template or (method == "POST" and not creates_own):
            expected = 404  # the owner's resource, or a body naming one
        elif method == "GET":
            expected = 200
        else:
            expected = 201  # the neighbour's own new family or request
        assert response.status_code == expected, (method, path, response.text)
        if template.endswith("/records"):
            assert all(v == [] for v in response.json()["records"].values())
        elif method == "GET" and expected == 200:
            assert response.json()["total"] == 0, (method, path)
        if expected != 201:
            sent = path + json.dumps(body) + json.dumps(params)
            for secret in secrets:
                if secret not in sent:  # an answer may name what was asked, nothing more
                    assert secret not in response.text, (method, path, secret)
        for headers, status in (
            (auth_header("p99"), 403),
            (auth_header("p46", "integrator"), 403),
            (auth_header("p46", "consortium_analyst"), 403),
            ({}, 401),
        ):
            denied = await hosting.service.client.request(method, path, json=body, headers=headers)
            assert denied.status_code == status, (method, path, status, denied.text)
    assert await owner_view() == before


async def test_concurrent_starts_from_one_match_make_one_stay(hosting: Hosting) -> None:
    api = hosting.api("p45")
    family = await api.approved_family(rooms=1)
    match = await api.propose(family["family_id"], "DOUBLE90A01F205X")
    await api.accept(match["match_id"])
    since = await hosting.db.fetchval("SELECT max(id) FROM outbox")
    responses = await asyncio.gather(
        *(
            hosting.service.client.post(
                "/v1/stays",
                json=stay_body(match["match_id"], stay_id=str(uuid.uuid4())),
                headers=api.headers,
            )
            for _ in range(5)
        )
    )
    assert sorted(r.status_code for r in responses) == [201] + [409] * 4, [
        r.text for r in responses
    ]
    assert all(r.json()["code"] == "invalid_transition" for r in responses if r.status_code == 409)
    winner = next(r.json() for r in responses if r.status_code == 201)
    await api.check_events(since, [("stay.started", winner["stay_id"])], winner)
    stays = await hosting.db.fetchval(
        "SELECT count(*) FROM hosting_stays WHERE match_id = $1", uuid.UUID(match["match_id"])
    )
    assert stays == 1
    assert (await api.get(f"/v1/families/{family['family_id']}"))["free_rooms"] == 0

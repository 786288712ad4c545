"""A partner joins with its family-hosting history: records reach the API out of date order
(the families' sheet first, then the matches and stays of years before) and each rule is
judged on the dates the records concern, not on today. Real PostgreSQL; every command's
outbox rows are checked as in :mod:`tests.test_hosting_api` (a refusal appends nothing)."""

from __future__ import annotations

from typing import Any

from tests.test_hosting_api import Api, Hosting, day, hosting, stay_body

__all__ = ["hosting"]  # the module's service, a fixture of its own here

ENDED = {"outcome": "completed_with_autonomy"}


async def matched(api: Api, family_id: str, identifier: str, on: str) -> str:
    """A match proposed and accepted on ``on``; its id."""
    match = await api.propose(family_id, identifier, proposed_on=on)
    await api.call(
        "POST", f"/v1/matches/{match['match_id']}/accept", {"accepted_on": on}, status=200,
        events=[("match.accepted", match["match_id"])],
    )  # fmt: skip
    return str(match["match_id"])


async def refused_match(
    api: Api, family_id: str, identifier: str, on: str, status: int = 409
) -> dict[str, Any]:
    """A proposal on ``on`` the family refuses (the problem answered)."""
    body = {"person_identifier": identifier, "family_id": family_id, "proposed_on": on}
    problem: dict[str, Any] = await api.call("POST", "/v1/matches", body, status=status)
    return problem


async def past_stay(api: Api, match_id: str, start: str, end: str) -> dict[str, Any]:
    return await api.call(
        "POST", "/v1/stays", stay_body(match_id, started_on=start, ended_on=end, **ENDED),
        status=201, events=[("stay.started", None), ("stay.ended", None)],
    )  # fmt: skip


async def test_a_family_that_withdrew_takes_the_history_of_before(hosting: Hosting) -> None:
    """The withdrawal is refused while a stay covers its day, named with its dates; once
    that stay ended, the family withdraws 10 days ago, and a match and a stay of before
    are recorded afterwards; a match on the withdrawal's day, or a stay running past it,
    is refused naming it."""
    api = hosting.api("p40")
    family = await api.approved_family(rooms=3)  # approved 70 days ago
    fid = family["family_id"]
    guest = await matched(api, fid, "HSTRYA90A01F205X", day(-60))
    stay = await api.call(
        "POST", "/v1/stays", stay_body(guest, started_on=day(-60)), status=201,
        events=[("stay.started", None)],
    )  # fmt: skip
    busy = await api.call(
        "POST", f"/v1/families/{fid}/withdraw", {"withdrawn_on": day(-10)}, status=409
    )
    assert f"active stay {stay['stay_id']} from {day(-60)}" in busy["detail"], busy
    await api.call(
        "POST", f"/v1/stays/{stay['stay_id']}/end", {"ended_on": day(-10), **ENDED},
        status=200, events=[("stay.ended", stay["stay_id"])],
    )  # fmt: skip
    gone = await api.call(
        "POST", f"/v1/families/{fid}/withdraw", {"withdrawn_on": day(-10)}, status=200,
        events=[("family.withdrawn", fid)],
    )  # fmt: skip
    assert gone["availability"] == "withdrawn"

    before = await matched(api, fid, "HSTRYB90A01F205X", day(-50))
    recorded = await past_stay(api, before, day(-50), day(-15))
    assert (recorded["status"], recorded["ended_on"]) == ("ended", day(-15))

    late = await refused_match(api, fid, "HSTRYC90A01F205X", day(-10))
    assert late["code"] == "family_not_available"
    assert f"withdrew on {day(-10)}" in late["detail"], late
    running = await matched(api, fid, "HSTRYD90A01F205X", day(-40))
    past_it = stay_body(running, started_on=day(-40), ended_on=day(-5), **ENDED)
    refused = await api.call("POST", "/v1/stays", past_it, status=409)
    assert f"withdrew on {day(-10)}" in refused["detail"], refused


async def test_matches_and_rooms_judged_on_their_own_days(hosting: Hosting) -> None:
    """One room, promised from 30 days ago by a waiting match: a match of 60 days ago and
    its stay, ended the day the promise began, are recorded afterwards; a match before the
    approval is refused naming it; fewer rooms are refused by the busiest day of the past."""
    api = hosting.api("p41")
    family = await api.approved_family(rooms=1)
    fid = family["family_id"]
    waiting = await matched(api, fid, "ORDERA90A01F205X", day(-30))
    earlier = await matched(api, fid, "ORDERB90A01F205X", day(-60))
    await past_stay(api, earlier, day(-60), day(-30))
    full = await refused_match(api, fid, "ORDERC90A01F205X", day(-30))
    assert f"accepted match {waiting} waiting from {day(-30)}" in full["detail"], full
    too_soon = await refused_match(api, fid, "ORDERC90A01F205X", day(-71), status=422)
    assert f"approval on {day(-70)}" in too_soon["detail"], too_soon

    two = await api.approved_family(rooms=2)
    tid = two["family_id"]
    one = await past_stay(api, await matched(api, tid, "ORDERD90A01F205X", day(-50)),
                          day(-50), day(-20))  # fmt: skip
    await past_stay(api, await matched(api, tid, "ORDERE90A01F205X", day(-40)),
                    day(-40), day(-30))  # fmt: skip
    fewer = await api.call("PATCH", f"/v1/families/{tid}", {"rooms_offered": 1}, status=409)
    assert fewer["code"] == "capacity_exceeded"
    assert f"taken or promised on {day(-40)}" in fewer["detail"], fewer
    assert f"stay {one['stay_id']} from {day(-50)} to {day(-20)}" in fewer["detail"]

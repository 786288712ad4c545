"""Family hosting: families applying and vetted, family requests (support and hosting),
matches, stays with their monthly visits."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from franoi_network.demo.plan import Occupancy, PartnerPlanner, Person

SUPPORT_REQUESTS_A_MONTH = 30.0
"""Seed 001: 1,298 requests for the family in three years (35% satisfied)."""
HOSTING_REQUESTS_A_MONTH = 1.2
SUPPORT = {"childcare": 30, "care_duties": 20, "school_support": 30, "parenting_support": 20}
STAY_OUTCOMES = {
    "completed_with_autonomy": 55,
    "completed_otherwise": 25,
    "interrupted_by_family": 8,
    "interrupted_by_guest": 8,
    "other": 4,
}


@dataclass
class Family:
    family_id: str
    rooms: Occupancy

    @property
    def approved_on(self) -> dt.date:
        return self.rooms.offered_from


def _families(pl: PartnerPlanner) -> list[Family]:
    families = []
    for month in pl.months():
        for _ in range(
            pl.how_many(0.6, month) + (2 if month == pl.first_day.replace(day=1) else 0)
        ):
            applied = pl.day_in(month)
            family_id, rooms = pl.uuid(), pl.pick({"1": 70, "2": 30})
            pl.call(
                applied,
                "hosting",
                "/v1/families",
                {
                    "family_id": family_id,
                    "municipality_code": pl.rng.choice(pl.places),
                    "rooms_offered": int(rooms),
                    "household_size": pl.rng.randint(2, 5),
                    "languages": pl.rng.sample(["it", "en", "fr", "es", "ar"], k=2),
                    "applied_on": applied.isoformat(),
                },
            )
            assessed = pl.later(applied, 10, 25)
            if not pl.within(assessed):
                continue
            pl.call(
                assessed,
                "hosting",
                f"/v1/families/{family_id}/assess",
                {"interview_on": assessed.isoformat(), "home_visit_on": assessed.isoformat()},
            )
            decided = pl.later(assessed, 7, 20)
            if not pl.within(decided):
                continue
            if pl.chance(0.2):
                pl.call(
                    decided,
                    "hosting",
                    f"/v1/families/{family_id}/reject",
                    {
                        "rejected_on": decided.isoformat(),
                        "reason": pl.pick(
                            {"home_unsuitable": 40, "availability_insufficient": 40, "other": 20}
                        ),
                    },
                )
                continue
            pl.call(
                decided,
                "hosting",
                f"/v1/families/{family_id}/approve",
                {"approved_on": decided.isoformat()},
            )
            families.append(Family(family_id, Occupancy(int(rooms), decided)))
    return families


def plan(pl: PartnerPlanner) -> None:
    families = _families(pl)
    for month in pl.months():
        for _ in range(pl.how_many(SUPPORT_REQUESTS_A_MONTH, month)):
            _support_request(pl, pl.day_in(month))
        for _ in range(pl.how_many(HOSTING_REQUESTS_A_MONTH, month)):
            _hosting_request(pl, pl.day_in(month), families)


def _submit(pl: PartnerPlanner, day: dt.date, kind: str, person: Person) -> str:
    request_id = pl.uuid()
    body: dict[str, object] = {
        "request_id": request_id,
        "kind": kind,
        "household_size": pl.rng.randint(1, 5),
        "submitted_on": day.isoformat(),
        "person_identifier": person.identifier,
        **person.demographics(),
    }
    pl.call(day, "hosting", "/v1/requests", body)
    pl.tally["hosting_requests_submitted"] += 1
    return request_id


def _support_request(pl: PartnerPlanner, day: dt.date) -> None:
    kind = pl.pick({k: float(v) for k, v in SUPPORT.items()})
    busy = f"family_request_{kind}"
    person = pl.person_for(day, free_of=(busy,))
    if person is None:
        return
    request_id = _submit(pl, day, kind, person)
    closed = pl.later(day, 5, 60)
    if person is not None:
        person.busy_until[busy] = closed if pl.within(closed) else dt.date.max
    if not pl.within(closed):
        return
    decision = pl.pick({"satisfy": 35, "unsatisfied": 55, "withdraw": 10})
    if decision == "satisfy":
        pl.call(
            closed,
            "hosting",
            f"/v1/requests/{request_id}/satisfy",
            {"closed_on": closed.isoformat()},
        )
        pl.tally["hosting_requests_satisfied"] += 1
        pl.tally["hosting_requests_decided"] += 1
    elif decision == "unsatisfied":
        reason = pl.pick(
            {
                "no_service_available": 50,
                "no_family_available": 20,
                "not_eligible": 15,
                "lost_contact": 15,
            }
        )
        pl.call(
            closed,
            "hosting",
            f"/v1/requests/{request_id}/unsatisfied",
            {"closed_on": closed.isoformat(), "reason": reason},
        )
        pl.tally["hosting_requests_decided"] += 1
    else:
        pl.call(
            closed,
            "hosting",
            f"/v1/requests/{request_id}/withdraw",
            {"closed_on": closed.isoformat()},
        )


def _hosting_request(pl: PartnerPlanner, day: dt.date, families: list[Family]) -> None:
    person = pl.person_for(day, free_of=("stay", "family_request_hosting"))
    if person is None:
        return
    request_id = _submit(pl, day, "hosting", person)
    proposed = pl.later(day, 5, 30)
    accepted = pl.later(proposed, 3, 10)
    started = pl.later(accepted, 5, 15)
    months = pl.rng.randint(3, 9)
    ended: dt.date | None = started + dt.timedelta(days=30 * months + pl.rng.randint(-10, 10))
    if ended is not None and not pl.within(ended):
        ended = None
    family = next(
        (
            f
            for f in pl.rng.sample(families, len(families))
            if f.approved_on <= proposed and f.rooms.fits(1, accepted, ended)
        ),
        None,
    )
    if family is None or not pl.within(started):
        closed = pl.later(day, 60, 90)
        person.busy_until["family_request_hosting"] = closed if pl.within(closed) else dt.date.max
        if pl.within(closed):
            pl.call(
                closed,
                "hosting",
                f"/v1/requests/{request_id}/unsatisfied",
                {"closed_on": closed.isoformat(), "reason": "no_family_available"},
            )
            pl.tally["hosting_requests_decided"] += 1
        return
    family.rooms.take(1, accepted, ended)
    person.busy_until["stay"] = ended or dt.date.max
    person.busy_until["family_request_hosting"] = started
    match_id, stay_id = pl.uuid(), pl.uuid()
    pl.call(
        proposed,
        "hosting",
        "/v1/matches",
        {
            "match_id": match_id,
            "family_id": family.family_id,
            "request_id": request_id,
            "person_identifier": person.identifier,
            "proposed_on": proposed.isoformat(),
        },
    )
    pl.call(
        accepted, "hosting", f"/v1/matches/{match_id}/accept", {"accepted_on": accepted.isoformat()}
    )
    pl.call(
        started,
        "hosting",
        "/v1/stays",
        {
            "stay_id": stay_id,
            "match_id": match_id,
            "started_on": started.isoformat(),
            "planned_months": months,
            "monthly_contribution_eur": pl.rng.choice((0, 50, 100, 150)),
            **person.demographics(),
        },
    )
    pl.tally["hosting_stays_started"] += 1
    pl.tally["hosting_requests_satisfied"] += 1
    pl.tally["hosting_requests_decided"] += 1
    visit = started + dt.timedelta(days=pl.rng.randint(20, 35))
    while pl.within(visit) and (ended is None or visit < ended):
        pl.call(
            visit,
            "hosting",
            f"/v1/stays/{stay_id}/visits",
            {
                "visit_id": pl.uuid(),
                "visited_on": visit.isoformat(),
                "guest_wellbeing": int(pl.pick({"3": 20, "4": 50, "5": 30})),
                "family_wellbeing": pl.rng.randint(3, 5),
            },
        )
        visit += dt.timedelta(days=pl.rng.randint(25, 40))
    if ended is not None:
        pl.call(
            ended,
            "hosting",
            f"/v1/stays/{stay_id}/end",
            {
                "ended_on": ended.isoformat(),
                "outcome": pl.pick({k: float(v) for k, v in STAY_OUTCOMES.items()}),
            },
            frees=True,
        )

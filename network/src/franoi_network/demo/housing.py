"""Housing: agreements and units, requests, placements over the units' beds, exits."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from franoi_network.demo.plan import Occupancy, PartnerPlanner, Person

REQUESTS_A_MONTH = 7.0
"""Seed 001: 253 requests for transitional housing in three years."""
HOUSEHOLDS = {"1": 50, "2": 20, "3": 15, "4": 10, "5": 5}
NEEDS = {
    "exit_from_reception": 60,
    "eviction_risk": 10,
    "overcrowding": 10,
    "homeless": 15,
    "other": 5,
}
EXITS = {
    "autonomous_rent": 35,
    "public_housing": 10,
    "other_project": 20,
    "back_to_reception": 10,
    "unknown": 25,
}
PROVIDERS = {"private_owner": 40, "estate_agency_agreement": 30, "partner_owned": 20, "public": 10}
REGIMES = {"agreed": 50, "market": 15, "social": 25, "free": 10}


@dataclass
class Unit:
    unit_id: str
    beds: Occupancy


def _units(pl: PartnerPlanner) -> list[Unit]:
    agreements = []
    for kind in ("estate_agency", "private_owner"):
        agreement_id, signed = pl.uuid(), pl.later(pl.first_day, 0, 20)
        agreements.append(agreement_id)
        pl.call(
            signed,
            "housing",
            "/v1/agreements",
            {
                "agreement_id": agreement_id,
                "counterpart_kind": kind,
                "signed_on": signed.isoformat(),
                "units_pledged": pl.rng.randint(3, 10),
            },
        )
    units = []
    count = max(3, round(8 * pl.weight))
    for i in range(count + len(list(pl.months())) // 6):
        early = i < count
        available = pl.later(pl.first_day, 25, 90) if early else pl.later(pl.first_day, 120, 1000)
        if not pl.within(available):
            continue
        provider = pl.pick({k: float(v) for k, v in PROVIDERS.items()})
        regime = pl.pick({k: float(v) for k, v in REGIMES.items()})
        unit = Unit(pl.uuid(), Occupancy(pl.rng.choice((2, 3, 4, 4, 5, 6)), available))
        body: dict[str, object] = {
            "unit_id": unit.unit_id,
            "municipality_code": pl.rng.choice(pl.places),
            "beds": unit.beds.capacity,
            "monthly_rent_eur": 0 if regime == "free" else pl.rng.randint(35, 90) * 10,
            "rent_regime": regime,
            "provider": provider,
            "available_from": available.isoformat(),
        }
        if provider == "estate_agency_agreement":
            body["agreement_id"] = agreements[0]
        pl.call(available - dt.timedelta(days=10), "housing", "/v1/units", body)
        units.append(unit)
        pl.tally["housing_units_available"] += 1
    # A correction: the rent of a unit renegotiated a year in.
    renegotiated = pl.first_day + dt.timedelta(days=380)
    if units and pl.within(renegotiated):
        pl.call(
            renegotiated,
            "housing",
            f"/v1/units/{units[0].unit_id}",
            {"monthly_rent_eur": 480, "rent_regime": "agreed"},
            method="PATCH",
        )
    return units


def plan(pl: PartnerPlanner) -> None:
    units = _units(pl)
    for month in pl.months():
        for _ in range(pl.how_many(REQUESTS_A_MONTH, month)):
            submitted = pl.day_in(month)
            person = pl.person_for(submitted, free_of=("housing_request", "placement"))
            if person is None:
                continue
            household = int(pl.pick({k: float(v) for k, v in HOUSEHOLDS.items()}))
            request_id = pl.uuid()
            pl.call(
                submitted,
                "housing",
                "/v1/requests",
                {
                    "request_id": request_id,
                    "person_identifier": person.identifier,
                    "household_size": household,
                    "submitted_on": submitted.isoformat(),
                    "need": pl.pick({k: float(v) for k, v in NEEDS.items()}),
                    **person.demographics(),
                },
            )
            pl.tally["housing_requests_submitted"] += 1
            start = pl.later(submitted, 7, 45)
            months = pl.rng.randint(4, 14)
            planned_end = start + dt.timedelta(days=30 * months)
            extended = pl.chance(0.15)
            end: dt.date | None = planned_end + dt.timedelta(days=60 if extended else 0)
            if end is not None and not pl.within(end):
                end = None
            unit = next(
                (u for u in pl.rng.sample(units, len(units)) if u.beds.fits(household, start, end)),
                None,
            )
            if unit is not None and pl.within(start) and pl.chance(0.85):
                _place(pl, unit, person, request_id, household, start, planned_end, end, extended)
                continue
            closed = pl.later(submitted, 60, 120)
            person.busy_until["housing_request"] = closed
            if not pl.within(closed):
                person.busy_until["housing_request"] = dt.date.max
                continue
            if pl.chance(0.8):
                reason = pl.pick(
                    {"no_unit_available": 70, "household_not_eligible": 15, "lost_contact": 15}
                )
                pl.call(
                    closed,
                    "housing",
                    f"/v1/requests/{request_id}/unsatisfied",
                    {"closed_on": closed.isoformat(), "reason": reason},
                )
                pl.tally["housing_requests_unsatisfied"] += 1
                pl.tally["housing_requests_decided"] += 1
            else:
                pl.call(
                    closed,
                    "housing",
                    f"/v1/requests/{request_id}/withdraw",
                    {"closed_on": closed.isoformat()},
                )


def _place(
    pl: PartnerPlanner,
    unit: Unit,
    person: Person,
    request_id: str,
    household: int,
    start: dt.date,
    planned_end: dt.date,
    end: dt.date | None,
    extended: bool,
) -> None:
    placement_id = pl.uuid()
    unit.beds.take(household, start, end)
    person.busy_until["placement"] = end or dt.date.max
    person.busy_until["housing_request"] = start
    pl.call(
        start,
        "housing",
        "/v1/placements",
        {
            "placement_id": placement_id,
            "unit_id": unit.unit_id,
            "request_id": request_id,
            "person_identifier": person.identifier,
            "household_size": household,
            "started_on": start.isoformat(),
            "planned_end_on": planned_end.isoformat(),
            **person.demographics(),
        },
    )
    pl.tally["housing_requests_satisfied"] += 1
    pl.tally["housing_requests_decided"] += 1
    pl.tally["housing_persons_housed"] += household
    if extended:
        midway = start + (planned_end - start) / 2
        if pl.within(midway):
            pl.call(
                midway,
                "housing",
                f"/v1/placements/{placement_id}/extend",
                {"planned_end_on": (planned_end + dt.timedelta(days=60)).isoformat()},
            )
    if end is None:
        return
    outcome = pl.pick({k: float(v) for k, v in EXITS.items()})
    pl.call(
        end,
        "housing",
        f"/v1/placements/{placement_id}/end",
        {"ended_on": end.isoformat(), "exit_outcome": outcome},
        frees=True,
    )
    if outcome in ("autonomous_rent", "public_housing"):
        pl.tally["housing_exits_to_autonomy"] += 1
    if outcome == "autonomous_rent":
        pl.tally["housing_leases_signed"] += 1
    if outcome in ("autonomous_rent", "public_housing"):
        _back_in_reception(pl, person, end)


RETURNS = 2
"""Per partner, the first exits to autonomy followed for a year end with the person asking
for housing again on leaving reception (the journeys' return rate is not zero)."""


def _back_in_reception(pl: PartnerPlanner, person: Person, exited: dt.date) -> None:
    returned = pl.later(exited, 60, 300)
    closed = pl.later(returned, 30, 60)
    followed_for_a_year = pl.within(exited + dt.timedelta(days=366))
    if pl.made["returns"] >= RETURNS or not followed_for_a_year or not pl.within(closed):
        return
    pl.made["returns"] += 1
    request_id = pl.uuid()
    person.busy_until["housing_request"] = closed
    person.busy_until["placement"] = closed
    pl.call(
        returned,
        "housing",
        "/v1/requests",
        {
            "request_id": request_id,
            "person_identifier": person.identifier,
            "household_size": 1,
            "submitted_on": returned.isoformat(),
            "need": "exit_from_reception",
            **person.demographics(),
        },
    )
    pl.call(
        closed,
        "housing",
        f"/v1/requests/{request_id}/unsatisfied",
        {"closed_on": closed.isoformat(), "reason": "no_unit_available"},
    )
    pl.tally["housing_requests_submitted"] += 1
    pl.tally["housing_requests_unsatisfied"] += 1
    pl.tally["housing_requests_decided"] += 1

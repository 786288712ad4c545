"""Housing's records: agreements, units, requests and placements."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from franoi_contracts.housing import (
    CounterpartKind,
    ExitOutcome,
    HousingNeed,
    RentRegime,
    UnitProvider,
    UnsatisfiedReason,
)

from franoi_benchmarks.desk.partner import PARTNER
from franoi_benchmarks.desk.records.draw import (
    MUNICIPALITIES,
    Records,
    Rows,
    picker,
    values,
)


def housing_records(r: Records, n: dict[str, int]) -> dict[str, Rows]:
    """Agreements and units; placements (each person's latest may still be active), most
    from a satisfied request; the other requests open, unsatisfied or withdrawn."""
    rnd = r.rnd
    agreements = Rows(
        ("agreement_id", "partner_id", "counterpart_kind", "counterpart_name", "signed_on",
         "valid_until", "units_pledged", "ended_on", "created_at")
    )  # fmt: skip
    for i in range(n["agreements"]):
        signed = r.any_day(8)
        agreements.rows.append(
            (uuid.uuid4(), PARTNER, rnd.choice(values(CounterpartKind)), f"Agenzia {i}", signed,
             signed + dt.timedelta(days=1095), rnd.randint(1, 20), None, r.stamp(signed))
        )  # fmt: skip
    units = Rows(
        ("unit_id", "partner_id", "municipality_code", "beds", "monthly_rent_eur",
         "rent_regime", "provider", "agreement_id", "available_from", "withdrawn_on",
         "created_at")
    )  # fmt: skip
    for _ in range(n["housing_units"]):
        since = r.any_day(6)
        agreement = rnd.choice(agreements.rows)[0] if rnd.random() < 0.6 else None
        units.rows.append(
            (uuid.uuid4(), PARTNER, rnd.choice(MUNICIPALITIES), rnd.randint(1, 6),
             rnd.randint(250, 900), rnd.choice(values(RentRegime)),
             rnd.choice(values(UnitProvider)), agreement, since, None, r.stamp(since))
        )  # fmt: skip
    placements: list[list[Any]] = []
    requests = Rows(
        ("request_id", "partner_id", "person_ref", "household_size", "need", "submitted_on",
         "sex", "age_band", "protection_status", "status", "closed_on", "placement_id",
         "unsatisfied_reason", "created_at")
    )  # fmt: skip
    household = picker((1, 1, 1, 2, 2, 3, 4, 5))
    for _ in range(n["placements"]):
        p = r.pick()
        started = r.day(p, p.since + dt.timedelta(days=20))
        size = household(rnd)
        placement_id = uuid.uuid4()
        request_id = None
        if rnd.random() < 0.7 and len(requests.rows) < n["housing_requests"]:
            request_id = uuid.uuid4()
            submitted = max(p.since, started - dt.timedelta(days=rnd.randint(5, 90)))
            requests.rows.append(
                (request_id, PARTNER, p.ref, size, rnd.choice(values(HousingNeed)), submitted,
                 *r.coarse(p, submitted), "satisfied", started, placement_id, None,
                 r.stamp(submitted))
            )  # fmt: skip
        placements.append(
            [placement_id, PARTNER, rnd.choice(units.rows)[0], request_id, p.ref, size, started,
             started + dt.timedelta(days=365), *r.coarse(p, started), "ended", None, None,
             r.stamp(started)]
        )  # fmt: skip
    r.end_all_but_the_latest(placements, person=4, day=6, status=11, days=(30, 540),
                             outcomes=values(ExitOutcome))  # fmt: skip
    while len(requests.rows) < n["housing_requests"]:
        p = r.pick()
        submitted = r.day(p)
        status = rnd.choices(("open", "unsatisfied", "withdrawn"), (0.08, 0.52, 0.40))[0]
        requests.rows.append(
            (uuid.uuid4(), PARTNER, p.ref, household(rnd), rnd.choice(values(HousingNeed)),
             submitted, *r.coarse(p, submitted), status,
             None if status == "open" else r.after(submitted, 10, 180), None,
             rnd.choice(values(UnsatisfiedReason)) if status == "unsatisfied" else None,
             r.stamp(submitted))
        )  # fmt: skip
    placement_rows = Rows(
        ("placement_id", "partner_id", "unit_id", "request_id", "person_ref", "household_size",
         "started_on", "planned_end_on", "sex", "age_band", "protection_status", "status",
         "ended_on", "exit_outcome", "created_at"),
        [tuple(p) for p in placements],
    )  # fmt: skip
    return {
        "agreements": agreements,
        "housing_units": units,
        "housing_requests": requests,
        "placements": placement_rows,
    }

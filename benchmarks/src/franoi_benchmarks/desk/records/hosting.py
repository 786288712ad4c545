"""Family hosting's records: host families, requests, matches, stays and visits."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from franoi_contracts.hosting import (
    DecidedBy,
    FamilyRejectionReason,
    FamilyRequestKind,
    StayOutcome,
    VisitFlag,
)
from franoi_contracts.hosting import UnsatisfiedReason as FamilyUnsatisfied

from franoi_benchmarks.desk.partner import PARTNER, TODAY
from franoi_benchmarks.desk.records.draw import (
    MUNICIPALITIES,
    Records,
    Rows,
    values,
)


def hosting_records(r: Records, n: dict[str, int]) -> dict[str, Rows]:
    """Host families (most approved); stays, each from a started match and most from a
    request (each person's latest stay may be active), with monitoring visits; the other
    matches and requests."""
    rnd = r.rnd
    families = Rows(
        ("family_id", "partner_id", "municipality_code", "rooms_offered", "household_size",
         "languages", "applied_on", "vetting", "availability", "interview_on",
         "home_visit_on", "approved_on", "rejected_on", "rejection_reason", "created_at")
    )  # fmt: skip
    approved = []
    for _ in range(n["host_families"]):
        applied = r.any_day(6)
        vetting = rnd.choices(("approved", "applied", "rejected"), (0.8, 0.1, 0.1))[0]
        family_id = uuid.uuid4()
        if vetting == "approved":
            approved.append(family_id)
        later = applied + dt.timedelta(days=30)
        families.rows.append(
            (family_id, PARTNER, rnd.choice(MUNICIPALITIES), rnd.randint(1, 2),
             rnd.randint(1, 5), ["it", "en"], applied, vetting,
             "active" if vetting == "approved" else None,
             later if vetting != "applied" else None, later if vetting != "applied" else None,
             later if vetting == "approved" else None, later if vetting == "rejected" else None,
             rnd.choice(values(FamilyRejectionReason)) if vetting == "rejected" else None,
             r.stamp(applied))
        )  # fmt: skip
    approved = approved or [families.rows[0][0]]
    requests = Rows(
        ("request_id", "partner_id", "person_ref", "kind", "household_size", "submitted_on",
         "sex", "age_band", "protection_status", "status", "closed_on", "stay_id",
         "unsatisfied_reason", "created_at")
    )  # fmt: skip
    matches = Rows(
        ("match_id", "partner_id", "family_id", "person_ref", "proposed_on", "request_id",
         "status", "accepted_on", "declined_on", "declined_by", "cancelled_on",
         "cancelled_by", "stay_id", "created_at")
    )  # fmt: skip
    stays: list[list[Any]] = []
    for _ in range(n["hosting_stays"]):
        p = r.pick()
        started = r.day(p, p.since + dt.timedelta(days=30))
        proposed = started - dt.timedelta(days=rnd.randint(10, 30))
        family, stay_id, match_id = rnd.choice(approved), uuid.uuid4(), uuid.uuid4()
        request_id = None
        if rnd.random() < 0.6 and len(requests.rows) < n["family_requests"]:
            request_id = uuid.uuid4()
            submitted = proposed - dt.timedelta(days=rnd.randint(5, 60))
            requests.rows.append(
                (request_id, PARTNER, p.ref, "hosting", 1, submitted, *r.coarse(p, submitted),
                 "satisfied", started, stay_id, None, r.stamp(submitted))
            )  # fmt: skip
        matches.rows.append(
            (match_id, PARTNER, family, p.ref, proposed, request_id, "started",
             proposed + dt.timedelta(days=5), None, None, None, None, stay_id,
             r.stamp(proposed))
        )  # fmt: skip
        months = rnd.choice((3, 6, 9, 12))
        stays.append(
            [stay_id, PARTNER, match_id, family, p.ref, request_id, started, months,
             started + dt.timedelta(days=30 * months), rnd.choice((0, 100, 200, 300)),
             *r.coarse(p, started), "ended", None, None, None, r.stamp(started)]
        )  # fmt: skip
    r.end_all_but_the_latest(stays, person=4, day=6, status=13, days=(30, 365),
                             outcomes=values(StayOutcome))  # fmt: skip
    accepted: set[str] = set()
    while len(matches.rows) < n["matches"]:
        p = r.pick()
        proposed = r.day(p)
        status = rnd.choices(("declined", "cancelled", "proposed", "accepted"),
                             (0.5, 0.3, 0.1, 0.1))[0]  # fmt: skip
        if status == "accepted":
            if p.ref in accepted:  # one accepted match waiting per person
                status = "declined"
            accepted.add(p.ref)
        decided = r.after(proposed, 1, 15)
        matches.rows.append(
            (uuid.uuid4(), PARTNER, rnd.choice(approved), p.ref, proposed, None, status,
             decided if status == "accepted" else None,
             decided if status == "declined" else None,
             rnd.choice(values(DecidedBy)) if status == "declined" else None,
             decided if status == "cancelled" else None,
             rnd.choice(values(DecidedBy)) if status == "cancelled" else None, None,
             r.stamp(proposed))
        )  # fmt: skip
    while len(requests.rows) < n["family_requests"]:
        p = r.pick()
        submitted = r.day(p)
        status = rnd.choices(("open", "unsatisfied", "withdrawn"), (0.1, 0.5, 0.4))[0]
        requests.rows.append(
            (uuid.uuid4(), PARTNER, p.ref, rnd.choice(values(FamilyRequestKind)), 1, submitted,
             *r.coarse(p, submitted), status,
             None if status == "open" else r.after(submitted, 10, 120), None,
             rnd.choice(values(FamilyUnsatisfied)) if status == "unsatisfied" else None,
             r.stamp(submitted))
        )  # fmt: skip
    visits = Rows(
        ("visit_id", "partner_id", "stay_id", "family_id", "visited_on", "guest_wellbeing",
         "family_wellbeing", "flags", "created_at")
    )  # fmt: skip
    flags = values(VisitFlag)
    for _ in range(n["monitoring_visits"] if stays else 0):
        stay = stays[int(rnd.random() * len(stays))]
        until = stay[14] or TODAY
        visited = stay[6] + dt.timedelta(days=rnd.randint(0, max(0, (until - stay[6]).days)))
        stay[16] = max(stay[16] or visited, visited)
        visits.rows.append(
            (uuid.uuid4(), PARTNER, stay[0], stay[3], visited, rnd.randint(2, 5),
             rnd.randint(2, 5), [rnd.choice(flags)] if rnd.random() < 0.15 else [],
             r.stamp(visited))
        )  # fmt: skip
    stay_rows = Rows(
        ("stay_id", "partner_id", "match_id", "family_id", "person_ref", "request_id",
         "started_on", "planned_months", "planned_end_on", "monthly_contribution_eur", "sex",
         "age_band", "protection_status", "status", "ended_on", "outcome", "last_visit_on",
         "created_at"),
        [tuple(s) for s in stays],
    )  # fmt: skip
    return {
        "host_families": families,
        "family_requests": requests,
        "matches": matches,
        "hosting_stays": stay_rows,
        "monitoring_visits": visits,
    }

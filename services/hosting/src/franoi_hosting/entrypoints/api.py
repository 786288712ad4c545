"""The family-hosting REST API (OpenAPI at ``/openapi.json``).

Every endpoint needs a bearer token of a partner this instance serves; every
read and write is scoped by the token's ``partner_id``, so another partner's
resources answer 404 and another partner's staff get 403. Errors are RFC 9457
problems (:mod:`franoi_common.http`); creates with a client-chosen id are safe to
retry. A family's private data (members, address, contacts) is returned only by
the family's own endpoints, never in a list.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

from franoi_common.api import (
    Answer,
    Caller,
    Limit,
    MunicipalityQuery,
    Offset,
    Page,
    PartnerApi,
    PersonRefQuery,
    Services,
    paged,
)
from franoi_common.commands import PartnerServices
from franoi_contracts import hosting as contract

from franoi_hosting.adapters.repository import HostingRepository
from franoi_hosting.domain.families import HostFamily
from franoi_hosting.domain.model import (
    Availability,
    FamilyRequest,
    Match,
    MatchStatus,
    MonitoringVisit,
    RequestStatus,
    Stay,
    StayStatus,
    VettingStatus,
)
from franoi_hosting.service_layer import handlers


class FamilyOut(Answer):
    family_id: UUID
    partner_id: str
    municipality_code: str
    rooms_offered: int
    occupied_rooms: int
    free_rooms: int
    household_size: int
    languages: list[str]
    applied_on: dt.date
    vetting: VettingStatus
    availability: Availability | None
    interview_on: dt.date | None
    home_visit_on: dt.date | None
    approved_on: dt.date | None
    rejected_on: dt.date | None
    rejection_reason: contract.FamilyRejectionReason | None
    paused_on: dt.date | None
    withdrawn_on: dt.date | None


class FamilyMemberOut(Answer):
    full_name: str
    relationship: str | None = None


class FamilyPrivateOut(Answer):
    members: list[FamilyMemberOut]
    address: str | None
    phone: str | None
    email: str | None


class FamilyDetailOut(FamilyOut):
    private: FamilyPrivateOut | None


class RequestOut(Answer):
    request_id: UUID
    partner_id: str
    person_ref: str
    kind: contract.FamilyRequestKind
    household_size: int
    submitted_on: dt.date
    sex: str
    age_band: str
    protection_status: str
    status: RequestStatus
    closed_on: dt.date | None
    stay_id: UUID | None
    unsatisfied_reason: contract.UnsatisfiedReason | None


class MatchOut(Answer):
    match_id: UUID
    partner_id: str
    family_id: UUID
    person_ref: str
    request_id: UUID | None
    proposed_on: dt.date
    status: MatchStatus
    accepted_on: dt.date | None
    declined_on: dt.date | None
    declined_by: contract.DecidedBy | None
    cancelled_on: dt.date | None
    cancelled_by: contract.DecidedBy | None
    stay_id: UUID | None


class StayOut(Answer):
    stay_id: UUID
    partner_id: str
    match_id: UUID
    family_id: UUID
    person_ref: str
    request_id: UUID | None
    started_on: dt.date
    planned_months: int
    planned_end_on: dt.date
    monthly_contribution_eur: int
    sex: str
    age_band: str
    protection_status: str
    status: StayStatus
    ended_on: dt.date | None
    outcome: contract.StayOutcome | None
    last_visit_on: dt.date | None


class VisitOut(Answer):
    visit_id: UUID
    partner_id: str
    stay_id: UUID
    family_id: UUID
    visited_on: dt.date
    guest_wellbeing: int
    family_wellbeing: int
    flags: list[contract.VisitFlag]


class LastVisitOut(Answer):
    visit_id: UUID
    visited_on: dt.date
    guest_wellbeing: int
    family_wellbeing: int
    flags: list[contract.VisitFlag]


class FollowUpOut(Answer):
    stay: StayOut
    last_visit: LastVisitOut


api = PartnerApi(HostingRepository)
router = api.router
read = api.read

# --- families ----------------------------------------------------------------------------

FAMILIES = "families"
api.create(
    "/families",
    handlers.apply_family,
    FamilyDetailOut,
    FAMILIES,
    description="A household applies to host; its members' identity stays in this service.",
)


families_out = read.with_room(
    FamilyOut,
    "family_id",
    "rooms_offered",
    "occupied_rooms",
    "free_rooms",
    lambda repo, partner_id, ids: repo.occupied_rooms(partner_id, ids),
)
"""Listed families with the rooms their stays and accepted matches take."""


api.listing(
    "/families",
    HostFamily,
    FamilyOut,
    FAMILIES,
    query={
        "vetting": VettingStatus,
        "availability": Availability,
        "municipality_code": MunicipalityQuery,
    },
    answers=families_out,
    description="The partner's host families (coarse attributes and rooms; no private data).",
)
api.one("/families/{family_id}", HostFamily, FamilyDetailOut, FAMILIES)
api.action(
    "/families/{family_id}", handlers.update_family, FamilyDetailOut, FAMILIES, method="PATCH"
)
for verb, summary in (
    ("assess", "Record interview and home visit"),
    ("approve", "Approve an assessed family"),
    ("reject", "Reject an application"),
    ("pause", "Stop new matches for a while"),
    ("resume", "Take new matches again"),
    ("withdraw", "The family leaves"),
):
    handler = getattr(handlers, f"{verb}_family")
    api.action(
        f"/families/{{family_id}}/{verb}", handler, FamilyDetailOut, FAMILIES, summary=summary
    )

# --- requests ----------------------------------------------------------------------------

REQUESTS = "requests"
api.create(
    "/requests",
    handlers.submit_request,
    RequestOut,
    REQUESTS,
    description="A request for hosting in a family or for family support.",
)


api.listing(
    "/requests",
    FamilyRequest,
    RequestOut,
    REQUESTS,
    query={
        "status": RequestStatus,
        "kind": contract.FamilyRequestKind,
        "person_ref": PersonRefQuery,
    },
)
api.one("/requests/{request_id}", FamilyRequest, RequestOut, REQUESTS)
for verb, handler, summary in (
    ("satisfy", handlers.satisfy_request, "Satisfy a family-support request"),
    ("unsatisfied", handlers.declare_request_unsatisfied, "Close unsatisfied"),
    ("withdraw", handlers.withdraw_request, "The person withdrew"),
):
    api.action(
        f"/requests/{{request_id}}/{verb}",
        handler,
        RequestOut,
        REQUESTS,
        summary=summary,
        name=f"{verb}_request",
    )

# --- matches -----------------------------------------------------------------------------

MATCHES = "matches"
api.create(
    "/matches",
    handlers.propose_match,
    MatchOut,
    MATCHES,
    description="Propose an approved, active family with a free room for a person.",
)


api.listing(
    "/matches",
    Match,
    MatchOut,
    MATCHES,
    query={"status": MatchStatus, "family_id": UUID, "person_ref": PersonRefQuery},
)
api.one("/matches/{match_id}", Match, MatchOut, MATCHES)
for verb, summary in (
    ("accept", "Accept: the match takes a room"),
    ("decline", "Decline a proposal"),
    ("cancel", "Call off an accepted match"),
):
    handler = getattr(handlers, f"{verb}_match")
    api.action(f"/matches/{{match_id}}/{verb}", handler, MatchOut, MATCHES, summary=summary)

# --- stays and visits --------------------------------------------------------------------

STAYS = "stays"
api.create(
    "/stays",
    handlers.start_stay,
    StayOut,
    STAYS,
    description="Start a hosting stay from an accepted match.",
)


api.listing(
    "/stays",
    Stay,
    StayOut,
    STAYS,
    query={"status": StayStatus, "family_id": UUID, "person_ref": PersonRefQuery},
)


@router.get("/stays/follow-up", response_model=Page[FollowUpOut], tags=[STAYS])
async def follow_up(who: Caller, s: Services, limit: Limit = 50, offset: Offset = 0) -> Any:
    """Active stays whose last monitoring visit has a flag or a wellbeing score of 2
    or less (guest or family), oldest visit first: the coordinator's list."""
    rows = await read(s, lambda repo: repo.follow_up(who.partner_id, limit, offset))
    items = [
        FollowUpOut(
            stay=StayOut.of(who.partner_id, row),
            last_visit=LastVisitOut(
                visit_id=row["last_visit_id"],
                visited_on=row["last_visited_on"],
                guest_wellbeing=row["last_guest_wellbeing"],
                family_wellbeing=row["last_family_wellbeing"],
                flags=[contract.VisitFlag(f) for f in row["last_flags"]],
            ),
        )
        for row in rows.items
    ]
    return paged(items, rows.total, limit, offset)


api.one("/stays/{stay_id}", Stay, StayOut, STAYS)
api.action("/stays/{stay_id}/extend", handlers.extend_stay, StayOut, STAYS)
api.action(
    "/stays/{stay_id}/end",
    handlers.end_stay,
    StayOut,
    STAYS,
    description="End the stay with its outcome (set once).",
)
api.create(
    "/stays/{stay_id}/visits",
    handlers.record_visit,
    VisitOut,
    STAYS,
    description="Record a monitoring visit dated within the stay.",
)


@router.get("/stays/{stay_id}/visits", response_model=Page[VisitOut], tags=[STAYS])
async def list_visits(
    stay_id: UUID, who: Caller, s: Services, limit: Limit = 50, offset: Offset = 0
) -> Any:
    await read.row(s, Stay, who.partner_id, stay_id)
    filters = {"stay_id": stay_id}
    items, total = await read.page(s, MonitoringVisit, who.partner_id, filters, limit, offset)
    return paged([VisitOut.of(who.partner_id, r) for r in items], total, limit, offset)


# --- the person's file -------------------------------------------------------------------


async def records_of(
    s: PartnerServices, repo: HostingRepository, partner_id: str, person_ref: str
) -> dict[str, list[Any]]:
    requests = await repo.rows_of_person(FamilyRequest, partner_id, person_ref)
    matches = await repo.rows_of_person(Match, partner_id, person_ref)
    stays = await repo.rows_of_person(Stay, partner_id, person_ref)
    visits = await repo.visits_of_person(partner_id, person_ref)
    return {
        "requests": [RequestOut.of(partner_id, r) for r in requests],
        "matches": [MatchOut.of(partner_id, r) for r in matches],
        "stays": [StayOut.of(partner_id, r) for r in stays],
        "visits": [VisitOut.of(partner_id, r) for r in visits],
    }


api.person_records("hosting", records_of)

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
    Action,
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
from franoi_common.importing import Sheet
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

families_out = read.with_room(
    FamilyOut, "rooms_offered", "occupied_rooms", "free_rooms", HostingRepository.occupied_rooms
)
"""Listed families with the rooms their stays and accepted matches take."""

api.resource(
    "/families",
    HostFamily,
    FamilyDetailOut,
    create=handlers.apply_family,
    update=handlers.update_family,
    actions={
        "assess": Action.of(handlers.assess_family, summary="Record interview and home visit"),
        "approve": Action.of(handlers.approve_family, summary="Approve an assessed family"),
        "reject": Action.of(handlers.reject_family, summary="Reject an application"),
        "pause": Action.of(handlers.pause_family, summary="Stop new matches for a while"),
        "resume": Action.of(handlers.resume_family, summary="Take new matches again"),
        "withdraw": Action.of(handlers.withdraw_family, summary="The family leaves"),
    },
    listed=FamilyOut,
    query={
        "vetting": VettingStatus,
        "availability": Availability,
        "municipality_code": MunicipalityQuery,
    },
    answers=families_out,
    description="The partner's host families (coarse attributes and rooms; no private data).",
)
api.resource(
    "/requests",
    FamilyRequest,
    RequestOut,
    create=Action.of(
        handlers.submit_request,
        description="A request for hosting in a family or for family support.",
    ),
    actions={
        "satisfy": Action.of(handlers.satisfy_request, summary="Satisfy a family-support request"),
        "unsatisfied": Action.of(
            handlers.declare_request_unsatisfied,
            summary="Close unsatisfied",
            name="unsatisfied_request",
        ),
        "withdraw": Action.of(handlers.withdraw_request, summary="The person withdrew"),
    },
    query={
        "status": RequestStatus,
        "kind": contract.FamilyRequestKind,
        "person_ref": PersonRefQuery,
    },
)
api.resource(
    "/matches",
    Match,
    MatchOut,
    create=handlers.propose_match,
    actions={
        "accept": Action.of(handlers.accept_match, summary="Accept: the match takes a room"),
        "decline": Action.of(handlers.decline_match, summary="Decline a proposal"),
        "cancel": Action.of(handlers.cancel_match, summary="Call off an accepted match"),
    },
    query={"status": MatchStatus, "family_id": UUID, "person_ref": PersonRefQuery},
)

# --- stays and visits --------------------------------------------------------------------

STAYS = "stays"


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


# declared after the follow-up, whose path its item's would otherwise take
api.resource(
    "/stays",
    Stay,
    StayOut,
    create=handlers.start_stay,
    actions={
        "extend": handlers.extend_stay,
        "end": handlers.end_stay,
    },
    query={"status": StayStatus, "family_id": UUID, "person_ref": PersonRefQuery},
)
api.create("/stays/{stay_id}/visits", handlers.record_visit, VisitOut, STAYS)

# --- history from spreadsheets -----------------------------------------------------------

api.imports(
    Sheet(
        "families",
        handlers.apply_family,
        "family_id",
        omit=frozenset({"private"}),
        then=[
            handlers.assess_family,
            handlers.approve_family,
            handlers.reject_family,
            handlers.withdraw_family,
        ],
    ),
    Sheet(
        "hosting_requests",
        handlers.submit_request,
        "request_id",
        then=[handlers.declare_request_unsatisfied],
    ),
    Sheet(
        "stays",
        handlers.record_stay_with_its_match,
        "stay_id",
        refers={"family_id": "families", "request_id": "hosting_requests"},
        then=[handlers.end_stay],
    ),
    Sheet(  # the matches no stay followed (declined, called off, waiting), judged
        # against the stays already in, as the API judges them in date order
        "matches",
        handlers.propose_match,
        "match_id",
        refers={"family_id": "families", "request_id": "hosting_requests"},
        then=[handlers.accept_match, handlers.decline_match, handlers.cancel_match],
    ),
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

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
from typing import Annotated, Any
from uuid import UUID

import asyncpg
from fastapi import APIRouter, Depends, Query
from franoi_common.api import (
    Caller,
    Limit,
    Offset,
    Page,
    PersonRefQuery,
    Reads,
    Services,
    add_person_records,
    model_of,
    paged,
)
from franoi_common.auth import require_partner_member
from franoi_common.commands import PartnerServices
from franoi_common.persons import Command
from franoi_contracts.hosting import (
    DecidedBy,
    FamilyRejectionReason,
    FamilyRequestKind,
    StayOutcome,
    UnsatisfiedReason,
    VisitFlag,
)
from pydantic import BaseModel

from franoi_hosting.adapters.repository import HostingRepository
from franoi_hosting.domain.model import (
    Availability,
    FamilyRequest,
    HostFamily,
    Match,
    MatchStatus,
    MonitoringVisit,
    RequestStatus,
    Stay,
    StayStatus,
    VettingStatus,
)
from franoi_hosting.service_layer import commands as c
from franoi_hosting.service_layer import handlers as h

DOMAIN = "hosting"


class FamilyOut(BaseModel):
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
    rejection_reason: FamilyRejectionReason | None
    paused_on: dt.date | None
    withdrawn_on: dt.date | None


class FamilyMemberOut(BaseModel):
    full_name: str
    relationship: str | None = None


class FamilyPrivateOut(BaseModel):
    members: list[FamilyMemberOut]
    address: str | None
    phone: str | None
    email: str | None


class FamilyDetailOut(FamilyOut):
    private: FamilyPrivateOut | None


class RequestOut(BaseModel):
    request_id: UUID
    partner_id: str
    person_ref: str
    kind: FamilyRequestKind
    household_size: int
    submitted_on: dt.date
    sex: str
    age_band: str
    protection_status: str
    status: RequestStatus
    closed_on: dt.date | None
    stay_id: UUID | None
    unsatisfied_reason: UnsatisfiedReason | None


class MatchOut(BaseModel):
    match_id: UUID
    partner_id: str
    family_id: UUID
    person_ref: str
    request_id: UUID | None
    proposed_on: dt.date
    status: MatchStatus
    accepted_on: dt.date | None
    declined_on: dt.date | None
    declined_by: DecidedBy | None
    cancelled_on: dt.date | None
    cancelled_by: DecidedBy | None
    stay_id: UUID | None


class StayOut(BaseModel):
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
    outcome: StayOutcome | None
    last_visit_on: dt.date | None


class VisitOut(BaseModel):
    visit_id: UUID
    partner_id: str
    stay_id: UUID
    family_id: UUID
    visited_on: dt.date
    guest_wellbeing: int
    family_wellbeing: int
    flags: list[VisitFlag]


class LastVisitOut(BaseModel):
    visit_id: UUID
    visited_on: dt.date
    guest_wellbeing: int
    family_wellbeing: int
    flags: list[VisitFlag]


class FollowUpOut(BaseModel):
    stay: StayOut
    last_visit: LastVisitOut


def build_router(partner_ids: tuple[str, ...]) -> APIRouter:
    """The hosting API; its handlers reach the wired services through ``app.state``."""
    # Membership is checked once per request for every route; handlers read the caller.
    router = APIRouter(prefix="/v1", dependencies=[Depends(require_partner_member(partner_ids))])

    read = Reads(HostingRepository)
    one, page = read.row, read.page

    async def families_out(
        s: PartnerServices, partner_id: str, rows: list[asyncpg.Record]
    ) -> list[FamilyOut]:
        taken = await read(
            s, lambda repo: repo.occupied_rooms(partner_id, [r["family_id"] for r in rows])
        )
        return [
            model_of(
                FamilyOut,
                {
                    **dict(r),
                    "occupied_rooms": taken.get(r["family_id"], 0),
                    "free_rooms": r["rooms_offered"] - taken.get(r["family_id"], 0),
                },
            )
            for r in rows
        ]

    async def family_detail(s: PartnerServices, partner_id: str, family_id: UUID) -> Any:
        row = await one(s, HostFamily, partner_id, family_id)
        [summary] = await families_out(s, partner_id, [row])
        private = await read(s, lambda repo: repo.private(partner_id, family_id))
        return FamilyDetailOut(
            **summary.model_dump(),
            private=None if private is None else FamilyPrivateOut.model_validate(dict(private)),
        )

    # --- families ---------------------------------------------------------------------

    @router.post("/families", status_code=201, response_model=FamilyDetailOut, tags=["families"])
    async def apply_family(body: c.ApplyFamily, who: Caller, s: Services) -> Any:
        """A household applies to host; its members' identity stays in this service."""
        family_id = await h.apply_family(s, who.partner_id, body)
        return await family_detail(s, who.partner_id, family_id)

    @router.get("/families", response_model=Page[FamilyOut], tags=["families"])
    async def list_families(
        who: Caller,
        s: Services,
        limit: Limit = 50,
        offset: Offset = 0,
        vetting: VettingStatus | None = None,
        availability: Availability | None = None,
        municipality_code: Annotated[str | None, Query(pattern=r"^[A-Z][0-9]{3}$")] = None,
    ) -> Any:
        """The partner's host families (coarse attributes and rooms; no private data)."""
        filters = {
            "vetting": vetting,
            "availability": availability,
            "municipality_code": municipality_code,
        }
        items, total = await page(s, HostFamily, who.partner_id, filters, limit, offset)
        return paged(await families_out(s, who.partner_id, items), total, limit, offset)

    @router.get("/families/{family_id}", response_model=FamilyDetailOut, tags=["families"])
    async def get_family(family_id: UUID, who: Caller, s: Services) -> Any:
        return await family_detail(s, who.partner_id, family_id)

    @router.patch("/families/{family_id}", response_model=FamilyDetailOut, tags=["families"])
    async def update_family(family_id: UUID, body: c.UpdateFamily, who: Caller, s: Services) -> Any:
        await h.update_family(s, who.partner_id, family_id, body)
        return await family_detail(s, who.partner_id, family_id)

    def family_action(path: str, handler: Any, command: type[Command], doc: str) -> None:
        async def act(family_id: UUID, body: Any, who: Caller, s: Services) -> Any:
            await handler(s, who.partner_id, family_id, body)
            return await family_detail(s, who.partner_id, family_id)

        act.__annotations__["body"] = command
        router.add_api_route(
            f"/families/{{family_id}}/{path}",
            act,
            methods=["POST"],
            response_model=FamilyDetailOut,
            tags=["families"],
            summary=doc,
            name=f"{path}_family",
        )

    family_action("assess", h.assess_family, c.AssessFamily, "Record interview and home visit")
    family_action("approve", h.approve_family, c.ApproveFamily, "Approve an assessed family")
    family_action("reject", h.reject_family, c.RejectFamily, "Reject an application")
    family_action("pause", h.pause_family, c.PauseFamily, "Stop new matches for a while")
    family_action("resume", h.resume_family, c.ResumeFamily, "Take new matches again")
    family_action("withdraw", h.withdraw_family, c.WithdrawFamily, "The family leaves")

    # --- requests ---------------------------------------------------------------------

    @router.post("/requests", status_code=201, response_model=RequestOut, tags=["requests"])
    async def submit_request(body: c.SubmitRequest, who: Caller, s: Services) -> Any:
        """A request for hosting in a family or for family support."""
        request_id = await h.submit_request(s, who.partner_id, body)
        return model_of(RequestOut, await one(s, FamilyRequest, who.partner_id, request_id))

    @router.get("/requests", response_model=Page[RequestOut], tags=["requests"])
    async def list_requests(
        who: Caller,
        s: Services,
        limit: Limit = 50,
        offset: Offset = 0,
        status: RequestStatus | None = None,
        kind: FamilyRequestKind | None = None,
        person_ref: PersonRefQuery = None,
    ) -> Any:
        filters = {"status": status, "kind": kind, "person_ref": person_ref}
        items, total = await page(s, FamilyRequest, who.partner_id, filters, limit, offset)
        return paged([model_of(RequestOut, r) for r in items], total, limit, offset)

    @router.get("/requests/{request_id}", response_model=RequestOut, tags=["requests"])
    async def get_request(request_id: UUID, who: Caller, s: Services) -> Any:
        return model_of(RequestOut, await one(s, FamilyRequest, who.partner_id, request_id))

    def request_action(path: str, handler: Any, command: type[Command], doc: str) -> None:
        async def act(request_id: UUID, body: Any, who: Caller, s: Services) -> Any:
            await handler(s, who.partner_id, request_id, body)
            return model_of(RequestOut, await one(s, FamilyRequest, who.partner_id, request_id))

        act.__annotations__["body"] = command
        router.add_api_route(
            f"/requests/{{request_id}}/{path}",
            act,
            methods=["POST"],
            response_model=RequestOut,
            tags=["requests"],
            summary=doc,
            name=f"{path}_request",
        )

    request_action(
        "satisfy", h.satisfy_request, c.SatisfyRequest, "Satisfy a family-support request"
    )
    request_action(
        "unsatisfied", h.declare_request_unsatisfied, c.DeclareUnsatisfied, "Close unsatisfied"
    )
    request_action("withdraw", h.withdraw_request, c.WithdrawRequest, "The person withdrew")

    # --- matches ----------------------------------------------------------------------

    @router.post("/matches", status_code=201, response_model=MatchOut, tags=["matches"])
    async def propose_match(body: c.ProposeMatch, who: Caller, s: Services) -> Any:
        """Propose an approved, active family with a free room for a person."""
        match_id = await h.propose_match(s, who.partner_id, body)
        return model_of(MatchOut, await one(s, Match, who.partner_id, match_id))

    @router.get("/matches", response_model=Page[MatchOut], tags=["matches"])
    async def list_matches(
        who: Caller,
        s: Services,
        limit: Limit = 50,
        offset: Offset = 0,
        status: MatchStatus | None = None,
        family_id: UUID | None = None,
        person_ref: PersonRefQuery = None,
    ) -> Any:
        filters = {"status": status, "family_id": family_id, "person_ref": person_ref}
        items, total = await page(s, Match, who.partner_id, filters, limit, offset)
        return paged([model_of(MatchOut, r) for r in items], total, limit, offset)

    @router.get("/matches/{match_id}", response_model=MatchOut, tags=["matches"])
    async def get_match(match_id: UUID, who: Caller, s: Services) -> Any:
        return model_of(MatchOut, await one(s, Match, who.partner_id, match_id))

    def match_action(path: str, handler: Any, command: type[Command], doc: str) -> None:
        async def act(match_id: UUID, body: Any, who: Caller, s: Services) -> Any:
            await handler(s, who.partner_id, match_id, body)
            return model_of(MatchOut, await one(s, Match, who.partner_id, match_id))

        act.__annotations__["body"] = command
        router.add_api_route(
            f"/matches/{{match_id}}/{path}",
            act,
            methods=["POST"],
            response_model=MatchOut,
            tags=["matches"],
            summary=doc,
            name=f"{path}_match",
        )

    match_action("accept", h.accept_match, c.AcceptMatch, "Accept: the match takes a room")
    match_action("decline", h.decline_match, c.DeclineMatch, "Decline a proposal")
    match_action("cancel", h.cancel_match, c.CancelMatch, "Call off an accepted match")

    # --- stays and visits -------------------------------------------------------------

    @router.post("/stays", status_code=201, response_model=StayOut, tags=["stays"])
    async def start_stay(body: c.StartStay, who: Caller, s: Services) -> Any:
        """Start a hosting stay from an accepted match."""
        stay_id = await h.start_stay(s, who.partner_id, body)
        return model_of(StayOut, await one(s, Stay, who.partner_id, stay_id))

    @router.get("/stays", response_model=Page[StayOut], tags=["stays"])
    async def list_stays(
        who: Caller,
        s: Services,
        limit: Limit = 50,
        offset: Offset = 0,
        status: StayStatus | None = None,
        family_id: UUID | None = None,
        person_ref: PersonRefQuery = None,
    ) -> Any:
        filters = {"status": status, "family_id": family_id, "person_ref": person_ref}
        items, total = await page(s, Stay, who.partner_id, filters, limit, offset)
        return paged([model_of(StayOut, r) for r in items], total, limit, offset)

    @router.get("/stays/follow-up", response_model=Page[FollowUpOut], tags=["stays"])
    async def follow_up(who: Caller, s: Services, limit: Limit = 50, offset: Offset = 0) -> Any:
        """Active stays whose last monitoring visit has a flag or a wellbeing score of 2
        or less (guest or family), oldest visit first: the coordinator's list."""
        rows = await read(s, lambda repo: repo.follow_up(who.partner_id, limit, offset))
        items = [
            FollowUpOut(
                stay=model_of(StayOut, row),
                last_visit=LastVisitOut(
                    visit_id=row["last_visit_id"],
                    visited_on=row["last_visited_on"],
                    guest_wellbeing=row["last_guest_wellbeing"],
                    family_wellbeing=row["last_family_wellbeing"],
                    flags=[VisitFlag(f) for f in row["last_flags"]],
                ),
            )
            for row in rows.items
        ]
        return paged(items, rows.total, limit, offset)

    @router.get("/stays/{stay_id}", response_model=StayOut, tags=["stays"])
    async def get_stay(stay_id: UUID, who: Caller, s: Services) -> Any:
        return model_of(StayOut, await one(s, Stay, who.partner_id, stay_id))

    @router.post("/stays/{stay_id}/extend", response_model=StayOut, tags=["stays"])
    async def extend_stay(stay_id: UUID, body: c.ExtendStay, who: Caller, s: Services) -> Any:
        await h.extend_stay(s, who.partner_id, stay_id, body)
        return model_of(StayOut, await one(s, Stay, who.partner_id, stay_id))

    @router.post("/stays/{stay_id}/end", response_model=StayOut, tags=["stays"])
    async def end_stay(stay_id: UUID, body: c.EndStay, who: Caller, s: Services) -> Any:
        """End the stay with its outcome (set once)."""
        await h.end_stay(s, who.partner_id, stay_id, body)
        return model_of(StayOut, await one(s, Stay, who.partner_id, stay_id))

    @router.post(
        "/stays/{stay_id}/visits", status_code=201, response_model=VisitOut, tags=["stays"]
    )
    async def record_visit(stay_id: UUID, body: c.RecordVisit, who: Caller, s: Services) -> Any:
        """Record a monitoring visit dated within the stay."""
        visit_id = await h.record_visit(s, who.partner_id, stay_id, body)
        return model_of(VisitOut, await one(s, MonitoringVisit, who.partner_id, visit_id))

    @router.get("/stays/{stay_id}/visits", response_model=Page[VisitOut], tags=["stays"])
    async def list_visits(
        stay_id: UUID, who: Caller, s: Services, limit: Limit = 50, offset: Offset = 0
    ) -> Any:
        await one(s, Stay, who.partner_id, stay_id)
        filters = {"stay_id": stay_id}
        items, total = await page(s, MonitoringVisit, who.partner_id, filters, limit, offset)
        return paged([model_of(VisitOut, r) for r in items], total, limit, offset)

    # --- the person's file ------------------------------------------------------------

    async def records_of(
        s: PartnerServices, repo: HostingRepository, partner_id: str, person_ref: str
    ) -> dict[str, list[Any]]:
        requests = await repo.rows_of_person(FamilyRequest, partner_id, person_ref)
        matches = await repo.rows_of_person(Match, partner_id, person_ref)
        stays = await repo.rows_of_person(Stay, partner_id, person_ref)
        visits = await repo.visits_of_person(partner_id, person_ref)
        return {
            "requests": [model_of(RequestOut, r) for r in requests],
            "matches": [model_of(MatchOut, r) for r in matches],
            "stays": [model_of(StayOut, r) for r in stays],
            "visits": [model_of(VisitOut, r) for r in visits],
        }

    add_person_records(router, read, DOMAIN, records_of)

    return router

"""The family-hosting REST API (OpenAPI at ``/openapi.json``).

Every endpoint needs a bearer token of a partner this instance serves; every
read and write is scoped by the token's ``partner_id``, so another partner's
resources answer 404 and another partner's staff get 403. A family's private
data (members, address, contacts) is returned only by ``GET /v1/families/{id}``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, Generic, TypeVar
from uuid import UUID

import asyncpg
from fastapi import APIRouter, Depends, FastAPI, Path, Query, Request, status
from fastapi.responses import JSONResponse
from franoi_common.auth import Principal, current_principal, require_partner_member
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
    CapacityExceeded,
    FamilyNotAvailable,
    FamilyRequest,
    HostFamily,
    HostingError,
    InvalidTransition,
    Match,
    MatchStatus,
    MonitoringVisit,
    PersonAlreadyHosted,
    RequestStatus,
    Stay,
    StayStatus,
    VettingStatus,
)
from franoi_hosting.service_layer import commands as c
from franoi_hosting.service_layer import handlers as h

T = TypeVar("T")

DOMAIN = "hosting"


class PageOut(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


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


class PersonRecordsOut(BaseModel):
    person_ref: str
    domain: str
    records: dict[str, list[Any]]


Caller = Annotated[Principal, Depends(current_principal)]
Limit = Annotated[int, Query(ge=1, le=200, description="Page size")]
Offset = Annotated[int, Query(ge=0, le=1_000_000, description="Rows to skip")]
PersonRefQuery = Annotated[str | None, Query(pattern=r"^[0-9a-f]{64}$")]

_STATUS_OF: list[tuple[type[Exception], int]] = [
    (h.NotFound, status.HTTP_404_NOT_FOUND),
    (h.AlreadyExists, status.HTTP_409_CONFLICT),
    (CapacityExceeded, status.HTTP_409_CONFLICT),
    (FamilyNotAvailable, status.HTTP_409_CONFLICT),
    (PersonAlreadyHosted, status.HTTP_409_CONFLICT),
    (InvalidTransition, status.HTTP_409_CONFLICT),
    (HostingError, status.HTTP_422_UNPROCESSABLE_CONTENT),
]


def install_domain_error_handlers(app: FastAPI) -> None:
    async def handle(_: Request, exc: Exception) -> JSONResponse:
        for kind, code in _STATUS_OF:
            if isinstance(exc, kind):
                body: dict[str, Any] = {"detail": str(exc)}
                if isinstance(exc, HostingError):
                    body["code"] = exc.code
                return JSONResponse(status_code=code, content=body)
        raise exc  # pragma: no cover - only registered for the kinds above

    for kind, _ in _STATUS_OF:
        app.add_exception_handler(kind, handle)


def _out(model: type[BaseModel], row: asyncpg.Record | dict[str, Any]) -> Any:
    return model.model_validate({k: v for k, v in dict(row).items() if k in model.model_fields})


def build_router(services: h.HostingServices, partner_ids: tuple[str, ...]) -> APIRouter:
    # Membership is checked once per request for every route; handlers read the caller.
    router = APIRouter(prefix="/v1", dependencies=[Depends(require_partner_member(partner_ids))])

    async def read(fn: Callable[[HostingRepository], Awaitable[T]]) -> T:
        async with services.pool.acquire() as conn:
            return await fn(HostingRepository(conn))

    async def one(cls: type[Any], partner_id: str, aggregate_id: UUID) -> asyncpg.Record:
        row = await read(lambda repo: repo.get_row(cls, partner_id, aggregate_id))
        if row is None:
            raise h.NotFound(f"{h.NAMES[cls]} {aggregate_id} not found")
        return row

    async def families_out(partner_id: str, rows: list[asyncpg.Record]) -> list[FamilyOut]:
        taken = await read(
            lambda repo: repo.occupied_rooms(partner_id, [r["family_id"] for r in rows])
        )
        return [
            _out(
                FamilyOut,
                {
                    **dict(r),
                    "occupied_rooms": taken.get(r["family_id"], 0),
                    "free_rooms": r["rooms_offered"] - taken.get(r["family_id"], 0),
                },
            )
            for r in rows
        ]

    async def family_detail(partner_id: str, family_id: UUID) -> FamilyDetailOut:
        [summary] = await families_out(partner_id, [await one(HostFamily, partner_id, family_id)])
        private = await read(lambda repo: repo.private(partner_id, family_id))
        return FamilyDetailOut(
            **summary.model_dump(),
            private=None if private is None else FamilyPrivateOut.model_validate(dict(private)),
        )

    def page_of(items: list[Any], total: int, limit: int, offset: int) -> PageOut[Any]:
        return PageOut(items=items, total=total, limit=limit, offset=offset)

    # --- families ---------------------------------------------------------------------

    @router.post("/families", status_code=201, response_model=FamilyDetailOut, tags=["families"])
    async def apply_family(body: c.ApplyFamily, who: Caller) -> Any:
        """A household applies to host; its members' identity stays in this service."""
        family = await h.apply_family(services, who.partner_id, body)
        return await family_detail(who.partner_id, family.family_id)

    @router.get("/families", response_model=PageOut[FamilyOut], tags=["families"])
    async def list_families(
        who: Caller,
        limit: Limit = 50,
        offset: Offset = 0,
        vetting: VettingStatus | None = None,
        availability: Availability | None = None,
        municipality_code: Annotated[str | None, Query(pattern=r"^[A-Z][0-9]{3}$")] = None,
    ) -> Any:
        filters = {
            "vetting": vetting,
            "availability": availability,
            "municipality_code": municipality_code,
        }
        page = await read(
            lambda repo: repo.list(
                HostFamily, who.partner_id, filters=filters, limit=limit, offset=offset
            )
        )
        return page_of(await families_out(who.partner_id, page.items), page.total, limit, offset)

    @router.get("/families/{family_id}", response_model=FamilyDetailOut, tags=["families"])
    async def get_family(family_id: UUID, who: Caller) -> Any:
        return await family_detail(who.partner_id, family_id)

    @router.patch("/families/{family_id}", response_model=FamilyDetailOut, tags=["families"])
    async def update_family(family_id: UUID, body: c.UpdateFamily, who: Caller) -> Any:
        await h.update_family(services, who.partner_id, family_id, body)
        return await family_detail(who.partner_id, family_id)

    def family_action(path: str, handler: Any, command: type[c.Command], doc: str) -> None:
        async def act(family_id: UUID, body: Any, who: Caller) -> Any:
            await handler(services, who.partner_id, family_id, body)
            return await family_detail(who.partner_id, family_id)

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
    async def submit_request(body: c.SubmitRequest, who: Caller) -> Any:
        request = await h.submit_request(services, who.partner_id, body)
        return _out(RequestOut, await one(FamilyRequest, who.partner_id, request.request_id))

    @router.get("/requests", response_model=PageOut[RequestOut], tags=["requests"])
    async def list_requests(
        who: Caller,
        limit: Limit = 50,
        offset: Offset = 0,
        status: RequestStatus | None = None,
        kind: FamilyRequestKind | None = None,
        person_ref: PersonRefQuery = None,
    ) -> Any:
        filters = {"status": status, "kind": kind, "person_ref": person_ref}
        page = await read(
            lambda repo: repo.list(
                FamilyRequest, who.partner_id, filters=filters, limit=limit, offset=offset
            )
        )
        return page_of([_out(RequestOut, r) for r in page.items], page.total, limit, offset)

    @router.get("/requests/{request_id}", response_model=RequestOut, tags=["requests"])
    async def get_request(request_id: UUID, who: Caller) -> Any:
        return _out(RequestOut, await one(FamilyRequest, who.partner_id, request_id))

    def request_action(path: str, handler: Any, command: type[c.Command], doc: str) -> None:
        async def act(request_id: UUID, body: Any, who: Caller) -> Any:
            await handler(services, who.partner_id, request_id, body)
            return _out(RequestOut, await one(FamilyRequest, who.partner_id, request_id))

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
    async def propose_match(body: c.ProposeMatch, who: Caller) -> Any:
        """Propose an approved, active family with a free room for a person."""
        match = await h.propose_match(services, who.partner_id, body)
        return _out(MatchOut, await one(Match, who.partner_id, match.match_id))

    @router.get("/matches", response_model=PageOut[MatchOut], tags=["matches"])
    async def list_matches(
        who: Caller,
        limit: Limit = 50,
        offset: Offset = 0,
        status: MatchStatus | None = None,
        family_id: UUID | None = None,
        person_ref: PersonRefQuery = None,
    ) -> Any:
        filters = {"status": status, "family_id": family_id, "person_ref": person_ref}
        page = await read(
            lambda repo: repo.list(
                Match, who.partner_id, filters=filters, limit=limit, offset=offset
            )
        )
        return page_of([_out(MatchOut, r) for r in page.items], page.total, limit, offset)

    @router.get("/matches/{match_id}", response_model=MatchOut, tags=["matches"])
    async def get_match(match_id: UUID, who: Caller) -> Any:
        return _out(MatchOut, await one(Match, who.partner_id, match_id))

    def match_action(path: str, handler: Any, command: type[c.Command], doc: str) -> None:
        async def act(match_id: UUID, body: Any, who: Caller) -> Any:
            await handler(services, who.partner_id, match_id, body)
            return _out(MatchOut, await one(Match, who.partner_id, match_id))

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
    async def start_stay(body: c.StartStay, who: Caller) -> Any:
        """Start a hosting stay from an accepted match."""
        stay = await h.start_stay(services, who.partner_id, body)
        return _out(StayOut, await one(Stay, who.partner_id, stay.stay_id))

    @router.get("/stays", response_model=PageOut[StayOut], tags=["stays"])
    async def list_stays(
        who: Caller,
        limit: Limit = 50,
        offset: Offset = 0,
        status: StayStatus | None = None,
        family_id: UUID | None = None,
        person_ref: PersonRefQuery = None,
    ) -> Any:
        filters = {"status": status, "family_id": family_id, "person_ref": person_ref}
        page = await read(
            lambda repo: repo.list(
                Stay, who.partner_id, filters=filters, limit=limit, offset=offset
            )
        )
        return page_of([_out(StayOut, r) for r in page.items], page.total, limit, offset)

    @router.get("/stays/follow-up", response_model=PageOut[FollowUpOut], tags=["stays"])
    async def follow_up(who: Caller, limit: Limit = 50, offset: Offset = 0) -> Any:
        """Active stays whose last monitoring visit has a flag or a wellbeing score of 2
        or less (guest or family), oldest visit first: the coordinator's list."""
        page = await read(lambda repo: repo.follow_up(who.partner_id, limit, offset))
        items = [
            FollowUpOut(
                stay=_out(StayOut, row),
                last_visit=LastVisitOut(
                    visit_id=row["last_visit_id"],
                    visited_on=row["last_visited_on"],
                    guest_wellbeing=row["last_guest_wellbeing"],
                    family_wellbeing=row["last_family_wellbeing"],
                    flags=[VisitFlag(f) for f in row["last_flags"]],
                ),
            )
            for row in page.items
        ]
        return page_of(items, page.total, limit, offset)

    @router.get("/stays/{stay_id}", response_model=StayOut, tags=["stays"])
    async def get_stay(stay_id: UUID, who: Caller) -> Any:
        return _out(StayOut, await one(Stay, who.partner_id, stay_id))

    @router.post("/stays/{stay_id}/extend", response_model=StayOut, tags=["stays"])
    async def extend_stay(stay_id: UUID, body: c.ExtendStay, who: Caller) -> Any:
        await h.extend_stay(services, who.partner_id, stay_id, body)
        return _out(StayOut, await one(Stay, who.partner_id, stay_id))

    @router.post("/stays/{stay_id}/end", response_model=StayOut, tags=["stays"])
    async def end_stay(stay_id: UUID, body: c.EndStay, who: Caller) -> Any:
        """End the stay with its outcome (set once)."""
        await h.end_stay(services, who.partner_id, stay_id, body)
        return _out(StayOut, await one(Stay, who.partner_id, stay_id))

    @router.post(
        "/stays/{stay_id}/visits", status_code=201, response_model=VisitOut, tags=["stays"]
    )
    async def record_visit(stay_id: UUID, body: c.RecordVisit, who: Caller) -> Any:
        """Record a monitoring visit dated within the stay."""
        visit = await h.record_visit(services, who.partner_id, stay_id, body)
        return _out(VisitOut, await one(MonitoringVisit, who.partner_id, visit.visit_id))

    @router.get("/stays/{stay_id}/visits", response_model=PageOut[VisitOut], tags=["stays"])
    async def list_visits(stay_id: UUID, who: Caller, limit: Limit = 50, offset: Offset = 0) -> Any:
        await one(Stay, who.partner_id, stay_id)
        page = await read(
            lambda repo: repo.list(
                MonitoringVisit,
                who.partner_id,
                filters={"stay_id": stay_id},
                limit=limit,
                offset=offset,
            )
        )
        return page_of([_out(VisitOut, r) for r in page.items], page.total, limit, offset)

    # --- the person's file ------------------------------------------------------------

    @router.get("/persons/{person_ref}/records", response_model=PersonRecordsOut, tags=["persons"])
    async def person_records(
        person_ref: Annotated[str, Path(pattern=r"^[0-9a-f]{64}$")], who: Caller
    ) -> Any:
        """Everything this service holds on a person (for the person's file in cases);
        empty lists when nothing is held."""

        async def rows(cls: type[Any], model: type[BaseModel]) -> list[Any]:
            page = await read(
                lambda repo: repo.list(
                    cls, who.partner_id, filters={"person_ref": person_ref}, limit=1000, offset=0
                )
            )
            return [_out(model, r).model_dump(mode="json") for r in page.items]

        stays = await rows(Stay, StayOut)

        async def visits_of(stay_id: UUID) -> list[Any]:
            page = await read(
                lambda repo: repo.list(
                    MonitoringVisit,
                    who.partner_id,
                    filters={"stay_id": stay_id},
                    limit=1000,
                    offset=0,
                )
            )
            return [_out(VisitOut, r).model_dump(mode="json") for r in page.items]

        visits = [v for stay in stays for v in await visits_of(UUID(stay["stay_id"]))]
        return PersonRecordsOut(
            person_ref=person_ref,
            domain=DOMAIN,
            records={
                "requests": await rows(FamilyRequest, RequestOut),
                "matches": await rows(Match, MatchOut),
                "stays": stays,
                "visits": visits,
            },
        )

    return router

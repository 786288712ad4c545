"""The housing REST API (OpenAPI at ``/openapi.json``).

Every endpoint needs a bearer token of a partner this instance serves; every
read and write is scoped by the token's ``partner_id``, so another partner's
resources answer 404 and another partner's staff get 403.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, Generic, TypeVar
from uuid import UUID

import asyncpg
from fastapi import APIRouter, Depends, FastAPI, Query, Request, status
from fastapi.responses import JSONResponse
from franoi_common.auth import Principal, current_principal, require_partner_member
from franoi_contracts.housing import ExitOutcome, UnsatisfiedReason
from pydantic import BaseModel

from franoi_housing.adapters.repository import HousingRepository
from franoi_housing.domain.model import (
    Agreement,
    CapacityExceeded,
    HousingError,
    HousingRequest,
    HousingUnit,
    InvalidTransition,
    PersonAlreadyPlaced,
    Placement,
    PlacementStatus,
    RequestStatus,
)
from franoi_housing.service_layer import commands as c
from franoi_housing.service_layer import handlers as h

T = TypeVar("T")


class PageOut(BaseModel, Generic[T]):
    items: list[T]
    total: int
    limit: int
    offset: int


class AgreementOut(BaseModel):
    agreement_id: UUID
    partner_id: str
    counterpart_kind: str
    counterpart_name: str | None
    signed_on: dt.date
    valid_until: dt.date | None
    units_pledged: int | None
    ended_on: dt.date | None


class UnitOut(BaseModel):
    unit_id: UUID
    partner_id: str
    municipality_code: str
    beds: int
    occupied_beds: int
    free_beds: int
    monthly_rent_eur: int
    rent_regime: str
    provider: str
    agreement_id: UUID | None
    available_from: dt.date
    withdrawn_on: dt.date | None


class RequestOut(BaseModel):
    request_id: UUID
    partner_id: str
    person_ref: str
    household_size: int
    need: str
    submitted_on: dt.date
    sex: str
    age_band: str
    protection_status: str
    status: RequestStatus
    closed_on: dt.date | None
    placement_id: UUID | None
    unsatisfied_reason: UnsatisfiedReason | None


class PlacementOut(BaseModel):
    placement_id: UUID
    partner_id: str
    unit_id: UUID
    request_id: UUID | None
    person_ref: str
    household_size: int
    started_on: dt.date
    planned_end_on: dt.date | None
    sex: str
    age_band: str
    protection_status: str
    status: PlacementStatus
    ended_on: dt.date | None
    exit_outcome: ExitOutcome | None


Caller = Annotated[Principal, Depends(current_principal)]
Limit = Annotated[int, Query(ge=1, le=200, description="Page size")]
Offset = Annotated[int, Query(ge=0, le=1_000_000, description="Rows to skip")]

_STATUS_OF: list[tuple[type[Exception], int]] = [
    (h.NotFound, status.HTTP_404_NOT_FOUND),
    (h.AlreadyExists, status.HTTP_409_CONFLICT),
    (CapacityExceeded, status.HTTP_409_CONFLICT),
    (PersonAlreadyPlaced, status.HTTP_409_CONFLICT),
    (InvalidTransition, status.HTTP_409_CONFLICT),
    (HousingError, status.HTTP_422_UNPROCESSABLE_CONTENT),
]


def install_domain_error_handlers(app: FastAPI) -> None:
    async def handle(_: Request, exc: Exception) -> JSONResponse:
        for kind, code in _STATUS_OF:
            if isinstance(exc, kind):
                body: dict[str, Any] = {"detail": str(exc)}
                if isinstance(exc, HousingError):
                    body["code"] = exc.code
                return JSONResponse(status_code=code, content=body)
        raise exc  # pragma: no cover - only registered for the kinds above

    for kind, _ in _STATUS_OF:
        app.add_exception_handler(kind, handle)


def build_router(services: h.HousingServices, partner_ids: tuple[str, ...]) -> APIRouter:
    # Membership is checked once per request for every route; handlers read the caller.
    router = APIRouter(prefix="/v1", dependencies=[Depends(require_partner_member(partner_ids))])

    async def read(fn: Callable[[HousingRepository], Awaitable[T]]) -> T:
        async with services.pool.acquire() as conn:
            return await fn(HousingRepository(conn))

    async def one(cls: type[Any], partner_id: str, aggregate_id: UUID) -> asyncpg.Record:
        row = await read(lambda repo: repo.get_row(cls, partner_id, aggregate_id))
        if row is None:
            raise h.NotFound(f"{h._NAMES[cls]} {aggregate_id} not found")
        return row

    async def unit_out(partner_id: str, rows: list[asyncpg.Record]) -> list[UnitOut]:
        occupied = await read(
            lambda repo: repo.occupied_beds(partner_id, [r["unit_id"] for r in rows])
        )
        return [
            UnitOut(
                **{k: v for k, v in dict(r).items() if k in UnitOut.model_fields},
                occupied_beds=occupied.get(r["unit_id"], 0),
                free_beds=r["beds"] - occupied.get(r["unit_id"], 0),
            )
            for r in rows
        ]

    async def unit_by_id(partner_id: str, unit_id: UUID) -> UnitOut:
        return (await unit_out(partner_id, [await one(HousingUnit, partner_id, unit_id)]))[0]

    def out(model: type[BaseModel], row: asyncpg.Record) -> Any:
        return model.model_validate({k: v for k, v in dict(row).items() if k in model.model_fields})

    # agreements

    @router.post("/agreements", status_code=201, response_model=AgreementOut, tags=["agreements"])
    async def sign_agreement(body: c.SignAgreement, who: Caller) -> Any:
        agreement = await h.sign_agreement(services, who.partner_id, body)
        return out(AgreementOut, await one(Agreement, who.partner_id, agreement.agreement_id))

    @router.get("/agreements", response_model=PageOut[AgreementOut], tags=["agreements"])
    async def list_agreements(
        who: Caller, limit: Limit = 50, offset: Offset = 0, active: bool | None = None
    ) -> Any:
        where = [] if active is None else ["ended_on IS NULL" if active else "ended_on IS NOT NULL"]
        page = await read(
            lambda repo: repo.list(
                Agreement, who.partner_id, filters={}, limit=limit, offset=offset, extra_where=where
            )
        )
        items = [out(AgreementOut, r) for r in page.items]
        return PageOut(items=items, total=page.total, limit=limit, offset=offset)

    @router.get("/agreements/{agreement_id}", response_model=AgreementOut, tags=["agreements"])
    async def get_agreement(agreement_id: UUID, who: Caller) -> Any:
        return out(AgreementOut, await one(Agreement, who.partner_id, agreement_id))

    @router.post("/agreements/{agreement_id}/end", response_model=AgreementOut, tags=["agreements"])
    async def end_agreement(agreement_id: UUID, body: c.EndAgreement, who: Caller) -> Any:
        await h.end_agreement(services, who.partner_id, agreement_id, body)
        return out(AgreementOut, await one(Agreement, who.partner_id, agreement_id))

    # units

    @router.post("/units", status_code=201, response_model=UnitOut, tags=["units"])
    async def register_unit(body: c.RegisterUnit, who: Caller) -> Any:
        unit = await h.register_unit(services, who.partner_id, body)
        return (
            await unit_out(who.partner_id, [await one(HousingUnit, who.partner_id, unit.unit_id)])
        )[0]

    @router.get("/units", response_model=PageOut[UnitOut], tags=["units"])
    async def list_units(
        who: Caller,
        limit: Limit = 50,
        offset: Offset = 0,
        municipality_code: Annotated[str | None, Query(pattern=r"^[A-Z][0-9]{3}$")] = None,
        withdrawn: bool | None = None,
    ) -> Any:
        where = (
            []
            if withdrawn is None
            else ["withdrawn_on IS NOT NULL" if withdrawn else "withdrawn_on IS NULL"]
        )
        page = await read(
            lambda repo: repo.list(
                HousingUnit,
                who.partner_id,
                filters={"municipality_code": municipality_code},
                limit=limit,
                offset=offset,
                extra_where=where,
            )
        )
        items = await unit_out(who.partner_id, page.items)
        return PageOut(items=items, total=page.total, limit=limit, offset=offset)

    @router.get("/units/{unit_id}", response_model=UnitOut, tags=["units"])
    async def get_unit(unit_id: UUID, who: Caller) -> Any:
        return (await unit_out(who.partner_id, [await one(HousingUnit, who.partner_id, unit_id)]))[
            0
        ]

    @router.patch("/units/{unit_id}", response_model=UnitOut, tags=["units"])
    async def update_unit(unit_id: UUID, body: c.UpdateUnit, who: Caller) -> Any:
        await h.update_unit(services, who.partner_id, unit_id, body)
        return (await unit_out(who.partner_id, [await one(HousingUnit, who.partner_id, unit_id)]))[
            0
        ]

    @router.post("/units/{unit_id}/withdraw", response_model=UnitOut, tags=["units"])
    async def withdraw_unit(unit_id: UUID, body: c.WithdrawUnit, who: Caller) -> Any:
        await h.withdraw_unit(services, who.partner_id, unit_id, body)
        return (await unit_out(who.partner_id, [await one(HousingUnit, who.partner_id, unit_id)]))[
            0
        ]

    # requests

    @router.post("/requests", status_code=201, response_model=RequestOut, tags=["requests"])
    async def submit_request(body: c.SubmitRequest, who: Caller) -> Any:
        request = await h.submit_request(services, who.partner_id, body)
        return out(RequestOut, await one(HousingRequest, who.partner_id, request.request_id))

    @router.get("/requests", response_model=PageOut[RequestOut], tags=["requests"])
    async def list_requests(
        who: Caller,
        limit: Limit = 50,
        offset: Offset = 0,
        status: RequestStatus | None = None,
        person_ref: Annotated[str | None, Query(pattern=r"^[0-9a-f]{64}$")] = None,
    ) -> Any:
        page = await read(
            lambda repo: repo.list(
                HousingRequest,
                who.partner_id,
                filters={"status": status, "person_ref": person_ref},
                limit=limit,
                offset=offset,
            )
        )
        items = [out(RequestOut, r) for r in page.items]
        return PageOut(items=items, total=page.total, limit=limit, offset=offset)

    @router.get("/requests/{request_id}", response_model=RequestOut, tags=["requests"])
    async def get_request(request_id: UUID, who: Caller) -> Any:
        return out(RequestOut, await one(HousingRequest, who.partner_id, request_id))

    @router.post("/requests/{request_id}/unsatisfied", response_model=RequestOut, tags=["requests"])
    async def declare_unsatisfied(request_id: UUID, body: c.DeclareUnsatisfied, who: Caller) -> Any:
        await h.declare_request_unsatisfied(services, who.partner_id, request_id, body)
        return out(RequestOut, await one(HousingRequest, who.partner_id, request_id))

    @router.post("/requests/{request_id}/withdraw", response_model=RequestOut, tags=["requests"])
    async def withdraw_request(request_id: UUID, body: c.WithdrawRequest, who: Caller) -> Any:
        await h.withdraw_request(services, who.partner_id, request_id, body)
        return out(RequestOut, await one(HousingRequest, who.partner_id, request_id))

    # placements

    @router.post("/placements", status_code=201, response_model=PlacementOut, tags=["placements"])
    async def start_placement(body: c.StartPlacement, who: Caller) -> Any:
        placement = await h.start_placement(services, who.partner_id, body)
        return out(PlacementOut, await one(Placement, who.partner_id, placement.placement_id))

    @router.get("/placements", response_model=PageOut[PlacementOut], tags=["placements"])
    async def list_placements(
        who: Caller,
        limit: Limit = 50,
        offset: Offset = 0,
        status: PlacementStatus | None = None,
        unit_id: UUID | None = None,
        person_ref: Annotated[str | None, Query(pattern=r"^[0-9a-f]{64}$")] = None,
    ) -> Any:
        page = await read(
            lambda repo: repo.list(
                Placement,
                who.partner_id,
                filters={"status": status, "unit_id": unit_id, "person_ref": person_ref},
                limit=limit,
                offset=offset,
            )
        )
        items = [out(PlacementOut, r) for r in page.items]
        return PageOut(items=items, total=page.total, limit=limit, offset=offset)

    @router.get("/placements/{placement_id}", response_model=PlacementOut, tags=["placements"])
    async def get_placement(placement_id: UUID, who: Caller) -> Any:
        return out(PlacementOut, await one(Placement, who.partner_id, placement_id))

    @router.post(
        "/placements/{placement_id}/extend", response_model=PlacementOut, tags=["placements"]
    )
    async def extend_placement(placement_id: UUID, body: c.ExtendPlacement, who: Caller) -> Any:
        await h.extend_placement(services, who.partner_id, placement_id, body)
        return out(PlacementOut, await one(Placement, who.partner_id, placement_id))

    @router.post("/placements/{placement_id}/end", response_model=PlacementOut, tags=["placements"])
    async def end_placement(placement_id: UUID, body: c.EndPlacement, who: Caller) -> Any:
        await h.end_placement(services, who.partner_id, placement_id, body)
        return out(PlacementOut, await one(Placement, who.partner_id, placement_id))

    return router

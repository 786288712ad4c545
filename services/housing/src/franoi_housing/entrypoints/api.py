"""The housing REST API (OpenAPI at ``/openapi.json``, published in ``docs/api/``).

Every endpoint needs a bearer token of a partner this instance serves; every
read and write is scoped by the token's ``partner_id``, so another partner's
resources answer 404 and another partner's staff get 403. Errors are RFC 9457
problems (:mod:`franoi_common.http`); creates with a client-chosen id are safe
to retry.
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
from franoi_contracts.housing import ExitOutcome, UnsatisfiedReason
from pydantic import BaseModel

from franoi_housing.adapters.repository import HousingRepository
from franoi_housing.domain.model import (
    Agreement,
    HousingRequest,
    HousingUnit,
    Placement,
    PlacementStatus,
    RequestStatus,
)
from franoi_housing.service_layer import commands as c
from franoi_housing.service_layer import handlers as h


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


def build_router(partner_ids: tuple[str, ...]) -> APIRouter:
    """The housing API; its handlers reach the wired services through ``app.state``."""
    # Membership is checked once per request for every route; handlers read the caller.
    router = APIRouter(prefix="/v1", dependencies=[Depends(require_partner_member(partner_ids))])

    read = Reads(HousingRepository)
    one, page = read.row, read.page

    async def units_out(
        s: PartnerServices, partner_id: str, rows: list[asyncpg.Record]
    ) -> list[UnitOut]:
        occupied = await read(
            s, lambda repo: repo.occupied_beds(partner_id, [r["unit_id"] for r in rows])
        )
        return [
            UnitOut(
                **{k: v for k, v in dict(r).items() if k in UnitOut.model_fields},
                occupied_beds=occupied.get(r["unit_id"], 0),
                free_beds=r["beds"] - occupied.get(r["unit_id"], 0),
            )
            for r in rows
        ]

    async def unit_out(s: PartnerServices, partner_id: str, unit_id: UUID) -> UnitOut:
        return (await units_out(s, partner_id, [await one(s, HousingUnit, partner_id, unit_id)]))[0]

    # agreements

    @router.post("/agreements", status_code=201, response_model=AgreementOut, tags=["agreements"])
    async def sign_agreement(body: c.SignAgreement, who: Caller, s: Services) -> Any:
        agreement_id = await h.sign_agreement(s, who.partner_id, body)
        return model_of(AgreementOut, await one(s, Agreement, who.partner_id, agreement_id))

    @router.get("/agreements", response_model=Page[AgreementOut], tags=["agreements"])
    async def list_agreements(
        who: Caller, s: Services, limit: Limit = 50, offset: Offset = 0, active: bool | None = None
    ) -> Any:
        where = [] if active is None else ["ended_on IS NULL" if active else "ended_on IS NOT NULL"]
        items, total = await page(s, Agreement, who.partner_id, {}, limit, offset, where)
        return paged([model_of(AgreementOut, r) for r in items], total, limit, offset)

    @router.get("/agreements/{agreement_id}", response_model=AgreementOut, tags=["agreements"])
    async def get_agreement(agreement_id: UUID, who: Caller, s: Services) -> Any:
        return model_of(AgreementOut, await one(s, Agreement, who.partner_id, agreement_id))

    @router.post("/agreements/{agreement_id}/end", response_model=AgreementOut, tags=["agreements"])
    async def end_agreement(
        agreement_id: UUID, body: c.EndAgreement, who: Caller, s: Services
    ) -> Any:
        await h.end_agreement(s, who.partner_id, agreement_id, body)
        return model_of(AgreementOut, await one(s, Agreement, who.partner_id, agreement_id))

    # units

    @router.post("/units", status_code=201, response_model=UnitOut, tags=["units"])
    async def register_unit(body: c.RegisterUnit, who: Caller, s: Services) -> Any:
        unit_id = await h.register_unit(s, who.partner_id, body)
        return await unit_out(s, who.partner_id, unit_id)

    @router.get("/units", response_model=Page[UnitOut], tags=["units"])
    async def list_units(
        who: Caller,
        s: Services,
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
        filters = {"municipality_code": municipality_code}
        items, total = await page(s, HousingUnit, who.partner_id, filters, limit, offset, where)
        return paged(await units_out(s, who.partner_id, items), total, limit, offset)

    @router.get("/units/{unit_id}", response_model=UnitOut, tags=["units"])
    async def get_unit(unit_id: UUID, who: Caller, s: Services) -> Any:
        return await unit_out(s, who.partner_id, unit_id)

    @router.patch("/units/{unit_id}", response_model=UnitOut, tags=["units"])
    async def update_unit(unit_id: UUID, body: c.UpdateUnit, who: Caller, s: Services) -> Any:
        await h.update_unit(s, who.partner_id, unit_id, body)
        return await unit_out(s, who.partner_id, unit_id)

    @router.post("/units/{unit_id}/withdraw", response_model=UnitOut, tags=["units"])
    async def withdraw_unit(unit_id: UUID, body: c.WithdrawUnit, who: Caller, s: Services) -> Any:
        await h.withdraw_unit(s, who.partner_id, unit_id, body)
        return await unit_out(s, who.partner_id, unit_id)

    # requests

    @router.post("/requests", status_code=201, response_model=RequestOut, tags=["requests"])
    async def submit_request(body: c.SubmitRequest, who: Caller, s: Services) -> Any:
        request_id = await h.submit_request(s, who.partner_id, body)
        return model_of(RequestOut, await one(s, HousingRequest, who.partner_id, request_id))

    @router.get("/requests", response_model=Page[RequestOut], tags=["requests"])
    async def list_requests(
        who: Caller,
        s: Services,
        limit: Limit = 50,
        offset: Offset = 0,
        status: RequestStatus | None = None,
        person_ref: PersonRefQuery = None,
    ) -> Any:
        filters = {"status": status, "person_ref": person_ref}
        items, total = await page(s, HousingRequest, who.partner_id, filters, limit, offset)
        return paged([model_of(RequestOut, r) for r in items], total, limit, offset)

    @router.get("/requests/{request_id}", response_model=RequestOut, tags=["requests"])
    async def get_request(request_id: UUID, who: Caller, s: Services) -> Any:
        return model_of(RequestOut, await one(s, HousingRequest, who.partner_id, request_id))

    @router.post("/requests/{request_id}/unsatisfied", response_model=RequestOut, tags=["requests"])
    async def declare_unsatisfied(
        request_id: UUID, body: c.DeclareUnsatisfied, who: Caller, s: Services
    ) -> Any:
        await h.declare_request_unsatisfied(s, who.partner_id, request_id, body)
        return model_of(RequestOut, await one(s, HousingRequest, who.partner_id, request_id))

    @router.post("/requests/{request_id}/withdraw", response_model=RequestOut, tags=["requests"])
    async def withdraw_request(
        request_id: UUID, body: c.WithdrawRequest, who: Caller, s: Services
    ) -> Any:
        await h.withdraw_request(s, who.partner_id, request_id, body)
        return model_of(RequestOut, await one(s, HousingRequest, who.partner_id, request_id))

    # placements

    @router.post("/placements", status_code=201, response_model=PlacementOut, tags=["placements"])
    async def start_placement(body: c.StartPlacement, who: Caller, s: Services) -> Any:
        placement_id = await h.start_placement(s, who.partner_id, body)
        return model_of(PlacementOut, await one(s, Placement, who.partner_id, placement_id))

    @router.get("/placements", response_model=Page[PlacementOut], tags=["placements"])
    async def list_placements(
        who: Caller,
        s: Services,
        limit: Limit = 50,
        offset: Offset = 0,
        status: PlacementStatus | None = None,
        unit_id: UUID | None = None,
        person_ref: PersonRefQuery = None,
    ) -> Any:
        filters = {"status": status, "unit_id": unit_id, "person_ref": person_ref}
        items, total = await page(s, Placement, who.partner_id, filters, limit, offset)
        return paged([model_of(PlacementOut, r) for r in items], total, limit, offset)

    @router.get("/placements/{placement_id}", response_model=PlacementOut, tags=["placements"])
    async def get_placement(placement_id: UUID, who: Caller, s: Services) -> Any:
        return model_of(PlacementOut, await one(s, Placement, who.partner_id, placement_id))

    @router.post(
        "/placements/{placement_id}/extend", response_model=PlacementOut, tags=["placements"]
    )
    async def extend_placement(
        placement_id: UUID, body: c.ExtendPlacement, who: Caller, s: Services
    ) -> Any:
        await h.extend_placement(s, who.partner_id, placement_id, body)
        return model_of(PlacementOut, await one(s, Placement, who.partner_id, placement_id))

    @router.post("/placements/{placement_id}/end", response_model=PlacementOut, tags=["placements"])
    async def end_placement(
        placement_id: UUID, body: c.EndPlacement, who: Caller, s: Services
    ) -> Any:
        await h.end_placement(s, who.partner_id, placement_id, body)
        return model_of(PlacementOut, await one(s, Placement, who.partner_id, placement_id))

    # the person's file

    async def records_of(
        s: PartnerServices, repo: HousingRepository, partner_id: str, person_ref: str
    ) -> dict[str, list[Any]]:
        requests = await repo.rows_of_person(HousingRequest, partner_id, person_ref)
        placements = await repo.rows_of_person(Placement, partner_id, person_ref)
        return {
            "requests": [model_of(RequestOut, r) for r in requests],
            "placements": [model_of(PlacementOut, r) for r in placements],
        }

    add_person_records(router, read, "housing", records_of)

    return router

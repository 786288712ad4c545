"""The housing REST API (OpenAPI at ``/openapi.json``, published in ``docs/api/``).

Every endpoint needs a bearer token of a partner this instance serves; every
read and write is scoped by the token's ``partner_id``, so another partner's
resources answer 404 and another partner's staff get 403. Errors are RFC 9457
problems (:mod:`franoi_common.http`); creates with a client-chosen id are safe
to retry. A command answers the resource as its handler left it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

from franoi_common.api import (
    Action,
    Answer,
    MunicipalityQuery,
    PartnerApi,
    PersonRefQuery,
    in_force,
)
from franoi_common.commands import PartnerServices
from franoi_common.importing import Sheet
from franoi_contracts.housing import ExitOutcome, UnsatisfiedReason

from franoi_housing.adapters.repository import HousingRepository
from franoi_housing.domain.model import (
    Agreement,
    HousingRequest,
    HousingUnit,
    Placement,
    PlacementStatus,
    RequestStatus,
)
from franoi_housing.service_layer import handlers


class AgreementOut(Answer):
    agreement_id: UUID
    partner_id: str
    counterpart_kind: str
    counterpart_name: str | None
    signed_on: dt.date
    valid_until: dt.date | None
    units_pledged: int | None
    ended_on: dt.date | None


class UnitOut(Answer):
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


class RequestOut(Answer):
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


class PlacementOut(Answer):
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


api = PartnerApi(HousingRepository)
router = api.router
read = api.read


def offered(withdrawn: bool | None) -> tuple[list[str], list[Any]]:
    """Units withdrawn, or still offered."""
    if withdrawn is None:
        return [], []
    return ["withdrawn_on IS NOT NULL" if withdrawn else "withdrawn_on IS NULL"], []


units_out = read.with_room(
    UnitOut, "beds", "occupied_beds", "free_beds", HousingRepository.occupied_beds
)
"""Listed units with the beds their active placements take."""

api.resource(
    "/agreements",
    Agreement,
    AgreementOut,
    create=handlers.sign_agreement,
    actions={"end": handlers.end_agreement},
    **in_force(),
)
api.resource(
    "/units",
    HousingUnit,
    UnitOut,
    create=handlers.register_unit,
    update=handlers.update_unit,
    actions={"withdraw": handlers.withdraw_unit},
    query={"municipality_code": MunicipalityQuery, "withdrawn": bool},
    where=offered,
    answers=units_out,
)
api.resource(
    "/requests",
    HousingRequest,
    RequestOut,
    create=handlers.submit_request,
    actions={
        "unsatisfied": Action.of(handlers.declare_request_unsatisfied, name="declare_unsatisfied"),
        "withdraw": handlers.withdraw_request,
    },
    query={"status": RequestStatus, "person_ref": PersonRefQuery},
)
api.resource(
    "/placements",
    Placement,
    PlacementOut,
    create=handlers.start_placement,
    actions={"extend": handlers.extend_placement, "end": handlers.end_placement},
    query={"status": PlacementStatus, "unit_id": UUID, "person_ref": PersonRefQuery},
)

# --- the person's file -------------------------------------------------------------------


async def records_of(
    s: PartnerServices, repo: HousingRepository, partner_id: str, person_ref: str
) -> dict[str, list[Any]]:
    requests = await repo.rows_of_person(HousingRequest, partner_id, person_ref)
    placements = await repo.rows_of_person(Placement, partner_id, person_ref)
    return {
        "requests": [RequestOut.of(partner_id, r) for r in requests],
        "placements": [PlacementOut.of(partner_id, r) for r in placements],
    }


api.person_records("housing", records_of)

# --- history from spreadsheets -----------------------------------------------------------

api.imports(
    Sheet("agreements", handlers.sign_agreement, "agreement_id", then=[handlers.end_agreement]),
    Sheet(
        "units",
        handlers.register_unit,
        "unit_id",
        refers={"agreement_id": "agreements"},
        then=[handlers.withdraw_unit],
    ),
    Sheet(
        "housing_requests",
        handlers.submit_request,
        "request_id",
        then=[handlers.declare_request_unsatisfied],
    ),
    Sheet(
        "placements",
        handlers.start_placement,
        "placement_id",
        refers={"unit_id": "units", "request_id": "housing_requests"},
        then=[handlers.end_placement],
    ),
)

"""Erasure and subject access: ``POST /v1/persons/{id}/erase`` and
``GET /v1/persons/{id}/export`` (partner admins only).

The export is the person's whole file — this record, its plans with their tasks, its
consent history, what the partner's other services hold under the person's
``person_ref``, and the access log of the record — as one JSON document for a request under GDPR
art. 15. Both are scoped by the caller's partner: another partner's person
answers 404.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from uuid import UUID

from fastapi import Request, Response
from franoi_common.api import Caller, partner_router
from franoi_common.auth import Role
from pydantic import BaseModel, Field

from franoi_cases.entrypoints.api import (
    AccessOut,
    ConsentOut,
    PersonFileOut,
    Services,
    consent_out,
    file_out,
)
from franoi_cases.service_layer import erasure, handlers


class ErasureOut(BaseModel):
    person_id: UUID
    erased_on: dt.date
    records_erased: int = Field(
        description="Person records deleted by this request (the person's and those merged"
        " into it); 0 when the person had already been erased"
    )


class PersonExportOut(PersonFileOut):
    """The person's file for a subject-access request (GDPR art. 15)."""

    partner_id: str
    exported_at: dt.datetime
    consents: list[ConsentOut] = Field(description="The consent history, oldest first")
    access_log: list[AccessOut]


router = partner_router(Role.PARTNER_ADMIN)
"""Erasing and exporting a person is for partner admins."""


@router.post("/persons/{person_id}/erase", response_model=ErasureOut, tags=["persons"])
async def erase_person(person_id: UUID, who: Caller, s: Services) -> Any:
    """Erase the person (GDPR art. 17): their record, the records merged into it and
    their plans are deleted; the partner's other services and the network's
    projection detach the person's reference when they hear of it (counts stay).
    The access log keeps its lines (person id only). Repeating it is harmless."""
    done = await erasure.erase_person(s, who, person_id)
    return ErasureOut(
        person_id=done.person_id, erased_on=done.erased_on, records_erased=done.records_erased
    )


@router.get("/persons/{person_id}/export", response_model=PersonExportOut, tags=["persons"])
async def export_person(
    person_id: UUID, who: Caller, s: Services, request: Request, response: Response
) -> Any:
    """The person's whole file as one JSON document (GDPR art. 15): record, plans and
    their tasks, consent history, the partner's other services' records, and the
    record's access log (this export included)."""
    found = await handlers.person_file(s, who, person_id, request.headers.get("authorization", ""))
    consents = await handlers.consent_history(s, who, person_id)
    log = await handlers.export_person_log(s, who, person_id)
    response.headers["Content-Disposition"] = f'attachment; filename="person-{person_id}.json"'
    return PersonExportOut(
        partner_id=who.partner_id,
        exported_at=dt.datetime.now(dt.UTC),
        **file_out(found),
        consents=[consent_out(consent) for consent in consents],
        access_log=[AccessOut.model_validate(r) for r in log.items],
    )

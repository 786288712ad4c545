"""``/v1/network/partners``: the partner directory — who the partners are, the kind of
organisation, region and province, the axes they work on, since when — read by the
viewers and managed by the consortium's admins."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Path
from franoi_common.api import Day, read_only
from franoi_common.errors import AlreadyExists, NotFound
from franoi_common.persons import PRINTABLE
from pydantic import BaseModel, ConfigDict, Field, field_validator

from franoi_projection.adapters.exports import Column, Sheet
from franoi_projection.domain.indicators import Text
from franoi_projection.entrypoints import params
from franoi_projection.entrypoints.access import DirectoryReader, directory_admin
from franoi_projection.queries import directory

Axis = Literal["housing", "employment", "hosting", "events", "cases"]
Kind = Literal["cooperative", "association", "foundation", "public_body", "other"]
PartnerId = Annotated[str, Path(pattern=r"^p[0-9]{2,3}$")]


class PartnerFields(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=120, pattern=PRINTABLE)
    kind: Kind
    region: str = Field(min_length=1, max_length=40, pattern=PRINTABLE)
    province: str = Field(pattern=r"^[A-Z]{2}$", description="Province code, e.g. MI")
    axes: list[Axis] = Field(max_length=5, description="The axes the partner works on")
    active_since: Day | None = None

    @field_validator("axes")
    @classmethod
    def _distinct(cls, axes: list[str]) -> list[str]:
        if len(set(axes)) != len(axes):
            raise ValueError("an axis is listed twice")
        return axes


class PartnerIn(PartnerFields):
    partner_id: str = Field(pattern=r"^p[0-9]{2,3}$")


class PartnerOut(BaseModel):
    partner_id: str
    name: str
    kind: str
    region: str
    province: str
    axes: list[str]
    active_since: dt.date | None


_SHEET = (
    (Text("Partner", "Partner id"), "text", "partner_id"),
    (Text("Nome", "Name"), "text", "name"),
    (Text("Tipo di organizzazione", "Kind of organisation"), "text", "kind"),
    (Text("Regione", "Region"), "text", "region"),
    (Text("Provincia", "Province"), "text", "province"),
    (Text("Assi", "Axes"), "text", "axes"),
    (Text("Attivo dal", "Active since"), "date", "active_since"),
)


def build_router() -> APIRouter:
    router = APIRouter(prefix="/v1/network", tags=["network views"])

    @router.get("/partners", response_model=list[PartnerOut], responses=params.DOWNLOADS)
    async def list_partners(
        who: DirectoryReader,
        pool: params.Pool,
        output: params.Output,
        region: params.RegionFilter = None,
    ) -> Any:
        """The partner directory: kind of organisation, region, axes, active since (read by
        the consortium, integrators and every partner's people: whom to refer a person to)."""
        async with read_only(pool) as conn:
            rows = await directory.directory(conn, None, region)
        if output.download:
            sheet = Sheet(
                Text("Partner", "Partners"),
                [Column(header, kind) for header, kind, _ in _SHEET],
                [[r[name] for _, _, name in _SHEET] for r in rows],
            )
            return params.download(sheet, output, "partners")
        return rows

    @router.post(
        "/partners",
        status_code=201,
        response_model=PartnerOut,
        dependencies=[Depends(directory_admin)],
    )
    async def create_partner(body: PartnerIn, pool: params.Pool) -> Any:
        """Add a partner to the directory (consortium partner admins only)."""
        values = body.model_dump()
        async with pool.acquire() as conn, conn.transaction():
            if not await directory.insert_partner(conn, values):
                existing = await directory.partner(conn, body.partner_id)
                if existing == PartnerOut.model_validate(values).model_dump():
                    return existing  # the same request again
                raise AlreadyExists(f"partner {body.partner_id} is already in the directory")
            return await directory.partner(conn, body.partner_id)

    @router.put(
        "/partners/{partner_id}",
        response_model=PartnerOut,
        dependencies=[Depends(directory_admin)],
    )
    async def update_partner(body: PartnerFields, pool: params.Pool, partner_id: PartnerId) -> Any:
        """Change a partner's details (consortium partner admins only)."""
        values = {**body.model_dump(), "partner_id": partner_id}
        async with pool.acquire() as conn, conn.transaction():
            if not await directory.update_partner(conn, values):
                raise NotFound(f"no partner {partner_id} in the directory")
            return await directory.partner(conn, partner_id)

    return router

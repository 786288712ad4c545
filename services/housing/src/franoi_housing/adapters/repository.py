"""PostgreSQL persistence of the housing aggregates, always scoped by partner.

The generic add / update / get / list come from :class:`franoi_common.repository.Repository`;
this adds what housing needs beyond them: a unit's active placements (loaded
with the unit, for the capacity rule) and occupied beds per unit.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import UUID

from franoi_common.periods import active
from franoi_common.repository import Repository, Table

from franoi_housing.domain.model import (
    Agreement,
    HousingRequest,
    HousingUnit,
    Placement,
)


class HousingRepository(Repository):
    tables = {
        Agreement: Table("agreements", "agreement_id"),
        HousingUnit: Table("housing_units", "unit_id", frozenset({"events", "active_placements"})),
        HousingRequest: Table("housing_requests", "request_id"),
        Placement: Table("placements", "placement_id"),
    }

    async def load_parts(self, partner_id: str, aggregate: Any) -> None:
        if isinstance(aggregate, HousingUnit):
            aggregate.active_placements = await active(
                self, Placement, partner_id, unit_id=aggregate.unit_id
            )

    async def occupied_beds(self, partner_id: str, unit_ids: Sequence[UUID]) -> dict[UUID, int]:
        rows = await self.conn.fetch(
            "SELECT unit_id, sum(household_size) AS occupied FROM placements"
            " WHERE partner_id = $1 AND status = 'active' AND unit_id = ANY($2::uuid[])"
            " GROUP BY unit_id",
            partner_id,
            list(unit_ids),
        )
        return {row["unit_id"]: int(row["occupied"]) for row in rows}

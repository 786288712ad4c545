"""PostgreSQL persistence of the hosting aggregates, always scoped by partner.

The generic add / update / get / list come from :class:`franoi_common.repository.Repository`;
this adds what hosting needs beyond them: a family's open matches and active
stays (loaded with the family, for the capacity rule) and its private data, the
person's accepted matches and active stays, rooms taken per family and the
follow-up list. Locking a family's row (``for_update``) serialises every
command that can take one of its rooms (propose, accept, start a stay).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar
from uuid import UUID

import asyncpg
from franoi_common.periods import active
from franoi_common.repository import Repository, Rows, Table
from franoi_contracts.hosting import LOW_WELLBEING, VisitFlag

from franoi_hosting.domain.families import HostFamily, PrivateDetails
from franoi_hosting.domain.model import (
    FamilyRequest,
    Match,
    MatchStatus,
    MonitoringVisit,
    Stay,
)

A = TypeVar("A")


class HostingRepository(Repository):
    tables = {
        HostFamily: Table(
            "host_families",
            "family_id",
            frozenset({"events", "open_matches", "active_stays", "private"}),
        ),
        FamilyRequest: Table("family_requests", "request_id"),
        Match: Table("matches", "match_id"),
        Stay: Table("hosting_stays", "stay_id"),
        MonitoringVisit: Table("monitoring_visits", "visit_id"),
    }

    @classmethod
    def one_row(cls, kind: type[Any]) -> bool:
        return kind is not HostFamily  # and its private data

    async def add(self, partner_id: str, aggregate: Any, **local: Any) -> asyncpg.Record | None:
        row = await super().add(partner_id, aggregate, **local)
        if isinstance(aggregate, HostFamily):
            await self.save_private(partner_id, aggregate)
        return row

    def from_row(self, cls: type[A], row: asyncpg.Record) -> A:
        if cls is MonitoringVisit:  # a list of enums: the generic mapping handles single ones
            values = {name: row[name] for name in self.columns(cls)}
            values["flags"] = [VisitFlag(f) for f in values["flags"]]
            return cls(**values)
        return super().from_row(cls, row)

    async def load_parts(self, partner_id: str, aggregate: Any) -> None:
        if isinstance(aggregate, HostFamily):
            aggregate.open_matches = await self.open_matches(partner_id, aggregate.family_id)
            aggregate.active_stays = await active(
                self, Stay, partner_id, family_id=aggregate.family_id
            )
            aggregate.private = await self.private(partner_id, aggregate.family_id)

    async def family_of_match(self, partner_id: str, match_id: UUID) -> UUID | None:
        found: UUID | None = await self.conn.fetchval(
            "SELECT family_id FROM matches WHERE partner_id = $1 AND match_id = $2",
            partner_id,
            match_id,
        )
        return found

    async def open_matches(self, partner_id: str, family_id: UUID) -> list[Match]:
        return await self.find(
            Match,
            partner_id,
            oldest_first_by="proposed_on",
            family_id=family_id,
            status=[MatchStatus.PROPOSED, MatchStatus.ACCEPTED],
        )

    async def accepted_matches(self, partner_id: str, person_ref: str) -> list[Match]:
        return await self.find(
            Match, partner_id, person_ref=person_ref, status=MatchStatus.ACCEPTED
        )

    # --- the family's private data -----------------------------------------------------

    async def save_private(self, partner_id: str, family: HostFamily) -> None:
        """Store the family's private data (as it now is)."""
        private = family.private or PrivateDetails()
        await self.conn.execute(
            "INSERT INTO host_family_private (family_id, partner_id, members, address, phone,"
            " email) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (family_id) DO UPDATE"
            " SET members = $3, address = $4, phone = $5, email = $6",
            family.family_id,
            partner_id,
            private.members,
            private.address,
            private.phone,
            private.email,
        )

    async def private(self, partner_id: str, family_id: UUID) -> PrivateDetails | None:
        row = await self.conn.fetchrow(
            "SELECT members, address, phone, email FROM host_family_private"
            " WHERE partner_id = $1 AND family_id = $2",
            partner_id,
            family_id,
        )
        return None if row is None else PrivateDetails(**dict(row))

    # --- reads -------------------------------------------------------------------------

    async def occupied_rooms(self, partner_id: str, family_ids: Sequence[UUID]) -> dict[UUID, int]:
        """Rooms taken per family: active stays plus accepted matches not started."""
        rows = await self.conn.fetch(
            "SELECT family_id, count(*) AS taken FROM ("
            "  SELECT family_id FROM hosting_stays"
            "   WHERE partner_id = $1 AND status = 'active' AND family_id = ANY($2::uuid[])"
            "  UNION ALL"
            "  SELECT family_id FROM matches"
            "   WHERE partner_id = $1 AND status = 'accepted' AND family_id = ANY($2::uuid[])"
            ") taken GROUP BY family_id",
            partner_id,
            list(family_ids),
        )
        return {row["family_id"]: int(row["taken"]) for row in rows}

    async def visits_of_person(self, partner_id: str, person_ref: str) -> list[asyncpg.Record]:
        return list(
            await self.conn.fetch(
                "SELECT v.* FROM monitoring_visits v JOIN hosting_stays s"
                " ON s.partner_id = v.partner_id AND s.stay_id = v.stay_id"
                " WHERE v.partner_id = $1 AND s.person_ref = $2"
                " ORDER BY v.visited_on, v.created_at, v.visit_id",
                partner_id,
                person_ref,
            )
        )

    async def follow_up(self, partner_id: str, limit: int, offset: int) -> Rows:
        """Active stays whose last visit has a flag or a score at or below LOW_WELLBEING."""
        query = (
            "FROM hosting_stays s"
            " JOIN LATERAL (SELECT * FROM monitoring_visits v"
            "   WHERE v.partner_id = s.partner_id AND v.stay_id = s.stay_id"
            "   ORDER BY v.visited_on DESC, v.created_at DESC, v.visit_id DESC LIMIT 1) last"
            " ON true"
            " WHERE s.partner_id = $1 AND s.status = 'active'"
            "   AND (cardinality(last.flags) > 0"
            "        OR least(last.guest_wellbeing, last.family_wellbeing) <= $2)"
        )
        total = await self.conn.fetchval(f"SELECT count(*) {query}", partner_id, LOW_WELLBEING)
        rows = await self.conn.fetch(
            "SELECT s.*, last.visit_id AS last_visit_id, last.visited_on AS last_visited_on,"
            " last.guest_wellbeing AS last_guest_wellbeing,"
            " last.family_wellbeing AS last_family_wellbeing, last.flags AS last_flags"
            f" {query} ORDER BY last.visited_on, s.stay_id LIMIT $3 OFFSET $4",
            partner_id,
            LOW_WELLBEING,
            limit,
            offset,
        )
        return Rows(items=list(rows), total=int(total))

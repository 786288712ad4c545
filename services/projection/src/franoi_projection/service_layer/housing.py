"""Applies housing events to the network read models.

Each function runs inside the idempotent consumer's transaction. Upserts make
every change safe to apply in any order the contract allows: one aggregate's
events arrive in order (same Kafka key), different aggregates in any order.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
from franoi_common.consumer import Delivery, Unprocessable
from franoi_common.envelope import Envelope
from franoi_common.events import DomainEvent, event_class
from franoi_contracts import housing as ev

Apply = Callable[[asyncpg.Connection, str, Any], Awaitable[None]]


async def _unit_registered(conn: asyncpg.Connection, partner: str, e: ev.UnitRegistered) -> None:
    await conn.execute(
        "INSERT INTO housing_units (partner_id, unit_id, municipality_code, beds,"
        " monthly_rent_eur, rent_regime, provider, available_from)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
        " ON CONFLICT (partner_id, unit_id) DO UPDATE SET municipality_code = $3, beds = $4,"
        " monthly_rent_eur = $5, rent_regime = $6, provider = $7, available_from = $8",
        partner,
        e.unit_id,
        e.municipality_code,
        e.beds,
        e.monthly_rent_eur,
        e.rent_regime.value,
        e.provider.value,
        e.available_from,
    )


async def _unit_updated(conn: asyncpg.Connection, partner: str, e: ev.UnitUpdated) -> None:
    await conn.execute(
        "UPDATE housing_units SET beds = $3, monthly_rent_eur = $4, rent_regime = $5"
        " WHERE partner_id = $1 AND unit_id = $2",
        partner,
        e.unit_id,
        e.beds,
        e.monthly_rent_eur,
        e.rent_regime.value,
    )


async def _unit_withdrawn(conn: asyncpg.Connection, partner: str, e: ev.UnitWithdrawn) -> None:
    await conn.execute(
        "UPDATE housing_units SET withdrawn_on = $3 WHERE partner_id = $1 AND unit_id = $2",
        partner,
        e.unit_id,
        e.withdrawn_on,
    )


async def _request_submitted(
    conn: asyncpg.Connection, partner: str, e: ev.RequestSubmitted
) -> None:
    await conn.execute(
        "INSERT INTO housing_requests (partner_id, request_id, person_ref, household_size, need,"
        " submitted_on, sex, age_band, protection_status)"
        " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT DO NOTHING",
        partner,
        e.request_id,
        e.person_ref,
        e.household_size,
        e.need.value,
        e.submitted_on,
        e.sex.value,
        e.age_band.value,
        e.protection_status.value,
    )


async def _close_request(
    conn: asyncpg.Connection, partner: str, request_id: Any, status: str, closed_on: Any
) -> None:
    await conn.execute(
        "UPDATE housing_requests SET status = $3, closed_on = $4"
        " WHERE partner_id = $1 AND request_id = $2",
        partner,
        request_id,
        status,
        closed_on,
    )


async def _request_satisfied(
    conn: asyncpg.Connection, partner: str, e: ev.RequestSatisfied
) -> None:
    await _close_request(conn, partner, e.request_id, "satisfied", e.closed_on)


async def _request_unsatisfied(
    conn: asyncpg.Connection, partner: str, e: ev.RequestUnsatisfied
) -> None:
    await _close_request(conn, partner, e.request_id, "unsatisfied", e.closed_on)


async def _request_withdrawn(
    conn: asyncpg.Connection, partner: str, e: ev.RequestWithdrawn
) -> None:
    await _close_request(conn, partner, e.request_id, "withdrawn", e.closed_on)


async def _placement_started(
    conn: asyncpg.Connection, partner: str, e: ev.PlacementStarted
) -> None:
    await conn.execute(
        "INSERT INTO housing_placements (partner_id, placement_id, unit_id, request_id,"
        " person_ref, household_size, started_on, planned_end_on, sex, age_band,"
        " protection_status) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
        " ON CONFLICT DO NOTHING",
        partner,
        e.placement_id,
        e.unit_id,
        e.request_id,
        e.person_ref,
        e.household_size,
        e.started_on,
        e.planned_end_on,
        e.sex.value,
        e.age_band.value,
        e.protection_status.value,
    )


async def _placement_extended(
    conn: asyncpg.Connection, partner: str, e: ev.PlacementExtended
) -> None:
    await conn.execute(
        "UPDATE housing_placements SET planned_end_on = $3"
        " WHERE partner_id = $1 AND placement_id = $2",
        partner,
        e.placement_id,
        e.planned_end_on,
    )


async def _placement_ended(conn: asyncpg.Connection, partner: str, e: ev.PlacementEnded) -> None:
    await conn.execute(
        "UPDATE housing_placements SET ended_on = $3, exit_outcome = $4"
        " WHERE partner_id = $1 AND placement_id = $2",
        partner,
        e.placement_id,
        e.ended_on,
        e.exit_outcome.value,
    )


async def _ignore(conn: asyncpg.Connection, partner: str, e: DomainEvent) -> None:
    """Agreements are not part of the network's housing KPIs yet."""


APPLY: dict[type[DomainEvent], Apply] = {
    ev.UnitRegistered: _unit_registered,
    ev.UnitUpdated: _unit_updated,
    ev.UnitWithdrawn: _unit_withdrawn,
    ev.AgreementSigned: _ignore,
    ev.AgreementEnded: _ignore,
    ev.RequestSubmitted: _request_submitted,
    ev.RequestSatisfied: _request_satisfied,
    ev.RequestUnsatisfied: _request_unsatisfied,
    ev.RequestWithdrawn: _request_withdrawn,
    ev.PlacementStarted: _placement_started,
    ev.PlacementExtended: _placement_extended,
    ev.PlacementEnded: _placement_ended,
}


async def apply_event(conn: asyncpg.Connection, envelope: Envelope, delivery: Delivery) -> None:
    """The consumer's handler: validate against the contract, check the partner, apply."""
    cls = event_class(envelope.type)
    if cls is None or cls not in APPLY:
        raise Unprocessable(f"unknown event type {envelope.type!r}")
    event = cls.model_validate(envelope.data)  # ValidationError → dead letter with reason
    if event.aggregate_id != envelope.subject:
        raise Unprocessable("ce_subject does not match the event's aggregate id")
    known = await conn.fetchval(
        "SELECT true FROM partners WHERE partner_id = $1", envelope.partnerid
    )
    if not known:
        raise Unprocessable(f"unknown partner {envelope.partnerid!r}")
    await APPLY[cls](conn, envelope.partnerid, event)

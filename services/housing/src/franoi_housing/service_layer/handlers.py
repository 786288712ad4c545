"""Command handlers: load aggregates, let the domain decide, save, append events.

Each handler is one unit of work (:class:`franoi_common.commands.CommandUnit`):
the state change and its outbox rows commit together or not at all. Lock
order is unit → request → placement, so two commands on the same unit or
person cannot interleave. Creates with a client-chosen id are safe to retry:
an identical retry answers the existing resource and records nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any
from uuid import UUID

import asyncpg
from franoi_common.commands import PartnerServices, change, create
from franoi_common.outbox import Outbox

from franoi_housing.adapters.repository import HousingRepository
from franoi_housing.domain.model import (
    Agreement,
    HousingRequest,
    HousingUnit,
    InvalidTransition,
    PersonAlreadyPlaced,
    Placement,
)
from franoi_housing.service_layer import commands as c

NAMES: dict[type[Any], str] = {
    Agreement: "agreement",
    HousingUnit: "housing unit",
    HousingRequest: "housing request",
    Placement: "placement",
}


def housing_services(
    pool: asyncpg.Pool,
    outbox: Outbox,
    pseudonym_key: bytes,
    after_commit: Callable[[], None] | None = None,
) -> PartnerServices:
    """What the handlers need, built once by bootstrap."""
    return PartnerServices(
        pool=pool,
        outbox=outbox,
        pseudonym_key=pseudonym_key,
        repository=HousingRepository,
        names=NAMES,
        constraint_errors={
            "placements_one_active_per_person": lambda: PersonAlreadyPlaced(
                "the person already has an active placement"
            )
        },
        after_commit=after_commit,
    )


# --- agreements -------------------------------------------------------------------------


async def sign_agreement(s: PartnerServices, partner_id: str, cmd: c.SignAgreement) -> UUID:
    return await create(
        s,
        partner_id,
        Agreement,
        cmd.agreement_id,
        cmd,
        lambda agreement_id: Agreement.sign(
            agreement_id=agreement_id,
            counterpart_kind=cmd.counterpart_kind,
            signed_on=cmd.signed_on,
            valid_until=cmd.valid_until,
            units_pledged=cmd.units_pledged,
        ),
        counterpart_name=cmd.counterpart_name,
    )


async def end_agreement(
    s: PartnerServices, partner_id: str, agreement_id: UUID, cmd: c.EndAgreement
) -> Agreement:
    return await change(s, partner_id, Agreement, agreement_id, lambda a: a.end(cmd.ended_on))


# --- units ------------------------------------------------------------------------------


async def register_unit(s: PartnerServices, partner_id: str, cmd: c.RegisterUnit) -> UUID:
    unit_id = cmd.unit_id or uuid.uuid4()
    async with s.uow() as uow:
        if await uow.replayed(HousingUnit, partner_id, cmd.unit_id, cmd):
            return unit_id
        unit = HousingUnit.register(
            unit_id=unit_id,
            municipality_code=cmd.municipality_code,
            beds=cmd.beds,
            monthly_rent_eur=cmd.monthly_rent_eur,
            rent_regime=cmd.rent_regime,
            provider=cmd.provider,
            available_from=cmd.available_from,
            agreement_id=cmd.agreement_id,
        )
        if cmd.agreement_id is not None:
            agreement = await uow.must_get(Agreement, partner_id, cmd.agreement_id)
            if agreement.is_ended:
                raise InvalidTransition("the agreement has ended")
        await uow.add(partner_id, unit, command=cmd)
        await uow.publish(partner_id, unit)
    return unit_id


async def update_unit(
    s: PartnerServices, partner_id: str, unit_id: UUID, cmd: c.UpdateUnit
) -> HousingUnit:
    def update(unit: HousingUnit) -> None:
        unit.update(
            beds=cmd.beds, monthly_rent_eur=cmd.monthly_rent_eur, rent_regime=cmd.rent_regime
        )

    return await change(s, partner_id, HousingUnit, unit_id, update)


async def withdraw_unit(
    s: PartnerServices, partner_id: str, unit_id: UUID, cmd: c.WithdrawUnit
) -> HousingUnit:
    return await change(s, partner_id, HousingUnit, unit_id, lambda u: u.withdraw(cmd.withdrawn_on))


# --- requests ---------------------------------------------------------------------------


async def submit_request(s: PartnerServices, partner_id: str, cmd: c.SubmitRequest) -> UUID:
    ref = s.person_ref_of(cmd)
    return await create(
        s,
        partner_id,
        HousingRequest,
        cmd.request_id,
        cmd,
        lambda request_id: HousingRequest.submit(
            request_id=request_id,
            person_ref=ref,
            household_size=cmd.household_size,
            need=cmd.need,
            submitted_on=cmd.submitted_on,
            sex=cmd.sex,
            age_band=cmd.age_band,
            protection_status=cmd.protection_status,
        ),
    )


async def declare_request_unsatisfied(
    s: PartnerServices, partner_id: str, request_id: UUID, cmd: c.DeclareUnsatisfied
) -> HousingRequest:
    return await change(
        s,
        partner_id,
        HousingRequest,
        request_id,
        lambda r: r.declare_unsatisfied(cmd.closed_on, cmd.reason),
    )


async def withdraw_request(
    s: PartnerServices, partner_id: str, request_id: UUID, cmd: c.WithdrawRequest
) -> HousingRequest:
    return await change(
        s, partner_id, HousingRequest, request_id, lambda r: r.withdraw(cmd.closed_on)
    )


# --- placements -------------------------------------------------------------------------


async def start_placement(s: PartnerServices, partner_id: str, cmd: c.StartPlacement) -> UUID:
    placement_id = cmd.placement_id or uuid.uuid4()
    ref = s.person_ref_of(cmd)
    async with s.uow() as uow:
        if await uow.replayed(Placement, partner_id, cmd.placement_id, cmd):
            return placement_id
        repo = uow.repository(HousingRepository)
        unit = await uow.must_get(HousingUnit, partner_id, cmd.unit_id)
        request = None
        if cmd.request_id is not None:
            request = await uow.must_get(HousingRequest, partner_id, cmd.request_id)
        placement = unit.start_placement(
            placement_id=placement_id,
            person_ref=ref,
            household_size=cmd.household_size,
            started_on=cmd.started_on,
            planned_end_on=cmd.planned_end_on,
            sex=cmd.sex,
            age_band=cmd.age_band,
            protection_status=cmd.protection_status,
            request=request,
            person_active_placements=await repo.active_placements(partner_id, person_ref=ref),
        )
        await uow.add(partner_id, placement, command=cmd)
        if request is not None:
            await repo.update(partner_id, request)
            await uow.publish(partner_id, placement, request)
        else:
            await uow.publish(partner_id, placement)
    return placement_id


async def extend_placement(
    s: PartnerServices, partner_id: str, placement_id: UUID, cmd: c.ExtendPlacement
) -> Placement:
    return await change(
        s, partner_id, Placement, placement_id, lambda p: p.extend(cmd.planned_end_on)
    )


async def end_placement(
    s: PartnerServices, partner_id: str, placement_id: UUID, cmd: c.EndPlacement
) -> Placement:
    return await change(
        s, partner_id, Placement, placement_id, lambda p: p.end(cmd.ended_on, cmd.exit_outcome)
    )

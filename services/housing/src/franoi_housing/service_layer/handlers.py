"""Command handlers: load aggregates, let the domain decide, save, append events.

Each handler is one unit of work (:class:`franoi_common.commands.CommandUnit`):
the state change and its outbox rows commit together or not at all, and it answers the
aggregate it created or changed. Lock order is unit → request → person → placement,
so two commands on the same unit or person cannot interleave (the person's lock serialises
the placements of one person in different units, whose one-at-a-time rule reads the
person's placements before it writes). Creates with a client-chosen id
are safe to retry: an identical retry answers the existing resource and records nothing.
"""

from __future__ import annotations

import functools
from uuid import UUID

from franoi_common.agreements import ending
from franoi_common.commands import CommandUnit, PartnerServices, arguments, changes, create, new
from franoi_common.periods import extending, lock_person, overlapping
from franoi_common.person_requests import closing_handlers, submitting

from franoi_housing.adapters.repository import HousingRepository
from franoi_housing.domain.model import (
    Agreement,
    HousingRequest,
    HousingUnit,
    InvalidTransition,
    PersonAlreadyPlaced,
    Placement,
)
from franoi_housing.service_layer.commands import (
    DeclareUnsatisfied,
    EndPlacement,
    ExtendPlacement,
    RegisterUnit,
    SignAgreement,
    StartPlacement,
    SubmitRequest,
    UpdateUnit,
    WithdrawUnit,
)

housing_services = functools.partial(
    PartnerServices,
    repository=HousingRepository,
    constraint_errors={
        "placements_one_active_per_person": lambda: PersonAlreadyPlaced(
            "the person already has an active placement"
        )
    },
)
"""What the handlers need (given the pool, the outbox and the keys), built by bootstrap."""


# --- agreements -------------------------------------------------------------------------


async def sign_agreement(s: PartnerServices, partner_id: str, cmd: SignAgreement) -> Agreement:
    return await create(s, partner_id, Agreement.sign, cmd)


end_agreement = ending(Agreement)


# --- units ------------------------------------------------------------------------------


async def register_unit(s: PartnerServices, partner_id: str, cmd: RegisterUnit) -> HousingUnit:
    async def register(uow: CommandUnit, unit_id: UUID) -> HousingUnit:
        unit = HousingUnit.register(**arguments(HousingUnit.register, cmd, unit_id=unit_id))
        if cmd.agreement_id is not None:
            agreement = await uow.must_get(Agreement, partner_id, cmd.agreement_id)
            ended = agreement.ended_on
            if ended is not None and ended <= cmd.available_from:  # judged on the unit's day
                raise InvalidTransition(
                    f"the agreement ended on {ended}, by the day the unit is available"
                    f" ({cmd.available_from})"
                )
        return unit

    return await new(s, partner_id, HousingUnit, cmd.unit_id, cmd, register)


@changes(HousingUnit)
def update_unit(unit: HousingUnit, cmd: UpdateUnit) -> None:
    unit.update(beds=cmd.beds, monthly_rent_eur=cmd.monthly_rent_eur, rent_regime=cmd.rent_regime)


@changes(HousingUnit)
def withdraw_unit(unit: HousingUnit, cmd: WithdrawUnit) -> None:
    unit.withdraw(cmd.withdrawn_on)


# --- requests ---------------------------------------------------------------------------


submit_request = submitting(HousingRequest, SubmitRequest)
declare_request_unsatisfied, withdraw_request = closing_handlers(HousingRequest, DeclareUnsatisfied)


# --- placements -------------------------------------------------------------------------


async def start_placement(s: PartnerServices, partner_id: str, cmd: StartPlacement) -> Placement:
    ref = s.person_ref_of(cmd)

    async def start(uow: CommandUnit, placement_id: UUID) -> Placement:
        unit = await uow.must_get(HousingUnit, partner_id, cmd.unit_id)
        request = await uow.must_get_optional(HousingRequest, partner_id, cmd.request_id)
        await lock_person(uow.repo, Placement, partner_id, ref)
        days = (cmd.started_on, cmd.ended_on)
        return unit.start_placement(
            **arguments(
                unit.start_placement,
                cmd,
                placement_id=placement_id,
                person_ref=ref,
                request=request,
                unit_placements=await overlapping(
                    uow.repo, Placement, partner_id, *days, unit_id=unit.unit_id
                ),
                person_placements=await overlapping(
                    uow.repo, Placement, partner_id, *days, person_ref=ref
                ),
            )
        )

    return await new(s, partner_id, Placement, cmd.placement_id, cmd, start)


extend_placement = extending(Placement, ExtendPlacement)


@changes(Placement)
def end_placement(placement: Placement, cmd: EndPlacement) -> None:
    placement.end(cmd.ended_on, cmd.exit_outcome)

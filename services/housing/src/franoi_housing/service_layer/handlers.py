"""Command handlers: load aggregates, let the domain decide, save, append events.

Each handler is one unit of work: the state change and its outbox rows commit
together or not at all. Lock order is unit → request → placement, so two
commands on the same unit or person cannot interleave.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar
from uuid import UUID

import asyncpg
from franoi_common.db import UnitOfWork
from franoi_common.outbox import Outbox
from franoi_common.pseudonym import person_ref

from franoi_housing.adapters.repository import HousingRepository
from franoi_housing.domain.model import (
    Agreement,
    HousingRequest,
    HousingUnit,
    InvalidTransition,
    InvalidValue,
    PersonAlreadyPlaced,
    Placement,
)
from franoi_housing.service_layer import commands as c

A = TypeVar("A", Agreement, HousingRequest, HousingUnit, Placement)


class NotFound(LookupError):
    """No such resource for this partner (another partner's data is never found)."""


class AlreadyExists(Exception):
    """A client-chosen id that is already taken."""


class HousingUoW(UnitOfWork):
    repo: HousingRepository

    def __init__(self, services: HousingServices) -> None:
        super().__init__(services.pool, after_commit=services.after_commit)
        self._outbox = services.outbox

    async def __aenter__(self) -> HousingUoW:
        await super().__aenter__()
        self.repo = HousingRepository(self.conn)
        return self

    async def publish(self, partner_id: str, *aggregates: Any) -> None:
        events = [event for aggregate in aggregates for event in aggregate.events]
        await self._outbox.append(self.conn, partner_id, events)
        for aggregate in aggregates:
            aggregate.events.clear()


@dataclass
class HousingServices:
    """What the handlers need, built once by bootstrap."""

    pool: asyncpg.Pool
    outbox: Outbox
    pseudonym_key: bytes
    after_commit: Callable[[], None] | None = None

    def uow(self) -> HousingUoW:
        return HousingUoW(self)

    def person_ref_of(self, person: c.PersonInput) -> str:
        if person.person_ref is not None:
            return person.person_ref
        assert person.person_identifier is not None
        try:
            return person_ref(person.person_identifier.get_secret_value(), self.pseudonym_key)
        except ValueError as exc:
            raise InvalidValue(str(exc)) from exc


async def _must_get(
    uow: HousingUoW, cls: type[A], partner_id: str, aggregate_id: UUID, *, for_update: bool = True
) -> A:
    found = await uow.repo.get(cls, partner_id, aggregate_id, for_update=for_update)
    if found is None:
        raise NotFound(f"{_NAMES[cls]} {aggregate_id} not found")
    return found


_NAMES: dict[type[Any], str] = {
    Agreement: "agreement",
    HousingUnit: "housing unit",
    HousingRequest: "housing request",
    Placement: "placement",
}


async def _add(uow: HousingUoW, partner_id: str, aggregate: Any, **local: Any) -> None:
    try:
        async with uow.conn.transaction():  # a savepoint: a duplicate id leaves nothing behind
            await uow.repo.add(partner_id, aggregate, **local)
    except asyncpg.UniqueViolationError as exc:
        if exc.constraint_name == "placements_one_active_per_person":
            raise PersonAlreadyPlaced("the person already has an active placement") from exc
        raise AlreadyExists(f"{_NAMES[type(aggregate)]} already exists") from exc


async def _change(
    s: HousingServices,
    partner_id: str,
    cls: type[A],
    aggregate_id: UUID,
    action: Callable[[A], None],
) -> A:
    """Lock one aggregate, let the domain act on it, save it and append its events."""
    async with s.uow() as uow:
        aggregate = await _must_get(uow, cls, partner_id, aggregate_id)
        action(aggregate)
        await uow.repo.update(partner_id, aggregate)
        await uow.publish(partner_id, aggregate)
    return aggregate


# --- agreements -------------------------------------------------------------------------


async def sign_agreement(s: HousingServices, partner_id: str, cmd: c.SignAgreement) -> Agreement:
    agreement = Agreement.sign(
        agreement_id=cmd.agreement_id or uuid.uuid4(),
        counterpart_kind=cmd.counterpart_kind,
        signed_on=cmd.signed_on,
        valid_until=cmd.valid_until,
        units_pledged=cmd.units_pledged,
    )
    async with s.uow() as uow:
        await _add(uow, partner_id, agreement, counterpart_name=cmd.counterpart_name)
        await uow.publish(partner_id, agreement)
    return agreement


async def end_agreement(
    s: HousingServices, partner_id: str, agreement_id: UUID, cmd: c.EndAgreement
) -> Agreement:
    return await _change(s, partner_id, Agreement, agreement_id, lambda a: a.end(cmd.ended_on))


# --- units ------------------------------------------------------------------------------


async def register_unit(s: HousingServices, partner_id: str, cmd: c.RegisterUnit) -> HousingUnit:
    unit = HousingUnit.register(
        unit_id=cmd.unit_id or uuid.uuid4(),
        municipality_code=cmd.municipality_code,
        beds=cmd.beds,
        monthly_rent_eur=cmd.monthly_rent_eur,
        rent_regime=cmd.rent_regime,
        provider=cmd.provider,
        available_from=cmd.available_from,
        agreement_id=cmd.agreement_id,
    )
    async with s.uow() as uow:
        if cmd.agreement_id is not None:
            agreement = await _must_get(uow, Agreement, partner_id, cmd.agreement_id)
            if agreement.is_ended:
                raise InvalidTransition("the agreement has ended")
        await _add(uow, partner_id, unit)
        await uow.publish(partner_id, unit)
    return unit


async def update_unit(
    s: HousingServices, partner_id: str, unit_id: UUID, cmd: c.UpdateUnit
) -> HousingUnit:
    def update(unit: HousingUnit) -> None:
        unit.update(
            beds=cmd.beds, monthly_rent_eur=cmd.monthly_rent_eur, rent_regime=cmd.rent_regime
        )

    return await _change(s, partner_id, HousingUnit, unit_id, update)


async def withdraw_unit(
    s: HousingServices, partner_id: str, unit_id: UUID, cmd: c.WithdrawUnit
) -> HousingUnit:
    return await _change(
        s, partner_id, HousingUnit, unit_id, lambda u: u.withdraw(cmd.withdrawn_on)
    )


# --- requests ---------------------------------------------------------------------------


async def submit_request(
    s: HousingServices, partner_id: str, cmd: c.SubmitRequest
) -> HousingRequest:
    request = HousingRequest.submit(
        request_id=cmd.request_id or uuid.uuid4(),
        person_ref=s.person_ref_of(cmd),
        household_size=cmd.household_size,
        need=cmd.need,
        submitted_on=cmd.submitted_on,
        sex=cmd.sex,
        age_band=cmd.age_band,
        protection_status=cmd.protection_status,
    )
    async with s.uow() as uow:
        await _add(uow, partner_id, request)
        await uow.publish(partner_id, request)
    return request


async def declare_request_unsatisfied(
    s: HousingServices, partner_id: str, request_id: UUID, cmd: c.DeclareUnsatisfied
) -> HousingRequest:
    return await _change(
        s,
        partner_id,
        HousingRequest,
        request_id,
        lambda r: r.declare_unsatisfied(cmd.closed_on, cmd.reason),
    )


async def withdraw_request(
    s: HousingServices, partner_id: str, request_id: UUID, cmd: c.WithdrawRequest
) -> HousingRequest:
    return await _change(
        s, partner_id, HousingRequest, request_id, lambda r: r.withdraw(cmd.closed_on)
    )


# --- placements -------------------------------------------------------------------------


async def start_placement(s: HousingServices, partner_id: str, cmd: c.StartPlacement) -> Placement:
    ref = s.person_ref_of(cmd)
    async with s.uow() as uow:
        unit = await _must_get(uow, HousingUnit, partner_id, cmd.unit_id)
        request = None
        if cmd.request_id is not None:
            request = await _must_get(uow, HousingRequest, partner_id, cmd.request_id)
        placement = unit.start_placement(
            placement_id=cmd.placement_id or uuid.uuid4(),
            person_ref=ref,
            household_size=cmd.household_size,
            started_on=cmd.started_on,
            planned_end_on=cmd.planned_end_on,
            sex=cmd.sex,
            age_band=cmd.age_band,
            protection_status=cmd.protection_status,
            request=request,
            person_active_placements=await uow.repo.active_placements(partner_id, person_ref=ref),
        )
        await _add(uow, partner_id, placement)
        if request is not None:
            await uow.repo.update(partner_id, request)
            await uow.publish(partner_id, placement, request)
        else:
            await uow.publish(partner_id, placement)
    return placement


async def extend_placement(
    s: HousingServices, partner_id: str, placement_id: UUID, cmd: c.ExtendPlacement
) -> Placement:
    return await _change(
        s, partner_id, Placement, placement_id, lambda p: p.extend(cmd.planned_end_on)
    )


async def end_placement(
    s: HousingServices, partner_id: str, placement_id: UUID, cmd: c.EndPlacement
) -> Placement:
    return await _change(
        s, partner_id, Placement, placement_id, lambda p: p.end(cmd.ended_on, cmd.exit_outcome)
    )

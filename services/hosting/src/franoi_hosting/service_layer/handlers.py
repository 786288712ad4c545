"""Command handlers: load aggregates, let the domain decide, save, append events.

Each handler is one unit of work: the state change and its outbox rows commit
together or not at all. Lock order is family → match → request → stay, so two
commands that could take the same room, or act on the same person, cannot
interleave: the family's row lock serialises them and the second one sees the
first one's room taken.
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

from franoi_hosting.adapters.repository import HostingRepository
from franoi_hosting.domain.model import (
    FamilyRequest,
    HostFamily,
    InvalidValue,
    Match,
    MonitoringVisit,
    PersonAlreadyHosted,
    Stay,
)
from franoi_hosting.service_layer import commands as c

A = TypeVar("A", HostFamily, FamilyRequest, Match, Stay)

NAMES: dict[type[Any], str] = {
    HostFamily: "host family",
    FamilyRequest: "family request",
    Match: "match",
    Stay: "hosting stay",
    MonitoringVisit: "monitoring visit",
}

_ONE_PER_PERSON = {
    "hosting_stays_one_active_per_person": "the person already has an active hosting stay",
    "matches_one_accepted_per_person": "the person already has an accepted match waiting",
}


class NotFound(LookupError):
    """No such resource for this partner (another partner's data is never found)."""


class AlreadyExists(Exception):
    """A client-chosen id that is already taken."""


class HostingUoW(UnitOfWork):
    repo: HostingRepository

    def __init__(self, services: HostingServices) -> None:
        super().__init__(services.pool, after_commit=services.after_commit)
        self._outbox = services.outbox

    async def __aenter__(self) -> HostingUoW:
        await super().__aenter__()
        self.repo = HostingRepository(self.conn)
        return self

    async def publish(self, partner_id: str, *aggregates: Any) -> None:
        events = [event for aggregate in aggregates for event in aggregate.events]
        await self._outbox.append(self.conn, partner_id, events)
        for aggregate in aggregates:
            aggregate.events.clear()


@dataclass
class HostingServices:
    """What the handlers need, built once by bootstrap."""

    pool: asyncpg.Pool
    outbox: Outbox
    pseudonym_key: bytes
    after_commit: Callable[[], None] | None = None

    def uow(self) -> HostingUoW:
        return HostingUoW(self)

    def person_ref_of(self, person: c.PersonInput) -> str:
        if person.person_ref is not None:
            return person.person_ref
        assert person.person_identifier is not None
        try:
            return person_ref(person.person_identifier.get_secret_value(), self.pseudonym_key)
        except ValueError as exc:
            raise InvalidValue(str(exc)) from exc


async def _must_get(
    uow: HostingUoW, cls: type[A], partner_id: str, aggregate_id: UUID, *, for_update: bool = True
) -> A:
    found = await uow.repo.get(cls, partner_id, aggregate_id, for_update=for_update)
    if found is None:
        raise NotFound(f"{NAMES[cls]} {aggregate_id} not found")
    return found


def _unique_violation(exc: asyncpg.UniqueViolationError, what: str) -> Exception:
    message = _ONE_PER_PERSON.get(exc.constraint_name or "")
    if message is not None:
        return PersonAlreadyHosted(message)
    return AlreadyExists(f"{what} already exists")


async def _add(uow: HostingUoW, partner_id: str, aggregate: Any) -> None:
    try:
        async with uow.conn.transaction():  # a savepoint: a duplicate id leaves nothing behind
            await uow.repo.add(partner_id, aggregate)
    except asyncpg.UniqueViolationError as exc:
        raise _unique_violation(exc, NAMES[type(aggregate)]) from exc


async def _update(uow: HostingUoW, partner_id: str, aggregate: Any) -> None:
    try:
        async with uow.conn.transaction():
            await uow.repo.update(partner_id, aggregate)
    except asyncpg.UniqueViolationError as exc:
        raise _unique_violation(exc, NAMES[type(aggregate)]) from exc


async def _change(
    s: HostingServices,
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


def _private_values(private: c.FamilyPrivate) -> dict[str, Any]:
    return {
        "members": [m.model_dump() for m in private.members],
        "address": private.address,
        "phone": private.phone,
        "email": private.email,
    }


# --- families ----------------------------------------------------------------------------


async def apply_family(s: HostingServices, partner_id: str, cmd: c.ApplyFamily) -> HostFamily:
    family = HostFamily.apply(
        family_id=cmd.family_id or uuid.uuid4(),
        municipality_code=cmd.municipality_code,
        rooms_offered=cmd.rooms_offered,
        household_size=cmd.household_size,
        languages=cmd.languages,
        applied_on=cmd.applied_on,
    )
    async with s.uow() as uow:
        await _add(uow, partner_id, family)
        await uow.repo.save_private(partner_id, family.family_id, **_private_values(cmd.private))
        await uow.publish(partner_id, family)
    return family


async def update_family(
    s: HostingServices, partner_id: str, family_id: UUID, cmd: c.UpdateFamily
) -> HostFamily:
    async with s.uow() as uow:
        family = await _must_get(uow, HostFamily, partner_id, family_id)
        profile = (cmd.rooms_offered, cmd.household_size, cmd.languages)
        if any(value is not None for value in profile):
            family.update(
                rooms_offered=cmd.rooms_offered,
                household_size=cmd.household_size,
                languages=cmd.languages,
            )
            await uow.repo.update(partner_id, family)
        if cmd.private is not None:
            await uow.repo.save_private(partner_id, family_id, **_private_values(cmd.private))
        await uow.publish(partner_id, family)
    return family


async def assess_family(
    s: HostingServices, partner_id: str, family_id: UUID, cmd: c.AssessFamily
) -> HostFamily:
    return await _change(
        s,
        partner_id,
        HostFamily,
        family_id,
        lambda f: f.assess(cmd.interview_on, cmd.home_visit_on),
    )


async def approve_family(
    s: HostingServices, partner_id: str, family_id: UUID, cmd: c.ApproveFamily
) -> HostFamily:
    return await _change(s, partner_id, HostFamily, family_id, lambda f: f.approve(cmd.approved_on))


async def reject_family(
    s: HostingServices, partner_id: str, family_id: UUID, cmd: c.RejectFamily
) -> HostFamily:
    return await _change(
        s, partner_id, HostFamily, family_id, lambda f: f.reject(cmd.rejected_on, cmd.reason)
    )


async def pause_family(
    s: HostingServices, partner_id: str, family_id: UUID, cmd: c.PauseFamily
) -> HostFamily:
    return await _change(s, partner_id, HostFamily, family_id, lambda f: f.pause(cmd.paused_on))


async def resume_family(
    s: HostingServices, partner_id: str, family_id: UUID, cmd: c.ResumeFamily
) -> HostFamily:
    return await _change(s, partner_id, HostFamily, family_id, lambda f: f.resume(cmd.resumed_on))


async def withdraw_family(
    s: HostingServices, partner_id: str, family_id: UUID, cmd: c.WithdrawFamily
) -> HostFamily:
    return await _change(
        s, partner_id, HostFamily, family_id, lambda f: f.withdraw(cmd.withdrawn_on)
    )


# --- requests ----------------------------------------------------------------------------


async def submit_request(
    s: HostingServices, partner_id: str, cmd: c.SubmitRequest
) -> FamilyRequest:
    request = FamilyRequest.submit(
        request_id=cmd.request_id or uuid.uuid4(),
        person_ref=s.person_ref_of(cmd),
        kind=cmd.kind,
        household_size=cmd.household_size,
        submitted_on=cmd.submitted_on,
        sex=cmd.sex,
        age_band=cmd.age_band,
        protection_status=cmd.protection_status,
    )
    async with s.uow() as uow:
        await _add(uow, partner_id, request)
        await uow.publish(partner_id, request)
    return request


async def satisfy_request(
    s: HostingServices, partner_id: str, request_id: UUID, cmd: c.SatisfyRequest
) -> FamilyRequest:
    return await _change(
        s, partner_id, FamilyRequest, request_id, lambda r: r.satisfy(cmd.closed_on)
    )


async def declare_request_unsatisfied(
    s: HostingServices, partner_id: str, request_id: UUID, cmd: c.DeclareUnsatisfied
) -> FamilyRequest:
    return await _change(
        s,
        partner_id,
        FamilyRequest,
        request_id,
        lambda r: r.declare_unsatisfied(cmd.closed_on, cmd.reason),
    )


async def withdraw_request(
    s: HostingServices, partner_id: str, request_id: UUID, cmd: c.WithdrawRequest
) -> FamilyRequest:
    return await _change(
        s, partner_id, FamilyRequest, request_id, lambda r: r.withdraw(cmd.closed_on)
    )


# --- matches -----------------------------------------------------------------------------


async def propose_match(s: HostingServices, partner_id: str, cmd: c.ProposeMatch) -> Match:
    ref = s.person_ref_of(cmd)
    async with s.uow() as uow:
        family = await _must_get(uow, HostFamily, partner_id, cmd.family_id)
        request = None
        if cmd.request_id is not None:
            request = await _must_get(uow, FamilyRequest, partner_id, cmd.request_id)
        match = family.propose_match(cmd.match_id or uuid.uuid4(), ref, cmd.proposed_on, request)
        await _add(uow, partner_id, match)
        await uow.publish(partner_id, match)
    return match


async def _locked_family_and_match(
    uow: HostingUoW, partner_id: str, match_id: UUID
) -> tuple[HostFamily, Match]:
    """Lock the match's family first (the capacity lock), then the match itself."""
    family_id = await uow.repo.family_of_match(partner_id, match_id)
    if family_id is None:
        raise NotFound(f"match {match_id} not found")
    family = await _must_get(uow, HostFamily, partner_id, family_id)
    match = await _must_get(uow, Match, partner_id, match_id)
    # the family's copy counts its rooms: act on that one when the match is open
    for candidate in family.open_matches:
        if candidate == match:
            return family, candidate
    return family, match


async def accept_match(
    s: HostingServices, partner_id: str, match_id: UUID, cmd: c.AcceptMatch
) -> Match:
    async with s.uow() as uow:
        family, match = await _locked_family_and_match(uow, partner_id, match_id)
        waiting = await uow.repo.accepted_matches(partner_id, match.person_ref)
        family.accept_match(match, cmd.accepted_on, waiting)
        await _update(uow, partner_id, match)
        await uow.publish(partner_id, match)
    return match


async def decline_match(
    s: HostingServices, partner_id: str, match_id: UUID, cmd: c.DeclineMatch
) -> Match:
    async with s.uow() as uow:
        _, match = await _locked_family_and_match(uow, partner_id, match_id)
        match.decline(cmd.declined_on, cmd.declined_by)
        await uow.repo.update(partner_id, match)
        await uow.publish(partner_id, match)
    return match


async def cancel_match(
    s: HostingServices, partner_id: str, match_id: UUID, cmd: c.CancelMatch
) -> Match:
    async with s.uow() as uow:
        _, match = await _locked_family_and_match(uow, partner_id, match_id)
        match.cancel(cmd.cancelled_on, cmd.cancelled_by)
        await uow.repo.update(partner_id, match)
        await uow.publish(partner_id, match)
    return match


# --- stays and visits --------------------------------------------------------------------


async def start_stay(s: HostingServices, partner_id: str, cmd: c.StartStay) -> Stay:
    async with s.uow() as uow:
        family, match = await _locked_family_and_match(uow, partner_id, cmd.match_id)
        request = None
        if match.request_id is not None:
            request = await _must_get(uow, FamilyRequest, partner_id, match.request_id)
        stay = family.start_stay(
            match,
            stay_id=cmd.stay_id or uuid.uuid4(),
            started_on=cmd.started_on,
            planned_months=cmd.planned_months,
            planned_end_on=cmd.planned_end_on,
            monthly_contribution_eur=cmd.monthly_contribution_eur,
            sex=cmd.sex,
            age_band=cmd.age_band,
            protection_status=cmd.protection_status,
            request=request,
            person_active_stays=await uow.repo.active_stays(
                partner_id, person_ref=match.person_ref
            ),
        )
        await _add(uow, partner_id, stay)
        await uow.repo.update(partner_id, match)
        if request is not None:
            await uow.repo.update(partner_id, request)
            await uow.publish(partner_id, stay, request)
        else:
            await uow.publish(partner_id, stay)
    return stay


async def extend_stay(
    s: HostingServices, partner_id: str, stay_id: UUID, cmd: c.ExtendStay
) -> Stay:
    return await _change(
        s, partner_id, Stay, stay_id, lambda st: st.extend(cmd.planned_months, cmd.planned_end_on)
    )


async def end_stay(s: HostingServices, partner_id: str, stay_id: UUID, cmd: c.EndStay) -> Stay:
    return await _change(s, partner_id, Stay, stay_id, lambda st: st.end(cmd.ended_on, cmd.outcome))


async def record_visit(
    s: HostingServices, partner_id: str, stay_id: UUID, cmd: c.RecordVisit
) -> MonitoringVisit:
    async with s.uow() as uow:
        stay = await _must_get(uow, Stay, partner_id, stay_id)
        visit = stay.record_visit(
            cmd.visit_id or uuid.uuid4(),
            cmd.visited_on,
            cmd.guest_wellbeing,
            cmd.family_wellbeing,
            cmd.flags,
        )
        await _add(uow, partner_id, visit)
        await uow.repo.update(partner_id, stay)
        await uow.publish(partner_id, stay)
    return visit

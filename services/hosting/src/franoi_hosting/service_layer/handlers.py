"""Command handlers: load aggregates, let the domain decide, save, append events.

Each handler is one unit of work (:class:`franoi_common.commands.CommandUnit`):
the state change and its outbox rows commit together or not at all. Lock order
is family → match → request → stay: every command that can take one of a
family's rooms (propose, accept, start a stay) first locks the family's row,
so two of them for the last room are serialised and the second sees the room
taken. Creates with a client-chosen id are safe to retry: an identical retry
answers the existing resource and records nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any
from uuid import UUID

import asyncpg
from franoi_common.commands import CommandUnit, PartnerServices, change
from franoi_common.errors import AlreadyExists, DomainError, NotFound
from franoi_common.outbox import Outbox

from franoi_hosting.adapters.repository import HostingRepository
from franoi_hosting.domain.model import (
    FamilyRequest,
    HostFamily,
    Match,
    MonitoringVisit,
    PersonAlreadyHosted,
    Stay,
)
from franoi_hosting.service_layer import commands as c

NAMES: dict[type[Any], str] = {
    HostFamily: "host family",
    FamilyRequest: "family request",
    Match: "match",
    Stay: "hosting stay",
    MonitoringVisit: "monitoring visit",
}

ONE_PER_PERSON: dict[str, Callable[[], DomainError]] = {
    "hosting_stays_one_active_per_person": lambda: PersonAlreadyHosted(
        "the person already has an active hosting stay"
    ),
    "matches_one_accepted_per_person": lambda: PersonAlreadyHosted(
        "the person already has an accepted match waiting to start"
    ),
}


def hosting_services(
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
        repository=HostingRepository,
        names=NAMES,
        constraint_errors=ONE_PER_PERSON,
        after_commit=after_commit,
    )


def _repo(uow: CommandUnit) -> HostingRepository:
    repo = uow.repo
    assert isinstance(repo, HostingRepository)
    return repo


async def _update(uow: CommandUnit, partner_id: str, aggregate: Any) -> None:
    """Save a change that a partial unique index backs (one accepted match per person)."""
    try:
        async with uow.conn.transaction():
            await uow.repo.update(partner_id, aggregate)
    except asyncpg.UniqueViolationError as exc:
        error = ONE_PER_PERSON.get(exc.constraint_name or "")
        if error is None:
            raise
        raise error() from exc


def _private_values(private: c.FamilyPrivate) -> dict[str, Any]:
    return {
        "members": [m.model_dump() for m in private.members],
        "address": private.address,
        "phone": private.phone,
        "email": private.email,
    }


# --- families ----------------------------------------------------------------------------


async def apply_family(s: PartnerServices, partner_id: str, cmd: c.ApplyFamily) -> UUID:
    family_id = cmd.family_id or uuid.uuid4()
    async with s.uow() as uow:
        if await uow.replayed(HostFamily, partner_id, cmd.family_id, cmd):
            return family_id
        family = HostFamily.apply(
            family_id=family_id,
            municipality_code=cmd.municipality_code,
            rooms_offered=cmd.rooms_offered,
            household_size=cmd.household_size,
            languages=cmd.languages,
            applied_on=cmd.applied_on,
        )
        await uow.add(partner_id, family, command=cmd)
        await _repo(uow).save_private(partner_id, family_id, **_private_values(cmd.private))
        await uow.publish(partner_id, family)
    return family_id


async def update_family(
    s: PartnerServices, partner_id: str, family_id: UUID, cmd: c.UpdateFamily
) -> HostFamily:
    async with s.uow() as uow:
        family = await uow.must_get(HostFamily, partner_id, family_id)
        if any(v is not None for v in (cmd.rooms_offered, cmd.household_size, cmd.languages)):
            family.update(
                rooms_offered=cmd.rooms_offered,
                household_size=cmd.household_size,
                languages=cmd.languages,
            )
            await uow.repo.update(partner_id, family)
            await uow.publish(partner_id, family)
        if cmd.private is not None:  # private data changes publish nothing
            await _repo(uow).save_private(partner_id, family_id, **_private_values(cmd.private))
    return family


async def assess_family(
    s: PartnerServices, partner_id: str, family_id: UUID, cmd: c.AssessFamily
) -> HostFamily:
    return await change(
        s,
        partner_id,
        HostFamily,
        family_id,
        lambda f: f.assess(cmd.interview_on, cmd.home_visit_on),
    )


async def approve_family(
    s: PartnerServices, partner_id: str, family_id: UUID, cmd: c.ApproveFamily
) -> HostFamily:
    return await change(s, partner_id, HostFamily, family_id, lambda f: f.approve(cmd.approved_on))


async def reject_family(
    s: PartnerServices, partner_id: str, family_id: UUID, cmd: c.RejectFamily
) -> HostFamily:
    return await change(
        s, partner_id, HostFamily, family_id, lambda f: f.reject(cmd.rejected_on, cmd.reason)
    )


async def pause_family(
    s: PartnerServices, partner_id: str, family_id: UUID, cmd: c.PauseFamily
) -> HostFamily:
    return await change(s, partner_id, HostFamily, family_id, lambda f: f.pause(cmd.paused_on))


async def resume_family(
    s: PartnerServices, partner_id: str, family_id: UUID, cmd: c.ResumeFamily
) -> HostFamily:
    return await change(s, partner_id, HostFamily, family_id, lambda f: f.resume(cmd.resumed_on))


async def withdraw_family(
    s: PartnerServices, partner_id: str, family_id: UUID, cmd: c.WithdrawFamily
) -> HostFamily:
    return await change(
        s, partner_id, HostFamily, family_id, lambda f: f.withdraw(cmd.withdrawn_on)
    )


# --- requests ----------------------------------------------------------------------------


async def submit_request(s: PartnerServices, partner_id: str, cmd: c.SubmitRequest) -> UUID:
    request_id = cmd.request_id or uuid.uuid4()
    ref = s.person_ref_of(cmd)
    async with s.uow() as uow:
        if await uow.replayed(FamilyRequest, partner_id, cmd.request_id, cmd):
            return request_id
        request = FamilyRequest.submit(
            request_id=request_id,
            person_ref=ref,
            kind=cmd.kind,
            household_size=cmd.household_size,
            submitted_on=cmd.submitted_on,
            sex=cmd.sex,
            age_band=cmd.age_band,
            protection_status=cmd.protection_status,
        )
        await uow.add(partner_id, request, command=cmd)
        await uow.publish(partner_id, request)
    return request_id


async def satisfy_request(
    s: PartnerServices, partner_id: str, request_id: UUID, cmd: c.SatisfyRequest
) -> FamilyRequest:
    return await change(
        s, partner_id, FamilyRequest, request_id, lambda r: r.satisfy(cmd.closed_on)
    )


async def declare_request_unsatisfied(
    s: PartnerServices, partner_id: str, request_id: UUID, cmd: c.DeclareUnsatisfied
) -> FamilyRequest:
    return await change(
        s,
        partner_id,
        FamilyRequest,
        request_id,
        lambda r: r.declare_unsatisfied(cmd.closed_on, cmd.reason),
    )


async def withdraw_request(
    s: PartnerServices, partner_id: str, request_id: UUID, cmd: c.WithdrawRequest
) -> FamilyRequest:
    return await change(
        s, partner_id, FamilyRequest, request_id, lambda r: r.withdraw(cmd.closed_on)
    )


# --- matches -----------------------------------------------------------------------------


async def propose_match(s: PartnerServices, partner_id: str, cmd: c.ProposeMatch) -> UUID:
    match_id = cmd.match_id or uuid.uuid4()
    ref = s.person_ref_of(cmd)
    async with s.uow() as uow:
        if await uow.replayed(Match, partner_id, cmd.match_id, cmd):
            return match_id
        family = await uow.must_get(HostFamily, partner_id, cmd.family_id)
        request = None
        if cmd.request_id is not None:
            request = await uow.must_get(FamilyRequest, partner_id, cmd.request_id)
        match = family.propose_match(match_id, ref, cmd.proposed_on, request)
        await uow.add(partner_id, match, command=cmd)
        await uow.publish(partner_id, match)
    return match_id


async def _locked_family_and_match(
    uow: CommandUnit, partner_id: str, match_id: UUID
) -> tuple[HostFamily, Match]:
    """Lock the match's family first (the capacity lock), then the match itself."""
    family_id = await _repo(uow).family_of_match(partner_id, match_id)
    if family_id is None:
        raise NotFound(f"match {match_id} not found")
    family = await uow.must_get(HostFamily, partner_id, family_id)
    match = await uow.must_get(Match, partner_id, match_id)
    # the family counts its rooms with its own copy of an open match: act on that one
    for candidate in family.open_matches:
        if candidate == match:
            return family, candidate
    return family, match


async def accept_match(
    s: PartnerServices, partner_id: str, match_id: UUID, cmd: c.AcceptMatch
) -> Match:
    async with s.uow() as uow:
        family, match = await _locked_family_and_match(uow, partner_id, match_id)
        waiting = await _repo(uow).accepted_matches(partner_id, match.person_ref)
        family.accept_match(match, cmd.accepted_on, waiting)
        if match.events:
            await _update(uow, partner_id, match)
            await uow.publish(partner_id, match)
    return match


async def decline_match(
    s: PartnerServices, partner_id: str, match_id: UUID, cmd: c.DeclineMatch
) -> Match:
    async with s.uow() as uow:
        _, match = await _locked_family_and_match(uow, partner_id, match_id)
        match.decline(cmd.declined_on, cmd.declined_by)
        if match.events:
            await uow.repo.update(partner_id, match)
            await uow.publish(partner_id, match)
    return match


async def cancel_match(
    s: PartnerServices, partner_id: str, match_id: UUID, cmd: c.CancelMatch
) -> Match:
    async with s.uow() as uow:
        _, match = await _locked_family_and_match(uow, partner_id, match_id)
        match.cancel(cmd.cancelled_on, cmd.cancelled_by)
        if match.events:
            await uow.repo.update(partner_id, match)
            await uow.publish(partner_id, match)
    return match


# --- stays and visits --------------------------------------------------------------------


async def start_stay(s: PartnerServices, partner_id: str, cmd: c.StartStay) -> UUID:
    stay_id = cmd.stay_id or uuid.uuid4()
    async with s.uow() as uow:
        if await uow.replayed(Stay, partner_id, cmd.stay_id, cmd):
            return stay_id
        family, match = await _locked_family_and_match(uow, partner_id, cmd.match_id)
        request = None
        if match.request_id is not None:
            request = await uow.must_get(FamilyRequest, partner_id, match.request_id)
        stay = family.start_stay(
            match,
            stay_id=stay_id,
            started_on=cmd.started_on,
            planned_months=cmd.planned_months,
            planned_end_on=cmd.planned_end_on,
            monthly_contribution_eur=cmd.monthly_contribution_eur,
            sex=cmd.sex,
            age_band=cmd.age_band,
            protection_status=cmd.protection_status,
            request=request,
            person_active_stays=await _repo(uow).active_stays(
                partner_id, person_ref=match.person_ref
            ),
        )
        await uow.add(partner_id, stay, command=cmd)
        await uow.repo.update(partner_id, match)
        if request is not None:
            await uow.repo.update(partner_id, request)
            await uow.publish(partner_id, stay, request)
        else:
            await uow.publish(partner_id, stay)
    return stay_id


async def extend_stay(
    s: PartnerServices, partner_id: str, stay_id: UUID, cmd: c.ExtendStay
) -> Stay:
    return await change(
        s, partner_id, Stay, stay_id, lambda st: st.extend(cmd.planned_months, cmd.planned_end_on)
    )


async def end_stay(s: PartnerServices, partner_id: str, stay_id: UUID, cmd: c.EndStay) -> Stay:
    return await change(s, partner_id, Stay, stay_id, lambda st: st.end(cmd.ended_on, cmd.outcome))


async def record_visit(
    s: PartnerServices, partner_id: str, stay_id: UUID, cmd: c.RecordVisit
) -> UUID:
    visit_id = cmd.visit_id or uuid.uuid4()
    async with s.uow() as uow:
        if await uow.replayed(MonitoringVisit, partner_id, cmd.visit_id, cmd):
            stored = await uow.repo.get(MonitoringVisit, partner_id, visit_id)
            if stored is None or stored.stay_id != stay_id:  # the same body, another stay
                raise AlreadyExists(f"monitoring visit {visit_id} belongs to another stay")
            return visit_id
        stay = await uow.must_get(Stay, partner_id, stay_id)
        visit = stay.record_visit(
            visit_id, cmd.visited_on, cmd.guest_wellbeing, cmd.family_wellbeing, cmd.flags
        )
        await uow.add(partner_id, visit, command=cmd)
        await uow.repo.update(partner_id, stay)
        await uow.publish(partner_id, stay)
    return visit_id

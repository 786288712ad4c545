"""Command handlers: load aggregates, let the domain decide, save, append events.

Each handler is one unit of work (:class:`franoi_common.commands.CommandUnit`):
the state change and its outbox rows commit together or not at all. Lock order
is family → match → request → person → stay: every command that can take one of a
family's rooms (propose, accept, start a stay) first locks the family's row,
so two of them for the last room are serialised and the second sees the room
taken; starting a stay then locks the person, which serialises one person's stays in
different families (their one-at-a-time rule reads the person's stays before it
writes). Creates with a client-chosen id are safe to retry: an identical retry answers
the existing resource and records nothing.
"""

from __future__ import annotations

import datetime as dt
import functools
import uuid
from uuid import UUID

from franoi_common.commands import CommandUnit, PartnerServices, arguments, changes, create, new
from franoi_common.errors import AlreadyExists, NotFound
from franoi_common.periods import lock_person, overlapping
from franoi_common.person_requests import closing_handlers, submitting

from franoi_hosting.adapters.repository import HostingRepository
from franoi_hosting.domain.families import HostFamily, PrivateDetails
from franoi_hosting.domain.model import (
    FamilyRequest,
    Match,
    MonitoringVisit,
    PersonAlreadyHosted,
    Stay,
)
from franoi_hosting.service_layer.commands import (
    AcceptMatch,
    ApplyFamily,
    ApproveFamily,
    AssessFamily,
    CancelMatch,
    DeclareUnsatisfied,
    DeclineMatch,
    EndStay,
    ExtendStay,
    FamilyPrivate,
    PauseFamily,
    ProposeMatch,
    RecordStayWithItsMatch,
    RecordVisit,
    RejectFamily,
    ResumeFamily,
    SatisfyRequest,
    StartStay,
    SubmitRequest,
    UpdateFamily,
    WithdrawFamily,
)

hosting_services = functools.partial(
    PartnerServices,
    repository=HostingRepository,
    names={Stay: "hosting stay"},
    constraint_errors={
        "hosting_stays_one_active_per_person": lambda: PersonAlreadyHosted(
            "the person already has an active hosting stay"
        ),
        "matches_one_accepted_per_person": lambda: PersonAlreadyHosted(
            "the person already has an accepted match waiting to start"
        ),
    },
)
"""What the handlers need (given the pool, the outbox and the keys), built by bootstrap."""


def _repo(uow: CommandUnit) -> HostingRepository:
    return uow.repository(HostingRepository)


def _private(private: FamilyPrivate) -> PrivateDetails:
    members = [m.model_dump() for m in private.members]
    return PrivateDetails(members, private.address, private.phone, private.email)


# --- families ----------------------------------------------------------------------------


async def apply_family(s: PartnerServices, partner_id: str, cmd: ApplyFamily) -> HostFamily:
    """A household applies to host; its members' identity stays in this service."""
    return await create(s, partner_id, HostFamily.apply, cmd, private=_private(cmd.private))


async def update_family(
    s: PartnerServices, partner_id: str, family_id: UUID, cmd: UpdateFamily
) -> HostFamily:
    async with s.uow() as uow:
        family = await uow.must_get(HostFamily, partner_id, family_id)
        if any(v is not None for v in (cmd.rooms_offered, cmd.household_size, cmd.languages)):
            fewer = cmd.rooms_offered is not None and cmd.rooms_offered < family.rooms_offered
            family.update(
                rooms_offered=cmd.rooms_offered,
                household_size=cmd.household_size,
                languages=cmd.languages,
                # the rooms hold on every day of the family's history: all its stays
                family_stays=await uow.repo.find(Stay, partner_id, family_id=family_id)
                if fewer
                else (),
            )
            await uow.save(partner_id, family)
        if cmd.private is not None:  # private data changes publish nothing
            family.private = _private(cmd.private)
            await _repo(uow).save_private(partner_id, family)
    return family


@changes(HostFamily)
def assess_family(family: HostFamily, cmd: AssessFamily) -> None:
    family.assess(cmd.interview_on, cmd.home_visit_on)


@changes(HostFamily)
def approve_family(family: HostFamily, cmd: ApproveFamily) -> None:
    family.approve(cmd.approved_on)


@changes(HostFamily)
def reject_family(family: HostFamily, cmd: RejectFamily) -> None:
    family.reject(cmd.rejected_on, cmd.reason)


@changes(HostFamily)
def pause_family(family: HostFamily, cmd: PauseFamily) -> None:
    family.pause(cmd.paused_on)


@changes(HostFamily)
def resume_family(family: HostFamily, cmd: ResumeFamily) -> None:
    family.resume(cmd.resumed_on)


async def withdraw_family(
    s: PartnerServices, partner_id: str, family_id: UUID, cmd: WithdrawFamily
) -> HostFamily:
    """The family leaves on its `withdrawn_on`: refused while one of its stays covers that
    day or a later one, or one of its matches is still open (each named with its dates)."""
    async with s.uow() as uow:
        family = await uow.must_get(HostFamily, partner_id, family_id)
        stays = await overlapping(
            uow.repo, Stay, partner_id, cmd.withdrawn_on, None, family_id=family_id
        )
        family.withdraw(cmd.withdrawn_on, stays)
        await uow.save(partner_id, family)
    return family


# --- requests ----------------------------------------------------------------------------


submit_request = submitting(FamilyRequest, SubmitRequest)


@changes(FamilyRequest)
def satisfy_request(request: FamilyRequest, cmd: SatisfyRequest) -> None:
    request.satisfy(cmd.closed_on)


declare_request_unsatisfied, withdraw_request = closing_handlers(FamilyRequest, DeclareUnsatisfied)


# --- matches -----------------------------------------------------------------------------


async def propose_match(s: PartnerServices, partner_id: str, cmd: ProposeMatch) -> Match:
    """Propose a family for a person on `proposed_on`, judged as the family was that day:
    approved by then, neither paused nor withdrawn, a room free of that day's stays and
    waiting matches (a match of the past is recorded after a later withdrawal)."""
    ref = s.person_ref_of(cmd)

    async def propose(uow: CommandUnit, match_id: UUID) -> Match:
        family = await uow.must_get(HostFamily, partner_id, cmd.family_id)
        request = await uow.must_get_optional(FamilyRequest, partner_id, cmd.request_id)
        stays = await _family_stays_on(uow, partner_id, family, cmd.proposed_on)
        return family.propose_match(match_id, ref, cmd.proposed_on, request, stays)

    return await new(s, partner_id, Match, cmd.match_id, cmd, propose)


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
    s: PartnerServices, partner_id: str, match_id: UUID, cmd: AcceptMatch
) -> Match:
    """Accept a proposal on `accepted_on`: the match holds a room from that day until its
    stay starts; the family is judged as it was that day, as for a proposal."""
    async with s.uow() as uow:
        family, match = await _locked_family_and_match(uow, partner_id, match_id)
        waiting = await _repo(uow).accepted_matches(partner_id, match.person_ref)
        stays = await _family_stays_on(uow, partner_id, family, cmd.accepted_on)
        family.accept_match(match, cmd.accepted_on, waiting, stays)
        await uow.save(partner_id, match)
    return match


async def _family_stays_on(
    uow: CommandUnit, partner_id: str, family: HostFamily, day: dt.date
) -> list[Stay]:
    """The family's stays on ``day`` (what takes its rooms then, with the waiting matches)."""
    return await overlapping(
        uow.repo, Stay, partner_id, day, day + dt.timedelta(days=1), family_id=family.family_id
    )


async def _locked_match(uow: CommandUnit, partner_id: str, match_id: UUID) -> Match:
    return (await _locked_family_and_match(uow, partner_id, match_id))[1]


@changes(Match, lock=_locked_match)
def decline_match(match: Match, cmd: DeclineMatch) -> None:
    match.decline(cmd.declined_on, cmd.declined_by)


@changes(Match, lock=_locked_match)
def cancel_match(match: Match, cmd: CancelMatch) -> None:
    match.cancel(cmd.cancelled_on, cmd.cancelled_by)


# --- stays and visits --------------------------------------------------------------------


async def start_stay(s: PartnerServices, partner_id: str, cmd: StartStay) -> Stay:
    """Start a hosting stay from an accepted match."""

    async def start(uow: CommandUnit, stay_id: UUID) -> Stay:
        family, match = await _locked_family_and_match(uow, partner_id, cmd.match_id)
        request = await uow.must_get_optional(FamilyRequest, partner_id, match.request_id)
        await lock_person(uow.repo, Stay, partner_id, match.person_ref)
        days = (cmd.started_on, cmd.ended_on)
        stay = family.start_stay(
            **arguments(
                family.start_stay,
                cmd,
                match=match,
                stay_id=stay_id,
                request=request,
                person_stays=await overlapping(
                    uow.repo, Stay, partner_id, *days, person_ref=match.person_ref
                ),
                family_stays=await overlapping(
                    uow.repo, Stay, partner_id, *days, family_id=family.family_id
                ),
            )
        )
        await uow.repo.update(partner_id, match)  # started: no event of its own
        return stay

    return await new(s, partner_id, Stay, cmd.stay_id, cmd, start)


@changes(Stay)
def extend_stay(stay: Stay, cmd: ExtendStay) -> None:
    stay.extend(cmd.planned_months, cmd.planned_end_on)


@changes(Stay)
def end_stay(stay: Stay, cmd: EndStay) -> None:
    """End the stay with its outcome (set once)."""
    stay.end(cmd.ended_on, cmd.outcome)


async def record_visit(
    s: PartnerServices, partner_id: str, stay_id: UUID, cmd: RecordVisit
) -> MonitoringVisit:
    """Record a monitoring visit dated within the stay."""
    async with s.uow() as uow:
        stored = await uow.replay(MonitoringVisit, partner_id, cmd.visit_id, cmd)
        if stored is not None:
            if stored.stay_id != stay_id:  # the same body, another stay
                raise AlreadyExists(f"monitoring visit {stored.visit_id} belongs to another stay")
            return stored
        stay = await uow.must_get(Stay, partner_id, stay_id)
        visit = stay.record_visit(
            cmd.visit_id or uuid.uuid4(),
            cmd.visited_on,
            cmd.guest_wellbeing,
            cmd.family_wellbeing,
            cmd.flags,
        )
        await uow.add(partner_id, visit, command=cmd)
        await uow.repo.update(partner_id, stay)
        await uow.publish(partner_id, stay)
    return visit


async def record_stay_with_its_match(
    s: PartnerServices, partner_id: str, cmd: RecordStayWithItsMatch
) -> Stay:
    """A stay of the past and the match it started from (an import's row): proposed,
    accepted and started as the three requests would, the match's id derived from the
    stay's."""
    match_id = None if cmd.stay_id is None else uuid.uuid5(cmd.stay_id, "match")
    person = {"person_identifier": cmd.person_identifier, "person_ref": cmd.person_ref}
    match = await propose_match(
        s,
        partner_id,
        ProposeMatch(
            match_id=match_id,
            family_id=cmd.family_id,
            request_id=cmd.request_id,
            proposed_on=cmd.proposed_on,
            **person,
        ),
    )
    await accept_match(s, partner_id, match.match_id, AcceptMatch(accepted_on=cmd.accepted_on))
    fields = cmd.model_dump(include=set(StartStay.model_fields) - {"match_id"})
    return await start_stay(s, partner_id, StartStay(match_id=match.match_id, **fields))

"""Referral handlers: propose, withdraw, accept, decline, complete, read and list; the inbox
(the other partners' referral events, consumed into this service's database); and what an
erasure does to the person's referrals.

Each command is one unit of work: the referral's change, its access-log line (for a person
of the partner) and its event in the outbox, for ``franoi.<partner>.referrals.v1``. The
consortium's router carries each event to the other partner's inbox topic; this service's
``inbox`` worker reads its partners' inbox topics with the idempotent consumer (each event
applied once, in the transaction that records it; a bad one dead-lettered with its reason).
"""

from __future__ import annotations

import base64
import datetime as dt
import logging
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import asyncpg
from franoi_common.auth import Principal
from franoi_common.consumer import Delivery, Handler, Unprocessable, read_event
from franoi_common.envelope import Envelope, EnvelopeError
from franoi_common.errors import AlreadyExists, DomainError, InvalidValue, NotFound
from franoi_common.persons import Command, Day
from franoi_contracts.cases import PlanOutcome
from franoi_contracts.referrals import (
    DeclineReason,
    PartnerId,
    ReferralAxis,
    ReferralEvent,
    ReferralProposed,
    ReferralReason,
    Urgency,
    WithdrawalReason,
)
from pydantic import Field

from franoi_cases.adapters import referrals as store
from franoi_cases.adapters.referrals import ReferralFilter
from franoi_cases.adapters.sealing import Unopenable
from franoi_cases.domain.model import Operation, Person
from franoi_cases.domain.referrals import (
    IDENTITY_FIELDS,
    NotReachable,
    Referral,
    Referrer,
    Side,
    identity_of,
    plan_summary,
    sealed_part,
)
from franoi_cases.service_layer.commands import Email, Name, Phone
from franoi_cases.service_layer.handlers import CasesServices

log = logging.getLogger(__name__)

INBOX_TOPIC = re.compile(r"^franoi\.(?P<partner>p[0-9]{2,3})\.inbox\.v1$")


class ProposeReferral(Command):
    referral_id: UUID | None = Field(None, description="Client-chosen id (makes retries safe)")
    person_id: UUID
    to_partner_id: PartnerId = Field(description="The partner the person is referred to")
    axis: ReferralAxis
    reason: ReferralReason
    urgency: Urgency = Urgency.ROUTINE
    expires_on: Day | None = Field(None, description="Default: 14 days from today (at most 90)")
    referrer_name: Name = Field(description="The referring worker (their professional contact)")
    referrer_email: Email | None = Field(None, description="Their professional e-mail")
    referrer_phone: Phone | None = Field(None, description="Their professional phone")


class DeclineReferral(Command):
    reason: DeclineReason


class WithdrawReferral(Command):
    reason: WithdrawalReason = WithdrawalReason.NO_LONGER_NEEDED


class CompleteReferral(Command):
    person_id: UUID = Field(
        description="The person as registered here, with the documents they presented"
    )


@dataclass(frozen=True)
class Opened:
    """A referral as its partner reads it: on the receiving side, with what was sealed to
    it and the record it already holds for the person, if any."""

    referral: Referral
    sealed_part: dict[str, Any] | None = None
    known_person_id: UUID | None = None


def _today() -> dt.date:
    return dt.date.today()


async def _plans_summary(
    s: CasesServices, conn: asyncpg.Connection, who: str, person: Person
) -> list[dict[str, Any]]:
    plans = await s.repository_on(conn).plans_of(who, person.person_id)
    return [
        plan_summary(
            p.opened_on,
            p.closed_on,
            [a.value for a in p.axes],
            None if p.outcome is None else p.outcome.value,
            {} if not p.reviews else {a.value: g.value for a, g in p.reviews[-1].progress.items()},
        )
        for p in plans
    ]


async def propose(s: CasesServices, who: Principal, cmd: ProposeReferral) -> Referral:
    """Refer a person of the caller's partner to another partner; with a client-chosen
    ``referral_id`` a repeat answers the referral it created."""
    partner_id = who.partner_id
    referral_id = cmd.referral_id or uuid.uuid4()
    if not s.referral_keys.can_seal_to(cmd.to_partner_id):
        raise NotReachable(f"no referral key of partner {cmd.to_partner_id} is configured here")
    today = _today()
    async with s.uow() as uow:
        conn = uow.conn
        existing = await store.get(conn, partner_id, referral_id)
        if existing is not None:
            if (existing.person_id, existing.receiving_partner_id, existing.axis) != (
                cmd.person_id,
                cmd.to_partner_id,
                cmd.axis,
            ):
                raise AlreadyExists(f"referral {referral_id} refers someone else")
            return existing
        person = await uow.repo.get_person(partner_id, cmd.person_id)
        if person is None:
            raise NotFound(f"person {cmd.person_id} not found")
        referrer = Referrer(cmd.referrer_name, cmd.referrer_email, cmd.referrer_phone).checked()
        scopes = () if person.consent is None else person.consent.scopes
        documents = {
            "tax_code": person.documents.tax_code,
            "residence_permit": person.documents.residence_permit_number,
        }
        plans = (
            await _plans_summary(s, conn, partner_id, person)
            if cmd.axis is ReferralAxis.WHOLE_CASE
            else None
        )
        part = sealed_part(
            person.person_ref or "", identity_of(person, documents), scopes, referrer, plans
        )
        referral = Referral.propose(
            referral_id=referral_id,
            person=person,
            partner_id=partner_id,
            to_partner_id=cmd.to_partner_id,
            axis=cmd.axis,
            reason=cmd.reason,
            urgency=cmd.urgency,
            today=today,
            expires_on=cmd.expires_on,
            identity_shared=part["identity"] is not None,
            sealed_for_receiver=s.referral_keys.seal(part, referral_id, cmd.to_partner_id),
        )
        await store.add(conn, referral)
        await s.referral_outbox.append(conn, partner_id, referral.events)
        await uow.log(who, Operation.REFER, [person.person_id])
    return referral


async def _change(
    s: CasesServices, who: Principal, referral_id: UUID, act: Any, person: UUID | None = None
) -> Referral:
    async with s.uow() as uow:
        referral = await store.get(uow.conn, who.partner_id, referral_id, for_update=True)
        if referral is None:
            raise NotFound(f"referral {referral_id} not found")
        registered = None
        if person is not None:
            registered = await uow.repo.get_person(who.partner_id, person)
            if registered is None:
                raise NotFound(f"person {person} not found")
        if act(referral, registered):
            await store.update(uow.conn, referral)
            await s.referral_outbox.append(uow.conn, who.partner_id, referral.events)
            if referral.person_id is not None:
                await uow.log(who, Operation.REFER, [referral.person_id])
    return referral


async def accept(s: CasesServices, who: Principal, referral_id: UUID) -> Referral:
    return await _change(s, who, referral_id, lambda r, _: r.accept(_today()))


async def decline(
    s: CasesServices, who: Principal, referral_id: UUID, cmd: DeclineReferral
) -> Referral:
    return await _change(s, who, referral_id, lambda r, _: r.decline(_today(), cmd.reason))


async def withdraw(
    s: CasesServices, who: Principal, referral_id: UUID, cmd: WithdrawReferral
) -> Referral:
    if cmd.reason is WithdrawalReason.PERSON_ERASED:
        raise _erasure_only()
    return await _change(s, who, referral_id, lambda r, _: r.withdraw(_today(), cmd.reason))


def _erasure_only() -> DomainError:
    return InvalidValue("person_erased is the erasure's own reason: erase the person instead")


async def complete(
    s: CasesServices, who: Principal, referral_id: UUID, cmd: CompleteReferral
) -> Referral:
    return await _change(
        s, who, referral_id, lambda r, person: r.complete(_today(), person), cmd.person_id
    )


async def read(s: CasesServices, who: Principal, referral_id: UUID) -> Opened:
    """One referral of the caller's partner; a received one with its sealed part opened."""
    async with s.pool.acquire() as conn:
        referral = await store.get(conn, who.partner_id, referral_id)
        if referral is None:
            raise NotFound(f"referral {referral_id} not found")
        if referral.side is Side.SENT or referral.sealed is None:
            return Opened(referral)
        text = base64.urlsafe_b64encode(referral.sealed).rstrip(b"=").decode()
        try:
            part = s.referral_keys.open(text, referral_id, who.partner_id)
        except Unopenable:  # the partner's key changed since: the referral, without it
            log.warning("a received referral's sealed part no longer opens")
            return Opened(referral)
        part.pop("person_ref", None)  # the reference stays in the service
        if part.get("identity"):  # in the register's order
            part["identity"] = {
                f: part["identity"][f] for f in IDENTITY_FIELDS if f in part["identity"]
            }
        known = None
        if referral.person_ref is not None:
            found = await s.repository_on(conn).by_person_ref(who.partner_id, referral.person_ref)
            known = found[0].person_id if found else None
        return Opened(referral, part, known)


async def list_side(
    s: CasesServices, who: Principal, f: ReferralFilter, limit: int, offset: int
) -> tuple[list[Referral], int]:
    async with s.pool.acquire() as conn:
        return await store.listed(conn, who.partner_id, f, _today(), limit, offset)


# --- erasure -------------------------------------------------------------------------------


async def at_erasure(
    s: CasesServices,
    conn: asyncpg.Connection,
    partner_id: str,
    person_ids: Sequence[UUID],
    refs: Sequence[str],
) -> None:
    """In the erasure's transaction: the person's referrals still open are withdrawn (the
    receiving partner erases what it received), and no referral keeps the person's id or
    what was sealed about them."""
    today = _today()
    for referral in await store.pending_of_persons(conn, partner_id, person_ids, today):
        if referral.withdraw(today, WithdrawalReason.PERSON_ERASED):
            await store.update(conn, referral)
            await s.referral_outbox.append(conn, partner_id, referral.events)
    await store.forget_persons(conn, partner_id, person_ids, refs)


# --- the inbox -----------------------------------------------------------------------------


def check_inbox_topic(envelope: Envelope, topic: str) -> None:
    """An inbox event comes from another partner's referrals: its ``ce_source`` is the
    sender's referrals and the inbox is the other partner's (checked again on the data)."""
    match = INBOX_TOPIC.match(topic)
    if match is None:
        raise EnvelopeError(f"topic {topic!r} is not an inbox topic")
    expected = f"/partners/{envelope.partnerid}/referrals"
    if envelope.source != expected:
        raise EnvelopeError(f"ce_source {envelope.source!r} is not {expected!r}")
    if not envelope.type.startswith("it.franoi.referrals."):
        raise EnvelopeError(f"ce_type {envelope.type!r} does not belong on an inbox")
    if envelope.partnerid == match["partner"]:
        raise EnvelopeError("a partner's own events never come back to its inbox")


def read_inbox_event(envelope: Envelope, topic: str) -> ReferralEvent:
    """The referral event, read through its contract model, from the right sender to the
    right inbox; otherwise why it can never be applied."""
    event = read_event(envelope, lambda cls: issubclass(cls, ReferralEvent))
    assert isinstance(event, ReferralEvent)
    if (envelope.partnerid, topic.split(".")[1]) != event.parties():
        raise Unprocessable("the event's sender or inbox is not the referral's partner")
    return event


def inbox_handler(s: CasesServices, partner_ids: Sequence[str]) -> Handler:
    """Apply the other partners' referral events to this instance's partners' copies."""
    served = frozenset(partner_ids)

    async def handle(conn: asyncpg.Connection, envelope: Envelope, delivery: Delivery) -> None:
        event = read_inbox_event(envelope, delivery.topic)
        here = delivery.topic.split(".")[1]
        if here not in served:
            raise Unprocessable(f"partner {here!r} is not served here")
        if isinstance(event, ReferralProposed):
            await _received(s, conn, event)
            return
        referral = await store.get(conn, here, event.referral_id, for_update=True)
        if referral is None:
            raise Unprocessable("no such referral at this partner")
        if referral.hear(event):
            await store.update(conn, referral)
            if referral.side is Side.SENT and referral.state.value == "completed":
                await _close_case(s, conn, referral)

    return handle


async def _received(s: CasesServices, conn: asyncpg.Connection, event: ReferralProposed) -> None:
    partner = event.receiving_partner_id
    try:
        part = s.referral_keys.open(event.sealed_for_receiver, event.referral_id, partner)
    except Unopenable as exc:
        raise Unprocessable(f"the sealed part does not open: {exc}") from exc
    person_ref = part.get("person_ref")
    if not isinstance(person_ref, str) or not re.fullmatch(r"[0-9a-f]{64}", person_ref):
        raise Unprocessable("the sealed part carries no reference")
    text = event.sealed_for_receiver
    sealed = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    await store.add(conn, Referral.received(event, person_ref, sealed))


async def _close_case(s: CasesServices, conn: asyncpg.Connection, referral: Referral) -> None:
    """The whole case moved: the referring partner closes the person's open plans as
    transferred, on the day of the completion (or the plan's last day, if later)."""
    if not referral.closes_case or referral.person_id is None:
        return
    repo = s.repository_on(conn)
    partner_id = referral.referring_partner_id
    for plan in await repo.plans_of(partner_id, referral.person_id):
        if not plan.is_open:
            continue
        last = max([plan.opened_on, *(r.reviewed_on for r in plan.reviews)])
        on = max(referral.completed_on or last, last)
        plan.close(on, PlanOutcome.TRANSFERRED)
        await repo.update_plan(partner_id, plan)
        await s.outbox.append(conn, partner_id, plan.events)
        plan.events.clear()

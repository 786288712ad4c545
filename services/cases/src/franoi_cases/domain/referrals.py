"""Referrals between partners: the state machine and what crosses. Pure domain code.

A social worker of the **referring** partner refers a person to a **receiving** partner for
an axis or the whole case. Each partner keeps its own copy of the referral (its *side*):
the referring one writes ``proposed`` and may withdraw it; the receiving one accepts or
declines it, and completes it once the person is registered there. Each side hears the
other's events through its inbox and applies them with the same rules, so both end in the
same state whatever crosses on the way:

    proposed ──▶ accepted ──▶ completed
        │  └──▶ declined
        ├──▶ withdrawn      (by the referring partner, while unanswered or accepted)
        └──▶ expired        (unanswered after ``expires_on``: derived, never stored)

A withdrawal that crosses an acceptance on the way wins (the referring partner no longer
refers); a completion wins over a withdrawal (the person is registered at the receiving
partner: that cannot be undone by a message).

What crosses (:func:`sealed_part`): the person's reference and coarse attributes always;
the identity fields the person consented to share with a receiving partner (their scopes
name them: :data:`SHARED_BY_SCOPE`); the referring worker's professional contact; for the
whole case, a coded summary of the plans. Nothing else of the referring partner's records.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any
from uuid import UUID

from franoi_common.domain import Aggregate
from franoi_common.errors import Conflict
from franoi_contracts.base import AgeBand, ProtectionStatus, Sex
from franoi_contracts.referrals import (
    MAX_REFERRAL_DAYS,
    DeclineReason,
    ReferralAccepted,
    ReferralAxis,
    ReferralCompleted,
    ReferralDeclined,
    ReferralEvent,
    ReferralProposed,
    ReferralReason,
    ReferralWithdrawn,
    Urgency,
    WithdrawalReason,
)

from franoi_cases.domain.model import (
    CasesError,
    ConsentScope,
    Contacts,
    InvalidDates,
    InvalidTransition,
    InvalidValue,
    Person,
    check_label,
)

DUE_SOON_DAYS = 3
"""An unanswered referral expiring within this many days (today included) is "due soon"."""
DEFAULT_REFERRAL_DAYS = 14


class Side(StrEnum):
    SENT = "sent"
    """This partner referred the person."""
    RECEIVED = "received"
    """The person was referred to this partner."""


class ReferralState(StrEnum):
    PROPOSED = "proposed"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"
    EXPIRED = "expired"
    """Unanswered after its ``expires_on`` (derived from the day, never stored)."""
    COMPLETED = "completed"


class ExpiryBadge(StrEnum):
    """What an inbox shows next to an unanswered referral."""

    DUE_SOON = "due_soon"
    """Expires today or within :data:`DUE_SOON_DAYS` days."""
    EXPIRED = "expired"


class NotReachable(CasesError, code="partner_not_reachable", title="Partner not reachable"):
    """The receiving partner is not one this instance can seal a referral to."""


class WrongPartner(
    Conflict, CasesError, code="not_this_partners_move", title="Not this partner's move"
):
    """The move belongs to the other partner of the referral."""


class NotTheReferredPerson(
    CasesError, code="not_the_referred_person", title="Not the referred person"
):
    """The person registered is not the one referred (their documents give another
    reference)."""


# --- what crosses ------------------------------------------------------------------------


SHARED_BY_SCOPE: Mapping[ConsentScope, tuple[str, ...]] = {
    ConsentScope.REFERRAL_IDENTITY: (
        "given_names",
        "family_name",
        "born_on",
        "citizenship",
        "languages",
    ),
    ConsentScope.REFERRAL_DOCUMENTS: ("tax_code", "residence_permit"),
    ConsentScope.REFERRAL_CONTACTS: ("phone", "email"),
}
"""The identity fields each consent scope lets cross to a receiving partner."""

IDENTITY_FIELDS = tuple(f for fields in SHARED_BY_SCOPE.values() for f in fields)


def shared_fields(scopes: Iterable[ConsentScope]) -> tuple[str, ...]:
    """The identity fields the person consented to share with a receiving partner."""
    given = set(scopes)
    return tuple(f for scope, fields in SHARED_BY_SCOPE.items() if scope in given for f in fields)


def identity_of(person: Person, documents: Mapping[str, str | None]) -> dict[str, Any]:
    """Every identity field of a person as it would cross (``documents``: the decrypted
    tax code and residence permit)."""
    identity = person.identity
    return {
        "given_names": identity.given_names,
        "family_name": identity.family_name,
        "born_on": identity.born_on.isoformat(),
        "citizenship": identity.citizenship,
        "languages": list(identity.languages),
        "tax_code": documents.get("tax_code"),
        "residence_permit": documents.get("residence_permit"),
        "phone": person.contacts.phone,
        "email": person.contacts.email,
    }


@dataclass(frozen=True)
class Referrer:
    """The referring worker's professional contact (the worker's, never the person's)."""

    name: str
    email: str | None = None
    phone: str | None = None

    def checked(self) -> Referrer:
        if self.email is None and self.phone is None:
            raise InvalidValue("the referring worker gives a professional e-mail or phone")
        Contacts(self.phone, self.email).checked()
        return Referrer(check_label("referrer name", self.name), self.email, self.phone)


def sealed_part(
    person_ref: str,
    identity: Mapping[str, Any],
    scopes: Iterable[ConsentScope],
    referrer: Referrer,
    plans: Sequence[Mapping[str, Any]] | None,
) -> dict[str, Any]:
    """What the receiving partner gets, sealed to it: the reference, the identity fields the
    consent names (none without consent: the person is identified when they present
    themselves), the worker's contact and, for the whole case, the plans' summary."""
    fields = shared_fields(scopes)
    shared = {f: identity[f] for f in fields if identity.get(f) not in (None, [], "")}
    return {
        "person_ref": person_ref,
        "identity": shared or None,
        "referrer": {"name": referrer.name, "email": referrer.email, "phone": referrer.phone},
        "plans": None if plans is None else list(plans),
    }


def plan_summary(
    opened_on: dt.date,
    closed_on: dt.date | None,
    axes: Sequence[str],
    outcome: str | None,
    last_progress: Mapping[str, str],
) -> dict[str, Any]:
    """One plan as a transfer carries it: coded, never the goals' words or the key worker."""
    return {
        "opened_on": opened_on.isoformat(),
        "closed_on": None if closed_on is None else closed_on.isoformat(),
        "axes": list(axes),
        "outcome": outcome,
        "last_progress": dict(last_progress),
    }


# --- the referral ------------------------------------------------------------------------


def expiry_badge(state: ReferralState, expires_on: dt.date, today: dt.date) -> ExpiryBadge | None:
    if state is ReferralState.EXPIRED:
        return ExpiryBadge.EXPIRED
    if state is ReferralState.PROPOSED and expires_on <= today + dt.timedelta(days=DUE_SOON_DAYS):
        return ExpiryBadge.DUE_SOON
    return None


@dataclass(eq=False)
class Referral(Aggregate):
    """One side's copy of a referral."""

    referral_id: UUID
    side: Side
    referring_partner_id: str
    receiving_partner_id: str
    axis: ReferralAxis
    reason: ReferralReason
    urgency: Urgency
    proposed_on: dt.date
    expires_on: dt.date
    sex: Sex
    age_band: AgeBand
    protection_status: ProtectionStatus
    identity_shared: bool
    person_ref: str | None
    """Sent: the person's reference; received: the one the sealed part carried (``None``
    once the referring partner erased the person)."""
    person_id: UUID | None = None
    """Sent: the person referred; received: the person registered on completion."""
    sealed: bytes | None = None
    """Received: the sealed part as it arrived (``None`` once erased)."""
    state: ReferralState = ReferralState.PROPOSED
    accepted_on: dt.date | None = None
    declined_on: dt.date | None = None
    decline_reason: DeclineReason | None = None
    withdrawn_on: dt.date | None = None
    withdrawal_reason: WithdrawalReason | None = None
    completed_on: dt.date | None = None
    sealed_for_receiver: str = field(default="", repr=False)
    """Only while proposing: the sealed part as it is published."""

    @classmethod
    def propose(
        cls,
        referral_id: UUID,
        person: Person,
        partner_id: str,
        to_partner_id: str,
        axis: ReferralAxis,
        reason: ReferralReason,
        urgency: Urgency,
        today: dt.date,
        expires_on: dt.date | None,
        identity_shared: bool,
        sealed_for_receiver: str,
    ) -> Referral:
        """A referral of ``person`` by ``partner_id`` to ``to_partner_id``, unanswered until
        ``expires_on`` (by default :data:`DEFAULT_REFERRAL_DAYS` days from today)."""
        if to_partner_id == partner_id:
            raise InvalidValue("a partner cannot refer a person to itself")
        if person.is_merged:
            raise InvalidTransition("the record was merged into another: refer that one")
        if person.person_ref is None:
            raise InvalidValue(
                "record a document identifier (tax code or residence permit number) before"
                " referring the person: the receiving partner identifies them by it"
            )
        expires = expires_on or today + dt.timedelta(days=DEFAULT_REFERRAL_DAYS)
        if not today <= expires <= today + dt.timedelta(days=MAX_REFERRAL_DAYS):
            raise InvalidDates(
                f"expires_on must be between today and {MAX_REFERRAL_DAYS} days from today"
            )
        referral = cls(
            referral_id=referral_id,
            side=Side.SENT,
            referring_partner_id=partner_id,
            receiving_partner_id=to_partner_id,
            axis=axis,
            reason=reason,
            urgency=urgency,
            proposed_on=today,
            expires_on=expires,
            sex=person.identity.sex,
            age_band=person.age_band,
            protection_status=person.identity.protection_status,
            identity_shared=identity_shared,
            person_ref=person.person_ref,
            person_id=person.person_id,
            sealed_for_receiver=sealed_for_receiver,
        )
        referral.record_event(ReferralProposed)
        return referral

    @classmethod
    def received(cls, event: ReferralProposed, person_ref: str, sealed: bytes) -> Referral:
        """The receiving partner's copy of a proposal it heard (``person_ref`` from the
        sealed part it opened)."""
        return cls(
            referral_id=event.referral_id,
            side=Side.RECEIVED,
            referring_partner_id=event.referring_partner_id,
            receiving_partner_id=event.receiving_partner_id,
            axis=event.axis,
            reason=event.reason,
            urgency=event.urgency,
            proposed_on=event.proposed_on,
            expires_on=event.expires_on,
            sex=event.sex,
            age_band=event.age_band,
            protection_status=event.protection_status,
            identity_shared=event.identity_shared,
            person_ref=person_ref,
            sealed=sealed,
        )

    @property
    def partner_id(self) -> str:
        """The partner this copy belongs to."""
        return self.referring_partner_id if self.side is Side.SENT else self.receiving_partner_id

    def state_on(self, today: dt.date) -> ReferralState:
        if self.state is ReferralState.PROPOSED and today > self.expires_on:
            return ReferralState.EXPIRED
        return self.state

    def _must_be(self, side: Side, what: str) -> None:
        if self.side is not side:
            other = "receiving" if side is Side.RECEIVED else "referring"
            raise WrongPartner(f"only the {other} partner can {what} a referral")

    def _must_be_open(self, today: dt.date, what: str) -> None:
        state = self.state_on(today)
        if state is not ReferralState.PROPOSED:
            raise InvalidTransition(f"the referral is {state.value}: it cannot be {what}")

    def accept(self, today: dt.date) -> bool:
        """Accept an unanswered, unexpired referral (receiving side); a repeat changes
        nothing."""
        self._must_be(Side.RECEIVED, "accept")
        if self.state is ReferralState.ACCEPTED:
            return False
        self._must_be_open(today, "accepted")
        self.state, self.accepted_on = ReferralState.ACCEPTED, today
        self.record_event(ReferralAccepted)
        return True

    def decline(self, today: dt.date, reason: DeclineReason) -> bool:
        """Decline an unanswered referral (receiving side), with its reason."""
        self._must_be(Side.RECEIVED, "decline")
        if self.state is ReferralState.DECLINED and self.decline_reason is reason:
            return False
        self._must_be_open(today, "declined")
        self.state, self.declined_on, self.decline_reason = ReferralState.DECLINED, today, reason
        self.record_event(ReferralDeclined)
        return True

    def withdraw(self, today: dt.date, reason: WithdrawalReason) -> bool:
        """Withdraw a referral not yet declined or completed (referring side)."""
        self._must_be(Side.SENT, "withdraw")
        if self.state is ReferralState.WITHDRAWN:
            return False
        if self.state_on(today) not in (ReferralState.PROPOSED, ReferralState.ACCEPTED):
            raise InvalidTransition(
                f"the referral is {self.state_on(today).value}: it cannot be withdrawn"
            )
        self.state, self.withdrawn_on = ReferralState.WITHDRAWN, today
        self.withdrawal_reason = reason
        self.record_event(ReferralWithdrawn)
        return True

    def complete(self, today: dt.date, person: Person) -> bool:
        """The person presented themselves and is registered here (receiving side): their
        documents must give the referral's reference."""
        self._must_be(Side.RECEIVED, "complete")
        if self.state is ReferralState.COMPLETED and self.person_id == person.person_id:
            return False
        if self.state is not ReferralState.ACCEPTED:
            raise InvalidTransition(
                f"the referral is {self.state_on(today).value}: accept it before completing it"
            )
        if person.person_ref is None or person.person_ref != self.person_ref:
            raise NotTheReferredPerson(
                "the person's documents do not identify the person referred: register the"
                " person with the tax code or residence permit they present"
            )
        self.state, self.completed_on, self.person_id = (
            ReferralState.COMPLETED,
            today,
            person.person_id,
        )
        self.record_event(ReferralCompleted)
        return True

    def hear(self, event: ReferralEvent) -> bool:
        """Apply the other partner's event; returns whether anything changed. Both sides
        apply the same precedence (a withdrawal beats an acceptance, a completion beats a
        withdrawal), so they agree whatever the order of crossing."""
        if isinstance(event, ReferralWithdrawn) and self.side is Side.RECEIVED:
            if self.state in (ReferralState.COMPLETED, ReferralState.WITHDRAWN):
                return False
            self.state, self.withdrawn_on = ReferralState.WITHDRAWN, event.withdrawn_on
            self.withdrawal_reason = event.withdrawal_reason
            if event.withdrawal_reason is WithdrawalReason.PERSON_ERASED:
                self.person_ref, self.sealed = None, None
            return True
        if self.side is not Side.SENT:
            return False
        if isinstance(event, ReferralAccepted):
            if self.state is not ReferralState.PROPOSED:
                return False
            self.state, self.accepted_on = ReferralState.ACCEPTED, event.accepted_on
            return True
        if isinstance(event, ReferralDeclined):
            if self.state is not ReferralState.PROPOSED:
                return False
            self.state, self.declined_on = ReferralState.DECLINED, event.declined_on
            self.decline_reason = event.decline_reason
            return True
        if isinstance(event, ReferralCompleted):
            if self.state is ReferralState.COMPLETED:
                return False
            self.state, self.completed_on = ReferralState.COMPLETED, event.completed_on
            self.accepted_on = self.accepted_on or event.accepted_on
            return True
        return False

    @property
    def closes_case(self) -> bool:
        """Whether completing it moves the whole case (the referring partner closes)."""
        return self.axis is ReferralAxis.WHOLE_CASE

"""Referral events: one partner refers a person to another for an axis or the whole case.

A referral is written by two partners: the **referring** partner publishes it
(``proposed``) and may withdraw it; the **receiving** partner accepts or declines it and,
once the person is registered there, completes it. Each partner publishes on its own
``franoi.<partner>.referrals.v1`` topic; the consortium's referral router forwards every
event to the *other* partner's ``franoi.<partner>.inbox.v1`` topic, unchanged (same
``ce_id``, ``ce_source``, ``ce_partnerid``), keyed by the referral id.

What crosses is coded: the axis, the reason, the urgency, the dates and the person's
coarse attributes, with the person as ``person_ref`` (their token, when the partner shreds
pseudonyms). What the receiving partner needs to find the person — the reference itself,
the identity fields the person consented to share, the referring worker's professional
contact and a coded summary of the plan — travels only in ``sealed_for_receiver``: sealed
to the receiving partner's public key (X25519, HKDF-SHA256, AES-256-GCM bound to the
referral and the receiving partner), so that neither the router, nor the projection, nor
an integrator, nor another partner can read it.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated, ClassVar, Self
from uuid import UUID

from pydantic import Field, StringConstraints, model_validator

from franoi_contracts.base import AgeBand, DomainEvent, PersonRef, ProtectionStatus, Sex

PartnerId = Annotated[str, StringConstraints(pattern=r"^p[0-9]{2,3}$")]

MAX_SEALED_LENGTH = 16_384
SealedBox = Annotated[
    str, StringConstraints(pattern=r"^[A-Za-z0-9_-]+$", min_length=80, max_length=MAX_SEALED_LENGTH)
]
"""Base64url (no padding) of ``version (1) || ephemeral X25519 key (32) || nonce (12) ||
AES-256-GCM ciphertext and tag``: only the receiving partner's private key opens it."""


class ReferralAxis(StrEnum):
    """What the person is referred for."""

    HOUSING = "housing"
    WORK = "work"
    FAMILY_HOSTING = "family_hosting"
    COMMUNITY = "community"
    WHOLE_CASE = "whole_case"
    """The case moves: the receiving partner takes the person on, the referring one closes."""


class ReferralReason(StrEnum):
    """Why the person is referred (coded; the worker's words stay at the partner)."""

    OPPORTUNITY_ELSEWHERE = "opportunity_elsewhere"
    """A job, a house, a family in the other partner's area."""
    SERVICE_NOT_OFFERED = "service_not_offered"
    NO_CAPACITY = "no_capacity"
    PERSON_MOVING = "person_moving"
    FAMILY_REASONS = "family_reasons"
    SAFETY = "safety"
    """The person must move city for their safety (e.g. a victim of trafficking)."""
    OTHER = "other"


class Urgency(StrEnum):
    ROUTINE = "routine"
    PRIORITY = "priority"
    URGENT = "urgent"


class DeclineReason(StrEnum):
    """Why the receiving partner declined."""

    NO_CAPACITY = "no_capacity"
    NOT_ELIGIBLE = "not_eligible"
    AXIS_NOT_OFFERED = "axis_not_offered"
    PERSON_NOT_REACHED = "person_not_reached"
    OTHER = "other"


class WithdrawalReason(StrEnum):
    """Why the referring partner withdrew."""

    NO_LONGER_NEEDED = "no_longer_needed"
    PERSON_DECLINED = "person_declined"
    REFERRED_ELSEWHERE = "referred_elsewhere"
    PERSON_ERASED = "person_erased"
    """The person was erased at the referring partner (GDPR art. 17): the receiving partner
    erases what it received."""


class ReferralEvent(DomainEvent):
    """What every referral event says: which referral, between which partners, for what."""

    KEY: ClassVar[str] = "referral_id"
    BY_REFERRING: ClassVar[bool] = True
    """Whether the referring partner publishes this event (else the receiving one)."""

    referral_id: UUID
    referring_partner_id: PartnerId
    receiving_partner_id: PartnerId
    axis: ReferralAxis

    @model_validator(mode="after")
    def _two_partners(self) -> Self:
        if self.referring_partner_id == self.receiving_partner_id:
            raise ValueError("a partner cannot refer a person to itself")
        return self

    def parties(self) -> tuple[str, str]:
        """Who publishes this event, and whose inbox it goes to (the other partner)."""
        if self.BY_REFERRING:
            return self.referring_partner_id, self.receiving_partner_id
        return self.receiving_partner_id, self.referring_partner_id


class ReferralProposed(ReferralEvent):
    """The referring partner proposed a referral (published by the referring partner)."""

    TYPE: ClassVar[str] = "it.franoi.referrals.referral.proposed.v1"

    person_ref: PersonRef
    sex: Sex
    age_band: AgeBand
    protection_status: ProtectionStatus
    reason: ReferralReason
    urgency: Urgency
    proposed_on: dt.date
    expires_on: dt.date
    """Unanswered by the end of this day, the referral has expired."""
    identity_shared: bool
    """Whether the sealed part carries identity fields (the person consented to it)."""
    sealed_for_receiver: SealedBox

    @model_validator(mode="after")
    def _dates(self) -> Self:
        if self.expires_on < self.proposed_on:
            raise ValueError("a referral cannot expire before it was proposed")
        return self


class ReferralAccepted(ReferralEvent):
    """The receiving partner accepted the referral (published by the receiving partner)."""

    TYPE: ClassVar[str] = "it.franoi.referrals.referral.accepted.v1"
    BY_REFERRING: ClassVar[bool] = False

    proposed_on: dt.date
    accepted_on: dt.date

    @model_validator(mode="after")
    def _dates(self) -> Self:
        if self.accepted_on < self.proposed_on:
            raise ValueError("a referral cannot be accepted before it was proposed")
        return self


class ReferralDeclined(ReferralEvent):
    """The receiving partner declined the referral (published by the receiving partner)."""

    TYPE: ClassVar[str] = "it.franoi.referrals.referral.declined.v1"
    BY_REFERRING: ClassVar[bool] = False

    proposed_on: dt.date
    declined_on: dt.date
    decline_reason: DeclineReason

    @model_validator(mode="after")
    def _dates(self) -> Self:
        if self.declined_on < self.proposed_on:
            raise ValueError("a referral cannot be declined before it was proposed")
        return self


class ReferralWithdrawn(ReferralEvent):
    """The referring partner withdrew a referral not yet answered (published by it)."""

    TYPE: ClassVar[str] = "it.franoi.referrals.referral.withdrawn.v1"

    withdrawn_on: dt.date
    withdrawal_reason: WithdrawalReason


class ReferralCompleted(ReferralEvent):
    """The person is registered at the receiving partner: the referral is done; for the
    whole case, the referring partner closes its case (published by the receiving partner)."""

    TYPE: ClassVar[str] = "it.franoi.referrals.referral.completed.v1"
    BY_REFERRING: ClassVar[bool] = False

    accepted_on: dt.date
    completed_on: dt.date

    @model_validator(mode="after")
    def _dates(self) -> Self:
        if self.completed_on < self.accepted_on:
            raise ValueError("a referral cannot be completed before it was accepted")
        return self


REFERRAL_EVENTS: tuple[type[ReferralEvent], ...] = (
    ReferralProposed,
    ReferralWithdrawn,
    ReferralAccepted,
    ReferralDeclined,
    ReferralCompleted,
)

MAX_REFERRAL_DAYS = 90
"""The longest a referral can wait for an answer."""
Days = Annotated[int, Field(ge=1, le=MAX_REFERRAL_DAYS)]

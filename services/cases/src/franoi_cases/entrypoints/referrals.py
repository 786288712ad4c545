"""Referrals between partners: ``POST /v1/referrals`` (refer a person), ``GET
/v1/referrals/sent`` (what the partner referred, and how each stands), ``GET
/v1/referrals/inbox`` (what was referred to it, the soonest to expire first, each with its
expiry badge), ``GET /v1/referrals/{id}`` and the moves: ``/accept``, ``/decline``,
``/withdraw``, ``/complete``.

Social workers and partner admins of the instance's partners; every referral is the
caller's partner's own copy (another partner's answers 404). A received referral read one
by one shows what was sealed to the partner: the identity fields the person consented to
share (none without consent: the person is identified when they present themselves), the
referring worker's contact and, for a whole case, the plans' summary.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from uuid import UUID

from fastapi import Body, Query
from franoi_common.api import Caller, Limit, Offset, Page, paged, partner_router
from franoi_contracts.base import AgeBand, ProtectionStatus, Sex
from franoi_contracts.referrals import (
    DeclineReason,
    ReferralAxis,
    ReferralReason,
    Urgency,
    WithdrawalReason,
)
from pydantic import BaseModel, Field

from franoi_cases.adapters.referrals import ReferralFilter
from franoi_cases.domain.referrals import (
    ExpiryBadge,
    Referral,
    ReferralState,
    Side,
    expiry_badge,
)
from franoi_cases.entrypoints.api import Services
from franoi_cases.service_layer import referrals
from franoi_cases.service_layer.referrals import (
    CompleteReferral,
    DeclineReferral,
    ProposeReferral,
    WithdrawReferral,
)


class ReferralOut(BaseModel):
    referral_id: UUID
    side: Side
    state: ReferralState = Field(description="expired: unanswered after expires_on")
    referring_partner_id: str
    receiving_partner_id: str
    axis: ReferralAxis
    reason: ReferralReason
    urgency: Urgency
    proposed_on: dt.date
    expires_on: dt.date
    expiry_badge: ExpiryBadge | None = Field(
        description="due_soon: unanswered and expiring within 3 days; expired"
    )
    sex: Sex
    age_band: AgeBand
    protection_status: ProtectionStatus
    identity_shared: bool
    person_id: UUID | None = Field(
        description="Sent: the person referred; received: the person registered on completion"
    )
    accepted_on: dt.date | None
    declined_on: dt.date | None
    decline_reason: DeclineReason | None
    withdrawn_on: dt.date | None
    withdrawal_reason: WithdrawalReason | None
    completed_on: dt.date | None


class ReferrerOut(BaseModel):
    name: str
    email: str | None
    phone: str | None


class SealedPartOut(BaseModel):
    identity: dict[str, Any] | None = Field(
        description="The identity fields the person consented to share; null: none"
    )
    referrer: ReferrerOut
    plans: list[dict[str, Any]] | None = Field(description="Whole case: the plans, coded")


class ReferralDetailOut(ReferralOut):
    sealed_part: SealedPartOut | None = Field(
        None, description="Received: what was sealed to this partner (gone after an erasure)"
    )
    known_person_id: UUID | None = Field(
        None, description="Received: the person's record here, when the partner has one"
    )


def referral_out(referral: Referral, today: dt.date | None = None) -> ReferralOut:
    day = today or dt.date.today()
    state = referral.state_on(day)
    return ReferralOut(
        **{
            name: getattr(referral, name)
            for name in ReferralOut.model_fields
            if name not in ("state", "expiry_badge")
        },
        state=state,
        expiry_badge=expiry_badge(state, referral.expires_on, day),
    )


router = partner_router(tags=["referrals"])


@router.post("/referrals", status_code=201, response_model=ReferralOut)
async def propose_referral(body: ProposeReferral, who: Caller, s: Services) -> Any:
    """Refer a person of the caller's partner to another partner (client-chosen
    ``referral_id`` makes retries safe). What the receiving partner needs is sealed to it."""
    return referral_out(await referrals.propose(s, who, body))


def _listing(side: Side) -> Any:
    async def listing(
        who: Caller,
        s: Services,
        state: ReferralState | None = None,
        person_id: Annotated[UUID | None, Query(description="Only this person's")] = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> Any:
        found, total = await referrals.list_side(
            s, who, ReferralFilter(side, state, person_id), limit, offset
        )
        today = dt.date.today()
        return paged([referral_out(r, today) for r in found], total, limit, offset)

    return listing


router.get(
    "/referrals/inbox",
    response_model=Page[ReferralOut],
    summary="The referrals to the caller's partner",
    description="The soonest to expire first; state=proposed lists those waiting for an "
    "answer, each with its expiry badge (due_soon within 3 days).",
)(_listing(Side.RECEIVED))
router.get(
    "/referrals/sent",
    response_model=Page[ReferralOut],
    summary="The referrals the caller's partner made, and how each stands",
)(_listing(Side.SENT))


@router.get("/referrals/{referral_id}", response_model=ReferralDetailOut)
async def read_referral(referral_id: UUID, who: Caller, s: Services) -> Any:
    opened = await referrals.read(s, who, referral_id)
    return ReferralDetailOut(
        **referral_out(opened.referral).model_dump(),
        sealed_part=None if opened.sealed_part is None else SealedPartOut(**opened.sealed_part),
        known_person_id=opened.known_person_id,
    )


@router.post("/referrals/{referral_id}/accept", response_model=ReferralOut)
async def accept_referral(referral_id: UUID, who: Caller, s: Services) -> Any:
    """Accept a referral to the caller's partner that is still waiting (not withdrawn,
    expired or declined); a repeat changes nothing."""
    return referral_out(await referrals.accept(s, who, referral_id))


@router.post("/referrals/{referral_id}/decline", response_model=ReferralOut)
async def decline_referral(
    referral_id: UUID, body: DeclineReferral, who: Caller, s: Services
) -> Any:
    return referral_out(await referrals.decline(s, who, referral_id, body))


@router.post("/referrals/{referral_id}/withdraw", response_model=ReferralOut)
async def withdraw_referral(
    referral_id: UUID,
    who: Caller,
    s: Services,
    body: Annotated[WithdrawReferral | None, Body()] = None,
) -> Any:
    """Withdraw a referral the caller's partner made, while unanswered or accepted."""
    return referral_out(await referrals.withdraw(s, who, referral_id, body or WithdrawReferral()))


@router.post("/referrals/{referral_id}/complete", response_model=ReferralOut)
async def complete_referral(
    referral_id: UUID, body: CompleteReferral, who: Caller, s: Services
) -> Any:
    """The person presented themselves and is registered here (``person_id``, with the
    documents they presented, which must identify the person referred): the referral is
    done; for a whole case, the referring partner closes its plans as transferred."""
    return referral_out(await referrals.complete(s, who, referral_id, body))

"""PostgreSQL persistence of the referrals (each partner's side), always scoped by partner."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from uuid import UUID

import asyncpg
from franoi_contracts.base import AgeBand, ProtectionStatus, Sex
from franoi_contracts.referrals import (
    DeclineReason,
    ReferralAxis,
    ReferralReason,
    Urgency,
    WithdrawalReason,
)

from franoi_cases.domain.referrals import Referral, ReferralState, Side

_COLUMNS = (
    "partner_id",
    "referral_id",
    "side",
    "referring_partner_id",
    "receiving_partner_id",
    "axis",
    "reason",
    "urgency",
    "proposed_on",
    "expires_on",
    "sex",
    "age_band",
    "protection_status",
    "identity_shared",
    "person_ref",
    "person_id",
    "sealed",
    "state",
    "accepted_on",
    "declined_on",
    "decline_reason",
    "withdrawn_on",
    "withdrawal_reason",
    "completed_on",
)
_CHANGING = _COLUMNS[14:]
"""What a referral's life changes (from ``person_ref`` on)."""


def _value(value: Any) -> Any:
    return value.value if hasattr(value, "value") else value


def _values(referral: Referral, columns: Sequence[str]) -> list[Any]:
    return [_value(getattr(referral, c)) for c in columns]


def referral_of(row: asyncpg.Record) -> Referral:
    def maybe(kind: Any, name: str) -> Any:
        return None if row[name] is None else kind(row[name])

    return Referral(
        referral_id=row["referral_id"],
        side=Side(row["side"]),
        referring_partner_id=row["referring_partner_id"],
        receiving_partner_id=row["receiving_partner_id"],
        axis=ReferralAxis(row["axis"]),
        reason=ReferralReason(row["reason"]),
        urgency=Urgency(row["urgency"]),
        proposed_on=row["proposed_on"],
        expires_on=row["expires_on"],
        sex=Sex(row["sex"]),
        age_band=AgeBand(row["age_band"]),
        protection_status=ProtectionStatus(row["protection_status"]),
        identity_shared=row["identity_shared"],
        person_ref=row["person_ref"],
        person_id=row["person_id"],
        sealed=row["sealed"],
        state=ReferralState(row["state"]),
        accepted_on=row["accepted_on"],
        declined_on=row["declined_on"],
        decline_reason=maybe(DeclineReason, "decline_reason"),
        withdrawn_on=row["withdrawn_on"],
        withdrawal_reason=maybe(WithdrawalReason, "withdrawal_reason"),
        completed_on=row["completed_on"],
    )


@dataclass(frozen=True)
class ReferralFilter:
    """What a list of one side's referrals is narrowed to."""

    side: Side
    state: ReferralState | None = None
    person_id: UUID | None = None


async def add(conn: asyncpg.Connection, referral: Referral) -> bool:
    """Store a new copy; ``False`` when this partner holds it already (a repeat)."""
    placeholders = ", ".join(f"${i}" for i in range(1, len(_COLUMNS) + 1))
    inserted = await conn.fetchval(
        f"INSERT INTO referrals ({', '.join(_COLUMNS)}) VALUES ({placeholders})"  # noqa: S608
        " ON CONFLICT (partner_id, referral_id) DO NOTHING RETURNING true",
        *[referral.partner_id, *_values(referral, _COLUMNS[1:])],
    )
    return bool(inserted)


async def update(conn: asyncpg.Connection, referral: Referral) -> None:
    assignments = ", ".join(f"{c} = ${i}" for i, c in enumerate(_CHANGING, start=3))
    await conn.execute(
        f"UPDATE referrals SET {assignments}"  # noqa: S608 (our own column names)
        " WHERE partner_id = $1 AND referral_id = $2",
        referral.partner_id,
        referral.referral_id,
        *_values(referral, _CHANGING),
    )


async def get(
    conn: asyncpg.Connection, partner_id: str, referral_id: UUID, *, for_update: bool = False
) -> Referral | None:
    lock = " FOR UPDATE" if for_update else ""
    row = await conn.fetchrow(
        f"SELECT * FROM referrals WHERE partner_id = $1 AND referral_id = $2{lock}",  # noqa: S608
        partner_id,
        referral_id,
    )
    return None if row is None else referral_of(row)


async def listed(
    conn: asyncpg.Connection,
    partner_id: str,
    f: ReferralFilter,
    today: dt.date,
    limit: int,
    offset: int,
) -> tuple[list[Referral], int]:
    """A page of one side's referrals, the soonest to expire first; ``expired`` and
    ``proposed`` are told apart by ``today``."""
    where = ["partner_id = $1", "side = $2"]
    args: list[Any] = [partner_id, f.side.value]
    if f.state is ReferralState.EXPIRED:
        args.append(today)
        where.append(f"state = 'proposed' AND expires_on < ${len(args)}")
    elif f.state is ReferralState.PROPOSED:
        args.append(today)
        where.append(f"state = 'proposed' AND expires_on >= ${len(args)}")
    elif f.state is not None:
        args.append(f.state.value)
        where.append(f"state = ${len(args)}")
    if f.person_id is not None:
        args.append(f.person_id)
        where.append(f"person_id = ${len(args)}")
    condition = " AND ".join(where)
    rows = await conn.fetch(
        f"SELECT *, count(*) OVER () AS total FROM referrals WHERE {condition}"  # noqa: S608
        f" ORDER BY expires_on, proposed_on, referral_id LIMIT ${len(args) + 1}"
        f" OFFSET ${len(args) + 2}",
        *args,
        limit,
        offset,
    )
    if not rows and offset:
        total = await conn.fetchval(
            f"SELECT count(*) FROM referrals WHERE {condition}",  # noqa: S608
            *args,
        )
        return [], total
    return [referral_of(r) for r in rows], rows[0]["total"] if rows else 0


async def pending_of_persons(
    conn: asyncpg.Connection, partner_id: str, person_ids: Sequence[UUID], today: dt.date
) -> list[Referral]:
    """The referrals this partner sent for these persons that can still be withdrawn."""
    rows = await conn.fetch(
        "SELECT * FROM referrals WHERE partner_id = $1 AND side = 'sent'"
        " AND person_id = ANY($2) AND (state = 'accepted'"
        " OR (state = 'proposed' AND expires_on >= $3)) FOR UPDATE",
        partner_id,
        person_ids,
        today,
    )
    return [referral_of(r) for r in rows]


async def forget_persons(
    conn: asyncpg.Connection, partner_id: str, person_ids: Sequence[UUID], refs: Sequence[str]
) -> None:
    """An erasure here: no referral of this partner names the persons any more, and what
    was sealed to this partner about them (their identity) goes."""
    await conn.execute(
        "UPDATE referrals SET person_id = NULL, sealed = NULL"
        " WHERE partner_id = $1 AND (person_id = ANY($2) OR person_ref = ANY($3))",
        partner_id,
        person_ids,
        list(refs),
    )

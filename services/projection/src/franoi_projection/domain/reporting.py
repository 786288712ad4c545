"""Reporting periods: what a partner's period is in (its status), which steps the partner
and the consortium may take from there, and which flags and entries belong to a period.

A period covers whole months (``first_month`` .. ``last_month``) and has a deadline. In
each *version* of a period every partner submits; the consortium approves or returns each
submission; when every partner is approved the version is approved and its figures are
fixed (stored as they were, see :mod:`franoi_projection.adapters.reporting_store`). A
reopening starts the next version, every partner back to not submitted, the approved
versions kept.
"""

from __future__ import annotations

import calendar
import datetime as dt
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from franoi_common.errors import InvalidDates, InvalidTransition, InvalidValue

from franoi_projection.domain.indicators import Text
from franoi_projection.domain.quality import Flag


class State(StrEnum):
    """A partner's recorded step in a version (no step yet: not submitted)."""

    SUBMITTED = "submitted"
    APPROVED = "approved"
    RETURNED = "returned"


class Status(StrEnum):
    """What the consortium sees of a partner's period."""

    NOT_STARTED = "not_started"
    FLAGS_OPEN = "flags_open"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    RETURNED = "returned"


STATUS_LABELS: dict[Status, Text] = {
    Status.NOT_STARTED: Text("Non iniziato", "Not started"),
    Status.FLAGS_OPEN: Text("Segnalazioni aperte", "Flags open"),
    Status.SUBMITTED: Text("Inviato", "Submitted"),
    Status.APPROVED: Text("Approvato", "Approved"),
    Status.RETURNED: Text("Restituito", "Returned"),
}


class Action(StrEnum):
    SUBMIT = "submit"
    APPROVE = "approve"
    RETURN = "return"
    REOPEN = "reopen"


def status(state: State | None, open_flags: int) -> Status:
    """A partner's status: its recorded step, else whether flags are open."""
    if state is not None:
        return Status(state.value)
    return Status.FLAGS_OPEN if open_flags else Status.NOT_STARTED


_FROM: dict[Action, tuple[State | None, ...]] = {
    Action.SUBMIT: (None, State.RETURNED),
    Action.APPROVE: (State.SUBMITTED,),
    Action.RETURN: (State.SUBMITTED, State.APPROVED),
}
_TO = {
    Action.SUBMIT: State.SUBMITTED,
    Action.APPROVE: State.APPROVED,
    Action.RETURN: State.RETURNED,
}
_PAST = {
    Action.SUBMIT: "submitted",
    Action.APPROVE: "approved",
    Action.RETURN: "returned",
}


def step(action: Action, state: State | None, version_approved: bool) -> State:
    """The partner's state after ``action`` (a submission, an approval, a return), or the
    refusal naming why: an approved version changes only by a reopening."""
    if action is Action.REOPEN:
        raise ValueError("a reopening is a period's step, not a partner's")
    if version_approved:
        raise InvalidTransition(
            "the period's report is approved: its figures are fixed until the consortium reopens it"
        )
    if state not in _FROM[action]:
        now = state.value if state else "not submitted"
        raise InvalidTransition(f"cannot be {_PAST[action]}: the partner's period is {now}")
    return _TO[action]


def version_approved(partners: Iterable[str], states: Mapping[str, State]) -> bool:
    """A version is approved when every partner that reports in it is."""
    listed = list(partners)
    return bool(listed) and all(states.get(p) is State.APPROVED for p in listed)


def reopenable(approved: bool) -> None:
    if not approved:
        raise InvalidTransition("only an approved period is reopened; return a partner instead")


@dataclass(frozen=True)
class Period:
    period_id: str
    label: Text
    first_month: dt.date
    last_month: dt.date
    deadline: dt.date
    version: int = 1

    @property
    def first_day(self) -> dt.date:
        return self.first_month

    @property
    def last_day(self) -> dt.date:
        return last_day(self.last_month)


def last_day(month: dt.date) -> dt.date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


def month_of(value: str, name: str) -> dt.date:
    """A ``yyyy-mm`` month's first day, or a refusal naming the field."""
    try:
        year, month = value.split("-")
        if len(year) != 4 or len(month) != 2:
            raise ValueError(value)
        return dt.date(int(year), int(month), 1)
    except ValueError:
        raise InvalidValue(f"{name} must be a month as yyyy-mm, not {value!r}") from None


def check_period(first_month: dt.date, last_month: dt.date, deadline: dt.date) -> None:
    """A period's months in order, at most ten years, and a deadline after its last day."""
    if last_month < first_month:
        raise InvalidDates("last_month is before first_month")
    if (last_month.year - first_month.year) * 12 + last_month.month - first_month.month >= 120:
        raise InvalidDates("a reporting period covers at most 120 months")
    if deadline <= last_day(last_month):
        raise InvalidDates("the deadline must come after the period's last day")


def partners_reporting(partners: Iterable[tuple[str, dt.date | None]], period: Period) -> list[str]:
    """The partners that report in ``period``: those active in the network by its last day
    (the directory's ``active_since``; none given: always)."""
    return sorted(p for p, since in partners if since is None or since <= period.last_day)


def flag_key(flag: Flag) -> str:
    """A flag's identity: its rule, records and dates (so an explanation holds for the
    finding as it was, and a record changed since raises a new flag)."""
    dates = ",".join([f"{name}={day}" for name, day in flag.dates])  # str(day): ISO
    text = f"{flag.rule_id}|{flag.subject}|{','.join(flag.record_ids)}|{dates}"
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def flag_days(flag: Flag) -> tuple[dt.date, dt.date]:
    """The first and last of the days that make a flag (a flag with none: never)."""
    days = [day for _, day in flag.dates]
    if not days:
        raise ValueError(f"a {flag.rule_id} flag names no day")
    return min(days), max(days)


def in_period(first_on: dt.date, last_on: dt.date, period: Period) -> bool:
    """A flag belongs to the periods its days overlap."""
    return first_on <= period.last_day and last_on >= period.first_day

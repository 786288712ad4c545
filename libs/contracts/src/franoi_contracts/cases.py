"""Cases events: the published contract of the cases service.

The cases service is the only place where a person's identity lives. What it
publishes is the bare minimum the network needs to count: a person appears as
``person_ref`` with sex, age band and protection status when registered; an
individual plan ("progetto individuale") appears with its axes, planned length,
review progress and closing outcome. Never a name, a date of birth, a document
number, a contact, a goal written by a social worker or any other free text.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated, ClassVar, Self
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, model_validator

from franoi_contracts.base import AgeBand, DomainEvent, PersonRef, ProtectionStatus, Sex

MIN_PLANNED_MONTHS, MAX_PLANNED_MONTHS = 1, 36

PlannedMonths = Annotated[int, Field(ge=MIN_PLANNED_MONTHS, le=MAX_PLANNED_MONTHS)]


class PlanAxis(StrEnum):
    """The areas of a person's life an individual plan works on."""

    HOUSING = "housing"
    WORK = "work"
    FAMILY = "family"
    LANGUAGE = "language"
    DOCUMENTS = "documents"
    """Residence permit, tax code, registry office: the person's papers in order."""
    HEALTH = "health"


class Progress(StrEnum):
    """How far a plan got on one axis at a review."""

    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    ACHIEVED = "achieved"
    STALLED = "stalled"


class PlanOutcome(StrEnum):
    """How an individual plan ended."""

    COMPLETED_AUTONOMY_REACHED = "completed_autonomy_reached"
    """The plan's goals were met and the person lives autonomously."""
    COMPLETED_PARTLY = "completed_partly"
    INTERRUPTED = "interrupted"
    TRANSFERRED = "transferred"
    """The person is now followed by another organisation."""


class InterruptionReason(StrEnum):
    """Why a plan was interrupted (coded; the social worker's own words stay in the service)."""

    PERSON_WITHDREW = "person_withdrew"
    LOST_CONTACT = "lost_contact"
    MOVED_AWAY = "moved_away"
    BREACH_OF_AGREEMENT = "breach_of_agreement"
    HEALTH = "health"
    OTHER = "other"


class AxisProgress(BaseModel):
    """Progress on one axis of the plan at a review."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    axis: PlanAxis
    progress: Progress


def check_outcome(outcome: PlanOutcome, reason: InterruptionReason | None) -> None:
    """An interrupted plan says why; any other outcome has no interruption reason."""
    if outcome is PlanOutcome.INTERRUPTED and reason is None:
        raise ValueError("an interrupted plan needs interruption_reason")
    if outcome is not PlanOutcome.INTERRUPTED and reason is not None:
        raise ValueError("only an interrupted plan has an interruption_reason")


# --- persons -----------------------------------------------------------------------------


class PersonRegistered(DomainEvent):
    """The partner registered a person it follows (as a pseudonym and coarse attributes)."""

    TYPE: ClassVar[str] = "it.franoi.cases.person.registered.v1"
    KEY: ClassVar[str] = "person_id"

    person_id: UUID
    person_ref: PersonRef
    registered_on: dt.date
    sex: Sex
    age_band: AgeBand
    protection_status: ProtectionStatus


class PersonErased(DomainEvent):
    """The partner erased a person at their request (GDPR art. 17).

    ``person_ref`` is the value the person's earlier events of this partner carry: their
    token, when the partner shreds pseudonyms (its key is already deleted: the token opens
    no more, here or in any earlier event), else the reference. Nothing else of the person:
    the partner's other services and the projection detach it from their rows; counts stay.
    A consumer must, at once: delete what it kept to open the token (the pair token and
    reference), replace in its rows the reference the token stood for (or the reference
    itself) by a surrogate of its own or by the token, and never keep the reference; it must
    not try to find the person again.
    """

    TYPE: ClassVar[str] = "it.franoi.cases.person.erased.v1"
    KEY: ClassVar[str] = "person_id"

    person_id: UUID
    person_ref: PersonRef
    erased_on: dt.date


# --- plans -------------------------------------------------------------------------------


class PlanOpened(DomainEvent):
    """An individual plan was agreed with a person."""

    TYPE: ClassVar[str] = "it.franoi.cases.plan.opened.v1"
    KEY: ClassVar[str] = "plan_id"

    plan_id: UUID
    person_ref: PersonRef
    opened_on: dt.date
    axes: Annotated[list[PlanAxis], Field(min_length=1, max_length=len(PlanAxis))]
    planned_months: PlannedMonths

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if len(set(self.axes)) != len(self.axes):
            raise ValueError("an axis appears twice")
        return self


class PlanReviewed(DomainEvent):
    """A plan was reviewed with the person: progress on each of its axes."""

    TYPE: ClassVar[str] = "it.franoi.cases.plan.reviewed.v1"
    KEY: ClassVar[str] = "plan_id"

    plan_id: UUID
    reviewed_on: dt.date
    progress: Annotated[list[AxisProgress], Field(min_length=1, max_length=len(PlanAxis))]

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        axes = [p.axis for p in self.progress]
        if len(set(axes)) != len(axes):
            raise ValueError("an axis appears twice")
        return self


class PlanClosed(DomainEvent):
    """A plan ended with an outcome."""

    TYPE: ClassVar[str] = "it.franoi.cases.plan.closed.v1"
    KEY: ClassVar[str] = "plan_id"

    plan_id: UUID
    closed_on: dt.date
    outcome: PlanOutcome
    interruption_reason: InterruptionReason | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        check_outcome(self.outcome, self.interruption_reason)
        return self


CASES_EVENTS: tuple[type[DomainEvent], ...] = (
    PersonRegistered,
    PersonErased,
    PlanOpened,
    PlanReviewed,
    PlanClosed,
)
"""Every cases event type, in contract order."""

"""The paths to work: company agreements, training enrolments, internships and hires.

Pure domain code, like :mod:`.model` (whose refusals and checks it uses).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any
from uuid import UUID

from franoi_common.agreements import SignedAgreement
from franoi_common.domain import Aggregate, Fields, creates, repeats
from franoi_common.periods import PlannedPeriod, check_one_at_a_time
from franoi_contracts import employment as contract
from franoi_contracts.base import AgeBand, DomainEvent, ProtectionStatus, Sex
from franoi_contracts.employment import (
    CONTRACTS_WITH_END,
    ContractType,
    CourseHours,
    CourseKind,
    HireEndReason,
    InternshipOutcome,
    InterruptedBy,
    PlacesOffered,
    StipendEur,
    StipendPayer,
    WeeklyHours,
)

from franoi_employment.domain.model import (
    AboutAPerson,
    HireBeforeFirstContact,
    InternshipAlreadyOpen,
    InvalidDates,
    InvalidValue,
    OutcomeAlreadyRecorded,
    OutcomeBeforeEnd,
    Person,
    check_label,
    check_sector,
    checks,
)

# --- company agreements ------------------------------------------------------------------


@dataclass(eq=False)
class CompanyAgreement(SignedAgreement):
    """An agreement with a company offering internships or jobs. The company's name is
    kept here (organisations are not persons) but published only as the agreement id."""

    company_agreement_id: UUID
    company_name: str
    sector: str
    places_offered: int
    signed_on: dt.date
    valid_until: dt.date | None = None
    ended_on: dt.date | None = None

    CHECKS = checks
    ENDED = contract.CompanyAgreementEnded

    @classmethod
    @creates(contract.CompanyAgreementSigned)
    def sign(
        cls,
        company_agreement_id: UUID,
        company_name: str,
        sector: str,
        places_offered: int,
        signed_on: dt.date,
        valid_until: dt.date | None = None,
    ) -> Fields:
        check_sector(sector)
        checks.within("places_offered", places_offered, PlacesOffered)
        cls.check_term(signed_on, valid_until)
        return {"company_name": check_label("company_name", company_name)}

    def check_in_force_on(self, day: dt.date, what: str) -> None:
        """Raise unless the agreement is in force on ``day`` (signed, not ended, not expired)."""
        if day < self.signed_on:
            raise InvalidDates(f"{what} cannot start before the agreement was signed")
        if self.ended_on is not None and day > self.ended_on:
            raise InvalidDates(f"{what} cannot start after the agreement ended")
        if self.valid_until is not None and day > self.valid_until:
            raise InvalidDates(f"{what} cannot start after the agreement expired")


# --- training enrolments -----------------------------------------------------------------


class EnrolmentStatus(StrEnum):
    ENROLLED = "enrolled"
    COMPLETED = "completed"
    DROPPED = "dropped"


@dataclass(eq=False)
class Enrolment(AboutAPerson, Aggregate):
    """A person's enrolment in a training course: enrolled, then completed or dropped."""

    enrolment_id: UUID
    person_ref: str
    sex: Sex
    age_band: AgeBand
    protection_status: ProtectionStatus
    course_title: str
    provider: str
    course_kind: CourseKind
    hours: int
    starts_on: dt.date
    ends_on: dt.date
    status: EnrolmentStatus = EnrolmentStatus.ENROLLED
    closed_on: dt.date | None = None

    @classmethod
    @creates(contract.EnrolmentStarted)
    def enrol(
        cls,
        enrolment_id: UUID,
        person: Person,
        course_title: str,
        provider: str,
        course_kind: CourseKind,
        hours: int,
        starts_on: dt.date,
        ends_on: dt.date,
    ) -> Fields:
        title = check_label("course_title", course_title)
        by = check_label("provider", provider)
        checks.within("hours", hours, CourseHours)
        checks.not_before(ends_on, starts_on, "a course cannot end before it starts")
        return {"course_title": title, "provider": by, **person.fields()}

    def complete(self, on: dt.date) -> None:
        self._close(EnrolmentStatus.COMPLETED, on, contract.EnrolmentCompleted, completed_on=on)

    def drop(self, on: dt.date) -> None:
        self._close(EnrolmentStatus.DROPPED, on, contract.EnrolmentDropped, dropped_on=on)

    def _close(
        self, status: EnrolmentStatus, on: dt.date, event: type[DomainEvent], **values: Any
    ) -> None:
        """Close the enrolment (once, not before the course starts) as ``status``; repeating
        the same close changes nothing."""
        if repeats(self, status=status, closed_on=on):
            return
        checks.allowed(
            self.status is EnrolmentStatus.ENROLLED, f"the enrolment is already {self.status.value}"
        )
        checks.not_before(on, self.starts_on, "an enrolment cannot close before the course starts")
        self.status, self.closed_on = status, on
        self.record_event(event, **values)


# --- internships -------------------------------------------------------------------------


class InternshipStatus(StrEnum):
    OPEN = "open"
    ENDED = "ended"


@dataclass(eq=False)
class Internship(AboutAPerson, PlannedPeriod):
    """An internship ("tirocinio", "borsa lavoro") at a company under an agreement:
    open, then ended; its outcome is recorded once, on or after the end."""

    internship_id: UUID
    person_ref: str
    sex: Sex
    age_band: AgeBand
    protection_status: ProtectionStatus
    company_agreement_id: UUID
    sector: str
    started_on: dt.date
    planned_end_on: dt.date
    monthly_stipend_eur: int
    stipend_paid_by: StipendPayer
    status: InternshipStatus = InternshipStatus.OPEN
    ended_on: dt.date | None = None
    outcome: InternshipOutcome | None = None
    interrupted_by: InterruptedBy | None = None
    outcome_recorded_on: dt.date | None = None

    @classmethod
    @creates(contract.InternshipStarted)
    def start(
        cls,
        internship_id: UUID,
        person: Person,
        agreement: CompanyAgreement,
        started_on: dt.date,
        planned_end_on: dt.date,
        monthly_stipend_eur: int,
        stipend_paid_by: StipendPayer,
        person_internships: Sequence[Internship],
        ended_on: dt.date | None = None,
    ) -> Fields:
        """Start an internship; ``person_internships`` are the person's internships the
        repository found sharing a day with the new one (from its start to ``ended_on``, or
        on): one at a time per person, on the dates they concern. An internship of the past
        recorded at once gives its ``ended_on``; it is ended right after (:meth:`end`), with
        the same events as a start and an end."""
        agreement.check_in_force_on(started_on, "an internship")
        checks.not_before(planned_end_on, started_on, "the planned end cannot be before the start")
        if ended_on is not None:
            checks.not_before(ended_on, started_on, "an internship cannot end before it started")
        checks.within("monthly_stipend_eur", monthly_stipend_eur, StipendEur)
        check_one_at_a_time(
            [i for i in person_internships if i.person_ref == person.person_ref],
            started_on,
            ended_on,
            InternshipAlreadyOpen,
        )
        return {
            **person.fields(),
            "company_agreement_id": agreement.company_agreement_id,
            "sector": agreement.sector,
            "ended_on": None,  # open: :meth:`end` ends an internship recorded with its end
        }

    CHECKS = checks
    ACTIVE = InternshipStatus.OPEN
    EXTENDED = contract.InternshipExtended

    @property
    def is_open(self) -> bool:
        """Active: not ended yet."""
        return self.is_active

    def end(self, on: dt.date) -> None:
        """End an open internship (not before its start); it is no longer open."""
        if self.ended_on == on:
            return
        self.check_end(on)
        self.status, self.ended_on = InternshipStatus.ENDED, on
        self.record_event(contract.InternshipEnded)

    def record_outcome(
        self,
        outcome: InternshipOutcome,
        recorded_on: dt.date,
        interrupted_by: InterruptedBy | None = None,
    ) -> None:
        """Set the outcome: once, only after the internship ended, on or after its end.
        ``interrupted_by`` is given exactly for an interrupted internship."""
        if repeats(
            self, outcome=outcome, interrupted_by=interrupted_by, outcome_recorded_on=recorded_on
        ):
            return
        if self.outcome is not None:
            raise OutcomeAlreadyRecorded(
                f"the internship's outcome ({self.outcome.value}) was recorded already"
            )
        if self.ended_on is None:
            raise OutcomeBeforeEnd("the internship has not ended: end it first")
        if recorded_on < self.ended_on:
            raise OutcomeBeforeEnd(
                f"the internship ended on {self.ended_on}: its outcome cannot be recorded before"
            )
        if (outcome is InternshipOutcome.INTERRUPTED) != (interrupted_by is not None):
            raise InvalidValue("say who interrupted the internship, and only for an interruption")
        self.outcome, self.interrupted_by = outcome, interrupted_by
        self.outcome_recorded_on = recorded_on
        self.record_event(contract.InternshipOutcomeRecorded, recorded_on=recorded_on)


# --- hires -------------------------------------------------------------------------------


class HireStatus(StrEnum):
    ACTIVE = "active"
    ENDED = "ended"


@dataclass(eq=False)
class Hire(AboutAPerson, Aggregate):
    """A person's job: through a company agreement or in a sector, possibly after an
    internship; active, then ended."""

    hire_id: UUID
    person_ref: str
    sex: Sex
    age_band: AgeBand
    protection_status: ProtectionStatus
    sector: str
    contract_type: ContractType
    weekly_hours: int
    started_on: dt.date
    ends_on: dt.date | None = None
    company_agreement_id: UUID | None = None
    internship_id: UUID | None = None
    status: HireStatus = HireStatus.ACTIVE
    ended_on: dt.date | None = None
    end_reason: HireEndReason | None = None

    @classmethod
    @creates(contract.HireRecorded)
    def record(
        cls,
        hire_id: UUID,
        person: Person,
        contract_type: ContractType,
        weekly_hours: int,
        started_on: dt.date,
        first_contact_on: dt.date | None,
        *,
        ends_on: dt.date | None = None,
        agreement: CompanyAgreement | None = None,
        sector: str | None = None,
        internship: Internship | None = None,
    ) -> Fields:
        """Record a hire. ``first_contact_on`` is the person's first recorded contact with
        the desk (``None``: none at all), from :func:`first_contact`. The sector comes from
        the agreement when one is given (a different ``sector`` is refused)."""
        if agreement is not None:
            if sector is not None and sector != agreement.sector:
                raise InvalidValue(
                    f"the agreement's company is in sector {agreement.sector}, not {sector}"
                )
            sector = agreement.sector
        if sector is None:
            raise InvalidValue("give the company agreement or the sector of the hire")
        check_sector(sector)
        checks.within("weekly_hours", weekly_hours, WeeklyHours)
        if contract_type in CONTRACTS_WITH_END and ends_on is None:
            raise InvalidValue(f"a {contract_type.value} contract needs its end date")
        if contract_type is ContractType.PERMANENT and ends_on is not None:
            raise InvalidValue("a permanent contract has no end date")
        if ends_on is not None:
            checks.not_before(ends_on, started_on, "a contract cannot end before it starts")
        if first_contact_on is None:
            raise HireBeforeFirstContact(
                "the person has no recorded contact with this desk (consultation, enrolment, "
                "internship or skills profile): record it first"
            )
        if started_on < first_contact_on:
            raise HireBeforeFirstContact(
                f"the person's first contact with this desk was on {first_contact_on}: "
                "a hire cannot start before it"
            )
        if agreement is not None:
            agreement.check_in_force_on(started_on, "a hire through an agreement")
        if internship is not None:
            if internship.person_ref != person.person_ref:
                raise InvalidValue("the internship belongs to another person")
            checks.not_before(
                started_on, internship.started_on, "a hire cannot start before its internship"
            )
        return {
            **person.fields(),
            "sector": sector,
            "company_agreement_id": None if agreement is None else agreement.company_agreement_id,
            "internship_id": None if internship is None else internship.internship_id,
        }

    @property
    def is_active(self) -> bool:
        return self.status is HireStatus.ACTIVE

    def end(self, on: dt.date, reason: HireEndReason) -> None:
        """End an active job (once, not before it started)."""
        if repeats(self, ended_on=on, end_reason=reason):
            return
        checks.allowed(self.is_active, f"the job already ended on {self.ended_on}")
        checks.not_before(on, self.started_on, "a job cannot end before it started")
        self.status, self.ended_on, self.end_reason = HireStatus.ENDED, on, reason
        self.record_event(contract.HireEnded, reason=reason)

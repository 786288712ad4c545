"""Employment aggregates: the work desk's consultations, group activities, skills profiles,
company agreements, training enrolments, internships and hires.

Pure domain code: no I/O. Each aggregate keeps the invariants it can see and
records what happened in its ``events`` list; the service layer persists the
aggregates and moves their events to the outbox. A method that succeeds changes
state and records exactly one event; a method that fails raises an
:class:`EmploymentError` (a :class:`franoi_common.errors.DomainError`, so the API answers
it as a problem with its status) and changes nothing. A terminal transition
repeated with the same data (a client retrying "end this internship") succeeds and
records nothing, so retries are safe.

Invariants:

* an internship's outcome is recorded once, and only once the internship has
  ended, on or after its end;
* one open internship per person (the repository passes the person's open
  internships to :meth:`Internship.start`);
* a hire cannot start before the person's first recorded contact with this
  employment desk: first consultation, training enrolment, internship or
  skills assessment (the repository passes those dates; see :func:`first_contact`);
* a group activity has attendance counts only once held, and they are not negative;
* dates are consistent: nothing ends before it starts, an internship or a hire
  through an agreement falls within the agreement, a new skills assessment is
  not older than the previous one.

Free text (company names, course titles, providers) may live in the aggregates
— the service keeps it — but never in an event.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any
from uuid import UUID

from franoi_common import errors
from franoi_common.domain import PERSON_REF, Checks, repeats
from franoi_common.errors import DomainError
from franoi_contracts.base import AgeBand, DomainEvent, ProtectionStatus, Sex
from franoi_contracts.employment import (
    CONTRACTS_WITH_END,
    MAX_ATTENDEES,
    MAX_COURSE_HOURS,
    MAX_LANGUAGES,
    MAX_MINUTES,
    MAX_PLACES,
    MAX_REGISTERED_ATTENDEES,
    MAX_STIPEND_EUR,
    MAX_VERSION,
    MAX_WEEKLY_HOURS,
    MIN_ATTENDEES,
    MIN_COURSE_HOURS,
    MIN_MINUTES,
    MIN_PLACES,
    MIN_STIPEND_EUR,
    MIN_WEEKLY_HOURS,
    CompanyAgreementEnded,
    CompanyAgreementSigned,
    ConsultationRecorded,
    ConsultationTopic,
    ContractType,
    CourseKind,
    DrivingLicence,
    EducationLevel,
    EnrolmentCompleted,
    EnrolmentDropped,
    EnrolmentStarted,
    GroupActivityCancelled,
    GroupActivityHeld,
    GroupActivityKind,
    GroupActivityScheduled,
    HireEnded,
    HireEndReason,
    HireRecorded,
    InternshipEnded,
    InternshipExtended,
    InternshipOutcome,
    InternshipOutcomeRecorded,
    InternshipStarted,
    InterruptedBy,
    ItalianLevel,
    SkillsProfileAssessed,
    StipendPayer,
    WorkerRole,
)

_ATECO_SECTION = re.compile(r"^[A-U]$")
_LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}$")
MAX_LABEL_LENGTH = 200
"""Longest company name, course title or provider the service keeps."""


# --- errors ------------------------------------------------------------------------------


class EmploymentError(DomainError):
    """A command the employment domain refuses; ``str(error)`` is a message for people."""

    code = "employment_error"


class InvalidTransition(errors.InvalidTransition, EmploymentError):
    """The aggregate is not in a state that allows the command."""


class InvalidDates(errors.InvalidDates, EmploymentError):
    """The dates of the command are inconsistent."""


class InvalidValue(errors.InvalidValue, EmploymentError):
    """A value is out of its range or malformed."""


_checks = Checks(InvalidValue, InvalidDates)


class InternshipAlreadyOpen(EmploymentError):
    """The person already has an open internship."""

    status = 409
    code = "internship_already_open"
    title = "Internship already open"


class OutcomeAlreadyRecorded(EmploymentError):
    """The internship's outcome was recorded before: it is set once."""

    status = 409
    code = "outcome_already_recorded"
    title = "Outcome already recorded"


class OutcomeBeforeEnd(EmploymentError):
    """An internship's outcome can only be recorded once it has ended, on or after its end."""

    status = 409
    code = "outcome_before_end"
    title = "Outcome before the internship's end"


class HireBeforeFirstContact(EmploymentError):
    """A hire cannot start before the person's first recorded contact with the desk."""

    status = 409
    code = "hire_before_first_contact"
    title = "Hire before the first contact"


def _check_sector(sector: str) -> None:
    if not isinstance(sector, str) or not _ATECO_SECTION.match(sector):
        raise InvalidValue("sector must be an ATECO section letter from A to U")


def check_label(name: str, value: str) -> str:
    """A company name, course title or provider: printable, 1 to 200 characters, trimmed."""
    text = value.strip() if isinstance(value, str) else ""
    if not 1 <= len(text) <= MAX_LABEL_LENGTH:
        raise InvalidValue(f"{name} must have 1 to {MAX_LABEL_LENGTH} characters")
    if any(unicodedata.category(ch).startswith("C") for ch in text):
        raise InvalidValue(f"{name} must not contain control characters")
    return text


# --- persons -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    """A person as the desk records them: the pseudonym and coarse attributes only."""

    person_ref: str
    sex: Sex
    age_band: AgeBand
    protection_status: ProtectionStatus

    def __post_init__(self) -> None:
        _checks.person_ref(self.person_ref)

    def fields(self) -> dict[str, Any]:
        """The person's columns of an aggregate about them."""
        return {
            "person_ref": self.person_ref,
            "sex": self.sex,
            "age_band": self.age_band,
            "protection_status": self.protection_status,
        }


class AboutAPerson:
    """An aggregate about one person: it keeps their pseudonym and coarse attributes."""

    person_ref: str
    sex: Sex
    age_band: AgeBand
    protection_status: ProtectionStatus

    @property
    def person(self) -> Person:
        return Person(self.person_ref, self.sex, self.age_band, self.protection_status)


def first_contact(*dates: dt.date | Iterable[dt.date | None] | None) -> dt.date | None:
    """The earliest of the given dates (or iterables of dates), ignoring ``None``:
    the person's first recorded contact with the desk, ``None`` if there was none."""
    found: list[dt.date] = []
    for item in dates:
        if item is None:
            continue
        if isinstance(item, dt.date):
            found.append(item)
        else:
            found.extend(d for d in item if d is not None)
    return min(found, default=None)


# --- consultations -----------------------------------------------------------------------


@dataclass(eq=False)
class Consultation(AboutAPerson):
    """One individual consultation at the work desk (a fact: recorded, not changed)."""

    consultation_id: UUID
    person_ref: str
    sex: Sex
    age_band: AgeBand
    protection_status: ProtectionStatus
    held_on: dt.date
    topic: ConsultationTopic
    minutes: int
    worker_role: WorkerRole
    events: list[DomainEvent] = field(default_factory=list, repr=False)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Consultation) and other.consultation_id == self.consultation_id

    def __hash__(self) -> int:
        return hash(self.consultation_id)

    @classmethod
    def record(
        cls,
        consultation_id: UUID,
        person: Person,
        held_on: dt.date,
        topic: ConsultationTopic,
        minutes: int,
        worker_role: WorkerRole,
    ) -> Consultation:
        _checks.range("minutes", minutes, MIN_MINUTES, MAX_MINUTES)
        consultation = cls(
            consultation_id=consultation_id,
            held_on=held_on,
            topic=topic,
            minutes=minutes,
            worker_role=worker_role,
            **person.fields(),
        )
        consultation.events.append(
            ConsultationRecorded(
                consultation_id=consultation_id,
                person_ref=person.person_ref,
                held_on=held_on,
                topic=topic,
                minutes=minutes,
                worker_role=worker_role,
                sex=person.sex,
                age_band=person.age_band,
                protection_status=person.protection_status,
            )
        )
        return consultation


# --- group activities --------------------------------------------------------------------


class GroupActivityStatus(StrEnum):
    SCHEDULED = "scheduled"
    HELD = "held"
    CANCELLED = "cancelled"


@dataclass(eq=False)
class GroupActivity:
    """An orientation group, financial-education path or school session on saving:
    scheduled, then held (with its attendance) or cancelled."""

    group_activity_id: UUID
    kind: GroupActivityKind
    scheduled_on: dt.date
    status: GroupActivityStatus = GroupActivityStatus.SCHEDULED
    held_on: dt.date | None = None
    registered_attendees: tuple[str, ...] = ()
    anonymous_attendees: int | None = None
    cancelled_on: dt.date | None = None
    events: list[DomainEvent] = field(default_factory=list, repr=False)

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, GroupActivity) and other.group_activity_id == self.group_activity_id
        )

    def __hash__(self) -> int:
        return hash(self.group_activity_id)

    @classmethod
    def schedule(
        cls, group_activity_id: UUID, kind: GroupActivityKind, scheduled_on: dt.date
    ) -> GroupActivity:
        activity = cls(group_activity_id, kind, scheduled_on)
        activity.events.append(
            GroupActivityScheduled(
                group_activity_id=group_activity_id, kind=kind, scheduled_on=scheduled_on
            )
        )
        return activity

    @property
    def attendees(self) -> int | None:
        """Everyone who attended (registered and anonymous); ``None`` unless held."""
        if self.anonymous_attendees is None:
            return None
        return len(self.registered_attendees) + self.anonymous_attendees

    def _check_scheduled(self) -> None:
        if self.status is not GroupActivityStatus.SCHEDULED:
            raise InvalidTransition(f"the group activity is already {self.status.value}")

    def hold(
        self, held_on: dt.date, registered_attendees: Sequence[str], anonymous_attendees: int
    ) -> None:
        """Record that the activity took place: the partner's persons who attended (by
        ``person_ref``, each once) and how many others (e.g. pupils) did."""
        if repeats(
            self,
            status=GroupActivityStatus.HELD,
            held_on=held_on,
            registered_attendees=tuple(registered_attendees),
            anonymous_attendees=anonymous_attendees,
        ):
            return
        self._check_scheduled()
        _checks.range("anonymous_attendees", anonymous_attendees, MIN_ATTENDEES, MAX_ATTENDEES)
        refs = tuple(registered_attendees)
        if len(refs) > MAX_REGISTERED_ATTENDEES:
            raise InvalidValue(
                f"at most {MAX_REGISTERED_ATTENDEES} registered attendees, got {len(refs)}"
            )
        for ref in refs:
            if not isinstance(ref, str) or not PERSON_REF.match(ref):
                raise InvalidValue("registered attendees are person_ref pseudonyms")
        if len(set(refs)) != len(refs):
            raise InvalidValue("a person is listed twice among the registered attendees")
        if not refs and anonymous_attendees == 0:
            raise InvalidValue("an activity nobody attended was not held: cancel it instead")
        self.status, self.held_on = GroupActivityStatus.HELD, held_on
        self.registered_attendees, self.anonymous_attendees = refs, anonymous_attendees
        self.events.append(
            GroupActivityHeld(
                group_activity_id=self.group_activity_id,
                kind=self.kind,
                held_on=held_on,
                registered_attendees=list(refs),
                anonymous_attendees=anonymous_attendees,
            )
        )

    def cancel(self, on: dt.date) -> None:
        """Cancel a scheduled activity (no attendance is ever recorded for it)."""
        if repeats(self, status=GroupActivityStatus.CANCELLED, cancelled_on=on):
            return
        self._check_scheduled()
        self.status, self.cancelled_on = GroupActivityStatus.CANCELLED, on
        self.events.append(
            GroupActivityCancelled(group_activity_id=self.group_activity_id, cancelled_on=on)
        )


# --- skills profiles ---------------------------------------------------------------------


@dataclass(frozen=True)
class Assessment:
    """One version of a skills profile."""

    assessed_on: dt.date
    education_level: EducationLevel
    italian_level: ItalianLevel
    italian_assessed_on: dt.date
    other_languages: tuple[str, ...]
    prior_sectors: tuple[str, ...]
    driving_licence: DrivingLicence

    def __post_init__(self) -> None:
        _checks.not_before(
            self.assessed_on,
            self.italian_assessed_on,
            "the Italian level cannot be assessed after the profile's assessment date",
        )
        if len(self.other_languages) > MAX_LANGUAGES:
            raise InvalidValue(f"at most {MAX_LANGUAGES} other languages")
        for code in self.other_languages:
            if not isinstance(code, str) or not _LANGUAGE_CODE.match(code):
                raise InvalidValue("other languages are ISO 639 codes like en, ar or tir")
        if len(set(self.other_languages)) != len(self.other_languages):
            raise InvalidValue("a language is listed twice")
        for sector in self.prior_sectors:
            _check_sector(sector)
        if len(set(self.prior_sectors)) != len(self.prior_sectors):
            raise InvalidValue("a sector is listed twice")


@dataclass(eq=False)
class SkillsProfile:
    """A person's skills profile: every assessment is kept as a new version."""

    skills_profile_id: UUID
    person_ref: str
    assessments: list[Assessment] = field(default_factory=list)
    events: list[DomainEvent] = field(default_factory=list, repr=False)

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, SkillsProfile) and other.skills_profile_id == self.skills_profile_id
        )

    def __hash__(self) -> int:
        return hash(self.skills_profile_id)

    @classmethod
    def open(cls, skills_profile_id: UUID, person: Person, first: Assessment) -> SkillsProfile:
        """A new profile with its first assessment (version 1)."""
        profile = cls(skills_profile_id, person.person_ref)
        profile.assess(first)
        return profile

    @property
    def version(self) -> int:
        return len(self.assessments)

    @property
    def current(self) -> Assessment | None:
        return self.assessments[-1] if self.assessments else None

    @property
    def first_assessed_on(self) -> dt.date | None:
        return self.assessments[0].assessed_on if self.assessments else None

    def assess(self, assessment: Assessment) -> None:
        """Add a new version; it may not be older than the current one."""
        if self.current is not None:
            _checks.not_before(
                assessment.assessed_on,
                self.current.assessed_on,
                f"the current assessment is of {self.current.assessed_on}: "
                "a new one cannot be older",
            )
        version = self.version + 1
        if version > MAX_VERSION:
            raise InvalidValue(f"a profile has at most {MAX_VERSION} versions")
        self.assessments.append(assessment)
        self.events.append(
            SkillsProfileAssessed(
                skills_profile_id=self.skills_profile_id,
                version=version,
                person_ref=self.person_ref,
                assessed_on=assessment.assessed_on,
                education_level=assessment.education_level,
                italian_level=assessment.italian_level,
                italian_assessed_on=assessment.italian_assessed_on,
                other_languages=list(assessment.other_languages),
                prior_sectors=list(assessment.prior_sectors),
                driving_licence=assessment.driving_licence,
            )
        )


# --- company agreements ------------------------------------------------------------------


@dataclass(eq=False)
class CompanyAgreement:
    """An agreement with a company offering internships or jobs. The company's name is
    kept here (organisations are not persons) but published only as the agreement id."""

    company_agreement_id: UUID
    company_name: str
    sector: str
    places_offered: int
    signed_on: dt.date
    valid_until: dt.date | None = None
    ended_on: dt.date | None = None
    events: list[DomainEvent] = field(default_factory=list, repr=False)

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, CompanyAgreement)
            and other.company_agreement_id == self.company_agreement_id
        )

    def __hash__(self) -> int:
        return hash(self.company_agreement_id)

    @classmethod
    def sign(
        cls,
        company_agreement_id: UUID,
        company_name: str,
        sector: str,
        places_offered: int,
        signed_on: dt.date,
        valid_until: dt.date | None = None,
    ) -> CompanyAgreement:
        name = check_label("company_name", company_name)
        _check_sector(sector)
        _checks.range("places_offered", places_offered, MIN_PLACES, MAX_PLACES)
        if valid_until is not None:
            _checks.not_before(valid_until, signed_on, "an agreement cannot expire before signing")
        agreement = cls(company_agreement_id, name, sector, places_offered, signed_on, valid_until)
        agreement.events.append(
            CompanyAgreementSigned(
                company_agreement_id=company_agreement_id,
                sector=sector,
                places_offered=places_offered,
                signed_on=signed_on,
                valid_until=valid_until,
            )
        )
        return agreement

    @property
    def is_ended(self) -> bool:
        return self.ended_on is not None

    def end(self, on: dt.date) -> None:
        """End the agreement (once, not before it was signed)."""
        if self.ended_on == on:
            return
        if self.ended_on is not None:
            raise InvalidTransition(f"the agreement already ended on {self.ended_on}")
        _checks.not_before(on, self.signed_on, "an agreement cannot end before it was signed")
        self.ended_on = on
        self.events.append(
            CompanyAgreementEnded(company_agreement_id=self.company_agreement_id, ended_on=on)
        )

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
class Enrolment(AboutAPerson):
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
    events: list[DomainEvent] = field(default_factory=list, repr=False)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Enrolment) and other.enrolment_id == self.enrolment_id

    def __hash__(self) -> int:
        return hash(self.enrolment_id)

    @classmethod
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
    ) -> Enrolment:
        title = check_label("course_title", course_title)
        by = check_label("provider", provider)
        _checks.range("hours", hours, MIN_COURSE_HOURS, MAX_COURSE_HOURS)
        _checks.not_before(ends_on, starts_on, "a course cannot end before it starts")
        enrolment = cls(
            enrolment_id=enrolment_id,
            course_title=title,
            provider=by,
            course_kind=course_kind,
            hours=hours,
            starts_on=starts_on,
            ends_on=ends_on,
            **person.fields(),
        )
        enrolment.events.append(
            EnrolmentStarted(
                enrolment_id=enrolment_id,
                person_ref=person.person_ref,
                course_kind=course_kind,
                hours=hours,
                starts_on=starts_on,
                ends_on=ends_on,
                sex=person.sex,
                age_band=person.age_band,
                protection_status=person.protection_status,
            )
        )
        return enrolment

    def _check_can_close(self, on: dt.date) -> None:
        if self.status is not EnrolmentStatus.ENROLLED:
            raise InvalidTransition(f"the enrolment is already {self.status.value}")
        _checks.not_before(on, self.starts_on, "an enrolment cannot close before the course starts")

    def complete(self, on: dt.date) -> None:
        if repeats(self, status=EnrolmentStatus.COMPLETED, closed_on=on):
            return
        self._check_can_close(on)
        self.status, self.closed_on = EnrolmentStatus.COMPLETED, on
        self.events.append(EnrolmentCompleted(enrolment_id=self.enrolment_id, completed_on=on))

    def drop(self, on: dt.date) -> None:
        if repeats(self, status=EnrolmentStatus.DROPPED, closed_on=on):
            return
        self._check_can_close(on)
        self.status, self.closed_on = EnrolmentStatus.DROPPED, on
        self.events.append(EnrolmentDropped(enrolment_id=self.enrolment_id, dropped_on=on))


# --- internships -------------------------------------------------------------------------


class InternshipStatus(StrEnum):
    OPEN = "open"
    ENDED = "ended"


@dataclass(eq=False)
class Internship(AboutAPerson):
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
    events: list[DomainEvent] = field(default_factory=list, repr=False)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Internship) and other.internship_id == self.internship_id

    def __hash__(self) -> int:
        return hash(self.internship_id)

    @classmethod
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
    ) -> Internship:
        """Start an internship; ``person_internships`` are the ones the repository found for
        the person: an open one refuses the command."""
        agreement.check_in_force_on(started_on, "an internship")
        _checks.not_before(planned_end_on, started_on, "the planned end cannot be before the start")
        _checks.range("monthly_stipend_eur", monthly_stipend_eur, MIN_STIPEND_EUR, MAX_STIPEND_EUR)
        if any(i.is_open and i.person_ref == person.person_ref for i in person_internships):
            raise InternshipAlreadyOpen("the person already has an open internship")
        internship = cls(
            internship_id=internship_id,
            **person.fields(),
            company_agreement_id=agreement.company_agreement_id,
            sector=agreement.sector,
            started_on=started_on,
            planned_end_on=planned_end_on,
            monthly_stipend_eur=monthly_stipend_eur,
            stipend_paid_by=stipend_paid_by,
        )
        internship.events.append(
            InternshipStarted(
                internship_id=internship_id,
                person_ref=person.person_ref,
                company_agreement_id=agreement.company_agreement_id,
                sector=agreement.sector,
                started_on=started_on,
                planned_end_on=planned_end_on,
                monthly_stipend_eur=monthly_stipend_eur,
                stipend_paid_by=stipend_paid_by,
                sex=person.sex,
                age_band=person.age_band,
                protection_status=person.protection_status,
            )
        )
        return internship

    @property
    def is_open(self) -> bool:
        return self.status is InternshipStatus.OPEN

    def _check_open(self) -> None:
        if not self.is_open:
            raise InvalidTransition(f"the internship already ended on {self.ended_on}")

    def extend(self, planned_end_on: dt.date) -> None:
        """Move the planned end of an open internship (not before its start)."""
        self._check_open()
        _checks.not_before(
            planned_end_on, self.started_on, "the planned end cannot be before the start"
        )
        self.planned_end_on = planned_end_on
        self.events.append(
            InternshipExtended(internship_id=self.internship_id, planned_end_on=planned_end_on)
        )

    def end(self, on: dt.date) -> None:
        """End an open internship (not before its start); it is no longer open."""
        if self.ended_on == on:
            return
        self._check_open()
        _checks.not_before(on, self.started_on, "an internship cannot end before it started")
        self.status, self.ended_on = InternshipStatus.ENDED, on
        self.events.append(InternshipEnded(internship_id=self.internship_id, ended_on=on))

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
        self.events.append(
            InternshipOutcomeRecorded(
                internship_id=self.internship_id,
                outcome=outcome,
                interrupted_by=interrupted_by,
                ended_on=self.ended_on,
                recorded_on=recorded_on,
            )
        )


# --- hires -------------------------------------------------------------------------------


class HireStatus(StrEnum):
    ACTIVE = "active"
    ENDED = "ended"


@dataclass(eq=False)
class Hire(AboutAPerson):
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
    events: list[DomainEvent] = field(default_factory=list, repr=False)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Hire) and other.hire_id == self.hire_id

    def __hash__(self) -> int:
        return hash(self.hire_id)

    @classmethod
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
    ) -> Hire:
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
        _check_sector(sector)
        _checks.range("weekly_hours", weekly_hours, MIN_WEEKLY_HOURS, MAX_WEEKLY_HOURS)
        if contract_type in CONTRACTS_WITH_END and ends_on is None:
            raise InvalidValue(f"a {contract_type.value} contract needs its end date")
        if contract_type is ContractType.PERMANENT and ends_on is not None:
            raise InvalidValue("a permanent contract has no end date")
        if ends_on is not None:
            _checks.not_before(ends_on, started_on, "a contract cannot end before it starts")
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
            _checks.not_before(
                started_on, internship.started_on, "a hire cannot start before its internship"
            )
        hire = cls(
            hire_id=hire_id,
            **person.fields(),
            sector=sector,
            contract_type=contract_type,
            weekly_hours=weekly_hours,
            started_on=started_on,
            ends_on=ends_on,
            company_agreement_id=None if agreement is None else agreement.company_agreement_id,
            internship_id=None if internship is None else internship.internship_id,
        )
        hire.events.append(
            HireRecorded(
                hire_id=hire_id,
                person_ref=person.person_ref,
                company_agreement_id=hire.company_agreement_id,
                internship_id=hire.internship_id,
                sector=sector,
                contract_type=contract_type,
                weekly_hours=weekly_hours,
                started_on=started_on,
                ends_on=ends_on,
                sex=person.sex,
                age_band=person.age_band,
                protection_status=person.protection_status,
            )
        )
        return hire

    @property
    def is_active(self) -> bool:
        return self.status is HireStatus.ACTIVE

    def end(self, on: dt.date, reason: HireEndReason) -> None:
        """End an active job (once, not before it started)."""
        if repeats(self, ended_on=on, end_reason=reason):
            return
        if not self.is_active:
            raise InvalidTransition(f"the job already ended on {self.ended_on}")
        _checks.not_before(on, self.started_on, "a job cannot end before it started")
        self.status, self.ended_on, self.end_reason = HireStatus.ENDED, on, reason
        self.events.append(HireEnded(hire_id=self.hire_id, ended_on=on, reason=reason))

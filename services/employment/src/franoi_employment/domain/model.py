"""The work desk's vocabulary (its refusals, the person its records are about, the value
rules) and its records of a person's path: consultations, group activities and skills
profiles. The paths to work (company agreements, training enrolments, internships and
hires) are in :mod:`.work`.

Pure domain code: no I/O. Each aggregate keeps the invariants it can see and
records what happened as events of the contract (:mod:`franoi_contracts.employment`); the
service layer persists the aggregates and moves their events to the outbox. A method that
succeeds changes state and records exactly one event; a method that fails raises an
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

from franoi_common.domain import PERSON_REF, Aggregate, Checks, Fields, creates, repeats
from franoi_common.errors import Conflict, DomainError, refusals
from franoi_contracts import employment as contract
from franoi_contracts.base import AgeBand, ProtectionStatus, Sex
from franoi_contracts.employment import (
    MAX_LANGUAGES,
    MAX_REGISTERED_ATTENDEES,
    MAX_VERSION,
    Attendees,
    ConsultationTopic,
    DrivingLicence,
    EducationLevel,
    GroupActivityKind,
    ItalianLevel,
    Minutes,
    WorkerRole,
)

_ATECO_SECTION = re.compile(r"^[A-U]$")
MAX_LABEL_LENGTH = 200
"""Longest company name, course title or provider the service keeps."""


# --- errors ------------------------------------------------------------------------------


class EmploymentError(DomainError, code="employment_error"):
    """A command the employment domain refuses; ``str(error)`` is a message for people."""


InvalidTransition, InvalidDates, InvalidValue = refusals(EmploymentError)
checks = Checks(InvalidValue, InvalidDates, InvalidTransition)


class InternshipAlreadyOpen(
    Conflict, EmploymentError, code="internship_already_open", title="Internship already open"
):
    """The person has another internship on some of the same days (an open one shares
    every day from its start)."""


class OutcomeAlreadyRecorded(
    Conflict, EmploymentError, code="outcome_already_recorded", title="Outcome already recorded"
):
    """The internship's outcome was recorded before: it is set once."""


class OutcomeBeforeEnd(
    Conflict,
    EmploymentError,
    code="outcome_before_end",
    title="Outcome before the internship's end",
):
    """An internship's outcome can only be recorded once it has ended, on or after its end."""


class HireBeforeFirstContact(
    Conflict,
    EmploymentError,
    code="hire_before_first_contact",
    title="Hire before the first contact",
):
    """A hire cannot start before the person's first recorded contact with the desk."""


def check_sector(sector: str) -> None:
    """Refuse anything but an ATECO section letter."""
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
        checks.person_ref(self.person_ref)

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
class Consultation(AboutAPerson, Aggregate):
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

    @classmethod
    @creates(contract.ConsultationRecorded)
    def record(
        cls,
        consultation_id: UUID,
        person: Person,
        held_on: dt.date,
        topic: ConsultationTopic,
        minutes: int,
        worker_role: WorkerRole,
    ) -> Fields:
        checks.within("minutes", minutes, Minutes)
        return person.fields()


# --- group activities --------------------------------------------------------------------


class GroupActivityStatus(StrEnum):
    SCHEDULED = "scheduled"
    HELD = "held"
    CANCELLED = "cancelled"


@dataclass(eq=False)
class GroupActivity(Aggregate):
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

    @classmethod
    @creates(contract.GroupActivityScheduled)
    def schedule(
        cls, group_activity_id: UUID, kind: GroupActivityKind, scheduled_on: dt.date
    ) -> Fields:
        return {}

    @property
    def attendees(self) -> int | None:
        """Everyone who attended (registered and anonymous); ``None`` unless held."""
        if self.anonymous_attendees is None:
            return None
        return len(self.registered_attendees) + self.anonymous_attendees

    def _check_scheduled(self) -> None:
        checks.allowed(
            self.status is GroupActivityStatus.SCHEDULED,
            f"the group activity is already {self.status.value}",
        )

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
        checks.within("anonymous_attendees", anonymous_attendees, Attendees)
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
        self.record_event(contract.GroupActivityHeld, registered_attendees=list(refs))

    def cancel(self, on: dt.date) -> None:
        """Cancel a scheduled activity (no attendance is ever recorded for it)."""
        if repeats(self, status=GroupActivityStatus.CANCELLED, cancelled_on=on):
            return
        self._check_scheduled()
        self.status, self.cancelled_on = GroupActivityStatus.CANCELLED, on
        self.record_event(contract.GroupActivityCancelled)


_LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}$")


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
        checks.not_before(
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
            check_sector(sector)
        if len(set(self.prior_sectors)) != len(self.prior_sectors):
            raise InvalidValue("a sector is listed twice")


@dataclass(eq=False)
class SkillsProfile(Aggregate):
    """A person's skills profile: every assessment is kept as a new version."""

    skills_profile_id: UUID
    person_ref: str
    assessments: list[Assessment] = field(default_factory=list)

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
            checks.not_before(
                assessment.assessed_on,
                self.current.assessed_on,
                f"the current assessment is of {self.current.assessed_on}: "
                "a new one cannot be older",
            )
        version = self.version + 1
        if version > MAX_VERSION:
            raise InvalidValue(f"a profile has at most {MAX_VERSION} versions")
        self.assessments.append(assessment)
        self.record_event(contract.SkillsProfileAssessed, version=version, **vars(assessment))

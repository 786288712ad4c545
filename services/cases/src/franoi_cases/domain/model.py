"""Cases aggregates: the persons a partner follows and their individual plans.

Pure domain code: no I/O, no cryptography. The repository encrypts document
numbers and contacts on the way to the database and decrypts them on the way
back; here they are plain values. A method that succeeds changes state and
records its events (if the network must know); a method that fails raises a
:class:`CasesError` and changes nothing.

Invariants:

* a person's record cannot be created twice for the same document identifier
  (the service layer passes the records it found holding the same identifiers;
  a unique blind index in the database backs it);
* ``person_ref`` is computed once, from the first document identifier recorded
  (the tax code when both are given), and never changes afterwards;
* one open plan per person (the service layer passes the person's plans; a
  partial unique index backs it);
* a plan is reviewed only while open, closes once, with an outcome, not before
  it opened; an interrupted plan says why;
* a registration that asked to be checked for possible duplicates is refused while the
  partner holds any, unless it says why this is another person (the reason is kept);
* consent to processing is recorded with its day, its scopes and who recorded it; a
  change is dated no earlier than the consent it changes, and the history is kept.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import TYPE_CHECKING
from uuid import UUID

from franoi_common.domain import Aggregate, Checks, repeats
from franoi_common.errors import Conflict, DomainError, refusals
from franoi_common.periods import overlap
from franoi_common.pseudonym import normalise_identifier
from franoi_contracts.base import AgeBand, ProtectionStatus, Sex, age_band_on
from franoi_contracts.cases import (
    MAX_PLANNED_MONTHS,
    MIN_PLANNED_MONTHS,
    AxisProgress,
    InterruptionReason,
    PersonRegistered,
    PlanAxis,
    PlanClosed,
    PlanOpened,
    PlanOutcome,
    PlanReviewed,
    Progress,
)

from franoi_cases.domain import names

if TYPE_CHECKING:
    from franoi_cases.domain.tasks import Task

Pseudonymise = Callable[[str], str]
"""Turns a document identifier into its ``person_ref`` (the network's keyed HMAC)."""

MAX_NAME_LENGTH = 100
MAX_GOAL_LENGTH = 200
MAX_GOALS_PER_AXIS = 10
MAX_LANGUAGES = 10
MAX_HOUSEHOLD_MEMBERS = 20
MIN_DUPLICATE_REASON_LENGTH = 3
MAX_DUPLICATE_REASON_LENGTH = 300
EARLIEST_BIRTH_DATE = dt.date(1900, 1, 1)

_COUNTRY = re.compile(r"^[A-Z]{2}$")
_PHONE = re.compile(r"^\+?[0-9][0-9 ]{5,19}$")
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,188}\.[A-Za-z]{2,24}$")


# --- errors ------------------------------------------------------------------------------


class CasesError(DomainError, code="cases_error"):
    """A command the cases domain refuses; ``str(error)`` is a message for people."""


class PersonAlreadyRegistered(
    Conflict, CasesError, code="person_already_registered", title="Person already registered"
):
    """Another record of the partner already holds one of the person's document identifiers."""


class PossibleDuplicate(
    Conflict, CasesError, code="possible_duplicate", title="Possible duplicate"
):
    """The partner holds records that may be this person; the registration says neither
    that they were looked at nor why this is someone else."""


class PlanAlreadyOpen(Conflict, CasesError, code="plan_already_open", title="Plan already open"):
    """The person already has an open plan."""


class PersonNotIdentified(
    Conflict,
    CasesError,
    code="person_not_identified",
    title="Person has no document identifier yet",
):
    """The person has no document identifier yet, hence no ``person_ref``."""


InvalidTransition, InvalidDates, InvalidValue = refusals(CasesError)
_checks = Checks(InvalidValue, InvalidDates, InvalidTransition)


# --- values ------------------------------------------------------------------------------


def search_key(text: str) -> str:
    """A name as search compares it: no accents, case-folded, single spaces.

    "Ngozi Okonkwò" and "ngozi  OKONKWO" give the same key, so a partial,
    accent- and case-insensitive search is a substring match on keys.
    """
    decomposed = unicodedata.normalize("NFKD", text)
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(bare.casefold().split())


def search_words(text: str) -> list[str]:
    """The words of a searched name, as :func:`search_key` makes them (refusing control
    and unencodable characters, which no stored name holds)."""
    return search_key(check_label("name", text)).split()


def check_label(what: str, value: str, max_length: int = MAX_NAME_LENGTH) -> str:
    """``value`` with its spaces collapsed; refused when empty, too long or holding
    control characters."""
    stripped = " ".join(value.split())
    if not stripped:
        raise InvalidValue(f"{what} must not be empty")
    if len(stripped) > max_length:
        raise InvalidValue(f"{what} must be at most {max_length} characters")
    if any(unicodedata.category(ch).startswith("C") for ch in stripped):
        raise InvalidValue(f"{what} must not contain control characters")
    return stripped


def _check_document(what: str, value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return normalise_identifier(value)
    except ValueError as error:
        raise InvalidValue(f"{what}: {error}") from None


class Relation(StrEnum):
    """How a household member is related to the person."""

    SPOUSE = "spouse"
    PARTNER = "partner"
    CHILD = "child"
    PARENT = "parent"
    SIBLING = "sibling"
    OTHER = "other"


@dataclass(frozen=True)
class HouseholdMember:
    """Someone living with the person (not a person the partner follows on their own)."""

    relation: Relation
    given_name: str
    birth_year: int | None = None

    def checked(self, today: dt.date) -> HouseholdMember:
        name = check_label("a household member's given name", self.given_name)
        if self.birth_year is not None and not 1900 <= self.birth_year <= today.year:
            raise InvalidValue(f"a household member's birth year must be 1900..{today.year}")
        return replace(self, given_name=name)


@dataclass(frozen=True)
class Documents:
    """Document identifiers, normalised (upper case, letters and digits only)."""

    tax_code: str | None = None
    residence_permit_number: str | None = None

    def checked(self) -> Documents:
        return Documents(
            _check_document("tax_code", self.tax_code),
            _check_document("residence_permit_number", self.residence_permit_number),
        )

    def identifiers(self) -> tuple[str, ...]:
        """The identifiers held, the one a ``person_ref`` is computed from first."""
        return tuple(i for i in (self.tax_code, self.residence_permit_number) if i is not None)


@dataclass(frozen=True)
class Contacts:
    phone: str | None = None
    email: str | None = None

    def checked(self) -> Contacts:
        if self.phone is not None and not _PHONE.match(self.phone):
            raise InvalidValue("phone must be digits (and spaces), optionally after a +")
        if self.email is not None and (
            not _EMAIL.match(self.email) or check_label("email", self.email) != self.email
        ):
            raise InvalidValue("email is not an e-mail address")
        return self


@dataclass(frozen=True)
class Identity:
    """Who the person is: what a social worker records and corrects."""

    given_names: str
    family_name: str
    born_on: dt.date
    sex: Sex
    citizenship: str
    """ISO 3166-1 alpha-2 country code."""
    languages: tuple[str, ...] = ()
    """ISO 639 language codes."""
    protection_status: ProtectionStatus = ProtectionStatus.OTHER
    protection_expires_on: dt.date | None = None

    def checked(self, today: dt.date) -> Identity:
        given = check_label("given_names", self.given_names)
        family = check_label("family_name", self.family_name)
        if not EARLIEST_BIRTH_DATE <= self.born_on <= today:
            raise InvalidDates(f"the date of birth must be between 1900-01-01 and {today}")
        if not _COUNTRY.match(self.citizenship):
            raise InvalidValue("citizenship must be an ISO 3166 country code like NG")
        if len(self.languages) > MAX_LANGUAGES:
            raise InvalidValue(f"at most {MAX_LANGUAGES} languages")
        for language in self.languages:
            _checks.language(language)
        languages = tuple(dict.fromkeys(self.languages))
        return replace(self, given_names=given, family_name=family, languages=languages)

    @property
    def search_name(self) -> str:
        return search_key(f"{self.given_names} {self.family_name}")

    @property
    def name_words(self) -> list[str]:
        """The words of both names as similar-name matching sees them
        (:func:`franoi_cases.domain.names.name_words`)."""
        return names.name_words(f"{self.given_names} {self.family_name}")


class ConsentScope(StrEnum):
    """What the person consented to."""

    PROCESSING = "processing"
    """Their personal data processed by the partner."""
    SHARING_WITHIN_NETWORK = "sharing_within_network"
    """Their records shared with the network's other services under their pseudonym."""
    CONTACT = "contact"
    """Being contacted by phone or e-mail."""
    REFERRAL_IDENTITY = "referral_identity"
    """Their names, birth date, citizenship and languages given to a partner they are
    referred to (sealed to that partner: nobody on the way can read them)."""
    REFERRAL_DOCUMENTS = "referral_documents"
    """Their tax code and residence permit number given to a partner they are referred to."""
    REFERRAL_CONTACTS = "referral_contacts"
    """Their phone and e-mail given to a partner they are referred to."""


@dataclass(frozen=True)
class Consent:
    """A consent as the person gave it (or changed it), and who recorded it when."""

    given_on: dt.date
    scopes: tuple[ConsentScope, ...]
    """In the order of :class:`ConsentScope`; empty: none (withdrawn, or refused)."""
    recorded_by: str
    """The token subject of whoever recorded it (never typed)."""
    recorded_at: dt.datetime

    def checked(self, today: dt.date) -> Consent:
        if self.given_on > today:
            raise InvalidDates("a consent cannot be given after today")
        if len(set(self.scopes)) != len(self.scopes):
            raise InvalidValue("a consent scope appears twice")
        ordered = tuple(scope for scope in ConsentScope if scope in self.scopes)
        return replace(self, scopes=ordered)

    def same_as(self, other: Consent | None) -> bool:
        """Whether ``other`` records the same consent (day and scopes)."""
        return (
            other is not None
            and other.given_on == self.given_on
            and set(other.scopes) == set(self.scopes)
        )


def check_duplicate_reason(reason: str) -> str:
    """A reason for registering despite possible duplicates: 3..300 printable characters."""
    text = check_label("duplicate_reason", reason, MAX_DUPLICATE_REASON_LENGTH)
    if len(text) < MIN_DUPLICATE_REASON_LENGTH:
        raise InvalidValue(
            f"duplicate_reason must be at least {MIN_DUPLICATE_REASON_LENGTH} characters"
        )
    return text


# --- persons -----------------------------------------------------------------------------


@dataclass(eq=False)
class Person(Aggregate):
    """A person the partner follows: the only place their identity lives."""

    person_id: UUID
    identity: Identity
    registered_on: dt.date
    documents: Documents = Documents()
    contacts: Contacts = Contacts()
    household: tuple[HouseholdMember, ...] = ()
    person_ref: str | None = None
    merged_into: UUID | None = None
    duplicate_reason: str | None = None
    """Why the record was registered although the partner held possible duplicates."""
    consent: Consent | None = None
    """The consent as last recorded (its history is kept beside the record)."""

    @classmethod
    def register(
        cls,
        person_id: UUID,
        identity: Identity,
        registered_on: dt.date,
        pseudonymise: Pseudonymise,
        documents: Documents = Documents(),
        contacts: Contacts = Contacts(),
        household: Sequence[HouseholdMember] = (),
        holders_of_documents: Iterable[Person] = (),
        possible_duplicates: int = 0,
        duplicate_reason: str | None = None,
        consent: Consent | None = None,
        today: dt.date | None = None,
    ) -> Person:
        """Record a new person; ``holders_of_documents`` are the partner's records found
        holding any of the same document identifiers (any refuses the command).

        ``possible_duplicates``: how many records of the partner may be this person (when
        the registration asked to be checked); any refuses it unless ``duplicate_reason``
        says why this is someone else. ``consent``: as given at registration (not after
        ``today``, default the registration day)."""
        documents = documents.checked()
        _refuse_holders(documents, holders_of_documents, person_id)
        person = cls(
            person_id=person_id,
            identity=identity.checked(registered_on),
            registered_on=registered_on,
            documents=documents,
            contacts=contacts.checked(),
            household=_checked_household(household, registered_on),
            duplicate_reason=(
                None if duplicate_reason is None else check_duplicate_reason(duplicate_reason)
            ),
            consent=None if consent is None else consent.checked(today or registered_on),
        )
        if possible_duplicates and person.duplicate_reason is None:
            raise PossibleDuplicate(
                f"the partner holds {possible_duplicates} record(s) that may be this person:"
                " look at them (POST /v1/persons/duplicates) and open the right one, or"
                " register with a duplicate_reason saying why this is someone else"
            )
        person._identify(pseudonymise)
        return person

    @property
    def age_band(self) -> AgeBand:
        """Age band at registration: what the network was told."""
        return age_band_on(self.identity.born_on, self.registered_on)

    @property
    def is_merged(self) -> bool:
        return self.merged_into is not None

    def _check_live(self) -> None:
        _checks.allowed(self.merged_into is None, f"this record was merged into {self.merged_into}")

    def _identify(self, pseudonymise: Pseudonymise) -> None:
        """Give the person a ``person_ref`` from their first identifier, once, and tell
        the network the person is registered."""
        identifiers = self.documents.identifiers()
        if self.person_ref is not None or not identifiers:
            return
        ref = pseudonymise(identifiers[0])
        _checks.person_ref(ref)
        self.person_ref = ref
        self.events.append(
            PersonRegistered(
                person_id=self.person_id,
                person_ref=ref,
                registered_on=self.registered_on,
                sex=self.identity.sex,
                age_band=self.age_band,
                protection_status=self.identity.protection_status,
            )
        )

    def update(
        self,
        today: dt.date,
        pseudonymise: Pseudonymise,
        *,
        identity: Identity | None = None,
        documents: Documents | None = None,
        contacts: Contacts | None = None,
        household: Sequence[HouseholdMember] | None = None,
        holders_of_documents: Iterable[Person] = (),
    ) -> None:
        """Correct or complete the record (``None`` keeps a part as it is).

        A document identifier is added or corrected here; the first one recorded
        gives the person their ``person_ref`` (and the network hears of them), which
        later changes of documents do not alter.
        """
        self._check_live()
        new_identity = self.identity if identity is None else identity.checked(today)
        _checks.not_before(
            self.registered_on, new_identity.born_on, "born after the registration day"
        )
        new_documents = self.documents if documents is None else documents.checked()
        if documents is not None:
            _refuse_holders(new_documents, holders_of_documents, self.person_id)
        new_contacts = self.contacts if contacts is None else contacts.checked()
        new_household = (
            self.household if household is None else _checked_household(household, today)
        )
        self.identity, self.documents = new_identity, new_documents
        self.contacts, self.household = new_contacts, new_household
        self._identify(pseudonymise)

    def record_consent(self, consent: Consent, today: dt.date) -> bool:
        """Record a consent change (kept as history by the service); False when it is the
        consent already recorded (a repeat changes nothing). A change cannot be dated
        before the consent it changes."""
        self._check_live()
        checked = consent.checked(today)
        if checked.same_as(self.consent):
            return False
        if self.consent is not None and checked.given_on < self.consent.given_on:
            raise InvalidDates(
                f"the consent recorded is of {self.consent.given_on}: a change cannot be"
                " dated before it"
            )
        self.consent = checked
        return True

    def absorb(self, duplicate: Person, duplicate_plans: Sequence[IndividualPlan]) -> None:
        """Merge ``duplicate`` (another record of the same person) into this one.

        This record keeps its identity and fills what it lacks from the duplicate
        (documents, contacts, languages, household members, ``person_ref``, consent); the
        duplicate is marked merged and its plans move here. Two records that each
        have a ``person_ref`` were identified by different documents: they are
        different persons until a document is corrected, so they are not merged.
        """
        self._check_live()
        duplicate._check_live()
        if duplicate.person_id == self.person_id:
            raise InvalidValue("a record cannot be merged into itself")
        if self.person_ref is not None and duplicate.person_ref is not None:
            raise InvalidTransition(
                "both records have a person_ref from different documents: "
                "correct the wrong document before merging"
            )
        if any(plan.person_id != duplicate.person_id for plan in duplicate_plans):
            raise InvalidValue("the plans given are not the duplicate's")
        mine, theirs = self.documents, duplicate.documents
        self.documents = Documents(
            mine.tax_code or theirs.tax_code,
            mine.residence_permit_number or theirs.residence_permit_number,
        )
        self.contacts = Contacts(
            self.contacts.phone or duplicate.contacts.phone,
            self.contacts.email or duplicate.contacts.email,
        )
        languages = tuple(dict.fromkeys((*self.identity.languages, *duplicate.identity.languages)))[
            :MAX_LANGUAGES
        ]
        self.identity = replace(self.identity, languages=languages)
        self.household = tuple(dict.fromkeys((*self.household, *duplicate.household)))[
            :MAX_HOUSEHOLD_MEMBERS
        ]
        if self.person_ref is None and duplicate.person_ref is not None:
            # The network already counts this person under the duplicate's registration.
            self.person_ref = duplicate.person_ref
        if self.consent is None:
            self.consent = duplicate.consent
        duplicate.merged_into = self.person_id
        duplicate.documents = Documents()
        duplicate.contacts = Contacts()
        duplicate.consent = None
        for plan in duplicate_plans:
            plan.person_id = self.person_id


def _refuse_holders(documents: Documents, holders: Iterable[Person], person_id: UUID) -> None:
    held = set(documents.identifiers())
    for other in holders:
        if other.person_id != person_id and held & set(other.documents.identifiers()):
            raise PersonAlreadyRegistered(
                f"the partner already has a record with this document identifier "
                f"({other.person_id}): open it, or merge the two records"
            )


def _checked_household(
    members: Sequence[HouseholdMember], today: dt.date
) -> tuple[HouseholdMember, ...]:
    if len(members) > MAX_HOUSEHOLD_MEMBERS:
        raise InvalidValue(f"at most {MAX_HOUSEHOLD_MEMBERS} household members")
    return tuple(member.checked(today) for member in members)


# --- plans -------------------------------------------------------------------------------


class PlanStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


@dataclass(frozen=True)
class Review:
    reviewed_on: dt.date
    progress: Mapping[PlanAxis, Progress]


def _checked_goals(
    axes: Sequence[PlanAxis], goals: Mapping[PlanAxis, Sequence[str]]
) -> dict[PlanAxis, tuple[str, ...]]:
    outside = set(goals) - set(axes)
    if outside:
        names = ", ".join(sorted(a.value for a in outside))
        raise InvalidValue(f"goals for axes the plan does not cover: {names}")
    checked: dict[PlanAxis, tuple[str, ...]] = {}
    for axis in axes:
        items = goals.get(axis, ())
        if len(items) > MAX_GOALS_PER_AXIS:
            raise InvalidValue(f"at most {MAX_GOALS_PER_AXIS} goals per axis")
        checked[axis] = tuple(check_label("a goal", g, MAX_GOAL_LENGTH) for g in items)
    return checked


@dataclass(eq=False)
class IndividualPlan(Aggregate):
    """A person's individual autonomy plan ("progetto individuale")."""

    plan_id: UUID
    person_id: UUID
    person_ref: str
    opened_on: dt.date
    axes: tuple[PlanAxis, ...]
    goals: dict[PlanAxis, tuple[str, ...]]
    """Per axis: coded values or short texts; kept in the service, never published."""
    planned_months: int
    key_worker: str
    """The social worker responsible (their name or staff code, local to the partner)."""
    status: PlanStatus = PlanStatus.OPEN
    reviews: list[Review] = field(default_factory=list)
    closed_on: dt.date | None = None
    outcome: PlanOutcome | None = None
    interruption_reason: InterruptionReason | None = None
    tasks: list[Task] = field(default_factory=list)
    """The plan's tasks as loaded, for answers (each task is saved on its own)."""

    @classmethod
    def open(
        cls,
        plan_id: UUID,
        person: Person,
        person_plans: Sequence[IndividualPlan],
        opened_on: dt.date,
        axes: Sequence[PlanAxis],
        goals: Mapping[PlanAxis, Sequence[str]],
        planned_months: int,
        key_worker: str,
        closed: tuple[dt.date, PlanOutcome, InterruptionReason | None] | None = None,
    ) -> IndividualPlan:
        """Open a plan for ``person``, or record a plan of the past whole (``closed``: its
        closing day, outcome and interruption reason). ``person_plans`` are the plans the
        repository found for them: one that shares a day with this one refuses it (an open
        plan covers every day from its opening), so history is recorded in any order."""
        person._check_live()
        if person.person_ref is None:
            raise PersonNotIdentified(
                "record a document identifier (tax code or residence permit number) "
                "before opening a plan: the network counts plans by person_ref"
            )
        ends = None if closed is None else closed[0]
        for other in person_plans:
            if other.person_id == person.person_id and overlap(
                opened_on, ends, other.opened_on, other.closed_on
            ):
                raise PlanAlreadyOpen(
                    f"the person's plan {other.plan_id} (from {other.opened_on}"
                    f"{f' to {other.closed_on}' if other.closed_on else ', open'}) covers"
                    " those days: close it first, or record this plan with its close"
                    " before it"
                )
        if not axes:
            raise InvalidValue("a plan covers at least one axis")
        if len(set(axes)) != len(axes):
            raise InvalidValue("an axis appears twice")
        if isinstance(planned_months, bool) or not (
            MIN_PLANNED_MONTHS <= planned_months <= MAX_PLANNED_MONTHS
        ):
            raise InvalidValue(
                f"planned_months must be between {MIN_PLANNED_MONTHS} and {MAX_PLANNED_MONTHS}"
            )
        plan = cls(
            plan_id=plan_id,
            person_id=person.person_id,
            person_ref=person.person_ref,
            opened_on=opened_on,
            axes=tuple(axes),
            goals=_checked_goals(axes, goals),
            planned_months=planned_months,
            key_worker=check_label("key_worker", key_worker),
        )
        plan.record_event(PlanOpened)
        if closed is not None:
            plan.close(*closed)
        return plan

    @property
    def is_open(self) -> bool:
        return self.status is PlanStatus.OPEN

    def _check_open(self) -> None:
        _checks.allowed(self.is_open, f"the plan was closed on {self.closed_on}")

    def review(self, on: dt.date, progress: Mapping[PlanAxis, Progress]) -> None:
        """Record a review of an open plan: progress on some or all of its axes."""
        self._check_open()
        _checks.not_before(on, self.opened_on, "a plan cannot be reviewed before it opened")
        if self.reviews:
            last = self.reviews[-1].reviewed_on
            _checks.not_before(on, last, f"the plan was last reviewed on {last}")
        if not progress:
            raise InvalidValue("a review gives progress on at least one axis")
        outside = set(progress) - set(self.axes)
        if outside:
            names = ", ".join(sorted(a.value for a in outside))
            raise InvalidValue(f"progress on axes the plan does not cover: {names}")
        ordered = {axis: progress[axis] for axis in self.axes if axis in progress}
        self.reviews.append(Review(on, ordered))
        self.record_event(
            PlanReviewed,
            reviewed_on=on,
            progress=[AxisProgress(axis=a, progress=p) for a, p in ordered.items()],
        )

    def close(
        self,
        on: dt.date,
        outcome: PlanOutcome,
        interruption_reason: InterruptionReason | None = None,
    ) -> None:
        """Close an open plan (once), not before it opened, with its outcome; repeating the
        same close changes nothing."""
        closed = dict(closed_on=on, outcome=outcome, interruption_reason=interruption_reason)
        if repeats(self, status=PlanStatus.CLOSED, **closed):
            return
        self._check_open()
        _checks.not_before(on, self.opened_on, "a plan cannot close before it opened")
        if self.reviews:
            last = self.reviews[-1].reviewed_on
            _checks.not_before(on, last, f"the plan was reviewed on {last}, after that day")
        if outcome is PlanOutcome.INTERRUPTED and interruption_reason is None:
            raise InvalidValue("an interrupted plan needs an interruption_reason")
        if outcome is not PlanOutcome.INTERRUPTED and interruption_reason is not None:
            raise InvalidValue("only an interrupted plan has an interruption_reason")
        self.status, self.closed_on = PlanStatus.CLOSED, on
        self.outcome, self.interruption_reason = outcome, interruption_reason
        self.record_event(PlanClosed)


# --- access log --------------------------------------------------------------------------


class Operation(StrEnum):
    """What a staff member did with a person's record (the access log's vocabulary)."""

    REGISTER = "register"
    READ = "read"
    SEARCH_HIT = "search_hit"
    """The person appeared in a search result (their name was shown)."""
    UPDATE = "update"
    MERGE = "merge"
    READ_FILE = "read_file"
    OPEN_PLAN = "open_plan"
    READ_PLAN = "read_plan"
    REVIEW_PLAN = "review_plan"
    CLOSE_PLAN = "close_plan"
    EXPORT_ACCESS_LOG = "export_access_log"
    ERASE = "erase"
    """The person's record was erased (GDPR art. 17); the line keeps only the person id."""
    RECORD_CONSENT = "record_consent"
    ADD_TASK = "add_task"
    COMPLETE_TASK = "complete_task"
    CANCEL_TASK = "cancel_task"
    REFER = "refer"
    """A referral of the person to another partner was proposed, answered or completed."""


@dataclass(frozen=True)
class Access:
    """One line of the access log."""

    person_id: UUID
    operation: Operation
    actor: str
    """The token subject."""
    role: str
    at: dt.datetime

"""Commands: what a social worker asks the cases service to do.

They are the API's request bodies too, so their validation is the API's: bad
input is refused before anything is written. Document numbers are ``SecretStr``
so they never show in a log line or a validation message.
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Annotated, Self
from uuid import UUID

from franoi_common.persons import PRINTABLE, Command, Day
from franoi_contracts.base import PersonRef, ProtectionStatus, Sex
from franoi_contracts.cases import (
    InterruptionReason,
    PlanAxis,
    PlannedMonths,
    PlanOutcome,
    Progress,
)
from pydantic import Field, SecretStr, model_validator

from franoi_cases.domain.model import (
    MAX_DUPLICATE_REASON_LENGTH,
    MAX_GOAL_LENGTH,
    MAX_GOALS_PER_AXIS,
    MAX_HOUSEHOLD_MEMBERS,
    MAX_LANGUAGES,
    MAX_NAME_LENGTH,
    MIN_DUPLICATE_REASON_LENGTH,
    ConsentScope,
    Relation,
)
from franoi_cases.domain.tasks import MAX_TITLE_LENGTH

Name = Annotated[str, Field(min_length=1, max_length=MAX_NAME_LENGTH, pattern=PRINTABLE)]
Country = Annotated[str, Field(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2, e.g. NG")]
Language = Annotated[str, Field(pattern=r"^[a-z]{2,3}$", description="ISO 639, e.g. it, ti")]
DocumentNumber = Annotated[SecretStr, Field(min_length=6, max_length=40)]
Phone = Annotated[str, Field(pattern=r"^\+?[0-9][0-9 ]{5,19}$", max_length=21)]
Email = Annotated[str, Field(pattern=r"^[^@\s]{1,64}@[^@\s]{1,188}\.[A-Za-z]{2,24}$")]
Goal = Annotated[str, Field(min_length=1, max_length=MAX_GOAL_LENGTH, pattern=PRINTABLE)]


class HouseholdMemberIn(Command):
    relation: Relation
    given_name: Name
    birth_year: Annotated[int, Field(ge=1900, le=2100)] | None = None


Household = Annotated[list[HouseholdMemberIn], Field(max_length=MAX_HOUSEHOLD_MEMBERS)]


class PersonDetails(Command):
    """What can be recorded about a person (all optional when correcting a record)."""

    given_names: Name | None = None
    family_name: Name | None = None
    born_on: dt.date | None = None
    sex: Sex | None = None
    citizenship: Country | None = None
    languages: Annotated[list[Language], Field(max_length=MAX_LANGUAGES)] | None = None
    protection_status: ProtectionStatus | None = None
    protection_expires_on: Day | None = None
    tax_code: DocumentNumber | None = Field(None, description="Codice fiscale; stored encrypted")
    residence_permit_number: DocumentNumber | None = Field(
        None, description="Residence permit number; stored encrypted"
    )
    phone: Phone | None = Field(None, description="Stored encrypted")
    email: Email | None = Field(None, description="Stored encrypted")
    household: (
        Annotated[list[HouseholdMemberIn], Field(max_length=MAX_HOUSEHOLD_MEMBERS)] | None
    ) = None


class ConsentIn(Command):
    """A consent as the person gives it; who records it is the caller (the token's subject)."""

    given_on: Day = Field(description="The day the person gave it (not after today)")
    scopes: Annotated[list[ConsentScope], Field(max_length=len(ConsentScope))] = Field(
        description="What the person consents to; empty: nothing (withdrawn, or refused)"
    )


class RegisterPerson(PersonDetails):
    person_id: UUID | None = Field(None, description="Client-chosen id (makes retries safe)")
    given_names: Name
    family_name: Name
    born_on: dt.date
    sex: Sex
    citizenship: Country
    protection_status: ProtectionStatus
    registered_on: Day | None = Field(None, description="Default: today")
    check_duplicates: bool = Field(
        False,
        description="Refuse the registration (409 possible_duplicate) while the partner holds"
        " records that may be this person (POST /v1/persons/duplicates lists them), unless"
        " duplicate_reason is given",
    )
    duplicate_reason: (
        Annotated[
            str,
            Field(
                min_length=MIN_DUPLICATE_REASON_LENGTH,
                max_length=MAX_DUPLICATE_REASON_LENGTH,
                pattern=PRINTABLE,
            ),
        ]
        | None
    ) = Field(
        None,
        description="Why this is another person than the possible duplicates; kept with the record",
    )
    consent: ConsentIn | None = Field(
        None, description="Consent to processing as given at registration; kept here only"
    )


class UpdatePerson(PersonDetails):
    @model_validator(mode="after")
    def _something_to_change(self) -> Self:
        if not self.model_fields_set:
            raise ValueError("give at least one field to change")
        return self


class NameMatch(StrEnum):
    """How a searched name is matched."""

    CONTAINS = "contains"
    """Every searched word is part of the name (case and accents do not matter)."""
    SIMILAR = "similar"
    """Every searched word is a word of the name, another spelling of it, a word a typo
    away from it, or part of one; ordered by how well the name matches."""


class SearchPersons(Command):
    """Search criteria travel in a body, not in the URL: proxies, access logs and traces
    record URLs, and a name or a document number must not end up there."""

    name: (
        Annotated[
            str,
            Field(
                min_length=2,
                max_length=MAX_NAME_LENGTH,
                pattern=PRINTABLE,
                description="A name or part of it: case and accents do not matter, words in"
                " any order",
            ),
        ]
        | None
    ) = None
    name_match: NameMatch = Field(
        NameMatch.CONTAINS,
        description="contains: parts of the name, ordered by name; similar: tolerant of"
        " typos and transliterations (Mohamed, Muhammad), best match first, each hit with"
        " its score",
    )
    born_on: dt.date | None = None
    document: DocumentNumber | None = Field(
        None, description="A tax code or residence permit number (any spacing or case)"
    )
    person_refs: Annotated[list[PersonRef], Field(max_length=200)] | None = Field(
        None,
        description="Only these pseudonyms: how a list of other services' records (which hold"
        " only person_ref) is named, logging just the persons it shows",
    )
    limit: Annotated[int, Field(ge=1, le=200)] = 50
    offset: Annotated[int, Field(ge=0, le=100_000)] = 0


class FindDuplicates(Command):
    """A person about to be registered: the partner's records that may be them."""

    given_names: Name
    family_name: Name
    born_on: dt.date
    tax_code: DocumentNumber | None = None
    residence_permit_number: DocumentNumber | None = None


class MergePersons(Command):
    duplicate_person_id: UUID = Field(
        description="The other record of the same person; it is folded into this one"
    )


class OpenPlan(Command):
    plan_id: UUID | None = Field(None, description="Client-chosen id (makes retries safe)")
    person_id: UUID
    opened_on: Day
    axes: Annotated[list[PlanAxis], Field(min_length=1, max_length=len(PlanAxis))]
    goals: dict[PlanAxis, Annotated[list[Goal], Field(max_length=MAX_GOALS_PER_AXIS)]] = Field(
        default_factory=dict,
        description="Per axis: coded values or short texts; kept in this service only",
    )
    planned_months: PlannedMonths
    key_worker: Name | None = Field(None, description="Default: the caller (token subject)")
    closed_on: Day | None = Field(None, description="A plan of the past recorded whole: its close")
    outcome: PlanOutcome | None = Field(None, description="With closed_on: how it ended")
    interruption_reason: InterruptionReason | None = None

    @model_validator(mode="after")
    def _closed_with_its_outcome(self) -> Self:
        if (self.closed_on is None) != (self.outcome is None):
            raise ValueError("closed_on and outcome are given together or not at all")
        return self


class ReviewPlan(Command):
    reviewed_on: Day
    progress: Annotated[dict[PlanAxis, Progress], Field(min_length=1)]


class ClosePlan(Command):
    closed_on: Day
    outcome: PlanOutcome
    interruption_reason: InterruptionReason | None = None


Title = Annotated[str, Field(min_length=1, max_length=MAX_TITLE_LENGTH, pattern=PRINTABLE)]


class AddTask(Command):
    task_id: UUID | None = Field(None, description="Client-chosen id (makes retries safe)")
    title: Title
    axis: PlanAxis | None = Field(None, description="One of the plan's axes")
    due_on: Day
    assignee: Name | None = Field(
        None, description="The key worker who does it. Default: the caller (token subject)"
    )


class CompleteTask(Command):
    done_on: Day = Field(description="Not after today")


class CancelTask(Command):
    cancelled_on: Day | None = Field(None, description="Default: today")

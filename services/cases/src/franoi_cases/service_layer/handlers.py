"""Command and query handlers: load aggregates, let the domain decide, save, log, publish.

Each handler is one unit of work. A change, its access-log line and its outbox
rows commit together or not at all; a read and its access-log line too (no read
of a person's record without its line in the log). Lock order: persons by id,
then plans.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import uuid
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Protocol, TypeVar
from uuid import UUID

import asyncpg
import httpx
from franoi_common.auth import Principal, Role
from franoi_common.commands import CommandUnit, PartnerServices
from franoi_common.errors import NotFound
from franoi_common.outbox import Outbox
from franoi_common.partner_service import SCHEMA_BASE_URL
from franoi_common.pseudonym import normalise_identifier, person_ref
from opentelemetry import propagate

from franoi_cases.adapters.crypto import FieldCipher
from franoi_cases.adapters.name_index import PersonQuery
from franoi_cases.adapters.repository import CasesRepository, Found, PlanFilter
from franoi_cases.adapters.sealing import ReferralKeys
from franoi_cases.domain import names
from franoi_cases.domain.duplicates import (
    MAX_CANDIDATES,
    DuplicateReason,
    duplicate_reasons,
    similar_name,
)
from franoi_cases.domain.model import (
    Access,
    Consent,
    Contacts,
    Documents,
    HouseholdMember,
    Identity,
    IndividualPlan,
    InvalidValue,
    Operation,
    Person,
    PersonAlreadyRegistered,
    PlanAlreadyOpen,
)
from franoi_cases.domain.tasks import Task
from franoi_cases.service_layer import commands


class _OfPerson(Protocol):
    @property
    def person_id(self) -> UUID: ...


OfPerson = TypeVar("OfPerson", bound=_OfPerson)
"""A record of one person: the person's, a plan or a task."""

NAMES: dict[type[Any], str] = {Person: "person", IndividualPlan: "plan", Task: "task"}


def role_of(principal: Principal) -> str:
    """The role an access is logged under (the strongest the caller holds)."""
    if Role.PARTNER_ADMIN in principal.roles:
        return Role.PARTNER_ADMIN.value
    return Role.SOCIAL_WORKER.value


@dataclass(kw_only=True)
class CasesServices(PartnerServices):
    """What the handlers need, built once by bootstrap: the shared command parts, the
    field cipher, and where the partner's other services are (for a person's file)."""

    cipher: FieldCipher
    referral_keys: ReferralKeys = field(default_factory=lambda: ReferralKeys({}, {}))
    """Seals what a referral carries to its receiving partner, opens what is sealed here."""
    referral_outbox: Outbox = field(default_factory=lambda: Outbox("referrals", SCHEMA_BASE_URL))
    """The referral events go to ``franoi.<partner>.referrals.v1`` (the router's input)."""
    peer_urls: Mapping[str, str] = field(default_factory=dict)
    peer_timeout_s: float = 5.0
    peer_transport: httpx.AsyncBaseTransport | None = None
    """Tests may route peers elsewhere; production uses the network."""
    _peers: httpx.AsyncClient | None = field(default=None, init=False, repr=False)

    def peers(self) -> httpx.AsyncClient:
        """One client to the partner's other services for the service's life: a person's
        file reuses its connections instead of opening new ones each time."""
        if self._peers is None or self._peers.is_closed:
            self._peers = httpx.AsyncClient(
                timeout=self.peer_timeout_s, transport=self.peer_transport
            )
        return self._peers

    async def close(self) -> None:
        if self._peers is not None:
            await self._peers.aclose()

    def uow(self) -> CasesUoW:
        return CasesUoW(self)

    def repository_on(self, conn: asyncpg.Connection) -> CasesRepository:
        return CasesRepository(conn, self.cipher)

    def pseudonymise(self, identifier: str) -> str:
        return person_ref(identifier, self.pseudonym_key)


class CasesUoW(CommandUnit):
    """One command's (or one logged read's) transaction."""

    repo: CasesRepository
    services: CasesServices

    async def __aenter__(self) -> CasesUoW:
        await super().__aenter__()
        return self

    async def log(self, who: Principal, operation: Operation, person_ids: Iterable[UUID]) -> None:
        """Append to the access log, in this transaction."""
        now = dt.datetime.now(dt.UTC)
        role = role_of(who)
        await self.repo.log(
            who.partner_id,
            [Access(pid, operation, who.subject, role, now) for pid in dict.fromkeys(person_ids)],
        )


def cases_services(
    *,
    pool: asyncpg.Pool,
    outbox: Outbox,
    pseudonym_key: bytes,
    cipher: FieldCipher,
    peer_urls: Mapping[str, str],
    peer_timeout_s: float = 5.0,
    after_commit: Callable[[], None] | None = None,
    referral_keys: ReferralKeys | None = None,
) -> CasesServices:
    return CasesServices(
        pool=pool,
        outbox=outbox,
        pseudonym_key=pseudonym_key,
        repository=CasesRepository,
        names=NAMES,
        constraint_errors={
            "persons_one_per_tax_code": _already_registered,
            "persons_one_per_residence_permit": _already_registered,
            "plans_one_open_per_person": lambda: PlanAlreadyOpen(
                "the person already has an open plan: close it first"
            ),
        },
        after_commit=after_commit,
        cipher=cipher,
        peer_urls=peer_urls,
        peer_timeout_s=peer_timeout_s,
        referral_keys=referral_keys or ReferralKeys({}, {}, development=True),
    )


def _already_registered() -> PersonAlreadyRegistered:
    return PersonAlreadyRegistered("the partner already has a record with this document identifier")


def _secret(value: Any) -> str | None:
    return None if value is None else str(value.get_secret_value())


async def _must_get_person(uow: CasesUoW, partner_id: str, person_id: UUID) -> Person:
    return await uow.must_get(Person, partner_id, person_id)


async def _must_get_plan(uow: CasesUoW, partner_id: str, plan_id: UUID) -> IndividualPlan:
    return await uow.must_get(IndividualPlan, partner_id, plan_id)


# --- persons -----------------------------------------------------------------------------


def _consent(who: Principal, given: commands.ConsentIn) -> Consent:
    """A consent as given, recorded now by the caller (never a typed name)."""
    return Consent(
        given_on=given.given_on,
        scopes=tuple(given.scopes),
        recorded_by=who.subject,
        recorded_at=dt.datetime.now(dt.UTC),
    )


async def register_person(s: CasesServices, who: Principal, cmd: commands.RegisterPerson) -> Person:
    partner_id = who.partner_id
    today = dt.date.today()
    registered_on = cmd.registered_on or today
    documents = Documents(_secret(cmd.tax_code), _secret(cmd.residence_permit_number)).checked()
    person_id = cmd.person_id or uuid.uuid4()
    async with s.uow() as uow:
        if await uow.replayed(Person, partner_id, cmd.person_id, cmd):
            await uow.log(who, Operation.READ, [person_id])  # the answer shows the record
            return await _must_get_person(uow, partner_id, person_id)
        identity = Identity(
            given_names=cmd.given_names,
            family_name=cmd.family_name,
            born_on=cmd.born_on,
            sex=cmd.sex,
            citizenship=cmd.citizenship,
            languages=tuple(cmd.languages or ()),
            protection_status=cmd.protection_status,
            protection_expires_on=cmd.protection_expires_on,
        )
        holders = await uow.repo.holders_of(partner_id, documents)
        possible = 0
        if cmd.check_duplicates and cmd.duplicate_reason is None and not holders:
            name = f"{cmd.given_names} {cmd.family_name}"
            possible, _ = await possible_duplicates(uow, partner_id, name, cmd.born_on, documents)
        person = Person.register(
            person_id=person_id,
            identity=identity,
            registered_on=registered_on,
            pseudonymise=s.pseudonymise,
            documents=documents,
            contacts=Contacts(cmd.phone, cmd.email),
            household=[
                HouseholdMember(m.relation, m.given_name, m.birth_year) for m in cmd.household or ()
            ],
            holders_of_documents=holders,
            possible_duplicates=possible,
            duplicate_reason=cmd.duplicate_reason,
            consent=None if cmd.consent is None else _consent(who, cmd.consent),
            today=today,
        )
        await uow.add(partner_id, person, command=cmd if cmd.person_id else None)
        if person.consent is not None:
            await uow.repo.add_consent(partner_id, person_id, person.consent)
        await uow.log(who, Operation.REGISTER, [person_id])
        await uow.publish(partner_id, person)
        await uow.repo.remember_words(partner_id, person.identity.name_words)
    return person


async def read_one(
    s: CasesServices,
    who: Principal,
    cls: type[OfPerson],
    aggregate_id: UUID,
    operation: Operation = Operation.READ_PLAN,
) -> OfPerson:
    """The partner's person, plan or task (404 when it has none); reading it is an access to
    the person's record, logged as ``operation``."""
    async with s.uow() as uow:
        found = await uow.must_get(cls, who.partner_id, aggregate_id, for_update=False)
        await uow.log(who, operation, [found.person_id])
    return found


_IDENTITY_REQUIRED = ("given_names", "family_name", "born_on", "sex", "citizenship")


async def update_person(
    s: CasesServices, who: Principal, person_id: UUID, cmd: commands.UpdatePerson
) -> Person:
    given = cmd.model_fields_set
    for name in (*_IDENTITY_REQUIRED, "protection_status"):
        if name in given and getattr(cmd, name) is None:
            raise InvalidValue(f"{name} cannot be removed, only corrected")
    async with s.uow() as uow:
        person = await _must_get_person(uow, who.partner_id, person_id)
        current = person.identity
        identity = None
        identity_fields = {*_IDENTITY_REQUIRED, "languages", "protection_status"}
        identity_fields.add("protection_expires_on")
        if given & identity_fields:
            changes = {n: getattr(cmd, n) for n in given & identity_fields}
            if "languages" in changes:
                changes["languages"] = tuple(changes["languages"] or ())
            identity = replace(current, **changes)
        documents = None
        if given & {"tax_code", "residence_permit_number"}:
            old = person.documents
            documents = Documents(
                _secret(cmd.tax_code) if "tax_code" in given else old.tax_code,
                _secret(cmd.residence_permit_number)
                if "residence_permit_number" in given
                else old.residence_permit_number,
            ).checked()
        contacts = None
        if given & {"phone", "email"}:
            contacts = Contacts(
                cmd.phone if "phone" in given else person.contacts.phone,
                cmd.email if "email" in given else person.contacts.email,
            )
        household = None
        if "household" in given:
            household = [
                HouseholdMember(m.relation, m.given_name, m.birth_year) for m in cmd.household or ()
            ]
        holders = [] if documents is None else await uow.repo.holders_of(who.partner_id, documents)
        words_before = person.identity.name_words
        person.update(
            dt.date.today(),
            s.pseudonymise,
            identity=identity,
            documents=documents,
            contacts=contacts,
            household=household,
            holders_of_documents=holders,
        )
        await uow.repo.update_person(who.partner_id, person)
        await uow.log(who, Operation.UPDATE, [person_id])
        await uow.publish(who.partner_id, person)
        words_after = person.identity.name_words
        if words_after != words_before:
            await uow.repo.remember_words(who.partner_id, words_after)
            await uow.repo.forget_unused_words(who.partner_id, set(words_before) - set(words_after))
    return person


async def search_persons(
    s: CasesServices,
    who: Principal,
    *,
    name: str | None,
    born_on: dt.date | None,
    document: str | None,
    limit: int,
    offset: int,
    similar: bool = False,
    person_refs: Sequence[str] | None = None,
) -> Found:
    """The partner's persons matching every criterion; each one shown is logged.
    ``similar``: the name is matched word by word, tolerant of typos and transliterations
    (:mod:`franoi_cases.domain.names`), best match first."""
    index = None
    if document is not None:
        try:
            index = s.cipher.blind_index(who.partner_id, normalise_identifier(document))
        except ValueError as error:
            raise InvalidValue(f"document: {error}") from None
    terms = None
    if name is not None and similar:
        terms = names.search_terms(name)
        if not terms:
            raise InvalidValue("name: give at least one word of two Latin letters or more")
    q = PersonQuery(name, terms, born_on, index, person_refs)
    return await shown(
        s, who, lambda repo: repo.search(who.partner_id, q, limit, offset), Operation.SEARCH_HIT
    )


async def shown(
    s: CasesServices,
    who: Principal,
    read: Callable[[CasesRepository], Awaitable[Found]],
    operation: Operation = Operation.READ_PLAN,
) -> Found:
    """A page ``read`` in one unit of work, each person it shows logged as ``operation``."""
    async with s.uow() as uow:
        found = await read(uow.repo)
        await uow.log(who, operation, [x.person_id for x in found.items])
    return found


@dataclass(frozen=True)
class Candidate:
    """A record that may be the person being registered, and why."""

    person: Person
    reasons: list[DuplicateReason]
    score: float
    """How well the names match (0 when only the document is the same)."""


async def possible_duplicates(
    uow: CasesUoW, partner_id: str, name: str, born_on: dt.date, documents: Documents
) -> tuple[int, list[tuple[UUID, list[DuplicateReason], float]]]:
    """How many of the partner's records may be the person of this ``name`` (given and
    family names), birth date and documents, and the first :data:`MAX_CANDIDATES` of them
    (ids, reasons, name scores), the likeliest first."""
    matches = await uow.repo.vocabulary_matches(partner_id, names.terms(name), parts=False)
    words = sorted({w for found in matches for w in found})
    year = born_on.year
    window = (dt.date(max(year - 1, 1), 1, 1), dt.date(min(year + 1, 9999), 12, 31))
    indexes = [uow.repo.cipher.blind_index(partner_id, i) for i in documents.identifiers()]
    rows = await uow.repo.candidate_rows(partner_id, words, window, indexes)
    found = []
    for row in rows:
        similar, score = similar_name(matches, row.name_words)
        reasons = duplicate_reasons(
            born_on, row.born_on, same_document=row.same_document, similar_name=similar
        )
        if reasons:
            found.append((row, reasons, score if similar else 0.0))
    found.sort(
        key=lambda f: (
            DuplicateReason.SAME_DOCUMENT not in f[1],
            DuplicateReason.SIMILAR_NAME_SAME_BIRTH_DATE not in f[1],
            -f[2],
            f[0].search_name,
            f[0].person_id,
        )
    )
    return len(found), [(r.person_id, reasons, sc) for r, reasons, sc in found[:MAX_CANDIDATES]]


async def find_duplicates(
    s: CasesServices, who: Principal, cmd: commands.FindDuplicates
) -> tuple[int, list[Candidate]]:
    """The partner's records that may be the person described (how many, and the first
    :data:`MAX_CANDIDATES`, the likeliest first); each one shown is logged."""
    name = f"{cmd.given_names} {cmd.family_name}"
    documents = Documents(_secret(cmd.tax_code), _secret(cmd.residence_permit_number)).checked()
    async with s.uow() as uow:
        total, first = await possible_duplicates(uow, who.partner_id, name, cmd.born_on, documents)
        persons = await uow.repo.persons_by_ids(who.partner_id, [pid for pid, _, _ in first])
        await uow.log(who, Operation.SEARCH_HIT, [p.person_id for p in persons])
    by_id = {p.person_id: p for p in persons}
    return total, [Candidate(by_id[pid], r, sc) for pid, r, sc in first if pid in by_id]


async def record_consent(
    s: CasesServices, who: Principal, person_id: UUID, cmd: commands.ConsentIn
) -> list[Consent]:
    """Record a change of the person's consent; the history, oldest first. Repeating the
    consent last recorded changes nothing."""
    async with s.uow() as uow:
        person = await _must_get_person(uow, who.partner_id, person_id)
        if person.record_consent(_consent(who, cmd), dt.date.today()):
            assert person.consent is not None
            await uow.repo.update_person(who.partner_id, person)
            await uow.repo.add_consent(who.partner_id, person_id, person.consent)
            await uow.log(who, Operation.RECORD_CONSENT, [person_id])
        else:
            await uow.log(who, Operation.READ, [person_id])
        return await uow.repo.consents_of(who.partner_id, person_id)


async def consent_history(s: CasesServices, who: Principal, person_id: UUID) -> list[Consent]:
    """The person's consent history, oldest first (a read of the record, logged)."""
    async with s.uow() as uow:
        if await uow.repo.get_person(who.partner_id, person_id) is None:
            raise NotFound(f"person {person_id} not found")
        await uow.log(who, Operation.READ, [person_id])
        return await uow.repo.consents_of(who.partner_id, person_id)


async def merge_persons(
    s: CasesServices, who: Principal, person_id: UUID, cmd: commands.MergePersons
) -> Person:
    """Fold ``cmd.duplicate_person_id`` into ``person_id`` (see :meth:`Person.absorb`)."""
    partner_id = who.partner_id
    async with s.uow() as uow:
        locked = {}
        for pid in sorted({person_id, cmd.duplicate_person_id}):
            locked[pid] = await _must_get_person(uow, partner_id, pid)
        survivor, duplicate = locked[person_id], locked[cmd.duplicate_person_id]
        plans = await uow.repo.plans_of(partner_id, duplicate.person_id)
        survivor.absorb(duplicate, plans)
        await uow.repo.update_person(partner_id, duplicate)  # releases its documents first
        await uow.repo.update_person(partner_id, survivor)
        for plan in plans:
            await uow.repo.update_plan(partner_id, plan)
        await uow.repo.move_records(partner_id, duplicate.person_id, survivor.person_id)
        await uow.log(who, Operation.MERGE, [survivor.person_id, duplicate.person_id])
        await uow.publish(partner_id, survivor, duplicate)
    return survivor


# --- plans -------------------------------------------------------------------------------


async def open_plan(s: CasesServices, who: Principal, cmd: commands.OpenPlan) -> IndividualPlan:
    partner_id = who.partner_id
    plan_id = cmd.plan_id or uuid.uuid4()
    async with s.uow() as uow:
        if await uow.replayed(IndividualPlan, partner_id, cmd.plan_id, cmd):
            await uow.log(who, Operation.READ_PLAN, [cmd.person_id])
            return await _must_get_plan(uow, partner_id, plan_id)
        person = await _must_get_person(uow, partner_id, cmd.person_id)
        plan = IndividualPlan.open(
            plan_id=plan_id,
            person=person,
            person_plans=await uow.repo.plans_of(partner_id, person.person_id),
            opened_on=cmd.opened_on,
            axes=cmd.axes,
            goals=cmd.goals,
            planned_months=cmd.planned_months,
            key_worker=cmd.key_worker or who.subject,
            closed=None
            if cmd.closed_on is None or cmd.outcome is None
            else (cmd.closed_on, cmd.outcome, cmd.interruption_reason),
        )
        await uow.add(partner_id, plan, command=cmd if cmd.plan_id else None)
        await uow.log(who, Operation.OPEN_PLAN, [person.person_id])
        await uow.publish(partner_id, plan)
    return plan


PlanChange = commands.ReviewPlan | commands.ClosePlan

PLAN_CHANGES: dict[type[PlanChange], tuple[Operation, Callable[[IndividualPlan, Any], None]]] = {
    commands.ReviewPlan: (
        Operation.REVIEW_PLAN,
        lambda plan, cmd: plan.review(cmd.reviewed_on, cmd.progress),
    ),
    commands.ClosePlan: (
        Operation.CLOSE_PLAN,
        lambda plan, cmd: plan.close(cmd.closed_on, cmd.outcome, cmd.interruption_reason),
    ),
}
"""How each command changes a plan (the event it records), and the access it is logged as."""


async def change_plan(
    s: CasesServices, who: Principal, plan_id: UUID, cmd: PlanChange
) -> IndividualPlan:
    """Review or close a plan: saved, logged and its event published in one unit of work."""
    operation, change = PLAN_CHANGES[type(cmd)]
    async with s.uow() as uow:
        plan = await _must_get_plan(uow, who.partner_id, plan_id)
        change(plan, cmd)
        await uow.repo.update_plan(who.partner_id, plan)
        await uow.log(who, operation, [plan.person_id])
        await uow.publish(who.partner_id, plan)
    return plan


async def plans_of_person(
    s: CasesServices, who: Principal, person_id: UUID
) -> list[IndividualPlan]:
    async with s.uow() as uow:
        if await uow.repo.get_person(who.partner_id, person_id) is None:
            raise NotFound(f"person {person_id} not found")
        plans = await uow.repo.plans_of(who.partner_id, person_id)
        await uow.log(who, Operation.READ_PLAN, [person_id])
    return plans


async def list_plans(
    s: CasesServices, who: Principal, f: PlanFilter, limit: int, offset: int
) -> Found:
    """A page of the partner's plans, newest first; each person shown is logged."""
    return await shown(s, who, lambda repo: repo.list_plans(who.partner_id, f, limit, offset))


async def count_plans(s: CasesServices, who: Principal, f: PlanFilter) -> int:
    """How many of the partner's plans match: no person is shown, none is logged."""
    async with s.uow() as uow:
        found = await uow.repo.list_plans(who.partner_id, f, 1, 0)
    return found.total


# --- access log --------------------------------------------------------------------------


async def access_log(
    s: CasesServices, who: Principal, person_id: UUID | None, limit: int, offset: int
) -> Found:
    """The partner's access log, newest first (a partner admin's view)."""
    async with s.uow() as uow:
        return await uow.repo.access_log(who.partner_id, person_id, limit, offset)


async def export_person_log(s: CasesServices, who: Principal, person_id: UUID) -> Found:
    """Everything logged about one person (a subject-access request); the export is
    itself logged first, so it appears in what it exports."""
    async with s.uow() as uow:
        if await uow.repo.get_person(who.partner_id, person_id) is None:
            raise NotFound(f"person {person_id} not found")
        await uow.log(who, Operation.EXPORT_ACCESS_LOG, [person_id])
        return await uow.repo.access_log(who.partner_id, person_id, 1_000_000, 0)


# --- a person's file ---------------------------------------------------------------------


@dataclass(frozen=True)
class PeerAnswer:
    """What one of the partner's other services said about the person."""

    domain: str
    status: str
    """``ok``, ``not_configured``, ``unreachable``, ``failed`` or ``no_person_ref``."""
    records: dict[str, Any] | None = None
    http_status: int | None = None
    detail: str | None = None


@dataclass(frozen=True)
class PersonFile:
    person: Person
    plans: list[IndividualPlan]
    peers: list[PeerAnswer]


PEER_DOMAINS = ("housing", "employment", "hosting", "events")


async def _ask_peer(
    client: httpx.AsyncClient, domain: str, base_url: str, ref: str, authorization: str
) -> PeerAnswer:
    headers = {"Authorization": authorization}
    propagate.inject(headers)  # the peers' spans join the file's trace
    try:
        response = await client.get(f"{base_url}/v1/persons/{ref}/records", headers=headers)
    except httpx.HTTPError as error:
        return PeerAnswer(domain, "unreachable", detail=type(error).__name__)
    if response.status_code != 200:
        return PeerAnswer(domain, "failed", http_status=response.status_code)
    try:
        body = response.json()
        records = body["records"]
        if body.get("person_ref") != ref or not isinstance(records, dict):
            raise ValueError("unexpected answer")
    except (ValueError, KeyError, TypeError):
        return PeerAnswer(domain, "failed", http_status=200, detail="unexpected answer")
    return PeerAnswer(domain, "ok", records=records)


async def person_file(
    s: CasesServices, who: Principal, person_id: UUID, authorization: str
) -> PersonFile:
    """The cases record and plans, and what the partner's other services hold under the
    person's ``person_ref`` (asked with the caller's own token)."""
    async with s.uow() as uow:
        person = await uow.repo.get_person(who.partner_id, person_id)
        if person is None:
            raise NotFound(f"person {person_id} not found")
        plans = await uow.repo.plans_of(who.partner_id, person_id)
        await uow.log(who, Operation.READ_FILE, [person_id])
    ref = person.person_ref
    if ref is None:
        return PersonFile(person, plans, [PeerAnswer(d, "no_person_ref") for d in PEER_DOMAINS])
    configured = {d: url for d, url in s.peer_urls.items() if d in PEER_DOMAINS}
    client = s.peers()
    asked = await asyncio.gather(
        *(_ask_peer(client, d, url, ref, authorization) for d, url in configured.items())
    )
    answers = {a.domain: a for a in asked}
    peers = [answers.get(d, PeerAnswer(d, "not_configured")) for d in PEER_DOMAINS]
    return PersonFile(person, plans, peers)


async def records_for_ref(
    s: CasesServices, who: Principal, ref: str
) -> tuple[list[Person], list[IndividualPlan]]:
    """What this service holds under a ``person_ref`` (the cases part of a file)."""
    async with s.uow() as uow:
        persons = await uow.repo.by_person_ref(who.partner_id, ref)
        plans = []
        for person in persons:
            plans.extend(await uow.repo.plans_of(who.partner_id, person.person_id))
        await uow.log(who, Operation.READ, [p.person_id for p in persons])
    return persons, plans

"""PostgreSQL persistence of persons, plans and the access log, always scoped by partner.

Document numbers and contacts pass through :class:`FieldCipher` here and only
here: the domain sees plain values, the database sees ciphertext and blind
indexes. Every read takes the caller's ``partner_id``: another partner's row is
simply not found. Name search and possible duplicates are in :mod:`.name_index`, tasks
and the consent history in :mod:`.tasks`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar
from uuid import UUID

import asyncpg
from franoi_common.columns import fields_of, set_columns
from franoi_common.repository import Repository, Table
from franoi_contracts.base import ProtectionStatus, Sex
from franoi_contracts.cases import InterruptionReason, PlanAxis, PlanOutcome, Progress

from franoi_cases.adapters.crypto import FieldCipher
from franoi_cases.adapters.name_index import Found, NameIndex
from franoi_cases.adapters.tasks import TaskRows, consent_of
from franoi_cases.domain.model import (
    Access,
    Contacts,
    Documents,
    HouseholdMember,
    Identity,
    IndividualPlan,
    Person,
    PersonAlreadyRegistered,
    PlanAlreadyOpen,
    PlanStatus,
    Relation,
    Review,
)
from franoi_cases.domain.tasks import Task

A = TypeVar("A")


@dataclass(frozen=True)
class PlanFilter:
    """What a list of plans is narrowed to (each filter given must match)."""

    status: PlanStatus | None = None
    person_id: UUID | None = None
    key_worker: str | None = None


__all__ = ["CasesRepository", "Found", "PlanFilter"]


class CasesRepository(NameIndex, TaskRows, Repository):
    """The shared repository's interface (add, update, get by class), written by hand:
    persons need their fields sealed and opened, plans their reviews and tasks."""

    tables: ClassVar[Mapping[type[Any], Table]] = {
        Person: Table("persons", "person_id", by_hand="person"),
        IndividualPlan: Table("plans", "plan_id", frozenset({"events", "tasks"}), "plan"),
        Task: Table("tasks", "task_id", by_hand="task"),
    }

    def __init__(self, conn: asyncpg.Connection, cipher: FieldCipher) -> None:
        super().__init__(conn)
        self.cipher = cipher

    # --- persons ---------------------------------------------------------------------

    def _person_values(self, partner_id: str, person: Person) -> dict[str, Any]:
        seal, pid = self.cipher.seal, person.person_id
        docs, contacts, identity = person.documents, person.contacts, person.identity
        consent = person.consent

        def index(identifier: str | None) -> str | None:
            return None if identifier is None else self.cipher.blind_index(partner_id, identifier)

        return {
            "given_names": identity.given_names,
            "family_name": identity.family_name,
            "search_name": identity.search_name,
            "name_words": identity.name_words,
            "born_on": identity.born_on,
            "sex": identity.sex.value,
            "citizenship": identity.citizenship,
            "languages": list(identity.languages),
            "protection_status": identity.protection_status.value,
            "protection_expires_on": identity.protection_expires_on,
            "tax_code_enc": seal(docs.tax_code, partner_id, pid, "tax_code"),
            "tax_code_index": index(docs.tax_code),
            "residence_permit_enc": seal(
                docs.residence_permit_number, partner_id, pid, "residence_permit"
            ),
            "residence_permit_index": index(docs.residence_permit_number),
            "phone_enc": seal(contacts.phone, partner_id, pid, "phone"),
            "email_enc": seal(contacts.email, partner_id, pid, "email"),
            "household": [
                {
                    "relation": m.relation.value,
                    "given_name": m.given_name,
                    "birth_year": m.birth_year,
                }
                for m in person.household
            ],
            "person_ref": person.person_ref,
            "registered_on": person.registered_on,
            "merged_into": person.merged_into,
            "duplicate_reason": person.duplicate_reason,
            "consent_given_on": None if consent is None else consent.given_on,
            "consent_scopes": None if consent is None else [s.value for s in consent.scopes],
            "consent_recorded_by": None if consent is None else consent.recorded_by,
            "consent_recorded_at": None if consent is None else consent.recorded_at,
        }

    def _person(self, row: asyncpg.Record) -> Person:
        partner_id, pid = row["partner_id"], row["person_id"]

        def opened(field: str) -> str | None:
            return self.cipher.open(row[f"{field}_enc"], partner_id, pid, field)

        return Person(
            person_id=pid,
            identity=Identity(
                given_names=row["given_names"],
                family_name=row["family_name"],
                born_on=row["born_on"],
                sex=Sex(row["sex"]),
                citizenship=row["citizenship"],
                languages=tuple(row["languages"]),
                protection_status=ProtectionStatus(row["protection_status"]),
                protection_expires_on=row["protection_expires_on"],
            ),
            registered_on=row["registered_on"],
            documents=Documents(opened("tax_code"), opened("residence_permit")),
            contacts=Contacts(opened("phone"), opened("email")),
            household=tuple(
                HouseholdMember(Relation(m["relation"]), m["given_name"], m["birth_year"])
                for m in row["household"]
            ),
            person_ref=row["person_ref"],
            merged_into=row["merged_into"],
            duplicate_reason=row["duplicate_reason"],
            consent=consent_of(row, "consent_"),
        )

    async def add_person(self, partner_id: str, person: Person) -> None:
        values = self._person_values(partner_id, person)
        values["person_id"], values["partner_id"] = person.person_id, partner_id
        names = list(values)
        placeholders = ", ".join(f"${i}" for i in range(1, len(names) + 1))
        try:
            await self.conn.execute(
                f"INSERT INTO persons ({', '.join(names)}) VALUES ({placeholders})",  # noqa: S608
                *values.values(),
            )
        except asyncpg.UniqueViolationError as error:
            raise _duplicate(error) from None

    async def update_person(self, partner_id: str, person: Person) -> None:
        values = self._person_values(partner_id, person)
        names = list(values)
        assignments = ", ".join(f"{name} = ${i}" for i, name in enumerate(names, start=3))
        try:
            await self.conn.execute(
                f"UPDATE persons SET {assignments}, updated_at = clock_timestamp()"  # noqa: S608
                " WHERE partner_id = $1 AND person_id = $2",
                partner_id,
                person.person_id,
                *values.values(),
            )
        except asyncpg.UniqueViolationError as error:
            raise _duplicate(error) from None

    async def get_person(
        self, partner_id: str, person_id: UUID, *, for_update: bool = False
    ) -> Person | None:
        row = await self.get_row(Person, partner_id, person_id, for_update=for_update)
        return None if row is None else self._person(row)

    async def holders_of(self, partner_id: str, documents: Documents) -> list[Person]:
        """The partner's records holding any of these (normalised) document identifiers."""
        indexes = [self.cipher.blind_index(partner_id, i) for i in documents.identifiers()]
        if not indexes:
            return []
        return await self._persons(
            "(tax_code_index = ANY($2::text[]) OR residence_permit_index = ANY($2::text[]))",
            partner_id,
            indexes,
        )

    async def by_person_ref(self, partner_id: str, person_ref: str) -> list[Person]:
        return await self._persons(
            "person_ref = $2 AND merged_into IS NULL ORDER BY created_at", partner_id, person_ref
        )

    async def _persons(self, rest: str, partner_id: str, *args: Any) -> list[Person]:
        """The partner's persons matching the ``rest`` of the query (its other conditions,
        an order; ``$2``... are ``args``)."""
        rows = await self.conn.fetch(
            f"SELECT * FROM persons WHERE partner_id = $1 AND {rest}",  # noqa: S608 (constants)
            partner_id,
            *args,
        )
        return [self._person(r) for r in rows]

    # --- plans -----------------------------------------------------------------------

    async def _plans(self, rows: Sequence[asyncpg.Record]) -> list[IndividualPlan]:
        if not rows:
            return []
        reviews = await self.conn.fetch(
            "SELECT plan_id, reviewed_on, progress FROM plan_reviews"
            " WHERE plan_id = ANY($1::uuid[]) ORDER BY plan_id, position",
            [r["plan_id"] for r in rows],
        )
        tasks = await self.tasks_of_plans([r["plan_id"] for r in rows])
        by_plan: dict[UUID, list[Review]] = {}
        for review in reviews:
            progress = {PlanAxis(a): Progress(p) for a, p in review["progress"].items()}
            by_plan.setdefault(review["plan_id"], []).append(
                Review(review["reviewed_on"], progress)
            )
        return [
            IndividualPlan(
                plan_id=r["plan_id"],
                person_id=r["person_id"],
                person_ref=r["person_ref"],
                opened_on=r["opened_on"],
                axes=tuple(PlanAxis(a) for a in r["axes"]),
                goals={PlanAxis(a): tuple(g) for a, g in r["goals"].items()},
                planned_months=r["planned_months"],
                key_worker=r["key_worker"],
                status=PlanStatus(r["status"]),
                reviews=by_plan.get(r["plan_id"], []),
                closed_on=r["closed_on"],
                outcome=None if r["outcome"] is None else PlanOutcome(r["outcome"]),
                interruption_reason=(
                    None
                    if r["interruption_reason"] is None
                    else InterruptionReason(r["interruption_reason"])
                ),
                tasks=tasks.get(r["plan_id"], []),
            )
            for r in rows
        ]

    async def list_plans(self, partner_id: str, f: PlanFilter, limit: int, offset: int) -> Found:
        """A page of the partner's plans, newest first."""
        rows = await self.list(
            IndividualPlan, partner_id, filters=vars(f), limit=limit, offset=offset
        )
        return Found(await self._plans(rows.items), rows.total)

    async def add_plan(self, partner_id: str, plan: IndividualPlan) -> None:
        try:
            await self.conn.execute(
                "INSERT INTO plans (plan_id, partner_id, person_id, person_ref, opened_on, axes,"
                " goals, planned_months, key_worker, status, closed_on, outcome,"
                " interruption_reason)"
                " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)",
                plan.plan_id,
                partner_id,
                plan.person_id,
                plan.person_ref,
                plan.opened_on,
                [a.value for a in plan.axes],
                {a.value: list(g) for a, g in plan.goals.items()},
                plan.planned_months,
                plan.key_worker,
                plan.status.value,
                plan.closed_on,
                None if plan.outcome is None else plan.outcome.value,
                None if plan.interruption_reason is None else plan.interruption_reason.value,
            )
        except asyncpg.UniqueViolationError as error:
            if error.constraint_name == "plans_one_open_per_person":
                raise PlanAlreadyOpen(
                    "the person already has an open plan: close it first"
                ) from None
            raise

    async def update_plan(self, partner_id: str, plan: IndividualPlan) -> None:
        changed = fields_of(
            plan, "person_id", "status", "closed_on", "outcome", "interruption_reason"
        )
        await set_columns(self.conn, self.tables[IndividualPlan], partner_id, plan.plan_id, changed)
        await self.conn.executemany(
            "INSERT INTO plan_reviews (plan_id, position, reviewed_on, progress)"
            " VALUES ($1, $2, $3, $4) ON CONFLICT (plan_id, position) DO NOTHING",
            [
                (
                    plan.plan_id,
                    position,
                    review.reviewed_on,
                    {a.value: p.value for a, p in review.progress.items()},
                )
                for position, review in enumerate(plan.reviews, start=1)
            ],
        )

    async def get_plan(
        self, partner_id: str, plan_id: UUID, *, for_update: bool = False
    ) -> IndividualPlan | None:
        row = await self.get_row(IndividualPlan, partner_id, plan_id, for_update=for_update)
        plans = await self._plans([] if row is None else [row])
        return plans[0] if plans else None

    async def plans_of(self, partner_id: str, person_id: UUID) -> list[IndividualPlan]:
        rows = await self.rows_of(partner_id, person_id, "plans", order="opened_on, plan_id")
        return await self._plans(rows)

    # --- access log ------------------------------------------------------------------

    async def log(self, partner_id: str, accesses: Iterable[Access]) -> None:
        await self.conn.executemany(
            "INSERT INTO access_log (partner_id, person_id, operation, actor, role, at)"
            " VALUES ($1, $2, $3, $4, $5, $6)",
            [(partner_id, a.person_id, a.operation.value, a.actor, a.role, a.at) for a in accesses],
        )

    async def access_log(
        self, partner_id: str, person_id: UUID | None, limit: int, offset: int
    ) -> Found:
        rows = await self.conn.fetch(
            "SELECT id, person_id, operation, actor, role, at, count(*) OVER () AS total"
            " FROM access_log WHERE partner_id = $1 AND ($2::uuid IS NULL OR person_id = $2)"
            " ORDER BY id DESC LIMIT $3 OFFSET $4",
            partner_id,
            person_id,
            limit,
            offset,
        )
        total = rows[0]["total"] if rows else 0
        return Found([{k: r[k] for k in r.keys() if k != "total"} for r in rows], total)


def _duplicate(error: asyncpg.UniqueViolationError) -> Exception:
    constraint: str | None = error.constraint_name
    if constraint in ("persons_one_per_tax_code", "persons_one_per_residence_permit"):
        return PersonAlreadyRegistered(
            "the partner already has a record with this document identifier"
        )
    unexpected: Exception = error
    return unexpected

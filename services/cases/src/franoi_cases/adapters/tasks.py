"""PostgreSQL persistence of the plans' tasks and of the persons' consent history, always
scoped by partner. Part of :class:`CasesRepository`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from uuid import UUID

import asyncpg
from franoi_common.columns import fields_of, set_columns
from franoi_common.repository import Repository
from franoi_contracts.cases import PlanAxis

from franoi_cases.adapters.name_index import Found
from franoi_cases.domain.model import Consent, ConsentScope
from franoi_cases.domain.tasks import Task, TaskStatus

_TASK_COLUMNS = (
    "task_id, plan_id, person_id, title, axis, due_on, assignee, status, done_on, cancelled_on"
)


@dataclass(frozen=True)
class TaskFilter:
    """What a list of tasks is narrowed to (each filter given must match)."""

    assignee: str | None = None
    status: TaskStatus | None = None
    due_before: dt.date | None = None
    """Due before this day (not on it)."""
    person_id: UUID | None = None
    plan_id: UUID | None = None


def task_of(row: asyncpg.Record) -> Task:
    return Task(
        task_id=row["task_id"],
        plan_id=row["plan_id"],
        person_id=row["person_id"],
        title=row["title"],
        axis=None if row["axis"] is None else PlanAxis(row["axis"]),
        due_on=row["due_on"],
        assignee=row["assignee"],
        status=TaskStatus(row["status"]),
        done_on=row["done_on"],
        cancelled_on=row["cancelled_on"],
    )


def consent_of(row: asyncpg.Record, prefix: str = "") -> Consent | None:
    """The consent in a row (``prefix``: of the columns, e.g. ``consent_`` on persons)."""
    if row[f"{prefix}given_on"] is None:
        return None
    return Consent(
        given_on=row[f"{prefix}given_on"],
        scopes=tuple(ConsentScope(s) for s in row[f"{prefix}scopes"]),
        recorded_by=row[f"{prefix}recorded_by"],
        recorded_at=row[f"{prefix}recorded_at"],
    )


class TaskRows(Repository):
    """The tasks and consents part of the cases repository."""

    async def rows_of(
        self, partner_id: str, person_id: UUID, table: str, *, order: str
    ) -> list[asyncpg.Record]:
        """The partner's rows of one person in ``table``, in ``order``."""
        return list(
            await self.conn.fetch(
                f"SELECT * FROM {table} WHERE partner_id = $1 AND person_id = $2"  # noqa: S608
                f" ORDER BY {order}",
                partner_id,
                person_id,
            )
        )

    # --- tasks -------------------------------------------------------------------------

    async def add_task(self, partner_id: str, task: Task) -> None:
        statement, args = self.insert(partner_id, task)
        await self.conn.execute(statement, *args)

    async def update_task(self, partner_id: str, task: Task) -> None:
        changed = fields_of(task, "status", "done_on", "cancelled_on")
        await set_columns(self.conn, self.tables[Task], partner_id, task.task_id, changed)

    async def get_task(
        self, partner_id: str, task_id: UUID, *, for_update: bool = False
    ) -> Task | None:
        row = await self.get_row(Task, partner_id, task_id, for_update=for_update)
        return None if row is None else task_of(row)

    async def tasks_of_plans(self, plan_ids: Sequence[UUID]) -> dict[UUID, list[Task]]:
        """The tasks of these plans (ids already scoped by partner), each plan's by due date."""
        rows = await self.conn.fetch(
            f"SELECT {_TASK_COLUMNS} FROM tasks WHERE plan_id = ANY($1::uuid[])"  # noqa: S608
            " ORDER BY due_on, created_at, task_id",
            list(plan_ids),
        )
        found: dict[UUID, list[Task]] = {}
        for row in rows:
            found.setdefault(row["plan_id"], []).append(task_of(row))
        return found

    async def list_tasks(self, partner_id: str, f: TaskFilter, limit: int, offset: int) -> Found:
        """A page of the partner's tasks matching every filter given, by due date."""
        where = (
            "partner_id = $1 AND ($2::text IS NULL OR assignee = $2)"
            " AND ($3::text IS NULL OR status = $3) AND ($4::date IS NULL OR due_on < $4)"
            " AND ($5::uuid IS NULL OR person_id = $5) AND ($6::uuid IS NULL OR plan_id = $6)"
        )
        status = None if f.status is None else f.status.value
        args = (partner_id, f.assignee, status, f.due_before, f.person_id, f.plan_id)
        rows = await self.conn.fetch(
            f"SELECT {_TASK_COLUMNS}, count(*) OVER () AS total FROM tasks"  # noqa: S608
            f" WHERE {where} ORDER BY due_on, created_at, task_id LIMIT $7 OFFSET $8",
            *args,
            limit,
            offset,
        )
        total = rows[0]["total"] if rows else 0
        if not rows and offset:
            total = await self.conn.fetchval(f"SELECT count(*) FROM tasks WHERE {where}", *args)  # noqa: S608
        return Found([task_of(r) for r in rows], total)

    async def move_records(self, partner_id: str, from_person: UUID, to_person: UUID) -> None:
        """A merged record's tasks (they follow its plans) and consent history go to the
        surviving record."""
        for table in ("tasks", "consents"):
            await self.conn.execute(
                f"UPDATE {table} SET person_id = $3"  # noqa: S608 (constants)
                " WHERE partner_id = $1 AND person_id = $2",
                partner_id,
                from_person,
                to_person,
            )

    # --- consents ----------------------------------------------------------------------

    async def add_consent(self, partner_id: str, person_id: UUID, consent: Consent) -> None:
        await self.conn.execute(
            "INSERT INTO consents (partner_id, person_id, given_on, scopes, recorded_by,"
            " recorded_at) VALUES ($1, $2, $3, $4, $5, $6)",
            partner_id,
            person_id,
            consent.given_on,
            [s.value for s in consent.scopes],
            consent.recorded_by,
            consent.recorded_at,
        )

    async def consents_of(self, partner_id: str, person_id: UUID) -> list[Consent]:
        """The person's consent history, oldest first."""
        rows = await self.rows_of(partner_id, person_id, "consents", order="id")
        return [c for c in (consent_of(r) for r in rows) if c is not None]

"""The plans' tasks: ``POST /v1/plans/{plan_id}/tasks``, ``POST /v1/tasks/{id}/complete`` and
``/cancel``, ``GET /v1/tasks`` and ``GET /v1/tasks/{id}``.

Social workers and partner admins of the instance's partners; every task is scoped by the
caller's partner (another partner's task or plan answers 404, lists only hold the
caller's). Each answer carries the task's due badge as of today.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any
from uuid import UUID

from fastapi import Body, Query
from franoi_common.api import Caller, Day, Limit, Offset, Page, paged, partner_router
from franoi_common.persons import PRINTABLE

from franoi_cases.adapters.tasks import TaskFilter
from franoi_cases.domain.model import MAX_NAME_LENGTH
from franoi_cases.domain.tasks import Task, TaskStatus
from franoi_cases.entrypoints.api import Services, TaskOut, task_out
from franoi_cases.service_layer import handlers, tasks
from franoi_cases.service_layer.commands import AddTask, CancelTask, CompleteTask

Assignee = Annotated[
    str | None,
    Query(
        min_length=1,
        max_length=MAX_NAME_LENGTH,
        pattern=PRINTABLE,
        description="Only this key worker's tasks",
    ),
]
DueBefore = Annotated[Day | None, Query(description="Only tasks due before this day (not on it)")]


router = partner_router(tags=["tasks"])


@router.post("/plans/{plan_id}/tasks", status_code=201, response_model=TaskOut)
async def add_task(plan_id: UUID, body: AddTask, who: Caller, s: Services) -> Any:
    """Add a task to an open plan (client-chosen ``task_id`` makes retries safe). The
    assignee defaults to the caller."""
    return task_out(await tasks.add_task(s, who, plan_id, body))


@router.post("/tasks/{task_id}/complete", response_model=TaskOut)
async def complete_task(task_id: UUID, body: CompleteTask, who: Caller, s: Services) -> Any:
    """Mark an open task done; the same completion repeated changes nothing."""
    return task_out(await tasks.settle_task(s, who, task_id, body))


@router.post("/tasks/{task_id}/cancel", response_model=TaskOut)
async def cancel_task(
    task_id: UUID,
    who: Caller,
    s: Services,
    body: Annotated[CancelTask | None, Body()] = None,
) -> Any:
    """Cancel an open task (today, unless ``cancelled_on`` says otherwise); repeating it
    changes nothing."""
    return task_out(await tasks.settle_task(s, who, task_id, body or CancelTask()))


@router.get("/tasks", response_model=Page[TaskOut])
async def list_tasks(
    who: Caller,
    s: Services,
    assignee: Assignee = None,
    status: TaskStatus | None = None,
    due_before: DueBefore = None,
    person_id: UUID | None = None,
    plan_id: UUID | None = None,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Any:
    """The partner's tasks matching every filter given, the soonest due first. Each
    person shown is written to the access log."""
    f = TaskFilter(assignee, status, due_before, person_id, plan_id)
    found = await tasks.list_tasks(s, who, f, limit, offset)
    today = dt.date.today()
    return paged([task_out(x, today) for x in found.items], found.total, limit, offset)


@router.get("/tasks/{task_id}", response_model=TaskOut)
async def read_task(task_id: UUID, who: Caller, s: Services) -> Any:
    return task_out(await handlers.read_one(s, who, Task, task_id))

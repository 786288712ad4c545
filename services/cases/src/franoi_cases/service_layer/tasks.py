"""Handlers of the plans' tasks: add, complete, cancel, read and list.

Each is one unit of work with its access-log line (a task belongs to a person's plan, so
reading or changing it is an access to the person's record). Tasks publish no event.
Lock order as everywhere: the plan, then the task.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import Any
from uuid import UUID

from franoi_common.auth import Principal
from franoi_common.errors import AlreadyExists

from franoi_cases.adapters.repository import Found
from franoi_cases.adapters.tasks import TaskFilter
from franoi_cases.domain.model import IndividualPlan, Operation
from franoi_cases.domain.tasks import Task
from franoi_cases.service_layer import commands
from franoi_cases.service_layer.handlers import CasesServices, shown


async def add_task(s: CasesServices, who: Principal, plan_id: UUID, cmd: commands.AddTask) -> Task:
    """Add a task to an open plan; with a client-chosen ``task_id`` a repeat answers the
    task it created (the same id for another plan or content: 409)."""
    partner_id = who.partner_id
    task_id = cmd.task_id or uuid.uuid4()
    async with s.uow() as uow:
        plan = await uow.must_get(IndividualPlan, partner_id, plan_id)
        if await uow.replayed(Task, partner_id, cmd.task_id, cmd):
            task = await uow.must_get(Task, partner_id, task_id, for_update=False)
            if task.plan_id != plan_id:
                raise AlreadyExists(f"task {task_id} belongs to another plan")
            await uow.log(who, Operation.READ_PLAN, [task.person_id])
            return task
        task = Task.add(
            task_id=task_id,
            plan=plan,
            title=cmd.title,
            due_on=cmd.due_on,
            assignee=cmd.assignee or who.subject,
            axis=cmd.axis,
        )
        await uow.add(partner_id, task, command=cmd if cmd.task_id else None)
        await uow.log(who, Operation.ADD_TASK, [task.person_id])
    return task


Settle = commands.CompleteTask | commands.CancelTask

SETTLING: dict[type[Settle], tuple[Operation, Callable[[Task, Any, dt.date], bool]]] = {
    commands.CompleteTask: (
        Operation.COMPLETE_TASK,
        lambda task, cmd, today: task.complete(cmd.done_on, today),
    ),
    commands.CancelTask: (
        Operation.CANCEL_TASK,
        lambda task, cmd, today: task.cancel(cmd.cancelled_on, today),
    ),
}
"""How each command settles a task, and the access it is logged as."""


async def settle_task(s: CasesServices, who: Principal, task_id: UUID, cmd: Settle) -> Task:
    """Mark a task done or cancel it; saved and logged as such when it changed something,
    else (a repeat of the same completion or cancellation) only logged as read."""
    operation, change = SETTLING[type(cmd)]
    async with s.uow() as uow:
        task = await uow.must_get(Task, who.partner_id, task_id)
        if change(task, cmd, dt.date.today()):
            await uow.repo.update_task(who.partner_id, task)
            await uow.log(who, operation, [task.person_id])
        else:
            await uow.log(who, Operation.READ_PLAN, [task.person_id])
    return task


async def list_tasks(
    s: CasesServices, who: Principal, f: TaskFilter, limit: int, offset: int
) -> Found:
    """A page of the partner's tasks, by due date; each person shown is logged."""
    return await shown(s, who, lambda repo: repo.list_tasks(who.partner_id, f, limit, offset))

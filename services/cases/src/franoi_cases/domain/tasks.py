"""Tasks of an individual plan: what has to be done for the person, by whom, by when.

Pure domain code. A task belongs to one plan (and so to its person); it is added while
the plan is open, with a title, an optional axis of the plan, a due date and an
assignee (a key worker). It is open until it is done or cancelled, once; repeating the
same completion or cancellation changes nothing (a safe retry), another one is refused.

Tasks are kept in the cases service only: no event is published for them.
:func:`due_badge` tells how urgent an open task is on a given day.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from uuid import UUID

from franoi_common import deadlines
from franoi_common.deadlines import DueBadge as DueBadge  # the tasks' badge, re-exported
from franoi_common.domain import Entity
from franoi_contracts.cases import PlanAxis

from franoi_cases.domain.model import (
    IndividualPlan,
    InvalidDates,
    InvalidTransition,
    InvalidValue,
    check_label,
)

MAX_TITLE_LENGTH = 200


class TaskStatus(StrEnum):
    OPEN = "open"
    DONE = "done"
    CANCELLED = "cancelled"


def due_badge(status: TaskStatus, due_on: dt.date, today: dt.date) -> DueBadge | None:
    """The badge of a task on ``today`` (what lists and the person's page show next to
    it): none once it is done or cancelled."""
    if status is not TaskStatus.OPEN:
        return None
    return deadlines.due_badge(due_on, today)


@dataclass(eq=False)
class Task(Entity):
    """One thing to do for the person of a plan."""

    task_id: UUID
    plan_id: UUID
    person_id: UUID
    title: str
    axis: PlanAxis | None
    due_on: dt.date
    assignee: str
    """The key worker who does it (their name or staff code, local to the partner)."""
    status: TaskStatus = TaskStatus.OPEN
    done_on: dt.date | None = None
    cancelled_on: dt.date | None = None

    @classmethod
    def add(
        cls,
        task_id: UUID,
        plan: IndividualPlan,
        title: str,
        due_on: dt.date,
        assignee: str,
        axis: PlanAxis | None = None,
    ) -> Task:
        """A new open task of ``plan``, which must be open; an axis must be one the plan
        covers, and the task cannot be due before the plan opened."""
        if not plan.is_open:
            raise InvalidTransition(f"the plan was closed on {plan.closed_on}: open a new one")
        if axis is not None and axis not in plan.axes:
            raise InvalidValue(f"the plan does not cover the axis {axis.value}")
        if due_on < plan.opened_on:
            raise InvalidDates(f"a task cannot be due before the plan opened ({plan.opened_on})")
        return cls(
            task_id=task_id,
            plan_id=plan.plan_id,
            person_id=plan.person_id,
            title=check_label("title", title, MAX_TITLE_LENGTH),
            axis=axis,
            due_on=due_on,
            assignee=check_label("assignee", assignee),
        )

    def badge(self, today: dt.date) -> DueBadge | None:
        return due_badge(self.status, self.due_on, today)

    def complete(self, on: dt.date, today: dt.date) -> bool:
        """Mark the task done on ``on`` (not after ``today``); False when it already was,
        on that day (nothing changes)."""
        if self.status is TaskStatus.DONE and self.done_on == on:
            return False
        self._check_open()
        if on > today:
            raise InvalidDates("a task cannot be done after today")
        self.status, self.done_on = TaskStatus.DONE, on
        return True

    def cancel(self, on: dt.date | None, today: dt.date) -> bool:
        """Cancel the task on ``on`` (default ``today``; not after it); False when it was
        already cancelled on that day, or already cancelled and no day is given."""
        if self.status is TaskStatus.CANCELLED and on in (None, self.cancelled_on):
            return False
        self._check_open()
        day = today if on is None else on
        if day > today:
            raise InvalidDates("a task cannot be cancelled after today")
        self.status, self.cancelled_on = TaskStatus.CANCELLED, day
        return True

    def _check_open(self) -> None:
        if self.status is TaskStatus.DONE:
            raise InvalidTransition(f"the task was done on {self.done_on}")
        if self.status is TaskStatus.CANCELLED:
            raise InvalidTransition(f"the task was cancelled on {self.cancelled_on}")

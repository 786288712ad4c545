"""The register's records: plans, their reviews and tasks."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

from franoi_contracts.cases import InterruptionReason, PlanAxis, PlanOutcome

from franoi_benchmarks.desk.partner import COLLEAGUES, PARTNER, TODAY, WORKER
from franoi_benchmarks.desk.records.draw import (
    Records,
    Rows,
    latest,
    values,
)

TASKS = (
    "Call the landlord",
    "Book the interview at the job centre",
    "Renew the residence permit: appointment",
    "Register at the health service",
    "Enrol in the Italian course",
    "Check the rent contribution",
    "Visit at home",
    "Collect the payslips",
    "Prepare the CV",
    "Open a bank account",
)


def cases_records(r: Records, n: dict[str, int]) -> tuple[dict[str, Rows], dict[str, int]]:
    """Plans (at most one open per person, opened by one of a hundred key workers), their
    reviews and tasks (the open plans' tasks due around today)."""
    rnd = r.rnd
    axes_all = values(PlanAxis)
    plans: list[list[Any]] = []
    for _ in range(n["plans"]):
        p = r.pick()
        opened = r.day(p)
        key_worker = WORKER if rnd.random() < 0.01 else rnd.choice(COLLEAGUES)
        axes = rnd.sample(axes_all, rnd.randint(1, 3))
        goals = {axis: [f"{axis} goal"] for axis in axes[:1]}
        plans.append(
            [uuid.uuid4(), PARTNER, p.person_id, p.ref, opened, axes, json.dumps(goals),
             rnd.randint(6, 24), key_worker, "closed", None, None, None, r.stamp(opened)]
        )  # fmt: skip
    still_open = latest(plans, 2, 4)
    for i, plan in enumerate(plans):
        if i in still_open and rnd.random() < 0.12:
            plan[9] = "open"
            continue
        outcome = rnd.choice(values(PlanOutcome))
        plan[10] = r.after(plan[4], 30, 700)
        plan[11] = outcome
        plan[12] = rnd.choice(values(InterruptionReason)) if outcome == "interrupted" else None
    open_plans = [p for p in plans if p[9] == "open"]
    closed_plans = [p for p in plans if p[9] == "closed"]
    # however small the partner, the signed-in worker follows a few open plans
    theirs = sum(1 for p in open_plans if p[8] == WORKER)
    for plan in [p for p in open_plans if p[8] != WORKER][: max(0, 3 - theirs)]:
        plan[8] = WORKER
    reviews = Rows(("plan_id", "position", "reviewed_on", "progress"))
    positions: dict[uuid.UUID, int] = {}
    for _ in range(n["plan_reviews"]):
        plan = plans[int(rnd.random() * len(plans))]
        position = positions[plan[0]] = positions.get(plan[0], 0) + 1
        progress_of = {axis: rnd.choice(("not_started", "in_progress", "achieved", "stalled"))
                       for axis in plan[5]}  # fmt: skip
        reviewed = min(TODAY, plan[4] + dt.timedelta(days=45 * position))
        reviews.rows.append((plan[0], position, reviewed, json.dumps(progress_of)))
    tasks = Rows(
        ("task_id", "partner_id", "plan_id", "person_id", "title", "axis", "due_on", "assignee",
         "status", "done_on", "cancelled_on", "created_at")
    )  # fmt: skip
    for _ in range(n["tasks"]):
        on_open = bool(open_plans) and (rnd.random() < 0.4 or not closed_plans)
        plan = rnd.choice(open_plans if on_open else closed_plans)
        assignee = plan[8] if rnd.random() < 0.85 else rnd.choice(COLLEAGUES)
        axis = rnd.choice([*plan[5], None])
        if on_open:
            status = rnd.choices(("open", "done", "cancelled"), (0.4, 0.5, 0.1))[0]
            due = TODAY + dt.timedelta(days=rnd.randint(-20, 40))
            created = max(plan[4], min(TODAY, due - dt.timedelta(days=rnd.randint(7, 60))))
        else:
            status = rnd.choices(("done", "cancelled"), (0.85, 0.15))[0]
            due = r.after(plan[4], 7, 120)
            created = plan[4]
        done = r.after(created, 0, 30) if status == "done" else None
        cancelled = r.after(created, 0, 30) if status == "cancelled" else None
        tasks.rows.append(
            (uuid.uuid4(), PARTNER, plan[0], plan[2], rnd.choice(TASKS), axis, due, assignee,
             status, done, cancelled, r.stamp(created))
        )  # fmt: skip
    plan_rows = Rows(
        ("plan_id", "partner_id", "person_id", "person_ref", "opened_on", "axes", "goals",
         "planned_months", "key_worker", "status", "closed_on", "outcome",
         "interruption_reason", "created_at"),
        [tuple(p) for p in plans],
    )  # fmt: skip
    worker = {
        "open_plans": sum(1 for p in open_plans if p[8] == WORKER),
        "open_tasks": sum(1 for t in tasks.rows if t[7] == WORKER and t[8] == "open"),
    }
    return {"plans": plan_rows, "plan_reviews": reviews, "tasks": tasks}, worker

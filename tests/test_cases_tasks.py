"""Tasks of the individual plans on a real PostgreSQL: add, complete, cancel, list with
their due badges, in the plan's answer, partner isolation, the access log, and what a
merge and an erasure do with them.

Tasks publish nothing: every call goes through :meth:`OutboxApi.call`, which checks that
no event is appended unless one is expected.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from franoi_cases.bootstrap import DEFINITION as CASES

from tests.support import (
    Databases,
    Served,
    auth_header,
    ids,
    kafka_settings,
    serving,
    token,
)
from tests.test_cases_api import CasesApi, cases_settings

PARTNERS = ("p71", "p72", "p73", "p74", "p75", "p76")
TABLES = ("persons", "plans", "tasks", "consents", "name_vocabulary", "access_log", "outbox")
TODAY = dt.date.today()


def day(offset: int = 0) -> str:
    return (TODAY + dt.timedelta(days=offset)).isoformat()


class Api(CasesApi):
    async def person_with_plan(self, tax_code: str | None, **plan: Any) -> tuple[str, str]:
        """A person (with a document, so a plan can be opened) and their open plan's id."""
        person = await self.call("POST", "/v1/persons", {
            "given_names": "Tesfaye", "family_name": "Haile", "born_on": "1992-02-02",
            "sex": "male", "citizenship": "ER", "protection_status": "refugee",
            "tax_code": tax_code, "consent": {"given_on": day(-40), "scopes": ["processing"]},
        }, status=201, events=[("person.registered", None)])  # fmt: skip
        opened = await self.call("POST", "/v1/plans", {
            "person_id": person["person_id"], "opened_on": day(-30),
            "axes": ["housing", "work"], "planned_months": 12, **plan,
        }, status=201, events=[("plan.opened", None)])  # fmt: skip
        return person["person_id"], opened["plan_id"]

    async def add(self, plan_id: str, status: int = 201, **task: Any) -> Any:
        body = {"title": "Call the landlord", "due_on": day(3), **task}
        return await self.call("POST", f"/v1/plans/{plan_id}/tasks", body, status=status)

    async def tasks(self, **filters: Any) -> Any:
        return await self.get("/v1/tasks", **filters)


Cases = Served[Api]


@pytest.fixture(scope="module")
async def cases(databases: Databases) -> AsyncIterator[Cases]:
    url = await databases.create("cases_tasks")
    kafka = kafka_settings("127.0.0.1:1", False, create_topics=False)
    async with serving(CASES, cases_settings(url, kafka, PARTNERS, relay_enabled=False), Api,
                       TABLES) as served:  # fmt: skip
        yield served


async def test_a_task_is_added_done_or_cancelled_once(cases: Cases) -> None:
    api = cases.api("p71")
    pid, plan_id = await api.person_with_plan("HLETSF92B02Z315A")
    chosen = str(uuid.uuid4())
    added = await api.add(plan_id, task_id=chosen, axis="housing", title="  Visit  the flat ")
    assert added == {
        "task_id": chosen, "plan_id": plan_id, "person_id": pid, "title": "Visit the flat",
        "axis": "housing", "due_on": day(3), "assignee": "test-user", "status": "open",
        "done_on": None, "cancelled_on": None, "due_badge": "due_soon",
    }  # fmt: skip
    # a retry answers the same task; the same id for another task or plan is refused
    assert await api.add(plan_id, task_id=chosen, axis="housing", title="  Visit  the flat ") == (
        added
    )
    problem = await api.add(plan_id, 409, task_id=chosen, title="Something else")
    assert problem["code"] == "already_exists"
    _, other_plan = await api.person_with_plan("HLETSF92B02Z315B")
    problem = await api.add(other_plan, 409, task_id=chosen, axis="housing",
                            title="  Visit  the flat ")  # fmt: skip
    assert problem["code"] == "already_exists"
    assert (await cases.db.fetchval("SELECT count(*) FROM tasks WHERE task_id = $1",
                                    uuid.UUID(chosen))) == 1  # fmt: skip

    base = f"/v1/tasks/{chosen}"
    problem = await api.call("POST", f"{base}/complete", {"done_on": day(1)}, status=422)
    assert problem["code"] == "invalid_dates"
    done = await api.call("POST", f"{base}/complete", {"done_on": day()}, status=200)
    assert (done["status"], done["done_on"], done["due_badge"]) == ("done", day(), None)
    assert await api.call("POST", f"{base}/complete", {"done_on": day()}, status=200) == done
    for path, body in ((f"{base}/complete", {"done_on": day(-1)}), (f"{base}/cancel", None)):
        problem = await api.call("POST", path, body, status=409)
        assert problem["code"] == "invalid_transition"
    assert await api.get(base) == done

    other = await api.add(plan_id, assignee="Maria Rossi")
    assert other["assignee"] == "Maria Rossi" and other["axis"] is None
    cancelled = await api.call("POST", f"/v1/tasks/{other['task_id']}/cancel", None, status=200)
    assert (cancelled["status"], cancelled["cancelled_on"]) == ("cancelled", day())
    assert await api.call(
        "POST", f"/v1/tasks/{other['task_id']}/cancel", {}, status=200
    ) == cancelled  # fmt: skip
    problem = await api.call("POST", f"/v1/tasks/{other['task_id']}/cancel",
                             {"cancelled_on": day(-1)}, status=409)  # fmt: skip
    assert problem["code"] == "invalid_transition"
    assert await api.operations_logged(pid) == [
        "register", "open_plan", "add_task", "read_plan", "complete_task", "read_plan",
        "read_plan", "add_task", "cancel_task", "read_plan",
    ]  # fmt: skip


async def test_due_badges_on_lists_and_in_the_plan(cases: Cases) -> None:
    api = cases.api("p72")
    pid, plan_id = await api.person_with_plan("HLETSF92B02Z315C")
    late = await api.add(plan_id, title="Renew the permit", due_on=day(-1))
    soon = await api.add(plan_id, title="Open a bank account", due_on=day(7), axis="work")
    later = await api.add(plan_id, title="Enrol in a course", due_on=day(8))
    done = await api.add(plan_id, title="Tax code", due_on=day(-5))
    await api.call("POST", f"/v1/tasks/{done['task_id']}/complete", {"done_on": day(-2)},
                   status=200)  # fmt: skip

    listed = await api.tasks()
    assert ids(listed, "task_id") == [done["task_id"], late["task_id"], soon["task_id"],
                                      later["task_id"]]  # by due date  # fmt: skip
    assert [t["due_badge"] for t in listed["items"]] == [None, "overdue", "due_soon", None]
    plan = await api.get(f"/v1/plans/{plan_id}")
    assert [t["task_id"] for t in plan["tasks"]] == ids(listed, "task_id")
    assert (plan["overdue_tasks"], plan["tasks_due_soon"]) == (1, 1)
    assert (await api.get("/v1/plans", person_id=pid))["items"][0]["tasks"] == plan["tasks"]
    file = await api.get(f"/v1/persons/{pid}/file")
    assert file["plans"][0]["overdue_tasks"] == 1
    # a closed plan takes no new task, but its tasks stay, with their badges
    await api.call("POST", f"/v1/plans/{plan_id}/close",
                   {"closed_on": day(), "outcome": "completed_partly"}, status=200,
                   events=[("plan.closed", plan_id)])  # fmt: skip
    problem = await api.add(plan_id, 409)
    assert problem["code"] == "invalid_transition"
    assert (await api.get(f"/v1/plans/{plan_id}"))["overdue_tasks"] == 1


async def test_the_task_list_filters_and_pages(cases: Cases) -> None:
    api = cases.api("p73")
    first, plan_one = await api.person_with_plan("HLETSF92B02Z315D")
    second, plan_two = await api.person_with_plan("HLETSF92B02Z315E")
    a = await api.add(plan_one, due_on=day(1), assignee="Maria Rossi")
    b = await api.add(plan_one, due_on=day(2))
    c = await api.add(plan_two, due_on=day(10), assignee="Maria Rossi")
    d = await api.add(plan_two, due_on=day(-3))
    await api.call("POST", f"/v1/tasks/{d['task_id']}/cancel", None, status=200)

    async def listed(**filters: Any) -> list[str]:
        page = await api.tasks(**filters)
        assert page["total"] == len(page["items"]) or "limit" in filters
        return ids(page, "task_id")

    assert await listed() == [d["task_id"], a["task_id"], b["task_id"], c["task_id"]]
    assert await listed(assignee="Maria Rossi") == [a["task_id"], c["task_id"]]
    assert await listed(assignee="test-user", status="open") == [b["task_id"]]
    assert await listed(status="cancelled") == [d["task_id"]]
    assert await listed(due_before=day(2)) == [d["task_id"], a["task_id"]]  # not on that day
    assert await listed(person_id=second) == [d["task_id"], c["task_id"]]
    assert await listed(plan_id=plan_one, status="open") == [a["task_id"], b["task_id"]]
    assert await listed(person_id=str(uuid.uuid4())) == []
    page = await api.tasks(limit=3, offset=2)
    assert (ids(page, "task_id"), page["total"]) == ([b["task_id"], c["task_id"]], 4)
    beyond = await api.tasks(limit=3, offset=10)
    assert (beyond["items"], beyond["total"]) == ([], 4)
    logged = await api.operations_logged(first)
    assert logged.count("read_plan") >= 6  # each list showing one of the person's tasks


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("POST", "/v1/plans/{plan}/tasks", {"title": "", "due_on": "2026-01-01"}),
        ("POST", "/v1/plans/{plan}/tasks", {"title": "x" * 201, "due_on": "2026-01-01"}),
        ("POST", "/v1/plans/{plan}/tasks", {"title": "a\x07b", "due_on": "2026-01-01"}),
        ("POST", "/v1/plans/{plan}/tasks", {"title": "Call", "due_on": "3000-01-01"}),
        ("POST", "/v1/plans/{plan}/tasks", {"title": "Call", "due_on": "tomorrow"}),
        ("POST", "/v1/plans/{plan}/tasks", {"title": "Call"}),
        ("POST", "/v1/plans/{plan}/tasks", {"title": "Call", "due_on": "2099-01-01",
                                            "axis": "health"}),
        ("POST", "/v1/plans/{plan}/tasks", {"title": "Call", "due_on": "2099-01-01",
                                            "axis": "wellbeing"}),
        ("POST", "/v1/plans/{plan}/tasks", {"title": "Call", "due_on": "2000-01-01"}),
        ("POST", "/v1/plans/{plan}/tasks", {"title": "Call", "due_on": "2099-01-01",
                                            "assignee": "x" * 101}),
        ("POST", "/v1/plans/{plan}/tasks", {"title": "Call", "due_on": "2099-01-01",
                                            "task_id": "nope"}),
        ("POST", "/v1/plans/{plan}/tasks", {"title": "Call", "due_on": "2099-01-01",
                                            "person_id": "x"}),
        ("POST", "/v1/plans/not-a-uuid/tasks", {"title": "Call", "due_on": "2099-01-01"}),
        ("POST", "/v1/plans/{unknown}/tasks", {"title": "Call", "due_on": "2099-01-01"}),
        ("POST", "/v1/tasks/{unknown}/complete", {"done_on": "2026-01-01"}),
        ("POST", "/v1/tasks/{unknown}/complete", {}),
        ("POST", "/v1/tasks/{unknown}/cancel", {"cancelled_on": "later"}),
        ("POST", "/v1/tasks/{unknown}/cancel", [1]),
        ("GET", "/v1/tasks/not-a-uuid", None),
        ("GET", "/v1/tasks?status=late", None),
        ("GET", "/v1/tasks?due_before=1999-12-31", None),
        ("GET", "/v1/tasks?assignee=", None),
        ("GET", "/v1/tasks?limit=0", None),
        ("GET", "/v1/tasks?person_id=x", None),
    ],
)  # fmt: skip
async def test_bad_task_input_is_a_4xx_problem_and_writes_nothing(
    cases: Cases, method: str, path: str, body: Any
) -> None:
    api = cases.api("p74")
    if "{plan}" in path:
        existing = await cases.db.fetchval("SELECT plan_id FROM plans WHERE partner_id = 'p74'")
        if existing is None:
            _, existing = await api.person_with_plan("HLETSF92B02Z315F")
        path = path.replace("{plan}", str(existing))
    path = path.replace("{unknown}", str(uuid.uuid4()))
    before = await cases.counts()
    response = await api.service.client.request(method, path, json=body, headers=api.headers)
    assert 400 <= response.status_code < 500, f"{response.status_code}: {response.text}"
    assert response.headers["content-type"].startswith("application/problem+json")
    assert await cases.counts() == before


async def test_another_partners_tasks_are_not_found(cases: Cases) -> None:
    owner, other = cases.api("p75"), cases.api("p76").as_admin()
    pid, plan_id = await owner.person_with_plan("HLETSF92B02Z315G")
    task = await owner.add(plan_id)
    task_id = task["task_id"]
    before = await cases.counts()
    for method, path, body in [
        ("POST", f"/v1/plans/{plan_id}/tasks", {"title": "Call", "due_on": day()}),
        ("POST", f"/v1/tasks/{task_id}/complete", {"done_on": day()}),
        ("POST", f"/v1/tasks/{task_id}/cancel", None),
        ("GET", f"/v1/tasks/{task_id}", None),
        ("GET", f"/v1/persons/{pid}/consent", None),
        ("POST", f"/v1/persons/{pid}/consent", {"given_on": day(), "scopes": []}),
    ]:
        problem = await other.call(method, path, body, status=404)
        assert problem["code"] == "not_found"
    assert (await other.tasks())["items"] == []
    assert (await other.tasks(person_id=pid))["total"] == 0
    found = await other.call(
        "POST", "/v1/persons/duplicates",
        {"given_names": "Tesfaye", "family_name": "Haile", "born_on": "1992-02-02",
         "tax_code": "HLETSF92B02Z315G"}, status=200,
    )  # fmt: skip
    assert found == {"candidates": [], "total": 0}
    assert await cases.counts() == before
    client = owner.service.client
    routes = [
        ("POST", f"/v1/plans/{plan_id}/tasks"),
        ("POST", f"/v1/tasks/{task_id}/complete"),
        ("POST", f"/v1/tasks/{task_id}/cancel"),
        ("GET", f"/v1/tasks/{task_id}"),
        ("GET", "/v1/tasks"),
        ("POST", "/v1/persons/duplicates"),
        ("GET", f"/v1/persons/{pid}/consent"),
        ("POST", f"/v1/persons/{pid}/consent"),
    ]
    for headers, status in [
        (auth_header("p07", "partner_admin"), 403),
        (auth_header("p75", "integrator"), 403),
        ({"Authorization": f"Bearer {token('consortium', 'consortium_analyst')}"}, 403),
        ({}, 401),
    ]:
        for method, path in routes:
            response = await client.request(method, path, json={}, headers=headers)
            assert response.status_code == status, f"{method} {path}: {response.text}"
    assert await cases.counts() == before
    assert (await owner.get(f"/v1/tasks/{task_id}")) == task


async def test_merge_and_erasure_take_tasks_and_consents_along(cases: Cases) -> None:
    api = cases.api("p75")
    admin = api.as_admin()
    await api.call("POST", "/v1/persons", {
        "given_names": "Semere", "family_name": "Haile", "born_on": "1960-06-06", "sex": "male",
        "citizenship": "ER", "protection_status": "refugee",
    }, status=201)  # fmt: skip
    survivor = await api.call("POST", "/v1/persons", {
        "given_names": "Tesfay", "family_name": "Haile", "born_on": "1992-02-02", "sex": "male",
        "citizenship": "ER", "protection_status": "refugee",
        "consent": {"given_on": day(-50), "scopes": ["processing", "contact"]},
    }, status=201)  # fmt: skip
    duplicate, plan_id = await api.person_with_plan("HLETSF92B02Z315H")
    task = await api.add(plan_id)
    await api.call("POST", f"/v1/persons/{survivor['person_id']}/merge",
                   {"duplicate_person_id": duplicate}, status=200)  # fmt: skip
    moved = await api.get(f"/v1/tasks/{task['task_id']}")
    assert moved["person_id"] == survivor["person_id"]
    assert ids(await api.tasks(person_id=survivor["person_id"]), "task_id") == [task["task_id"]]
    history = await api.get(f"/v1/persons/{survivor['person_id']}/consent")
    assert [h["given_on"] for h in history] == [day(-50), day(-40)]  # both records' consents
    assert (await api.get(f"/v1/persons/{survivor['person_id']}"))["consent"]["given_on"] == (
        day(-50)
    )

    exported = await admin.get(f"/v1/persons/{survivor['person_id']}/export")
    assert exported["consents"] == history  # subject access: the whole history
    assert [t["task_id"] for t in exported["plans"][0]["tasks"]] == [task["task_id"]]

    sid = uuid.UUID(survivor["person_id"])
    erased = await admin.call("POST", f"/v1/persons/{sid}/erase", None, status=200,
                              events=[("person.erased", str(sid))])  # fmt: skip
    assert erased["records_erased"] == 2
    for table in ("tasks", "consents", "plans", "persons"):
        left = await cases.db.fetchval(
            f"SELECT count(*) FROM {table} WHERE person_id = ANY($1::uuid[])",
            [sid, uuid.UUID(duplicate)],
        )
        assert left == 0, table
    assert await api.call("GET", f"/v1/tasks/{task['task_id']}", status=404)
    assert (await api.tasks(person_id=str(sid)))["items"] == []
    words = {
        r["word"]
        for r in await cases.db.fetch("SELECT word FROM name_vocabulary WHERE partner_id = 'p75'")
    }
    assert "tesfay" not in words and "haile" in words  # Semere Haile's still

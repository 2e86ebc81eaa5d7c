"""Small builders for the work pages' tests (through the real services)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext

from kehu.work import services
from kehu.work.models import Area, Goal, PriorityLabel


def label(code: str) -> PriorityLabel:
    return PriorityLabel.objects.get(code=code)


def area(name: str = "客户服务") -> Area:
    return Area.objects.get(name=name)


def goal(owner: Any, title: str = "客户满意度提升", **fields: Any) -> Goal:
    return Goal.objects.create(owner=owner, title=title, created_by=owner, **fields)


def task(actor: Any, title: str, **fields: Any) -> Any:
    fields.setdefault("responsible", actor)
    return services.create_task(actor=actor, title=title, **fields)


def many_tasks(actor: Any, people: list[Any], goals: list[Goal], n: int) -> None:
    today = dt.date.today()
    labels = list(PriorityLabel.objects.all())
    for i in range(n):
        task(
            actor,
            f"任务{i:05d}",
            responsible=people[i % len(people)],
            goal=goals[i % len(goals)],
            label=labels[i % len(labels)],
            start_on=today + dt.timedelta(days=i % 9),
            due_on=today + dt.timedelta(days=i % 9 + 3),
            estimate_hours=4,
        )


def count_queries(fn: Any) -> tuple[int, Any]:
    with CaptureQueriesContext(connection) as ctx:
        result = fn()
    return len(ctx.captured_queries), result


def team_lead(make_user: Any, members: list[Any], username: str = "zongjian") -> Any:
    from kehu.accounts.models import Team

    lead = make_user(username, display_name="王经理", roles=("project_manager",))
    team = Team.objects.create(name=f"客服组-{username}", leader=lead)
    team.members.add(lead, *members)
    return lead


def team_of(lead: Any) -> Any:
    from kehu.accounts.models import Team

    return Team.objects.get(leader=lead)

"""The division table, workload and assignee suggestions."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext

from kehu.work import selectors, services
from kehu.work.models import Area, Task, WorkerProfile

MONDAY = dt.date(2026, 6, 1)


def test_division_table_by_goal_and_area(make_user: Any) -> None:
    boss = make_user(roles=("sales_director",))
    a = make_user(display_name="甲", roles=("sales_rep",))
    b = make_user(display_name="乙", roles=("sales_rep",))
    goal = services.create_goal(actor=boss, title="满意度")
    sub = services.create_goal(actor=boss, title="投诉闭环", parent=goal)
    area = Area.objects.get(name="投诉处理")
    t1 = services.create_task(actor=boss, title="t1", goal=sub, area=area, responsible=a)
    t2 = services.create_task(
        actor=boss, title="t2", goal=goal, responsible=b, collaborators=[a], due_on=MONDAY
    )
    t3 = services.create_task(actor=boss, title="t3")
    table = selectors.division_table(boss, rows="goal")
    names = [p.name for p in table.people]
    assert names[:2] == ["乙", "甲"] and table.people[-1].id is None
    assert [(r.key, r.label, r.depth) for r in table.rows[:2]] == [
        (goal.pk, "满意度", 0),
        (sub.pk, "投诉闭环", 1),
    ]
    assert len(table.rows) == 3 and table.rows[2].key is None
    col = {p.id: i for i, p in enumerate(table.people)}
    goal_row, sub_row, none_row = table.rows
    assert [c.id for c in goal_row.cells[col[b.pk]]] == [t2.pk]
    collab = goal_row.cells[col[a.pk]]
    assert [c.id for c in collab] == [t2.pk] and collab[0].is_collaboration
    assert [c.id for c in sub_row.cells[col[a.pk]]] == [t1.pk]
    assert [c.id for c in none_row.cells[col[None]]] == [t3.pk]
    assert goal_row.count == 1 and table.task_count == 3
    by_area = selectors.division_table(boss, rows="area")
    area_row = next(r for r in by_area.rows if r.key == area.pk)
    assert [c.id for c in area_row.cells[col[a.pk]]] == [t1.pk]
    # A sales rep sees only their own (and collaborated) tasks.
    mine = selectors.division_table(a, rows="goal")
    assert mine.task_count == 2


def test_division_table_query_count_does_not_grow(make_user: Any) -> None:
    boss = make_user(roles=("sales_director",))
    people = [make_user(roles=("sales_rep",)) for _ in range(20)]
    goal = services.create_goal(actor=boss, title="g")
    areas = list(Area.objects.all())

    def add(n: int) -> None:
        Task.objects.bulk_create(
            Task(
                title=f"t{i}",
                goal=goal,
                area=areas[i % len(areas)],
                responsible=people[i % len(people)],
                due_on=MONDAY + dt.timedelta(days=i % 30),
            )
            for i in range(n)
        )

    add(40)
    selectors.division_table(boss, rows="goal")  # the viewer's rights are read once per request
    for rows in ("goal", "area"):
        with CaptureQueriesContext(connection) as small:
            selectors.division_table(boss, rows=rows)
        assert len(small) <= 8
        small_count = len(small)
        if rows == "goal":
            add(2000)
        with CaptureQueriesContext(connection) as big:
            table = selectors.division_table(boss, rows=rows)
        assert table.task_count == 2040
        assert len(big) == small_count


def test_workload_spreads_estimates_over_working_days(make_user: Any) -> None:
    boss = make_user(roles=("sales_director",))
    a = make_user(display_name="甲", roles=("sales_rep",))
    WorkerProfile.objects.create(user=a, weekly_capacity_hours=Decimal(20))
    # Mon..Fri next week and Mon..Tue the week after: 7 working days, 35 hours -> 5 h/day.
    services.create_task(
        actor=boss,
        title="big",
        responsible=a,
        estimate_hours=Decimal(35),
        start_on=MONDAY,
        due_on=MONDAY + dt.timedelta(days=8),
    )
    services.create_task(
        actor=boss, title="one day", responsible=a, estimate_hours=Decimal(4), due_on=MONDAY
    )
    services.create_task(
        actor=boss,
        title="done",
        responsible=a,
        estimate_hours=Decimal(99),
        due_on=MONDAY,
        status="done",
    )
    rows = selectors.workload(boss, MONDAY + dt.timedelta(days=2), weeks=3)
    row = next(r for r in rows if r.person.id == a.pk)
    first, second, third = row.weeks
    assert first.week_start == MONDAY
    assert (first.hours, first.tasks, first.over) == (Decimal("29.0"), 2, True)
    assert (second.hours, second.tasks, second.over, second.under) == (
        Decimal("10.0"),
        1,
        False,
        False,
    )
    assert (third.hours, third.tasks, third.under) == (Decimal("0.0"), 0, True)
    assert first.load == 145


def test_suggest_assignees_prefers_same_area_least_loaded(make_user: Any) -> None:
    boss = make_user(roles=("sales_director",))
    busy = make_user(display_name="忙", roles=("sales_rep",))
    free = make_user(display_name="闲", roles=("sales_rep",))
    skilled = make_user(display_name="会", roles=("sales_rep",))
    make_user(display_name="外行", roles=("sales_rep",))
    WorkerProfile.objects.create(user=skilled, skills=["售后"])
    area = Area.objects.get(name="售后")
    services.create_task(
        actor=boss,
        title="a",
        area=area,
        responsible=busy,
        estimate_hours=Decimal(30),
        due_on=MONDAY,
    )
    services.create_task(
        actor=boss,
        title="b",
        area=area,
        responsible=free,
        estimate_hours=Decimal(2),
        due_on=MONDAY,
        status="done",
    )
    task = services.create_task(actor=boss, title="new", area=area, due_on=MONDAY)
    names = [p.name for p, _load in selectors.suggest_assignees(task)]
    assert set(names) == {"忙", "闲", "会"}
    assert names[-1] == "忙"

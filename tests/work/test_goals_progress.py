"""Progress: checklist, sub-tasks, goals weighted by estimate, sub-goals, and metrics."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from kehu.core.locking import StaleWriteError
from kehu.work import services
from kehu.work.models import Goal, Task


def test_checklist_progress_and_goal_rollup(user: Any) -> None:
    goal = services.create_goal(actor=user, title="满意度 4.5")
    task = services.create_task(
        actor=user, title="问卷", goal=goal, responsible=user, progress_mode="checklist"
    )
    items = [services.add_checklist_item(actor=user, task=task, text=t) for t in "abcd"]
    services.update_checklist_item(actor=user, item=items[0], done=True)
    task.refresh_from_db()
    goal.refresh_from_db()
    assert task.progress == 25 and goal.progress == 25
    services.delete_checklist_item(actor=user, item=items[3])
    task.refresh_from_db()
    assert task.progress == 33
    with pytest.raises(ValidationError):
        services.set_progress(actor=user, task=task, progress=80)
    with pytest.raises(ValidationError):
        services.add_checklist_item(actor=user, task=task, text="  ")


def test_goal_progress_weighted_by_estimate(user: Any) -> None:
    goal = services.create_goal(actor=user, title="g")
    big = services.create_task(actor=user, title="big", goal=goal, estimate_hours=Decimal(30))
    services.create_task(actor=user, title="small", goal=goal, estimate_hours=Decimal(10))
    services.update_task(actor=user, task=big, version=big.version, status="done")
    goal.refresh_from_db()
    assert goal.progress == 75  # 30 of 40 hours done, not 1 of 2 tasks
    services.create_task(actor=user, title="no estimate", goal=goal)
    goal.refresh_from_db()
    assert goal.progress == 33  # a task without estimate: plain average


def test_subtasks_and_subgoals_roll_up(user: Any) -> None:
    root = services.create_goal(actor=user, title="root")
    child = services.create_goal(actor=user, title="child", parent=root)
    parent = services.create_task(
        actor=user, title="parent", goal=child, progress_mode=Task.ProgressMode.SUBTASKS
    )
    a = services.create_task(actor=user, title="a", parent=parent)
    services.create_task(actor=user, title="b", parent=parent)
    services.set_progress(actor=user, task=a, progress=60)
    parent.refresh_from_db()
    child.refresh_from_db()
    root.refresh_from_db()
    assert (parent.progress, child.progress, root.progress) == (30, 30, 30)
    services.create_task(actor=user, title="root task", goal=root, status="done")
    root.refresh_from_db()
    assert root.progress == 65  # one task at 100 and one sub-goal at 30


def test_goal_version_and_metric(user: Any, other_user: Any) -> None:
    goal = services.create_goal(
        actor=user, title="满意度", metric="满意度 ≥ 4.5", target_value=Decimal("4.5")
    )
    services.set_goal_metric(actor=user, goal=goal, current_value=Decimal("4.2"), version=1)
    stale = Goal.objects.get(pk=goal.pk)
    stale.version = 1
    with pytest.raises(StaleWriteError) as err:
        services.update_goal(actor=other_user, goal=stale, version=1, title="改")
    assert err.value.instance.current_value == Decimal("4.2")
    assert goal.history.count() == 2


def test_goal_loops_refused(user: Any) -> None:
    a = services.create_goal(actor=user, title="a")
    b = services.create_goal(actor=user, title="b", parent=a)
    with pytest.raises(ValidationError):
        services.update_goal(actor=user, goal=a, version=a.version, parent=b)
    tree = services.goal_tree(a)
    assert [(d, g.title) for d, g in tree] == [(0, "a"), (1, "b")]

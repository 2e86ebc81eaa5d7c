"""Tasks: create, update with versions, moves, events, visibility, dependencies."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from kehu.core import events
from kehu.core.locking import StaleWriteError
from kehu.work import selectors, services
from kehu.work.models import Area, PriorityLabel, Task


@pytest.fixture
def captured() -> Any:
    seen: list[events.Event] = []

    def handler(event: events.Event) -> None:
        seen.append(event)

    events.subscribe("task.*")(handler)
    yield seen
    events.unsubscribe("task.*", handler)


def test_seeded_areas_and_labels(db: Any) -> None:
    assert Area.objects.filter(name="投诉处理", name_en="Complaint handling").exists()
    assert list(PriorityLabel.objects.values_list("code", flat=True)) == ["P0", "P1", "P2", "P3"]


def test_shipped_roles_get_goal_and_task_rights(db: Any) -> None:
    from kehu.accounts.models import Role

    rep = Role.objects.get(code="sales_rep")
    assert "task.create" in rep.permissions and "goal.view" in rep.permissions
    assert "goal.create" not in rep.permissions
    assert rep.scopes["task"] == "own"
    assert Role.objects.get(code="administrator").scopes["goal"] == "all"


def test_create_update_and_stale_version(
    user: Any, other_user: Any, django_capture_on_commit_callbacks: Any, captured: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        task = services.create_task(
            actor=user, title=" 回访 ", responsible=user, collaborators=[other_user]
        )
    assert task.title == "回访" and task.version == 1
    assert [e.name for e in captured] == ["task.created"]
    assert captured[0].data["task_id"] == task.pk
    with django_capture_on_commit_callbacks(execute=True):
        services.update_task(actor=user, task=task, version=1, status="doing")
    assert task.version == 2
    assert captured[-1].name == "task.changed" and captured[-1].data["changed"] == ["status"]
    stale = Task.objects.get(pk=task.pk)
    with pytest.raises(StaleWriteError) as err:
        services.update_task(actor=other_user, task=stale, version=1, title="改")
    assert err.value.instance.status == "doing"
    assert Task.objects.get(pk=task.pk).title == "回访"
    assert task.history.count() == 2


def test_done_sets_completion_and_progress(user: Any) -> None:
    task = services.create_task(actor=user, title="a", responsible=user)
    services.update_task(actor=user, task=task, version=task.version, status="done")
    task.refresh_from_db()
    assert task.completed_at is not None and task.progress == 100
    services.update_task(actor=user, task=task, version=task.version, status="doing")
    task.refresh_from_db()
    assert task.completed_at is None


def test_due_before_start_refused(user: Any) -> None:
    with pytest.raises(ValidationError) as err:
        services.create_task(
            actor=user, title="x", start_on=dt.date(2026, 5, 2), due_on=dt.date(2026, 5, 1)
        )
    assert "due_on" in err.value.message_dict


def test_move_task_makes_room(
    user: Any, django_capture_on_commit_callbacks: Any, captured: Any
) -> None:
    a = services.create_task(actor=user, title="a", responsible=user, status="doing")
    b = services.create_task(actor=user, title="b", responsible=user, status="doing")
    c = services.create_task(actor=user, title="c", responsible=user)
    label = PriorityLabel.objects.get(code="P0")
    with django_capture_on_commit_callbacks(execute=True):
        services.move_task(actor=user, task=c, status="doing", position=a.position, label=label)
    c.refresh_from_db()
    a.refresh_from_db()
    b.refresh_from_db()
    assert c.status == "doing" and c.label == label
    assert c.position < a.position < b.position
    assert captured[-1].name == "task.changed"
    with pytest.raises(StaleWriteError):
        services.move_task(actor=user, task=c, due_on=dt.date(2026, 1, 1), version=1)


def test_dependency_cycle_refused_with_the_loop_named(user: Any) -> None:
    a = services.create_task(actor=user, title="调研", responsible=user)
    b = services.create_task(actor=user, title="方案", responsible=user, depends_on=[a])
    c = services.create_task(actor=user, title="培训", responsible=user, depends_on=[b])
    with pytest.raises(ValidationError) as err:
        services.add_dependency(actor=user, task=a, depends_on=c)
    message = err.value.message_dict["depends_on"][0]
    assert "“调研” → “培训” → “方案” → “调研”" in message
    assert not a.depends_on.exists()
    with pytest.raises(ValidationError):
        services.add_dependency(actor=user, task=a, depends_on=a)
    d = services.create_task(actor=user, title="d", responsible=user)
    services.add_dependency(actor=user, task=d, depends_on=c)  # no loop: accepted
    assert list(d.depends_on.all()) == [c]


def test_visibility_own_scope(user: Any, other_user: Any, make_user: Any) -> None:
    mine = services.create_task(actor=user, title="mine", responsible=user)
    theirs = services.create_task(actor=other_user, title="theirs", responsible=other_user)
    shared = services.create_task(
        actor=other_user, title="shared", responsible=other_user, collaborators=[user]
    )
    visible = set(selectors.tasks_visible_to(user))
    assert mine in visible and shared in visible and theirs not in visible
    boss = make_user(roles=("sales_director",))
    assert {mine, theirs, shared} <= set(selectors.tasks_visible_to(boss))


def test_wip_limit_refuses_a_move_into_a_full_column(user: Any) -> None:
    from kehu.accounts.models import Team
    from kehu.work.models import WipLimit

    team = Team.objects.create(name="客服组")
    goal = services.create_goal(actor=user, title="g", team=team)
    WipLimit.objects.create(status="doing", limit=1, team=team)
    services.create_task(actor=user, title="a", goal=goal, status="doing")
    b = services.create_task(actor=user, title="b", goal=goal)
    with pytest.raises(ValidationError) as err:
        services.move_task(actor=user, task=b, status="doing")
    assert "1" in err.value.message_dict["status"][0]
    free = services.create_task(actor=user, title="no team")  # another team's limit: no effect
    services.move_task(actor=user, task=free, status="doing")
    assert Task.objects.get(pk=free.pk).status == "doing"
    WipLimit.objects.create(status="doing", limit=1, team=None)
    other = services.create_task(actor=user, title="c")
    with pytest.raises(ValidationError):
        services.move_task(actor=user, task=other, status="doing")

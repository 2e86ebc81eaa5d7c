"""WIP limits hold on every path that changes a task's status, with one clear message: a
kanban drop, the card's in-place edit, the task's edit form and an API PATCH."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote

import pytest
from django.core.exceptions import ValidationError

from kehu.work import services
from kehu.work.models import Task, WipLimit

LIMIT_TEXT = "上限为 1"  # the team's language (zh-Hans): "its limit is 1"


@pytest.fixture
def full_column(user: Any) -> Task:
    """The column “doing” holds its limit of one task; the returned task waits in “to do”."""
    WipLimit.objects.create(status="doing", limit=1)
    services.create_task(actor=user, title="进行中", responsible=user, status="doing")
    return services.create_task(actor=user, title="等待中", responsible=user)


def _still_waiting(task: Task) -> None:
    assert Task.objects.get(pk=task.pk).status == "todo"


def test_update_task_refuses_a_status_change_into_a_full_column(
    user: Any, full_column: Task
) -> None:
    with pytest.raises(ValidationError) as err:
        services.update_task(actor=user, task=full_column, version=1, status="doing")
    assert LIMIT_TEXT in err.value.message_dict["status"][0]
    _still_waiting(full_column)
    # other changes, and moves into columns with room, still go through
    services.update_task(actor=user, task=full_column, version=1, title="改了标题")
    services.update_task(actor=user, task=full_column, version=2, status="blocked")
    assert Task.objects.get(pk=full_column.pk).status == "blocked"


def test_a_task_already_in_the_column_may_change_other_fields(user: Any) -> None:
    WipLimit.objects.create(status="doing", limit=1)
    doing = services.create_task(actor=user, title="在做", responsible=user, status="doing")
    WipLimit.objects.filter(status="doing").update(limit=1)
    services.update_task(actor=user, task=doing, version=1, progress=50)
    assert Task.objects.get(pk=doing.pk).progress == 50


def _quick_edit(client: Any, task: Task, user: Any) -> tuple[Any, str]:
    response = client.post(
        f"/work/cards/{task.pk}/quick/",
        {"version": 1, "status": "doing", "progress": 0, "responsible": user.pk},
        headers={"HX-Request": "true"},
    )
    return response, response.content.decode()


def _edit_form(client: Any, task: Task, user: Any) -> tuple[Any, str]:
    form = {
        "title": task.title,
        "status": "doing",
        "progress": 0,
        "progress_mode": "manual",
        "recurrence": "none",
        "responsible": user.pk,
        "version": 1,
    }
    response = client.post(f"/work/tasks/{task.pk}/edit/", form)
    return response, response.content.decode()


def _api_patch(client: Any, task: Task, user: Any) -> tuple[Any, str]:
    response = client.patch(
        f"/api/v1/tasks/{task.pk}",
        data=json.dumps({"status": "doing", "version": 1}),
        content_type="application/json",
    )
    return response, response.content.decode()


def _kanban_drop(client: Any, task: Task, user: Any) -> tuple[Any, str]:
    response = client.post(
        "/work/board/move/?mode=status",
        {"task": task.pk, "version": 1, "column": "doing", "position": 0},
    )
    return response, unquote(response["X-Kehu-Message"])


@pytest.mark.parametrize(
    ("send", "statuses"),
    [
        (_quick_edit, {400}),  # the card comes back with its form and the reason
        (_edit_form, {200, 400}),  # the form comes back with the reason, entries kept
        (_api_patch, {400, 422}),
        (_kanban_drop, {409}),  # the board comes back as it is, with the reason
    ],
    ids=["in-place edit", "edit form", "API PATCH", "kanban drop"],
)
def test_every_path_that_changes_status_is_refused_with_the_message(
    client: Any, user: Any, full_column: Task, send: Any, statuses: set[int]
) -> None:
    client.force_login(user)
    response, said = send(client, full_column, user)
    assert response.status_code in statuses
    assert LIMIT_TEXT in said
    _still_waiting(full_column)

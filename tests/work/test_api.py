"""The work API: tasks with versions and 409s, moves, checklist, comments, dependencies,
templates, proposals."""

from __future__ import annotations

import json
from typing import Any

import pytest

from kehu.core.models import Notification
from kehu.work import services, templating
from kehu.work.models import Proposal, Task, WorkTemplate
from tests.conftest import force_login_verified


def api(client: Any, method: str, path: str, body: Any = None, **headers: Any) -> Any:
    if method == "get":
        return client.get(f"/api/v1{path}", headers=headers)
    data = json.dumps(body) if body is not None else None
    return getattr(client, method)(
        f"/api/v1{path}", data=data, content_type="application/json", headers=headers
    )


@pytest.fixture
def director(make_user: Any) -> Any:
    return make_user("zhou", display_name="周总", roles=("sales_director",))


def test_task_create_patch_conflict_and_history(client: Any, user: Any) -> None:
    client.force_login(user)
    created = api(client, "post", "/tasks", {"title": "回访", "responsible_id": user.pk})
    assert created.status_code == 201
    task_id = created.json()["id"]
    ok = api(client, "patch", f"/tasks/{task_id}", {"status": "doing"}, **{"If-Match": '"1"'})
    assert ok.status_code == 200 and ok.json()["version"] == 2
    stale = api(client, "patch", f"/tasks/{task_id}", {"title": "改", "version": 1})
    assert stale.status_code == 409
    body = stale.json()
    assert body["current_version"] == 2 and body["current"]["status"] == "doing"
    assert Task.objects.get(pk=task_id).title == "回访"
    assert api(client, "patch", f"/tasks/{task_id}", {"title": "x"}).status_code == 428
    assert Task.history.filter(id=task_id).count() == 2


def test_move_checklist_comment_dependency(client: Any, user: Any, director: Any) -> None:
    a = services.create_task(actor=user, title="a", responsible=user)
    b = services.create_task(actor=user, title="b", responsible=user)
    client.force_login(user)
    moved = api(client, "post", f"/tasks/{a.pk}/move", {"status": "doing", "position": 1})
    assert moved.status_code == 200 and moved.json()["status"] == "doing"
    stale = api(client, "post", f"/tasks/{a.pk}/move", {"status": "done", "version": 1})
    assert stale.status_code == 409 and stale.json()["current"]["status"] == "doing"
    item = api(client, "post", f"/tasks/{a.pk}/checklist", {"text": "准备"}).json()
    ticked = api(client, "patch", f"/tasks/{a.pk}/checklist/{item['id']}", {"done": True})
    assert ticked.json()["done"] is True
    assert [i["text"] for i in api(client, "get", f"/tasks/{a.pk}/checklist").json()] == ["准备"]
    assert api(client, "delete", f"/tasks/{a.pk}/checklist/{item['id']}").status_code == 204
    comment = api(client, "post", f"/tasks/{a.pk}/comments", {"body": "@zhou 请看"})
    assert comment.status_code == 201 and comment.json()["mention_ids"] == [director.pk]
    assert Notification.objects.filter(recipient=director, kind="work.mention").exists()
    dep = api(client, "post", f"/tasks/{b.pk}/dependencies", {"depends_on_id": a.pk})
    assert dep.json()["depends_on_ids"] == [a.pk]
    loop = api(client, "post", f"/tasks/{a.pk}/dependencies", {"depends_on_id": b.pk})
    assert loop.status_code == 422 and "“a” → “b” → “a”" in loop.json()["errors"][0]["msg"]
    gone = api(client, "delete", f"/tasks/{b.pk}/dependencies/{a.pk}")
    assert gone.json()["depends_on_ids"] == []


def test_sub_resources_of_foreign_tasks_are_404(client: Any, user: Any, other_user: Any) -> None:
    theirs = services.create_task(actor=other_user, title="theirs", responsible=other_user)
    item = services.add_checklist_item(actor=other_user, task=theirs, text="x")
    client.force_login(user)
    for method, path, body in (
        ("get", f"/tasks/{theirs.pk}/checklist", None),
        ("post", f"/tasks/{theirs.pk}/checklist", {"text": "y"}),
        ("patch", f"/tasks/{theirs.pk}/checklist/{item.pk}", {"done": True}),
        ("get", f"/tasks/{theirs.pk}/comments", None),
        ("post", f"/tasks/{theirs.pk}/comments", {"body": "hi"}),
        ("post", f"/tasks/{theirs.pk}/move", {"status": "done"}),
        ("post", f"/tasks/{theirs.pk}/dependencies", {"depends_on_id": theirs.pk}),
    ):
        assert api(client, method, path, body).status_code == 404, path
    mine = services.create_task(actor=user, title="mine", responsible=user)
    response = api(client, "post", f"/tasks/{mine.pk}/dependencies", {"depends_on_id": theirs.pk})
    assert response.status_code == 404
    assert theirs.checklist.count() == 1 and not theirs.comments.exists()


def test_goal_progress_via_api(client: Any, director: Any) -> None:
    force_login_verified(client, director)
    goal = api(client, "post", "/goals", {"title": "满意度", "target_value": "4.5"}).json()
    for title in ("a", "b"):
        api(client, "post", "/tasks", {"title": title, "goal_id": goal["id"]})
    task = Task.objects.get(title="a")
    api(client, "patch", f"/tasks/{task.pk}", {"status": "done", "version": task.version})
    assert api(client, "get", f"/goals/{goal['id']}").json()["progress"] == 50
    stale = api(client, "patch", f"/goals/{goal['id']}", {"current_value": "4.1", "version": 9})
    assert stale.status_code == 409 and stale.json()["current"]["title"] == "满意度"


def test_templates_list_and_instantiate(client: Any, director: Any, user: Any) -> None:
    force_login_verified(client, director)
    listed = api(client, "get", "/work/templates").json()
    builtin = next(t for t in listed if t["code"] == templating.CS_UPGRADE_CODE)
    assert "客服专员" in builtin["roles"] and builtin["task_count"] == 13
    response = api(
        client,
        "post",
        f"/work/templates/{builtin['id']}/instantiate",
        {"start_on": "2026-04-06", "role_map": {"客服专员": user.pk}},
    )
    assert response.status_code == 201
    goal = response.json()
    assert goal["start_on"] == "2026-04-06" and goal["due_on"] == "2026-07-04"
    assert Task.objects.filter(responsible=user).count() == 3
    client.force_login(user)  # a sales rep may not start plans
    refused = api(
        client, "post", f"/work/templates/{builtin['id']}/instantiate", {"start_on": "2026-04-06"}
    )
    assert refused.status_code == 403


def test_anonymous_proposal_stores_no_author(client: Any, user: Any, director: Any) -> None:
    client.force_login(user)
    named = api(client, "post", "/work/proposals", {"body": "周会缩短到半小时"}).json()
    anon = api(client, "post", "/work/proposals", {"body": "别再加班", "anonymous": True}).json()
    assert named["author_id"] == user.pk and anon["author_id"] is None
    assert Proposal.objects.get(pk=anon["id"]).author_id is None
    assert (
        api(client, "patch", f"/work/proposals/{anon['id']}", {"status": "accepted"}).status_code
        == 403
    )
    force_login_verified(client, director)
    answered = api(
        client, "patch", f"/work/proposals/{named['id']}", {"status": "accepted", "response": "好"}
    )
    assert answered.status_code == 200 and answered.json()["status"] == "accepted"
    assert Notification.objects.filter(recipient=user, kind="work.proposal").count() == 1
    assert {p["id"] for p in api(client, "get", "/work/proposals").json()} == {
        named["id"],
        anon["id"],
    }
    assert WorkTemplate.objects.filter(is_builtin=True).count() == 1

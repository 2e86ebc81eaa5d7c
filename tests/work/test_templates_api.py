"""Managing work templates through the API: save a goal as a template with named roles, rename
it and its roles with versions (409 when stale), clear refusals, delete (never a built-in)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from kehu.work import services, templating
from kehu.work.models import Task, WorkTemplate
from tests.conftest import force_login_verified


def call(client: Any, method: str, path: str, body: Any = None, **headers: Any) -> Any:
    return getattr(client, method)(
        f"/api/v1/work/templates{path}",
        data=json.dumps(body) if body is not None else None,
        content_type="application/json",
        headers=headers,
    )


@pytest.fixture
def director(make_user: Any) -> Any:
    return make_user("tpl-dir", display_name="周总", roles=("sales_director",))


@pytest.fixture
def plan(director: Any, user: Any) -> Any:
    goal = services.create_goal(actor=director, title="新品上市")
    services.create_task(actor=director, title="写文案", goal=goal, responsible=user)
    services.create_task(actor=director, title="定价", goal=goal, responsible=director)
    return goal


def test_save_a_goal_as_a_template_with_named_roles(
    client: Any, director: Any, user: Any, plan: Any
) -> None:
    force_login_verified(client, director)
    response = call(
        client,
        "post",
        "",
        {
            "goal_id": plan.pk,
            "name": "上市模板",
            "description": "每季一次",
            "roles": {user.pk: "文案"},
        },
    )
    assert response.status_code == 201
    body = response.json()
    assert body["name"] == "上市模板" and body["description"] == "每季一次"
    assert "文案" in body["roles"] and body["task_count"] == 2 and body["may_manage"] is True
    assert WorkTemplate.objects.get(pk=body["id"]).created_by == director


def test_rename_a_template_and_its_roles_with_versions(
    client: Any, director: Any, user: Any, plan: Any
) -> None:
    template = templating.save_goal_as_template(
        actor=director, goal=plan, name="旧名", roles={user.pk: "文案"}
    )
    force_login_verified(client, director)
    ok = call(
        client,
        "patch",
        f"/{template.pk}",
        {"name": "新名", "roles": {"文案": "内容编辑"}},
        **{"If-Match": '"1"'},
    )
    assert ok.status_code == 200, ok.content
    assert ok.json()["name"] == "新名" and "内容编辑" in ok.json()["roles"]
    assert "文案" not in ok.json()["roles"] and ok.json()["version"] == 2
    stale = call(client, "patch", f"/{template.pk}", {"name": "又改", "version": 1})
    assert stale.status_code == 409 and stale.json()["current"]["name"] == "新名"
    assert call(client, "patch", f"/{template.pk}", {"name": "x"}).status_code == 428
    # the renamed role is what starting the plan asks a person for
    start = call(
        client,
        "post",
        f"/{template.pk}/instantiate",
        {"start_on": "2026-05-04", "role_map": {"内容编辑": user.pk}},
    )
    assert start.status_code == 201
    assert Task.objects.filter(title="写文案", responsible=user).count() == 2


@pytest.mark.parametrize(
    ("body", "field"),
    [({"name": "  "}, "name"), ({"roles": {"不存在": "x"}}, "roles"), ({"roles": {}}, None)],
)
def test_bad_changes_are_refused_clearly_and_change_nothing(
    client: Any, director: Any, plan: Any, body: dict[str, Any], field: str | None
) -> None:
    template = templating.save_goal_as_template(actor=director, goal=plan, name="原名")
    force_login_verified(client, director)
    response = call(client, "patch", f"/{template.pk}", {**body, "version": 1})
    if field is None:
        assert response.status_code == 200  # nothing asked: nothing changes but the stamp
        return
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", field]
    template.refresh_from_db()
    assert template.name == "原名" and template.version == 1


def test_delete_a_template_but_never_a_built_in(client: Any, director: Any, plan: Any) -> None:
    templating.ensure_builtin_templates()
    builtin = WorkTemplate.objects.get(code=templating.CS_UPGRADE_CODE)
    mine = templating.save_goal_as_template(actor=director, goal=plan, name="用完即删")
    force_login_verified(client, director)
    assert call(client, "delete", f"/{mine.pk}").status_code == 204
    assert not WorkTemplate.objects.filter(pk=mine.pk).exists()
    assert plan.__class__.objects.filter(pk=plan.pk).exists()  # the goal is not touched
    refused = call(client, "delete", f"/{builtin.pk}")
    assert refused.status_code == 422 and "内置模板" in refused.content.decode()
    assert WorkTemplate.objects.filter(pk=builtin.pk).exists()

"""Work templates in the permission matrix: everyone signed in reads them; saving a goal as a
template and starting a plan need goal.create; renaming or deleting one is for whoever saved it
and for those who see every goal; the built-in template is never deleted."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from kehu.core.permissions import Scope, combine
from kehu.work import services as work_services
from kehu.work import templating
from kehu.work.models import WorkTemplate
from tests.permissions.harness import RoleCase, register_role_case


def _saved_by(owner: Any, title: str) -> WorkTemplate:
    goal = work_services.create_goal(actor=owner, title=title, owner=owner)
    work_services.create_task(actor=owner, title=f"{title}的任务", goal=goal, responsible=owner)
    return templating.save_goal_as_template(actor=owner, goal=goal, name=f"{title}模板")


def _json(client: Any, method: str, url: str, body: Any) -> Any:
    return getattr(client, method)(url, json.dumps(body), content_type="application/json")


def check_templates(role: str, *, client: Any, world: dict[str, Any]) -> None:
    from tests.conftest import force_login_verified

    actor = world["actor"]
    templating.ensure_builtin_templates()
    builtin = WorkTemplate.objects.get(code=templating.CS_UPGRADE_CODE)
    records = {
        "own": _saved_by(actor, f"自己的{role}"),
        "team": _saved_by(world["teammate"], f"同事的{role}"),
        "other": _saved_by(world["outsider"], f"外人的{role}"),
    }
    rights = combine(list(actor.roles.all()))
    may_create = rights.has("goal.create")
    sees_all = rights.scope("goal") == Scope.ALL
    force_login_verified(client, actor)

    # reading: the page and the API list every template to everyone
    page = client.get("/work/templates/").content.decode()
    listed = {t["id"] for t in client.get("/api/v1/work/templates").json()}
    for obj in [builtin, *records.values()]:
        assert obj.name in page and obj.pk in listed, f"{role} lists {obj.name}"
        assert client.get(f"/api/v1/work/templates/{obj.pk}").status_code == 200
    use = client.get(f"/work/templates/{builtin.pk}/use/")
    assert use.status_code == (200 if may_create else 403), f"{role} use page"

    # saving a goal as a template: goal.create, and only a goal the actor can see
    own_goal = work_services.create_goal(actor=actor, title=f"存模板{role}", owner=actor)
    saved = _json(client, "post", "/api/v1/work/templates", {"goal_id": own_goal.pk})
    assert saved.status_code == (201 if may_create else 403), f"{role} save: {saved.status_code}"
    hidden = work_services.create_goal(
        actor=world["outsider"], title=f"看不到{role}", owner=world["outsider"]
    )
    if may_create and not sees_all:
        denied = _json(client, "post", "/api/v1/work/templates", {"goal_id": hidden.pk})
        assert denied.status_code == 404, f"{role} saves a goal out of sight"

    # changing: the one who saved it, or whoever sees every goal; one history row per change
    for rel, obj in {**records, "builtin": builtin}.items():
        allowed = may_create and (sees_all or rel == "own")
        before = obj.history.count()
        response = _json(
            client,
            "patch",
            f"/api/v1/work/templates/{obj.pk}",
            {"description": "改过的说明", "version": obj.version},
        )
        assert response.status_code == (200 if allowed else 403), f"{role} patch {rel}"
        obj.refresh_from_db()
        assert obj.history.count() == before + (1 if allowed else 0)
        assert (obj.description == "改过的说明") is allowed

    # starting a plan
    start = _json(
        client,
        "post",
        f"/api/v1/work/templates/{builtin.pk}/instantiate",
        {"start_on": (dt.date.today() + dt.timedelta(days=1)).isoformat()},
    )
    assert start.status_code == (201 if may_create else 403), f"{role} instantiate"

    # deleting, last: the built-in stays for everyone
    for rel, obj in {**records, "builtin": builtin}.items():
        allowed = may_create and (sees_all or rel == "own")
        response = client.delete(f"/api/v1/work/templates/{obj.pk}")
        if rel == "builtin":
            assert response.status_code == (422 if allowed else 403), f"{role} delete built-in"
            assert WorkTemplate.objects.filter(pk=obj.pk).exists()
            continue
        assert response.status_code == (204 if allowed else 403), f"{role} delete {rel}"
        assert WorkTemplate.objects.filter(pk=obj.pk).exists() is not allowed


register_role_case(
    RoleCase(
        name="work_templates",
        check=check_templates,
        routes={
            "work:templates",
            "work:template_use",
            "GET /api/v1/work/templates",
            "POST /api/v1/work/templates",
            "GET /api/v1/work/templates/{template_id}",
            "PATCH /api/v1/work/templates/{template_id}",
            "DELETE /api/v1/work/templates/{template_id}",
            "POST /api/v1/work/templates/{template_id}/instantiate",
        },
    )
)

"""The work templates API: list, read, save a goal as a template, rename, rename its roles,
delete, and start a plan from one (``/api/v1/work/templates``).

Templates are plans without customer data: everyone signed in may read them; saving and
starting one needs the right to create goals; changing or deleting one is for whoever saved it
and for those who see every goal (kehu.work.templating.may_manage_template), as on the pages.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Schema, Status
from ninja.errors import HttpError

from kehu.core import scoping
from kehu.core.locking import StaleWriteError
from kehu.work import selectors, services, templating
from kehu.work.api import GoalOut, _conflict, _person, _require, _user, _version, goal_out
from kehu.work.models import WorkTemplate

router = Router(tags=["work"])


class TemplateOut(Schema):
    id: int
    name: str
    code: str
    description: str
    is_builtin: bool
    roles: list[str]
    task_count: int
    version: int
    created_by_id: int | None
    may_manage: bool


class TemplateSaveIn(Schema):
    goal_id: int
    name: str = ""  # the goal's title when empty
    description: str = ""
    roles: dict[int, str] = {}  # user id -> role placeholder (else the person's job title)


class TemplatePatch(Schema):
    name: str | None = None
    description: str | None = None
    roles: dict[str, str] | None = None  # placeholder -> new placeholder
    version: int | None = None


class InstantiateIn(Schema):
    start_on: dt.date
    role_map: dict[str, int] = {}  # role placeholder -> user id
    goal_owner_id: int | None = None
    team_id: int | None = None
    customer_id: int | None = None


def _template_out(template: WorkTemplate, user: Any) -> dict[str, Any]:
    return {
        "id": template.pk,
        "name": template.name,
        "code": template.code,
        "description": template.description,
        "is_builtin": template.is_builtin,
        "roles": templating.template_roles(template),
        "task_count": len((template.payload or {}).get("tasks", [])),
        "version": template.version,
        "created_by_id": template.created_by_id,
        "may_manage": templating.may_manage_template(user, template),
    }


def _templates(request: HttpRequest) -> Any:
    return scoping.restrict(WorkTemplate.objects.order_by("-is_builtin", "name"), _user(request))


def _template_to_manage(request: HttpRequest, template_id: int) -> WorkTemplate:
    template = get_object_or_404(_templates(request), pk=template_id)
    if not templating.may_manage_template(_user(request), template):
        raise HttpError(403, "Permission denied.")
    return template


@router.get("/work/templates", response=list[TemplateOut], summary="Work templates")
def list_templates(request: HttpRequest) -> Any:
    user = _user(request)
    return [_template_out(t, user) for t in _templates(request)]


@router.post(
    "/work/templates",
    response={201: TemplateOut},
    summary="Save a goal as a template",
    description="The goal (one you can see), its direct sub-goals and their tasks become a plan; "
    "people become role placeholders (`roles`: user id → placeholder, else their job title). "
    "Needs the right to create goals.",
)
def save_template(request: HttpRequest, payload: TemplateSaveIn) -> Any:
    user = _user(request)
    _require(request, "goal.create")
    goal = selectors.get_goal_for(user, payload.goal_id)
    template = templating.save_goal_as_template(
        actor=user,
        goal=goal,
        name=payload.name,
        description=payload.description,
        roles=payload.roles,
    )
    return Status(201, _template_out(template, user))


@router.get("/work/templates/{template_id}", response=TemplateOut, summary="One work template")
def get_template(request: HttpRequest, template_id: int) -> Any:
    return _template_out(get_object_or_404(_templates(request), pk=template_id), _user(request))


@router.patch(
    "/work/templates/{template_id}",
    response=TemplateOut,
    summary="Change a template",
    description="Name, description, or role placeholders renamed (`roles`: old → new). Whoever "
    "saved the template may change it, and whoever sees every goal. Send the `version` you "
    "read (field or `If-Match`); a stale write answers 409.",
)
def patch_template(request: HttpRequest, template_id: int, payload: TemplatePatch) -> Any:
    user = _user(request)
    template = _template_to_manage(request, template_id)
    data = payload.dict(exclude_unset=True)
    expected = _version(request, data)
    try:
        template = templating.update_template(
            actor=user, template=template, version=expected, **data
        )
    except StaleWriteError as exc:
        return _conflict(request, exc, _template_out(exc.instance, user))  # type: ignore[arg-type]
    return _template_out(template, user)


@router.delete(
    "/work/templates/{template_id}",
    response={204: None},
    summary="Delete a template",
    description="Built-in templates stay (422). Plans already started from it are not touched.",
)
def delete_template(request: HttpRequest, template_id: int) -> Any:
    template = _template_to_manage(request, template_id)
    templating.delete_template(actor=_user(request), template=template)
    return Status(204, None)


@router.post(
    "/work/templates/{template_id}/instantiate",
    response={201: GoalOut},
    summary="Start a plan from a template",
    description="Dates move to `start_on`; `role_map` gives each role placeholder a person "
    "(roles left out create tasks with nobody responsible).",
)
def instantiate_template(request: HttpRequest, template_id: int, payload: InstantiateIn) -> Any:
    from kehu.accounts.models import Team
    from kehu.customers.selectors import customers_visible_to

    user = _user(request)
    _require(request, "goal.create")
    template = get_object_or_404(_templates(request), pk=template_id)
    goal = services.instantiate_template(
        actor=user,
        template=template,
        start_on=payload.start_on,
        role_map={role: _person(pk) for role, pk in payload.role_map.items()},
        goal_owner=_person(payload.goal_owner_id) if payload.goal_owner_id else user,
        team=get_object_or_404(Team, pk=payload.team_id) if payload.team_id else None,
        customer=get_object_or_404(customers_visible_to(user), pk=payload.customer_id)
        if payload.customer_id
        else None,
    )
    return Status(201, goal_out(goal))

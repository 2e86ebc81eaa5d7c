"""Work templates: a goal with its sub-goals and tasks saved as a plan, started again later
with dates moved to a new start and role placeholders given to people.

Payload (``WorkTemplate.payload``)::

    {"goal": {"title", "description", "metric", "target_value", "unit", "duration_days"},
     "sub_goals": [{"title", "description", "metric", "offset_days", "duration_days"}],
     "tasks": [{"title", "description", "area" (area name), "label" ("P0".."P3"),
                "offset_days", "duration_days", "role" (placeholder, e.g. "客服主管"),
                "estimate_hours", "depends_on": [task index], "checklist": [text],
                "sub_goal": index into sub_goals or null}]}

Offsets count calendar days from the plan's start; a task lasting ``duration_days`` ends on
start + offset + duration − 1.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from kehu.core.permissions import has_perm
from kehu.work.models import Area, ChecklistItem, Goal, PriorityLabel, Task, WorkTemplate


def template_roles(template: WorkTemplate) -> list[str]:
    """The role placeholders a template needs people for, in first-use order."""
    roles: list[str] = []
    for task in (template.payload or {}).get("tasks", []):
        role = (task.get("role") or "").strip()
        if role and role not in roles:
            roles.append(role)
    return roles


def _days(value: Any, default: int = 0) -> int:
    try:
        return max(0, int(value))
    except (TypeError, ValueError):
        return default


@transaction.atomic
def instantiate_template(
    *,
    actor: Any,
    template: WorkTemplate,
    start_on: dt.date,
    role_map: dict[str, Any],
    goal_owner: Any = None,
    team: Any = None,
    customer: Any = None,
) -> Goal:
    """Create the template's goal, sub-goals and tasks starting on ``start_on``. Tasks whose
    role has nobody in ``role_map`` are created without a responsible person (the gaps panel
    lists them)."""
    from kehu.work import services

    payload = template.payload or {}
    spec = payload.get("goal") or {}
    if not spec.get("title"):
        raise ValidationError(_("The template has no goal."))
    tasks_spec = payload.get("tasks") or []
    areas = {a.name: a for a in Area.objects.all()}
    areas.update({a.name_en: a for a in areas.values() if a.name_en})
    labels = {lab.code: lab for lab in PriorityLabel.objects.all()}

    def end(offset: int, duration: int) -> dt.date:
        return start_on + dt.timedelta(days=offset + max(1, duration) - 1)

    latest = max(
        (end(_days(t.get("offset_days")), _days(t.get("duration_days"), 1)) for t in tasks_spec),
        default=start_on,
    )
    goal_due = end(0, _days(spec.get("duration_days"), 0)) if spec.get("duration_days") else latest
    owner = goal_owner or actor
    target = spec.get("target_value")
    goal = services.create_goal(
        actor=actor,
        title=spec["title"],
        description=spec.get("description", ""),
        metric=spec.get("metric", ""),
        target_value=Decimal(str(target)) if target not in (None, "") else None,
        unit=spec.get("unit", ""),
        owner=owner,
        team=team,
        start_on=start_on,
        due_on=goal_due,
    )
    sub_goals: list[Goal] = []
    for sub in payload.get("sub_goals") or []:
        offset = _days(sub.get("offset_days"))
        sub_goals.append(
            services.create_goal(
                actor=actor,
                title=sub["title"],
                description=sub.get("description", ""),
                metric=sub.get("metric", ""),
                owner=owner,
                team=team,
                parent=goal,
                start_on=start_on + dt.timedelta(days=offset),
                due_on=end(offset, _days(sub.get("duration_days"), 1))
                if sub.get("duration_days")
                else goal_due,
            )
        )
    created: list[Task] = []
    for spec_task in tasks_spec:
        offset = _days(spec_task.get("offset_days"))
        duration = _days(spec_task.get("duration_days"), 1)
        sub_index = spec_task.get("sub_goal")
        target_goal = (
            sub_goals[sub_index]
            if isinstance(sub_index, int) and 0 <= sub_index < len(sub_goals)
            else goal
        )
        estimate = spec_task.get("estimate_hours")
        checklist = [str(x) for x in spec_task.get("checklist") or [] if str(x).strip()]
        task = services.create_task(
            actor=actor,
            title=spec_task["title"],
            description=spec_task.get("description", ""),
            goal=target_goal,
            customer=customer,
            area=areas.get(spec_task.get("area") or ""),
            label=labels.get(spec_task.get("label") or ""),
            start_on=start_on + dt.timedelta(days=offset),
            due_on=end(offset, duration),
            estimate_hours=Decimal(str(estimate)) if estimate not in (None, "") else None,
            responsible=role_map.get((spec_task.get("role") or "").strip()),
            progress_mode=Task.ProgressMode.CHECKLIST if checklist else Task.ProgressMode.MANUAL,
        )
        for position, text in enumerate(checklist, start=1):
            ChecklistItem.objects.create(
                task=task, text=text[:255], position=position, created_by=actor
            )
        created.append(task)
    for task, spec_task in zip(created, tasks_spec, strict=True):
        for index in spec_task.get("depends_on") or []:
            if isinstance(index, int) and 0 <= index < len(created) and created[index] != task:
                services.add_dependency(actor=actor, task=task, depends_on=created[index])
    return goal


@transaction.atomic
def save_goal_as_template(
    *,
    actor: Any,
    goal: Goal,
    name: str,
    description: str = "",
    roles: dict[int, str] | None = None,
) -> WorkTemplate:
    """Save ``goal`` with its direct sub-goals and their tasks as a template. People become
    role placeholders: ``roles`` maps user id → placeholder, otherwise the person's job title,
    otherwise a numbered "role"."""
    roles = dict(roles or {})
    start = (
        goal.start_on
        or min(
            (
                d
                for d in Task.objects.filter(goal__in=[goal, *goal.children.all()]).values_list(
                    "start_on", flat=True
                )
                if d
            ),
            default=None,
        )
        or goal.created_at.date()
    )
    subs = list(goal.children.order_by("due_on", "pk"))
    sub_index = {g.pk: i for i, g in enumerate(subs)}
    tasks = list(
        Task.objects.filter(Q(goal=goal) | Q(goal__in=subs), parent__isnull=True)
        .select_related("area", "label", "responsible")
        .prefetch_related("checklist", "depends_on")
        .order_by("start_on", "pk")
    )
    index = {t.pk: i for i, t in enumerate(tasks)}

    def role_for(user: Any) -> str:
        if user is None:
            return ""
        if user.pk not in roles:
            title = (getattr(user, "title", "") or "").strip()
            roles[user.pk] = title or _("Role %(n)d") % {"n": len(set(roles.values())) + 1}
        return roles[user.pk]

    def offset(day: dt.date | None) -> int:
        return max(0, (day - start).days) if day else 0

    def duration(a: dt.date | None, b: dt.date | None) -> int:
        return (b - a).days + 1 if a and b else 1

    payload = {
        "goal": {
            "title": goal.title,
            "description": goal.description,
            "metric": goal.metric,
            "target_value": str(goal.target_value) if goal.target_value is not None else None,
            "unit": goal.unit,
            "duration_days": duration(start, goal.due_on) if goal.due_on else None,
        },
        "sub_goals": [
            {
                "title": g.title,
                "description": g.description,
                "metric": g.metric,
                "offset_days": offset(g.start_on),
                "duration_days": duration(g.start_on or start, g.due_on) if g.due_on else None,
            }
            for g in subs
        ],
        "tasks": [
            {
                "title": t.title,
                "description": t.description,
                "area": t.area.name if t.area else None,
                "label": t.label.code if t.label else None,
                "offset_days": offset(t.start_on or t.due_on),
                "duration_days": duration(t.start_on or t.due_on, t.due_on),
                "role": role_for(t.responsible),
                "estimate_hours": str(t.estimate_hours) if t.estimate_hours is not None else None,
                "depends_on": sorted(index[d.pk] for d in t.depends_on.all() if d.pk in index),
                "checklist": [c.text for c in t.checklist.all()],
                "sub_goal": sub_index.get(t.goal_id),  # type: ignore[arg-type]
            }
            for t in tasks
        ],
    }
    template = WorkTemplate(
        name=(name or "").strip() or goal.title,
        description=(description or "").strip(),
        payload=payload,
        created_by=actor,
        updated_by=actor,
    )
    template.full_clean(exclude=["code"])
    template.save()
    _template_event("work_template.created", actor, template)
    return template


# ---- managing templates ------------------------------------------------------------------------


def may_manage_template(user: Any, template: WorkTemplate) -> bool:
    """Who may rename, re-describe, rename the roles of, or delete a template: whoever may
    create goals and saved it, or whoever sees every goal (a director, an administrator)."""
    from kehu.core.permissions import Scope, rights_for

    if not has_perm(user, "goal.create"):
        return False
    if rights_for(user).scope("goal") == Scope.ALL:
        return True
    return template.created_by_id is not None and template.created_by_id == user.pk


def _template_event(name: str, actor: Any, template: WorkTemplate) -> None:
    from kehu.core.events import Event, publish

    publish(
        Event(
            name,
            actor_id=getattr(actor, "pk", None),
            object_type="work_template",
            object_id=template.pk,
            data={"template_id": template.pk, "name": template.name},
        )
    )


@transaction.atomic
def update_template(
    *,
    actor: Any,
    template: WorkTemplate,
    version: int | None,
    name: str | None = None,
    description: str | None = None,
    roles: dict[str, str] | None = None,
) -> WorkTemplate:
    """Rename a template, change its description, or rename its role placeholders (``roles``
    maps an existing placeholder to its new name; two may become one)."""
    from kehu.core.locking import save_versioned

    changed: set[str] = set()
    if name is not None:
        name = name.strip()
        if not name:
            raise ValidationError({"name": [_("A template needs a name.")]})
        if name != template.name:
            template.name = name
            changed.add("name")
    if description is not None and description.strip() != template.description:
        template.description = description.strip()
        changed.add("description")
    if roles:
        known = set(template_roles(template))
        unknown = sorted(set(roles) - known)
        if unknown:
            raise ValidationError(
                {"roles": [_("The template has no role “%(role)s”.") % {"role": unknown[0]}]}
            )
        renamed = {old: (new or "").strip() for old, new in roles.items()}
        if any(not new for new in renamed.values()):
            raise ValidationError({"roles": [_("A role needs a name.")]})
        payload = dict(template.payload or {})
        tasks = []
        for spec in payload.get("tasks", []):
            role = (spec.get("role") or "").strip()
            if role in renamed and renamed[role] != role:
                spec = {**spec, "role": renamed[role]}
                changed.add("payload")
            tasks.append(spec)
        payload["tasks"] = tasks
        template.payload = payload
    template.updated_by = actor
    template.full_clean(exclude=["code"])
    save_versioned(
        template, expected_version=version, update_fields=changed | {"updated_by"}, user=actor
    )
    _template_event("work_template.changed", actor, template)
    return template


@transaction.atomic
def delete_template(*, actor: Any, template: WorkTemplate) -> None:
    """Delete a template saved by people; the shipped ones stay (they would come back)."""
    if template.is_builtin:
        raise ValidationError(
            _("A built-in template cannot be deleted; rename it or save your own instead.")
        )
    pk, name = template.pk, template.name
    template.delete()
    _template_event("work_template.deleted", actor, WorkTemplate(pk=pk, name=name))


# ---- the built-in plan of seed 000: an e-commerce company upgrades its customer service ---------

CS_UPGRADE_CODE = "cs-upgrade"
CS_UPGRADE: dict[str, Any] = {
    "name": "客服体系升级",
    "description": "电商公司客户服务体系升级：以客户满意度提升到 4.5 分为目标，"
    "分客户调研、投诉处理、售后服务三条线推进（分工表案例）。",
    "payload": {
        "goal": {
            "title": "客服体系升级：客户满意度提升至 4.5 分",
            "description": "通过客户调研找出不满意原因，建立投诉闭环机制，优化售后服务。",
            "metric": "客户满意度 ≥ 4.5",
            "target_value": "4.5",
            "unit": "分",
            "duration_days": 90,
        },
        "sub_goals": [
            {"title": "客户调研：找出不满意的主要原因", "metric": "回访 200 位客户",
             "offset_days": 0, "duration_days": 20},
            {"title": "投诉处理：48 小时内闭环", "metric": "投诉 48 小时闭环率 ≥ 95%",
             "offset_days": 0, "duration_days": 80},
            {"title": "售后服务：返修周期缩短到 7 天", "metric": "平均返修周期 ≤ 7 天",
             "offset_days": 0, "duration_days": 60},
        ],
        "tasks": [
            {"title": "设计满意度调研问卷", "area": "市场调研", "label": "P1", "offset_days": 0,
             "duration_days": 5, "role": "市场营销", "estimate_hours": "8", "sub_goal": 0,
             "checklist": ["确定调研维度", "问卷初稿", "客服主管审核"]},
            {"title": "抽样回访 200 位老客户", "area": "市场调研", "label": "P1", "offset_days": 5,
             "duration_days": 10, "role": "客户经理", "estimate_hours": "30", "sub_goal": 0,
             "depends_on": [0]},
            {"title": "分析调研结果并输出改进报告", "area": "市场调研", "label": "P1",
             "offset_days": 15, "duration_days": 5, "role": "市场营销", "estimate_hours": "12",
             "sub_goal": 0, "depends_on": [1]},
            {"title": "梳理投诉流程与分级标准", "area": "投诉处理", "label": "P0", "offset_days": 0,
             "duration_days": 7, "role": "客服主管", "estimate_hours": "10", "sub_goal": 1},
            {"title": "建立投诉工单 48 小时闭环机制", "area": "投诉处理", "label": "P0",
             "offset_days": 7, "duration_days": 10, "role": "客服主管", "estimate_hours": "16",
             "sub_goal": 1, "depends_on": [3],
             "checklist": ["工单分级与时限", "超时自动升级", "闭环回访"]},
            {"title": "客服话术与投诉安抚培训", "area": "客户服务", "label": "P1",
             "offset_days": 17, "duration_days": 5, "role": "客服专员", "estimate_hours": "12",
             "sub_goal": 1, "depends_on": [4]},
            {"title": "每日投诉跟进与升级", "area": "投诉处理", "label": "P1", "offset_days": 17,
             "duration_days": 60, "role": "客服专员", "estimate_hours": "40", "sub_goal": 1,
             "depends_on": [4]},
            {"title": "梳理售后返修流程", "area": "售后", "label": "P1", "offset_days": 0,
             "duration_days": 7, "role": "售后工程师", "estimate_hours": "10", "sub_goal": 2},
            {"title": "优化备件库存与返修周期", "area": "售后", "label": "P2", "offset_days": 7,
             "duration_days": 20, "role": "售后工程师", "estimate_hours": "24", "sub_goal": 2,
             "depends_on": [7]},
            {"title": "售后服务满意度回访", "area": "售后", "label": "P2", "offset_days": 30,
             "duration_days": 30, "role": "客服专员", "estimate_hours": "16", "sub_goal": 2,
             "depends_on": [8]},
            {"title": "整理常见问题知识库", "area": "技术支持", "label": "P2", "offset_days": 10,
             "duration_days": 15, "role": "技术支持", "estimate_hours": "16"},
            {"title": "客服升级宣传：会员通知与官网公告", "area": "营销推广", "label": "P3",
             "offset_days": 45, "duration_days": 10, "role": "市场营销", "estimate_hours": "8",
             "depends_on": [4]},
            {"title": "上线满意度评价并做月度复盘", "area": "客户服务", "label": "P1",
             "offset_days": 60, "duration_days": 30, "role": "客户经理", "estimate_hours": "12",
             "depends_on": [2, 5, 9]},
        ],
    },
}  # fmt: skip


def ensure_builtin_templates(template_model: Any = WorkTemplate) -> None:
    """Create the shipped templates that are missing (idempotent; never overwrites edits)."""
    if not template_model.objects.filter(code=CS_UPGRADE_CODE, is_builtin=True).exists():
        template_model.objects.create(
            code=CS_UPGRADE_CODE,
            name=CS_UPGRADE["name"],
            description=CS_UPGRADE["description"],
            is_builtin=True,
            payload=CS_UPGRADE["payload"],
        )

"""Templates: the built-in seed-000 plan, instantiation with shifted dates and mapped roles,
saving a goal as a template."""

from __future__ import annotations

import datetime as dt
from typing import Any

from kehu.work import services, templating
from kehu.work.models import Goal, Task, WorkTemplate


def test_builtin_template_is_shipped_once(db: Any) -> None:
    templating.ensure_builtin_templates()
    template = WorkTemplate.objects.get(code=templating.CS_UPGRADE_CODE)
    assert template.is_builtin and template.name == "客服体系升级"
    roles = templating.template_roles(template)
    assert {"客户经理", "客服专员", "售后工程师", "市场营销"} <= set(roles)


def test_instantiate_shifts_dates_and_maps_roles(user: Any, make_user: Any) -> None:
    template = WorkTemplate.objects.get(code=templating.CS_UPGRADE_CODE)
    people = {role: make_user(display_name=role) for role in templating.template_roles(template)}
    del people["技术支持"]  # nobody for this role
    start = dt.date(2026, 4, 6)
    goal = services.instantiate_template(
        actor=user, template=template, start_on=start, role_map=people, goal_owner=user
    )
    assert goal.title.startswith("客服体系升级") and goal.target_value == 4.5
    assert (goal.start_on, goal.due_on) == (start, start + dt.timedelta(days=89))
    subs = list(goal.children.order_by("pk"))
    assert [g.title[:4] for g in subs] == ["客户调研", "投诉处理", "售后服务"]
    tasks = Task.objects.filter(goal__in=[goal, *subs])
    spec = template.payload["tasks"]
    assert tasks.count() == len(spec)
    survey = tasks.get(title="抽样回访 200 位老客户")
    assert survey.start_on == start + dt.timedelta(days=5)
    assert survey.due_on == start + dt.timedelta(days=14)
    assert survey.responsible == people["客户经理"]
    assert survey.goal == subs[0] and survey.area.name == "市场调研"
    assert [t.title for t in survey.depends_on.all()] == ["设计满意度调研问卷"]
    questionnaire = tasks.get(title="设计满意度调研问卷")
    assert questionnaire.checklist.count() == 3 and questionnaire.progress_mode == "checklist"
    assert tasks.get(title="整理常见问题知识库").responsible is None
    assert tasks.get(title="梳理投诉流程与分级标准").label.code == "P0"


def test_save_goal_as_template_round_trip(user: Any, other_user: Any) -> None:
    goal = services.create_goal(
        actor=user, title="新品上市", start_on=dt.date(2026, 1, 5), due_on=dt.date(2026, 1, 30)
    )
    a = services.create_task(
        actor=user,
        title="调研",
        goal=goal,
        responsible=other_user,
        start_on=dt.date(2026, 1, 5),
        due_on=dt.date(2026, 1, 9),
    )
    services.create_task(
        actor=user,
        title="推广",
        goal=goal,
        responsible=user,
        start_on=dt.date(2026, 1, 12),
        due_on=dt.date(2026, 1, 16),
        depends_on=[a],
    )
    template = templating.save_goal_as_template(
        actor=user, goal=goal, name="上市", roles={other_user.pk: "调研员"}
    )
    roles = templating.template_roles(template)
    assert roles[0] == "调研员" and len(roles) == 2
    copy = services.instantiate_template(
        actor=user,
        template=template,
        start_on=dt.date(2026, 6, 1),
        role_map={"调研员": user, roles[1]: other_user},
    )
    assert Goal.objects.count() == 2 and copy.due_on == dt.date(2026, 6, 26)
    new_a = copy.tasks.get(title="调研")
    new_b = copy.tasks.get(title="推广")
    assert (new_b.start_on, new_b.due_on) == (dt.date(2026, 6, 8), dt.date(2026, 6, 12))
    assert new_a.responsible == user and new_b.responsible == other_user
    assert list(new_b.depends_on.all()) == [new_a]

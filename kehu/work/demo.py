"""Demo work for 云杉优品: the built-in 客服体系升级 plan started for the customer-service
department, a repurchase drive of the East China sales team and the Double-11 service plan —
about forty tasks over the demo people, with the gaps the gaps panel should find."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import Any, TextIO

from django.utils import timezone

from kehu.core.demo import step

# role placeholder of the built-in template -> demo username
ROLE_MAP = {
    "市场营销": "sunli",
    "客户经理": "linxue",
    "客服主管": "xujing",
    "客服专员": "tangwei",
    "售后工程师": "gaoyuan",
    "技术支持": "tangwei",
}

# title, area, label, start offset (days from today), duration, who, hours, status, progress
REPURCHASE = [
    ("梳理近一年老客户名单", "销售", "P1", -18, 4, "wangfang", 6, "done", 100),
    ("制定复购优惠方案", "营销推广", "P1", -14, 5, "sunli", 10, "done", 100),
    ("A 级客户逐一电话回访", "销售", "P0", -9, 14, "wangfang", 24, "doing", 50),
    ("B 级客户短信与企业微信触达", "营销推广", "P2", -7, 10, "hejun", 12, "doing", 40),
    ("老客户专属券上线", "营销推广", "P1", -3, 5, "sunli", 6, "todo", 0),
    ("复购数据周报", "销售", "P2", -10, 3, "liuyang", 4, "done", 100),
    ("沉睡客户唤醒活动", "营销推广", "P2", 2, 12, "hejun", 16, "todo", 0),
    ("重点客户上门拜访", "销售", "P1", 0, 10, "linxue", 20, "todo", 0),
    ("复购客户满意度回访", "客户服务", "P2", 8, 7, "liuyang", 8, "todo", 0),
    ("华东区复购活动复盘", "销售", "P3", 20, 3, "linxue", 4, "todo", 0),
    ("老客户积分兑换规则调整", "营销推广", "P2", -12, 6, "sunli", 8, "done", 100),
    ("流失原因电话调研", "市场调研", "P1", -6, 8, "hejun", 14, "doing", 30),
    ("复购客户推荐有礼", "营销推广", "P3", 6, 10, "hejun", 10, "todo", 0),
    ("华南区复购经验交流", "销售", "P3", 12, 2, "zhaomin", 3, "todo", 0),
]
DOUBLE11 = [
    ("大促客服排班", "客户服务", "P0", -5, 3, "xujing", 6, "done", 100),
    ("大促常见问题话术更新", "客户服务", "P1", -4, 6, "tangwei", 10, "doing", 60),
    ("售后备件提前备货", "售后", "P1", -6, 10, "gaoyuan", 16, "blocked", 30),
    ("退换货流程压力测试", "售后", "P1", 1, 5, "gaoyuan", 12, "todo", 0),
    ("客服系统扩容与监控", "技术支持", "P0", -2, 7, "tangwei", 14, "doing", 20),
    ("大促投诉快速通道", "投诉处理", "P0", 3, 12, None, 20, "todo", 0),
    ("大促后满意度抽样", "客户服务", "P2", 15, 7, "xujing", 8, "todo", 0),
    ("物流异常预警规则", "售后", "P1", -3, 6, "gaoyuan", 10, "doing", 50),
    ("大促客服加班餐与值班安排", "客户服务", "P3", 4, 2, "yangli", 2, "todo", 0),
    ("直播间客服协同", "营销推广", "P2", 2, 8, "sunli", 12, "todo", 0),
    ("大促预售订单催付", "销售", "P1", -4, 5, "chenhao", 8, "doing", 40),
    ("售后工单夜间值守", "售后", "P2", 5, 10, "tangwei", 20, "todo", 0),
]


@step(60, "work")
def work(rng: random.Random, out: TextIO) -> None:
    from kehu.accounts.models import Team, User
    from kehu.customers.models import Customer
    from kehu.work import services, templating
    from kehu.work.models import Area, Goal, PriorityLabel, WorkerProfile, WorkTemplate

    users = {u.username: u for u in User.objects.filter(username__in=_usernames())}
    if "xujing" not in users:
        out.write("  work: skipped (no demo people)\n")
        return
    if Goal.objects.filter(title__startswith="客服体系升级").exists():
        out.write("  work: 0 new goals\n")
        return
    today = timezone.localdate()
    for username, capacity, skills in (
        ("tangwei", 40, ["技术支持", "客户服务"]),
        ("gaoyuan", 40, ["售后", "技术支持"]),
        ("xujing", 32, ["客户服务", "投诉处理"]),
        ("sunli", 40, ["营销推广", "市场调研"]),
        ("hejun", 40, ["营销推广"]),
        ("linxue", 36, ["销售"]),
        ("wangfang", 40, ["销售"]),
        ("liuyang", 40, ["销售", "客户服务"]),
    ):
        if username in users:
            WorkerProfile.objects.get_or_create(
                user=users[username],
                defaults={"weekly_capacity_hours": Decimal(capacity), "skills": skills},
            )
    service = Team.objects.filter(name="客服部").first()
    east = Team.objects.filter(name="华东销售组").first()
    lead = users["xujing"]

    templating.ensure_builtin_templates()
    template = WorkTemplate.objects.get(code=templating.CS_UPGRADE_CODE, is_builtin=True)
    upgrade = services.instantiate_template(
        actor=lead,
        template=template,
        start_on=today - dt.timedelta(days=20),
        role_map={role: users[name] for role, name in ROLE_MAP.items() if name in users},
        goal_owner=lead,
        team=service,
    )
    services.set_goal_metric(
        actor=lead, goal=upgrade, current_value=Decimal("4.2"), version=upgrade.version
    )
    # Bring the plan to "three weeks in": early tasks done, some under way.
    for task in upgrade.tasks.model.objects.filter(goal__in=[upgrade, *upgrade.children.all()]):
        offset = (task.start_on - (today - dt.timedelta(days=20))).days if task.start_on else 0
        if task.due_on and task.due_on < today - dt.timedelta(days=2):
            status = "done" if rng.random() < 0.85 else "doing"
        elif offset <= 20:
            status = "doing"
        else:
            continue
        services.update_task(actor=lead, task=task, version=task.version, status=status)
        if status == "doing" and task.progress_mode == "manual":
            services.set_progress(actor=lead, task=task, progress=rng.choice([20, 40, 60]))

    areas = {a.name: a for a in Area.objects.all()}
    labels = {lab.code: lab for lab in PriorityLabel.objects.all()}
    east_customers = list(
        Customer.objects.filter(owner__username__in=["wangfang", "linxue", "liuyang"]).order_by(
            "pk"
        )[:20]
    )

    def plan(goal: Goal, rows: list[tuple[Any, ...]], with_customers: bool) -> int:
        n = 0
        for i, (title, area, label, offset, days, who, hours, status, progress) in enumerate(rows):
            start = today + dt.timedelta(days=offset)
            customer = (
                east_customers[i % len(east_customers)]
                if with_customers and east_customers and area in {"销售", "客户服务"}
                else None
            )
            task = services.create_task(
                actor=goal.owner,
                title=title,
                goal=goal,
                area=areas.get(area),
                label=labels.get(label),
                start_on=start,
                due_on=start + dt.timedelta(days=days - 1),
                responsible=users.get(who) if who else None,
                estimate_hours=Decimal(hours),
                customer=customer,
            )
            if status != "todo":
                services.update_task(
                    actor=goal.owner, task=task, version=task.version, status=status
                )
                if status != "done":
                    services.set_progress(actor=goal.owner, task=task, progress=progress)
            n += 1
        return n

    repurchase = services.create_goal(
        actor=users.get("linxue", lead),
        title="华东区老客户复购率提升 15%",
        metric="复购率 ≥ 35%",
        target_value=Decimal(35),
        current_value=Decimal(28),
        unit="%",
        owner=users.get("linxue", lead),
        team=east,
        start_on=today - dt.timedelta(days=20),
        due_on=today + dt.timedelta(days=25),
    )
    double11 = services.create_goal(
        actor=lead,
        title="双十一大促客服保障",
        metric="大促期间首响 ≤ 30 秒",
        owner=lead,
        team=service,
        start_on=today - dt.timedelta(days=7),
        due_on=today + dt.timedelta(days=18),
    )
    created = plan(repurchase, REPURCHASE, True) + plan(double11, DOUBLE11, False)
    # A few things for the gaps panel: an overlap, a do-not-contact clash, an idle sub-goal.
    if east_customers:
        vip = east_customers[2 % len(east_customers)]  # also called in "A 级客户逐一电话回访"
        services.create_task(
            actor=lead,
            title=f"{vip.name} 投诉安抚：客户要求暂停联系一周",
            customer=vip,
            area=areas.get("投诉处理"),
            label=labels.get("P0"),
            responsible=users.get("xujing"),
            start_on=today - dt.timedelta(days=1),
            due_on=today + dt.timedelta(days=6),
            estimate_hours=Decimal(3),
        )
        created += 1
    services.create_goal(
        actor=lead,
        title="建立客服质检制度",
        owner=lead,
        team=service,
        parent=double11,
        due_on=today + dt.timedelta(days=30),
    )
    out.write(f"  work: 3 goals, {created + template_tasks(template)} tasks\n")


def template_tasks(template: Any) -> int:
    return len((template.payload or {}).get("tasks", []))


def _usernames() -> list[str]:
    return sorted(set(ROLE_MAP.values()) | {r[5] for r in REPURCHASE + DOUBLE11 if r[5]})

"""Importing tasks of the division-of-labour table: each row created through the work services,
so its place on the board, its completion time and its goal's progress follow as they do for a
task made by hand."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kehu.dataops.importing import (
    Context,
    Field,
    Row,
    parse_choice,
    parse_date,
    parse_money,
    parse_text,
)
from kehu.dataops.importing_apps import (
    ServiceImport,
    by_name,
    fold,
    folded,
    in_or_null,
    linked,
    mark_duplicates,
    optional_customer_field,
    optional_customer_lookup,
    parse_percent,
    user_field,
    users_of,
)


def parse_hours(value: str, ctx: Any) -> Decimal:
    hours = parse_money(value.strip().rstrip("hH小时").strip(), ctx).quantize(Decimal("0.1"))
    if hours >= 1_000_000:
        raise ValueError(_("An estimate is less than a million hours."))
    return hours


# row value -> the task field the service takes (objects for the links)
_LINKS = {"goal_id": "goal", "customer_id": "customer", "area_id": "area", "label_id": "label"}
_PLAIN = ("description", "status", "progress", "start_on", "due_on", "estimate_hours")


class TaskImport(ServiceImport):
    key = "tasks"
    label = gettext_lazy("Tasks")
    permission = "task.create"
    record = "task"
    updatable = {
        **{k: k for k in _PLAIN},
        "customer_id": "customer_id",
        "area_id": "area_id",
        "label_id": "label_id",
    }

    def __init__(self) -> None:
        from kehu.work.models import Task

        self.model = Task
        statuses = Task.Status.choices
        self.fields = [
            Field(
                "title",
                gettext_lazy("Task"),
                ("任务", "任务名称", "任务标题", "事项", "工作事项", "工作内容", "task", "title"),
                parse_text(200),
                required=True,
                example="整理客户投诉记录",
            ),
            Field(
                "description",
                gettext_lazy("Description"),
                ("描述", "说明", "详情", "任务描述", "备注", "description", "details", "notes"),
                parse_text(5000),
            ),
            Field(
                "goal",
                gettext_lazy("Goal"),
                ("目标", "所属目标", "goal", "objective"),
                parse_text(200),
                example="提升客户满意度",
            ),
            optional_customer_field(),
            Field(
                "area",
                gettext_lazy("Area"),
                ("领域", "工作领域", "分类", "类别", "板块", "area", "category"),
                parse_text(64),
                example="客户服务",
            ),
            Field(
                "label",
                gettext_lazy("Priority"),
                ("优先级", "优先", "紧急程度", "priority", "label"),
                parse_text(32),
                example="P1",
            ),
            Field(
                "status",
                gettext_lazy("Status"),
                ("状态", "任务状态", "status"),
                parse_choice(
                    statuses,
                    extra={
                        "待办": "todo",
                        "未开始": "todo",
                        "进行中": "doing",
                        "处理中": "doing",
                        "受阻": "blocked",
                        "阻塞": "blocked",
                        "完成": "done",
                        "已完成": "done",
                    },
                ),
                example=str(statuses[0][1]),
                options=tuple(str(label) for _code, label in statuses),
            ),
            Field(
                "progress",
                gettext_lazy("Progress (%)"),
                ("进度", "完成度", "完成率", "完成进度", "progress", "percentcomplete"),
                parse_percent,
                example="0",
            ),
            Field(
                "start_on",
                gettext_lazy("Start"),
                ("开始日期", "开始", "开始时间", "start", "startdate"),
                parse_date,
                example="2024-03-01",
            ),
            Field(
                "due_on",
                gettext_lazy("Due"),
                ("截止日期", "截止", "到期日", "完成期限", "期限", "due", "duedate", "deadline"),
                parse_date,
                example="2024-03-15",
            ),
            Field(
                "estimate_hours",
                gettext_lazy("Estimate (hours)"),
                ("预计工时", "工时", "估时", "预估工时", "estimate", "estimatehours", "hours"),
                parse_hours,
                example="8",
            ),
            user_field(
                "responsible",
                gettext_lazy("Responsible"),
                ("负责人", "责任人", "执行人", "处理人", "responsible", "assignee", "owner"),
                example="linxue",
            ),
        ]

    def template_options(self, f: Field) -> tuple[str, ...]:
        from kehu.work.models import Area, PriorityLabel

        if f.key == "area":
            return tuple(Area.objects.filter(is_active=True).values_list("name", flat=True))
        if f.key == "label":
            return tuple(PriorityLabel.objects.values_list("code", flat=True))
        return f.options

    def check(self, row: Row, ctx: Context) -> None:
        v = row.values
        if v.get("start_on") and v.get("due_on") and v["due_on"] < v["start_on"]:
            row.errors.append((str(_("Due")), _("The due date cannot be before the start date.")))
        v.setdefault("responsible", ctx.actor.pk)  # as a task made by hand: one's own

    def match(self, rows: list[Row], ctx: Context) -> None:
        from kehu.work.models import Task

        optional_customer_lookup(rows, ctx)
        self._links(rows, ctx)
        valid = [r for r in rows if not r.errors]
        candidates = (
            Task.objects.filter(
                in_or_null("goal_id", (r.values.get("goal_id") for r in valid)),
                in_or_null("responsible_id", (r.values["responsible"] for r in valid)),
            )
            .annotate(k=folded("title"))
            .filter(k__in={fold(r.values["title"]) for r in valid})
        )
        found = {
            (goal, responsible, fold(title)): pk
            for goal, responsible, title, pk in candidates.values_list(
                "goal_id", "responsible_id", "title", "pk"
            )
        }
        mark_duplicates(
            valid,
            ctx,
            "task",
            lambda r: (r.values.get("goal_id"), r.values["responsible"], fold(r.values["title"])),
            found,
            existing=_("A task with this title, goal and person responsible exists."),
            earlier=_("Same task as row %(row)d of this file."),
        )

    def _links(self, rows: list[Row], ctx: Context) -> None:
        """Goals (that the person may see), areas and priority labels, by name."""
        from kehu.core import scoping
        from kehu.work.models import Area, Goal, PriorityLabel

        if any(r.values.get("goal") for r in rows):
            goals = scoping.restrict(Goal.objects.all(), ctx.actor, "view").exclude(
                status=Goal.Status.CANCELLED
            )
            by_name(
                rows,
                "goal",
                ((pk, (title,)) for pk, title in goals.values_list("pk", "title")),
                label=str(_("Goal")),
                missing=_("No goal called “%(name)s” that you may see."),
            )
        if any(r.values.get("area") for r in rows):
            by_name(
                rows,
                "area",
                ((a.pk, (a.name, a.name_en)) for a in Area.objects.filter(is_active=True)),
                label=str(_("Area")),
                missing=_("No area called “%(name)s”: add it in the table's settings first."),
            )
        if any(r.values.get("label") for r in rows):
            by_name(
                rows,
                "label",
                ((p.pk, (p.code, p.name, str(p))) for p in PriorityLabel.objects.all()),
                label=str(_("Priority")),
                missing=_("No priority “%(name)s” (P0 to P3, or their names)."),
            )

    def prepare(self, rows: list[Row], ctx: Context) -> dict[str, Any]:
        from kehu.customers.models import Customer
        from kehu.work.models import Area, Goal, PriorityLabel

        return {
            "goal": linked(rows, Goal, "goal_id"),
            "customer": linked(rows, Customer, "customer_id"),
            "area": linked(rows, Area, "area_id"),
            "label": linked(rows, PriorityLabel, "label_id"),
            "users": users_of(rows, "responsible"),
            "goals_touched": set(),
        }

    def finish(self, batch: dict[str, Any]) -> None:
        from kehu.work import services

        for goal_id in sorted(batch["goals_touched"]):
            services.recompute_goal_progress(goal_id=goal_id)

    def _fields(self, keys: list[str], v: dict[str, Any], batch: dict[str, Any]) -> dict[str, Any]:
        out = {k: v[k] for k in keys if k in _PLAIN}
        for key, name in _LINKS.items():
            if key in keys:
                out[name] = batch[name].get(v[key])
        return out

    def create_one(self, row: Row, ctx: Context, batch: dict[str, Any]) -> Any:
        from kehu.work import services

        v = row.values
        if v.get("goal_id"):
            batch["goals_touched"].add(v["goal_id"])
        return services.create_task(
            actor=ctx.actor,
            title=v["title"],
            rollup=False,  # the goals' progress: once per batch (finish)
            responsible=batch["users"].get(v["responsible"]),
            **self._fields([k for k in (*_PLAIN, *_LINKS) if v.get(k) is not None], v, batch),
        )

    def update_one(
        self, row: Row, ctx: Context, obj: Any, changed: list[str], batch: dict[str, Any]
    ) -> None:
        from kehu.work import services

        services.update_task(
            actor=ctx.actor,
            task=obj,
            version=obj.version,
            **self._fields(changed, row.values, batch),
        )

"""Wiring of the work pages, imported once from WorkConfig.ready: the sidebar entries and the
live-board subscriber (task events → WebSocket pings)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from kehu.core.navigation import NavItem, register
from kehu.work import live  # noqa: F401 - subscribes to task.* events


def _may_view_tasks(user):  # type: ignore[no-untyped-def]
    from kehu.core.permissions import has_perm

    return has_perm(user, "task.view")


for item in (
    NavItem("work_table", _("Division of labour"), "workviews:table", "table-2", order=42),
    NavItem("work_board", _("Kanban"), "workviews:board", "kanban", order=43),
    NavItem("work_gantt", _("Gantt"), "workviews:gantt", "chart-gantt", order=44),
    NavItem("work_mine", _("My tasks"), "workviews:mine", "list-checks", order=45),
    NavItem("work_calendar", _("Calendar"), "workviews:calendar", "calendar", order=46),
    NavItem("work_workload", _("Workload"), "workviews:workload", "gauge", order=47),
    NavItem("work_gaps", _("Gaps"), "workviews:gaps", "triangle-alert", order=47),
):
    register(NavItem(**{**item.__dict__, "visible": _may_view_tasks}))


def _may_set_up_work(user):  # type: ignore[no-untyped-def]
    from kehu.core.permissions import has_perm

    return has_perm(user, "manage_work")


register(
    NavItem(
        "work_setup",
        _("Work setup"),
        "workviews:setup",
        "sliders-horizontal",
        order=94,
        section="admin",
        visible=_may_set_up_work,
    )
)

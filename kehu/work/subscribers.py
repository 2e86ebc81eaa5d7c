"""Hooks of the work app into the rest of Kehu: the customer page's timeline shows the tasks
about that customer (as far as the viewer may see them)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils.translation import gettext as _

from kehu.customers.selectors import TimelineEntry, register_timeline_provider


@register_timeline_provider
def task_timeline(user: Any, customer: Any, limit: int) -> list[TimelineEntry]:
    from kehu.work.selectors import tasks_for_customer

    entries = []
    for task in tasks_for_customer(user, customer, limit):
        at: dt.datetime = task.completed_at or task.updated_at
        detail = " · ".join(
            x
            for x in (
                task.get_status_display(),
                str(task.responsible) if task.responsible else _("Nobody responsible"),
                _("due %(date)s") % {"date": task.due_on.isoformat()} if task.due_on else "",
            )
            if x
        )
        entries.append(
            TimelineEntry(
                kind="task",
                at=at,
                title=_("Task: %(title)s") % {"title": task.title},
                body=task.description[:300],
                detail=detail,
                url=task.get_absolute_url(),
            )
        )
    return entries

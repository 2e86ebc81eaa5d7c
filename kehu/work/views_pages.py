"""Gantt, my tasks, the calendar of due dates, the workload and the gaps panel."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kehu.core.locking import StaleWriteError
from kehu.work import boards, cards, schedule, services
from kehu.work.models import Task
from kehu.work.views_common import can_change_tasks, get_task_for, is_fragment


def _today() -> dt.date:
    return timezone.localdate()


# ---- Gantt -------------------------------------------------------------------------------------


def gantt_rows(user: Any, filters: boards.Filters) -> list[dict[str, Any]]:
    """Tasks with dates, their dependencies (arrows) and whether they are on the critical path."""
    tasks = list(
        boards.board_tasks(user, filters)
        .exclude(start_on__isnull=True, due_on__isnull=True)
        .prefetch_related("depends_on")
        .order_by("start_on", "due_on", "pk")
    )
    ids = {t.pk for t in tasks}
    edges = [(t.pk, d.pk) for t in tasks for d in t.depends_on.all() if d.pk in ids]
    critical = schedule.critical_paths_by_goal(
        [schedule.Span(t.pk, t.start_on, t.due_on, t.goal_id) for t in tasks], edges
    )
    deps: dict[int, list[str]] = defaultdict(list)
    for task_id, prereq in edges:
        deps[task_id].append(f"t{prereq}")
    rows = []
    for t in tasks:
        start = t.start_on or t.due_on
        end = t.due_on or t.start_on
        rows.append(
            {
                "id": f"t{t.pk}",
                "pk": t.pk,
                "name": t.title + (f" · {t.responsible}" if t.responsible_id else ""),
                "start": start.isoformat() if start else None,
                "end": end.isoformat() if end else None,
                "progress": t.progress,
                "dependencies": ",".join(deps.get(t.pk, [])),
                # one class: frappe-gantt adds it with classList.add when it redraws a bar
                "custom_class": "bar-critical" if t.pk in critical else f"bar-{t.status}",
                "version": t.version,
                "critical": t.pk in critical,
            }
        )
    return rows


@login_required
def gantt(request: HttpRequest) -> HttpResponse:
    filters = boards.Filters.from_query(request.GET)
    rows = gantt_rows(request.user, filters)
    return render(
        request,
        "work/_gantt.html" if is_fragment(request) else "work/gantt.html",
        {
            "title": _("Gantt"),
            "rows": rows,
            "filters": filters,
            "choices": boards.filter_choices(request.user),
            "editable": can_change_tasks(request.user),
            "critical_count": sum(1 for r in rows if r["critical"]),
        },
    )


@login_required
def gantt_data(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"tasks": gantt_rows(request.user, boards.Filters.from_query(request.GET))})


@login_required
@require_POST
def gantt_dates(request: HttpRequest) -> HttpResponse:
    """A bar dragged or stretched: ``task``, ``version``, ``start``, ``end`` (ISO dates)."""
    task = get_task_for(request.user, (request.POST.get("task") or "").lstrip("t"), "change")
    try:
        start = dt.date.fromisoformat(request.POST.get("start") or "")
        end = dt.date.fromisoformat(request.POST.get("end") or "")
        version = int(request.POST.get("version") or "")
    except ValueError:
        return JsonResponse({"error": _("The dates could not be read.")}, status=400)
    try:
        task = services.move_task(
            actor=request.user, task=task, start_on=start, due_on=end, version=version
        )
    except StaleWriteError as exc:
        current = exc.instance
        return JsonResponse(
            {
                "error": str(StaleWriteError.message),
                "version": current.version,  # type: ignore[attr-defined]
                "start": current.start_on.isoformat() if current.start_on else None,  # type: ignore[attr-defined]
                "end": current.due_on.isoformat() if current.due_on else None,  # type: ignore[attr-defined]
            },
            status=409,
        )
    except ValidationError as exc:
        return JsonResponse({"error": " ".join(exc.messages)}, status=400)
    return JsonResponse({"version": task.version, "message": _("Saved.")})


# ---- my tasks, calendar ------------------------------------------------------------------------


@login_required
def my_tasks(request: HttpRequest) -> HttpResponse:
    groups = boards.my_tasks(request.user, _today())
    editable = can_change_tasks(request.user)
    for tasks in groups.values():
        for task in tasks:
            task.card_html = cards.card_html(task, editable=editable)
    sections = [
        ("overdue", _("Overdue"), groups["overdue"]),
        ("today", _("Today"), groups["today"]),
        ("week", _("This week"), groups["week"]),
        ("later", _("Later"), groups["later"]),
    ]
    return render(
        request,
        "work/_mine.html" if is_fragment(request) else "work/mine.html",
        {"title": _("My tasks"), "sections": sections, "today": _today()},
    )


@login_required
def calendar(request: HttpRequest) -> HttpResponse:
    today = _today()
    try:
        year, month = (int(x) for x in (request.GET.get("month") or "").split("-"))
        first = dt.date(year, month, 1)
    except ValueError:
        first = today.replace(day=1)
    prev_month = (first - dt.timedelta(days=1)).replace(day=1)
    next_month = (first + dt.timedelta(days=32)).replace(day=1)
    filters = boards.Filters.from_query(request.GET)
    weeks = boards.month_calendar(request.user, filters, first.year, first.month)
    context = {
        "title": _("Calendar"),
        "weeks": weeks,
        "month": first,
        "prev_month": prev_month,
        "next_month": next_month,
        "today": today,
        "filters": filters,
        "weekdays": [_("Mon"), _("Tue"), _("Wed"), _("Thu"), _("Fri"), _("Sat"), _("Sun")],
    }
    if is_fragment(request):
        return render(request, "work/_calendar.html", context)
    return render(request, "work/calendar.html", context)


# ---- workload ----------------------------------------------------------------------------------


def _relief(
    user: Any, filters: boards.Filters, rows: list[Any], first: dt.date, last: dt.date
) -> list[tuple[Any, list[tuple[Task, list[Any]]]]]:
    """For each person over capacity in a shown week: their open tasks in those weeks (soonest
    due first, a few each) and who could take each one (same role, skills, least loaded)."""
    from kehu.work.selectors import suggest_assignees

    over = [person for person, cells in rows if any(c.level == "over" for c in cells)]
    if not over:
        return []
    tasks = (
        boards.board_tasks(user, filters, include_done=False)
        .filter(responsible__in=over)
        .filter(Q(due_on__isnull=True) | Q(due_on__gte=first))
        .filter(Q(start_on__isnull=True) | Q(start_on__lte=last))
        .order_by("due_on", "pk")
    )
    by_person: dict[int, list[Task]] = defaultdict(list)
    for task in tasks:
        if len(by_person[task.responsible_id]) < 3:  # type: ignore[index]
            by_person[task.responsible_id].append(task)  # type: ignore[index]
    return [
        (person, [(t, suggest_assignees(t, limit=3)) for t in by_person.get(person.pk, [])])
        for person in over[:5]
        if by_person.get(person.pk)
    ]


def _suggestions(user: Any, filters: boards.Filters) -> list[tuple[Task, list[str]]]:
    """Open tasks with nobody responsible and who could take them, least loaded first (the
    backend's suggest_assignees)."""
    from kehu.work.selectors import suggest_assignees

    unassigned = boards.board_tasks(user, filters, include_done=False).filter(
        responsible__isnull=True
    )
    return [
        (task, [f"{person.name} ({load} h)" for person, load in suggest_assignees(task, limit=3)])
        for task in unassigned[:10]
    ]


@login_required
def workload(request: HttpRequest) -> HttpResponse:
    today = _today()
    try:
        week_start = dt.date.fromisoformat(request.GET.get("from") or "")
    except ValueError:
        week_start = today
    week_start = week_start - dt.timedelta(days=week_start.weekday())
    filters = boards.Filters.from_query(request.GET)
    starts, rows = boards.workload(request.user, filters, week_start, 4)
    return render(
        request,
        "work/workload.html",
        {
            "title": _("Workload"),
            "weeks": starts,
            "rows": rows,
            "filters": filters,
            "choices": boards.filter_choices(request.user),
            "suggestions": _suggestions(request.user, filters),
            "relief": _relief(
                request.user, filters, rows, week_start, starts[-1] + dt.timedelta(days=6)
            ),
            "may_reassign": can_change_tasks(request.user),
            "prev_from": week_start - dt.timedelta(weeks=4),
            "next_from": week_start + dt.timedelta(weeks=4),
        },
    )


@login_required
@require_POST
def reassign(request: HttpRequest, pk: int) -> HttpResponse:
    """One click on "could take this": give the task to ``person`` if it is still the version
    the page showed (else say someone changed it meanwhile); back to the page it came from."""
    from django.contrib import messages
    from django.contrib.auth import get_user_model
    from django.utils.http import url_has_allowed_host_and_scheme

    task = get_task_for(request.user, pk, "change")
    back = request.POST.get("next") or task.get_absolute_url()
    if not url_has_allowed_host_and_scheme(back, {request.get_host()}):
        back = task.get_absolute_url()
    person = (
        get_user_model()
        .objects.filter(pk=_number(request.POST.get("person")), is_active=True)
        .first()
    )
    version = _number(request.POST.get("version"))
    if person is None or version is None:
        messages.error(request, _("Choose who should take the task."))
        return HttpResponseRedirect(back)
    try:
        services.update_task(actor=request.user, task=task, version=version, responsible=person)
    except StaleWriteError:
        messages.error(
            request, _("Someone changed this task meanwhile; look at it again before giving it.")
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request, _("“%(task)s” is now %(person)s's.") % {"task": task.title, "person": person}
        )
    return HttpResponseRedirect(back)


def _number(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


# ---- gaps --------------------------------------------------------------------------------------


@login_required
def gaps(request: HttpRequest) -> HttpResponse:
    """The gaps selector's findings grouped by kind, most severe first, with links."""
    filters = boards.Filters.from_query(request.GET)
    grouped: dict[str, list[Any]] = defaultdict(list)
    for finding in boards.findings(request.user, filters):
        grouped[finding.kind].append(finding)
    groups = [(kind, boards.KIND_LABELS.get(kind, kind), found) for kind, found in grouped.items()]
    return render(
        request,
        "work/gaps.html",
        {
            "title": _("Gaps"),
            "groups": groups,
            "filters": filters,
            "choices": boards.filter_choices(request.user),
        },
    )

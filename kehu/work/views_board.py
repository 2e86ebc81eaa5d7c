"""The kanban: columns by status, person or priority; drag a card to move it (live for everyone
looking at the same board)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kehu.core.locking import StaleWriteError
from kehu.work import boards, services
from kehu.work.models import PriorityLabel, Task
from kehu.work.views_common import (
    can_change_tasks,
    get_task_for,
    is_fragment,
    kept,
    link_with,
    with_message,
)


def board_context(request: HttpRequest) -> dict[str, Any]:
    filters = boards.Filters.from_query(request.GET)
    mode = request.GET.get("mode") or "status"
    mode = mode if mode in boards.BOARD_MODES else "status"
    return {
        "columns": boards.kanban(request.user, filters, mode=mode),
        "mode": mode,
        "filters": filters,
        "choices": boards.filter_choices(request.user),
        "editable": can_change_tasks(request.user),
        "title": _("Kanban"),
        "keep_params": kept(request, "mode"),
        "mode_links": {m: link_with(request, mode=m) for m in boards.BOARD_MODES},
    }


def _render_board(request: HttpRequest, status: int = 200) -> HttpResponse:
    return render(request, "work/_board.html", board_context(request), status=status)


@login_required
def board(request: HttpRequest) -> HttpResponse:
    if is_fragment(request):
        return _render_board(request)
    return render(request, "work/board.html", board_context(request))


@login_required
@require_POST
def move(request: HttpRequest) -> HttpResponse:
    """A drop: ``task``, ``version``, ``column`` (a status, person or label key by the board's
    mode) and ``position``. Answers the fresh board; 409 (with the newer board) when the card
    changed meanwhile or the column is at its WIP limit."""
    task = get_task_for(request.user, request.POST.get("task"), "change")
    mode = request.GET.get("mode") or "status"
    column = request.POST.get("column") or ""
    try:
        version = int(request.POST.get("version") or "")
        position = int(request.POST.get("position") or 0)
    except ValueError:
        return with_message(_render_board(request, 400), _("The move could not be read."))
    fields: dict[str, Any] = {}
    if mode == "person":
        person = None
        if column != boards.NONE:
            person = get_user_model().objects.filter(pk=_int(column), is_active=True).first()
            if person is None:
                return with_message(_render_board(request, 400), _("Unknown person."))
        if person is None and task.responsible_id:
            return _update(request, task, version, responsible=None)
        if person is not None:
            fields["responsible"] = person
    elif mode == "label":
        label = None
        if column != boards.NONE:
            label = PriorityLabel.objects.filter(pk=_int(column)).first()
            if label is None:
                return with_message(_render_board(request, 400), _("Unknown priority."))
        if label is None and task.label_id:
            return _update(request, task, version, label=None)
        if label is not None:
            fields["label"] = label
    else:
        if column not in Task.Status.values:
            return with_message(_render_board(request, 400), _("Unknown column."))
        fields["status"] = column
        fields["position"] = _position_in(request, column, position, task)
    try:
        services.move_task(actor=request.user, task=task, version=version, **fields)
    except StaleWriteError:
        return with_message(_render_board(request, 409), str(StaleWriteError.message))
    except services.WipLimitReached as exc:
        return with_message(_render_board(request, 409), " ".join(exc.messages))
    except ValidationError as exc:
        return with_message(_render_board(request, 400), " ".join(exc.messages))
    return _render_board(request)


def _update(request: HttpRequest, task: Task, version: int, **fields: Any) -> HttpResponse:
    try:
        services.update_task(actor=request.user, task=task, version=version, **fields)
    except StaleWriteError:
        return with_message(_render_board(request, 409), str(StaleWriteError.message))
    return _render_board(request)


def _int(value: str) -> int:
    try:
        return int(value)
    except ValueError:
        return 0


def _position_in(request: HttpRequest, status: str, index: int, task: Task) -> int:
    """The drop index among the visible cards → a stored position (just before the card that
    now follows the dropped one, or after the last)."""
    filters = boards.Filters.from_query(request.GET)
    filters.status = None
    positions = list(
        boards.board_tasks(request.user, filters)
        .filter(status=status)
        .exclude(pk=task.pk)
        .values_list("position", flat=True)
    )
    if not positions:
        return 1
    if index >= len(positions):
        return positions[-1] + 1
    return positions[max(index, 0)]

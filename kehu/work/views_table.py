"""The division-of-labour table (分工表): people × goals or areas, edited in place, exported."""

from __future__ import annotations

import io
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kehu.core.locking import StaleWriteError
from kehu.dataops.exports import neutralise
from kehu.work import boards, cards, services
from kehu.work.views_common import (
    TaskQuickForm,
    can_change_tasks,
    get_task_for,
    is_fragment,
    kept,
    link_with,
    quick_form_people,
    task_fields_from,
    with_message,
)


def table_context(
    request: HttpRequest, user: Any, *, editable: bool, shared: bool = False
) -> dict[str, Any]:
    filters = boards.Filters.from_query(request.GET)
    by = request.GET.get("by") or "goal"
    transpose = request.GET.get("transpose") == "1"
    table = boards.division_table(user, filters, by=by, transpose=transpose)
    for tasks in table.cells.values():
        for task in tasks:
            task.card_html = cards.card_html(task, editable=editable, shared=shared)
    return {
        "table": table,
        "filters": filters,
        "choices": boards.filter_choices(user),
        "editable": editable,
        "shared": shared,
        "labels": list(boards.PriorityLabel.objects.all()) if editable else [],
        "keep_params": kept(request, "by", "transpose"),
        "by_goal_url": link_with(request, by="goal"),
        "by_area_url": link_with(request, by="area"),
        "transpose_url": link_with(request, transpose="" if transpose else "1"),
    }


@login_required
def division_table(request: HttpRequest) -> HttpResponse:
    context = table_context(request, request.user, editable=can_change_tasks(request.user))
    context["title"] = _("Division of labour")
    if is_fragment(request):
        return render(request, "work/_table.html", context)
    from kehu.work.views_share import share_links_for

    context["share_links"] = share_links_for(request.user)
    return render(request, "work/table.html", context)


@login_required
def task_card(request: HttpRequest, pk: int) -> HttpResponse:
    """One card. With ``place=1`` (a live refresh of the division table) and the table's own
    query (filters, ``by``, ``transpose``) it also says where the card belongs now
    (``X-Kehu-Cell: row:column``) and its goal's progress (``X-Kehu-Goal: id:percent``), or
    answers 204 when the card no longer matches the table's filters."""
    task = get_task_for(request.user, pk)
    editable = can_change_tasks(request.user)
    if request.GET.get("place") != "1":
        return render_card(request, _card_context(task, editable, request.GET.get("edit") == "1"))
    filters = boards.Filters.from_query(request.GET)
    if filters.active() and not boards.board_tasks(request.user, filters).filter(pk=pk).exists():
        return HttpResponse(status=204)
    by = "area" if request.GET.get("by") == "area" else "goal"
    response = render_card(request, _card_context(task, editable))
    response["X-Kehu-Cell"] = ":".join(
        boards.cell_key(task, by, request.GET.get("transpose") == "1")
    )
    if task.goal_id:
        response["X-Kehu-Goal"] = f"{task.goal_id}:{task.goal.progress}"  # type: ignore[union-attr]
    return response


def render_card(request: HttpRequest, context: dict[str, Any], status: int = 200) -> HttpResponse:
    """The card with, inside it, the edit form and any message (work/_card.html)."""
    body = render_to_string("work/_card.html", context, request=request)  # safe: keep the type
    if not body.strip():
        body = ""
    html = cards.card_html(
        context["task"],
        editable=context["editable"],
        conflict=bool(context.get("conflict")),
        body=body,
    )
    return HttpResponse(html, status=status)


def _card_context(task: Any, editable: bool, edit: bool = False) -> dict[str, Any]:
    return {
        "task": task,
        "editable": editable,
        "edit": edit and editable,
        "people": quick_form_people() if edit else [],
        "labels": list(boards.PriorityLabel.objects.all()) if edit else [],
    }


@login_required
@require_POST
def task_quick_edit(request: HttpRequest, pk: int) -> HttpResponse:
    """Status, progress, responsible and priority of one card; the stated version must still be
    the stored one (else 409 with the newer card)."""
    task = get_task_for(request.user, pk, "change")
    form = TaskQuickForm(request.POST)
    context = _card_context(task, True)
    if not form.is_valid():
        context = _card_context(task, True, edit=True)
        context["errors"] = [e for errors in form.errors.values() for e in errors]
        return render_card(request, context, status=400)
    fields = task_fields_from(form, task)
    try:
        if fields:
            task = services.update_task(
                actor=request.user, task=task, version=form.cleaned_data["version"], **fields
            )
        elif form.cleaned_data["version"] != task.version:
            raise StaleWriteError(task, form.cleaned_data["version"])
    except StaleWriteError:
        context["task"] = get_task_for(request.user, pk)
        context["conflict"] = True
        response = render_card(request, context, status=409)
        return with_message(response, str(StaleWriteError.message))
    except ValidationError as exc:
        context = _card_context(get_task_for(request.user, pk), True, edit=True)
        context["errors"] = exc.messages
        return render_card(request, context, status=400)
    context["task"] = get_task_for(request.user, pk)
    return with_message(render_card(request, context), _("Saved."))


def table_xlsx(table: boards.DivisionTable) -> bytes:
    """The table as it is shown: one sheet, header row of people (or goals), one line per task
    inside a cell; text that a spreadsheet would evaluate is neutralised."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet(_("Division of labour")[:31])
    corner = _("Person") if table.transposed else (_("Goal") if table.by == "goal" else _("Area"))
    sheet.append([corner] + [neutralise(c.label) for c in table.columns])
    for row, cells in table.grid():
        line = [neutralise(("  " * row.depth) + row.label)]
        for _col, tasks, _gaps in cells:
            line.append(
                neutralise(
                    "\n".join(
                        f"{t.title}"
                        + (f" [{t.label.code}]" if t.label_id else "")
                        + f" {t.get_status_display()} {t.progress}%"
                        for t in tasks
                    )
                )
            )
        sheet.append(line)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def xlsx_response(content: bytes) -> HttpResponse:
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response = HttpResponse(
        content,
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="division-table-{stamp}.xlsx"'
    return response


@login_required
def export_table(request: HttpRequest) -> HttpResponse:
    from kehu.core.permissions import has_perm

    if not has_perm(request.user, "task.export"):
        from django.core.exceptions import PermissionDenied

        raise PermissionDenied
    context = table_context(request, request.user, editable=False)
    return xlsx_response(table_xlsx(context["table"]))

"""A task's card, rendered in Python: the division table shows up to thousands of them, and a
template include per card cost most of the page's time (2,000 cards: ~1.7 s → ~0.1 s). The
markup is the one the in-place edit, the live refresh and the tests rely on."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

_PK = 987654321


@lru_cache(maxsize=8)
def _url_pattern(name: str) -> str:
    """The route of ``name`` with a marker for the id (one reverse() per process, not per card)."""
    return reverse(name, args=[_PK])


def _url(name: str, pk: int) -> str:
    return _url_pattern(name).replace(str(_PK), str(pk))


def chip_html(task: Any) -> SafeString:
    if not task.label_id:
        return mark_safe("")
    label = task.label
    return format_html(
        '<span class="chip" style="--chip: {}" title="{}" data-label="{}">{}</span>',
        label.colour,
        str(label),
        label.code,
        label.code,
    )


def card_html(
    task: Any,
    *,
    editable: bool,
    shared: bool = False,
    show_person: bool = False,
    conflict: bool = False,
    body: SafeString | str = "",
) -> SafeString:
    """The card; ``body`` (the edit form and messages, rendered by a template, so safe; plain
    text would be escaped) goes inside it."""
    if shared:
        title = format_html('<span class="task-title">{}</span>', task.title)
    else:
        title = format_html(
            '<a class="task-title" href="{}">{}</a>',
            _url("work:task", task.pk),
            task.title,
        )
    meta = [format_html('<span class="status-tag">{}</span>', task.get_status_display())]
    if task.due_on:
        meta.append(format_html('<span class="due">{}</span>', task.due_on.strftime("%m-%d")))
    if show_person and task.responsible_id:
        meta.append(format_html("<span>{}</span>", str(task.responsible)))
    edit = ""
    if editable and not body:
        edit = format_html(
            '<button class="link-btn edit-card" type="button" hx-get="{}?edit=1" '
            'hx-target="#card-{}" hx-swap="outerHTML" data-testid="edit-card">{}</button>',
            _url("workviews:card", task.pk),
            task.pk,
            _("Edit"),
        )
    return format_html(
        '<article class="task-card status-{}{}" id="card-{}" data-task-id="{}" data-version="{}">'
        '<div class="task-top">{}{}</div><div class="task-meta">{}</div>'
        '<div class="progress" role="progressbar" aria-label="{}" aria-valuemin="0" '
        'aria-valuemax="100" aria-valuenow="{}"><div class="progress-bar" style="width: {}%">'
        "</div></div>{}{}</article>",
        task.status,
        " is-conflict" if conflict else "",
        task.pk,
        task.pk,
        task.version,
        chip_html(task),
        title,
        format_html_join("", "{}", ((m,) for m in meta)),
        _("Progress"),
        int(task.progress),
        int(task.progress),
        body,
        edit,
    )

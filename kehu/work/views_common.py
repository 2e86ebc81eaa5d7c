"""Helpers shared by the work pages (views_*.py): fetching a task for an action, the in-place
edit form, and answers that carry a message for the page's script."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext_lazy as _

from kehu.core.permissions import has_perm
from kehu.work.models import PriorityLabel, Task
from kehu.work.selectors import tasks_visible_to


def get_task_for(user: Any, pk: Any, action: str = "view") -> Task:
    """The task if ``user`` may ``action`` it: 404 when out of sight, 403 when only visible."""
    try:
        pk = int(pk)
    except (TypeError, ValueError) as exc:
        raise Http404 from exc
    task = (
        tasks_visible_to(user, action)
        .select_related("label", "responsible", "goal")
        .filter(pk=pk)
        .first()
    )
    if task is not None:
        return task
    if action != "view" and tasks_visible_to(user).filter(pk=pk).exists():
        raise PermissionDenied
    raise Http404


def can_change_tasks(user: Any) -> bool:
    return has_perm(user, "task.change")


def with_message(response: HttpResponse, message: str) -> HttpResponse:
    """A message for the page's script (percent-encoded: headers are ASCII)."""
    response["X-Kehu-Message"] = quote(str(message))
    return response


class TaskQuickForm(forms.Form):
    """The small form of a card in the division table: status, progress, who, priority."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    status = forms.ChoiceField(label=_("Status"), choices=Task.Status.choices)
    progress = forms.IntegerField(label=_("Progress"), min_value=0, max_value=100)
    responsible = forms.ModelChoiceField(
        label=_("Responsible"), queryset=get_user_model().objects.none(), required=False
    )
    label = forms.ModelChoiceField(
        label=_("Priority"), queryset=PriorityLabel.objects.all(), required=False
    )

    def __init__(self, *args: Any, people: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        qs = get_user_model().objects.filter(is_active=True)
        self.fields["responsible"].queryset = qs  # type: ignore[attr-defined]


def quick_form_people() -> list[Any]:
    return list(
        get_user_model().objects.filter(is_active=True).order_by("display_name", "username")
    )


def task_fields_from(form: TaskQuickForm, task: Task) -> dict[str, Any]:
    """Only the fields that differ, so progress kept from a checklist is not overwritten."""
    data = form.cleaned_data
    out: dict[str, Any] = {}
    if data["status"] != task.status:
        out["status"] = data["status"]
    if data["progress"] != task.progress and task.progress_mode == Task.ProgressMode.MANUAL:
        out["progress"] = data["progress"]
    if (data["responsible"].pk if data["responsible"] else None) != task.responsible_id:
        out["responsible"] = data["responsible"]
    if (data["label"].pk if data["label"] else None) != task.label_id:
        out["label"] = data["label"]
    return out


def is_fragment(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def link_with(request: HttpRequest, **changes: Any) -> str:
    """The current query string with ``changes`` applied (None or "" removes a key)."""
    params = request.GET.copy()
    for key, value in changes.items():
        if value in (None, ""):
            params.pop(key, None)
        else:
            params[key] = str(value)
    encoded = params.urlencode()
    return "?" + encoded if encoded else request.path


def kept(request: HttpRequest, *keys: str) -> list[tuple[str, str]]:
    """Hidden inputs for a filter form: the view switches that are not filters."""
    return [(k, request.GET[k]) for k in keys if request.GET.get(k)]

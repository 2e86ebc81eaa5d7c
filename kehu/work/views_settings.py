"""Setting up the division of labour: areas of work, priority labels, kanban WIP limits, and each
person's weekly capacity and skills (what the workload page and its suggestions count on)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kehu.core.generic import add_service_errors
from kehu.core.locking import StaleWriteError
from kehu.core.permissions import has_perm
from kehu.work import services
from kehu.work.models import Area, PriorityLabel, Task, WipLimit, WorkerProfile


class AreaForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=64)
    name_en = forms.CharField(label=_("English name"), max_length=64, required=False)
    position = forms.IntegerField(label=_("Sort order"), min_value=0, initial=0)
    is_active = forms.BooleanField(label=_("In use"), required=False, initial=True)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class LabelForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=32)
    colour = forms.RegexField(
        label=_("Colour"),
        regex=r"^#[0-9a-fA-F]{6}$",
        error_messages={"invalid": _("Use a colour like #d92d20.")},
        widget=forms.TextInput(attrs={"type": "color"}),
    )
    position = forms.IntegerField(label=_("Sort order"), min_value=0)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class WipForm(forms.Form):
    """One optional limit per kanban column (for every team)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for status, label in Task.Status.choices:
            self.fields[status] = forms.IntegerField(
                label=label, required=False, min_value=1, max_value=10_000
            )


class CapacityForm(forms.Form):
    weekly_hours = forms.DecimalField(
        label=_("Hours a week"), min_value=0, max_value=168, max_digits=5, decimal_places=1
    )
    skills = forms.CharField(
        label=_("Skills"),
        required=False,
        max_length=500,
        help_text=_("Separated by commas, e.g. 售后, 数据分析"),
    )


class _Refused(Exception):
    """A row's form did not validate: its errors are on the form already."""


def _split_skills(text: str) -> list[str]:
    for mark in ("，", "、", ";", "；"):
        text = text.replace(mark, ",")
    return [s.strip() for s in text.split(",") if s.strip()]


@login_required
def work_setup(request: HttpRequest) -> HttpResponse:
    if not has_perm(request.user, "manage_work"):
        raise PermissionDenied
    bound: dict[str, forms.Form] = {}
    status = 200
    if request.method == "POST":
        try:
            anchor = _apply(request, bound)
        except StaleWriteError as exc:
            messages.error(request, str(exc.message))
            status = 409
        except _Refused:
            messages.error(request, gettext("Nothing was saved: please correct the marked fields."))
            status = 400
        except ValidationError as exc:
            messages.error(request, gettext("Nothing was saved: please correct the marked fields."))
            form = next(iter(bound.values()), None)
            if form is not None:
                add_service_errors(form, exc)
            status = 400
        else:
            messages.success(request, gettext("Saved."))
            return HttpResponseRedirect(f"{request.path}#{anchor}")
    return render(request, "work/setup.html", _context(bound), status=status)


def _valid(bound: dict[str, forms.Form], cls: type[forms.Form], data: Any, prefix: str) -> Any:
    """The row's form bound to what was sent, kept in ``bound`` to be shown again; _Refused
    when it does not validate."""
    form = bound.setdefault(prefix, cls(data, prefix=prefix))
    if not form.is_valid():
        raise _Refused
    return form


def _apply(request: HttpRequest, bound: dict[str, forms.Form]) -> str:
    """Carry out one row's change; the bound form is left in ``bound`` to show it again."""
    user, data = request.user, request.POST
    action = data.get("action", "")
    if action == "area":
        area = get_object_or_404(Area, pk=data["id"]) if data.get("id") else None
        prefix = f"a{area.pk}" if area else "a-new"
        form = _valid(bound, AreaForm, data, prefix)
        services.save_area(actor=user, area=area, **form.cleaned_data)
        return "areas"
    if action == "label":
        label = get_object_or_404(PriorityLabel, pk=data.get("id"))
        form = _valid(bound, LabelForm, data, f"l{label.pk}")
        services.update_label(actor=user, label=label, **form.cleaned_data)
        return "labels"
    if action == "wip":
        form = _valid(bound, WipForm, data, "wip")
        for status, limit in form.cleaned_data.items():
            services.set_wip_limit(actor=user, status=status, limit=limit)
        return "wip"
    if action == "capacity":
        person = get_object_or_404(get_user_model(), pk=data.get("id"), is_active=True)
        form = _valid(bound, CapacityForm, data, f"u{person.pk}")
        services.set_capacity(
            actor=user,
            user=person,
            weekly_hours=form.cleaned_data["weekly_hours"],
            skills=_split_skills(form.cleaned_data["skills"]),
        )
        return "capacity"
    raise ValidationError(gettext("Unknown action."))


def _context(bound: dict[str, forms.Form]) -> dict[str, Any]:
    def form(prefix: str, cls: type[forms.Form], initial: dict[str, Any]) -> forms.Form:
        return bound.get(prefix) or cls(prefix=prefix, initial=initial)

    areas = [
        (
            a,
            form(
                f"a{a.pk}",
                AreaForm,
                {
                    "name": a.name,
                    "name_en": a.name_en,
                    "position": a.position,
                    "is_active": a.is_active,
                    "version": a.version,
                },
            ),
        )
        for a in Area.objects.order_by("position", "name")
    ]
    labels = [
        (
            lab,
            form(
                f"l{lab.pk}",
                LabelForm,
                {
                    "name": lab.name,
                    "colour": lab.colour,
                    "position": lab.position,
                    "version": lab.version,
                },
            ),
        )
        for lab in PriorityLabel.objects.order_by("position", "code")
    ]
    limits = {w.status: w.limit for w in WipLimit.objects.filter(team__isnull=True)}
    profiles = {p.user_id: p for p in WorkerProfile.objects.all()}
    people = []
    for person in get_user_model().objects.filter(is_active=True).order_by("username"):
        profile = profiles.get(person.pk)
        people.append(
            (
                person,
                form(
                    f"u{person.pk}",
                    CapacityForm,
                    {
                        "weekly_hours": profile.weekly_capacity_hours if profile else 40,
                        "skills": ", ".join(profile.skills) if profile else "",
                    },
                ),
            )
        )
    return {
        "areas": areas,
        "new_area": bound.get("a-new") or AreaForm(prefix="a-new"),
        "labels": labels,
        "wip_form": bound.get("wip") or WipForm(prefix="wip", initial=limits),
        "team_limits": WipLimit.objects.filter(team__isnull=False).select_related("team"),
        "people": people,
    }

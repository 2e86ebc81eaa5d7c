"""The working calendar page: working week, hours, holidays and make-up days (调休)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kehu.core import services
from kehu.core.locking import StaleWriteError
from kehu.core.models import CalendarDay, WorkingHours
from kehu.core.permissions import has_perm
from kehu.core.workcalendar import load_calendar

WEEKDAYS = [
    (1, gettext_lazy("Monday")),
    (2, gettext_lazy("Tuesday")),
    (3, gettext_lazy("Wednesday")),
    (4, gettext_lazy("Thursday")),
    (5, gettext_lazy("Friday")),
    (6, gettext_lazy("Saturday")),
    (7, gettext_lazy("Sunday")),
]


class HoursForm(forms.Form):
    weekdays = forms.TypedMultipleChoiceField(
        label=gettext_lazy("Working weekdays"),
        choices=WEEKDAYS,
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
    )
    periods = forms.CharField(
        label=gettext_lazy("Working hours"),
        max_length=200,
        help_text=gettext_lazy("Periods of a working day, e.g. 09:00-12:00,13:00-18:00"),
    )
    version = forms.IntegerField(widget=forms.HiddenInput)


class DaysForm(forms.Form):
    first = forms.DateField(
        label=gettext_lazy("From"), widget=forms.DateInput(attrs={"type": "date"})
    )
    last = forms.DateField(
        label=gettext_lazy("To (optional)"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=CalendarDay.Kind.choices)
    name = forms.CharField(label=gettext_lazy("Name"), max_length=60, required=False)


def _check(request: HttpRequest) -> None:
    if not has_perm(request.user, "manage_calendar"):
        raise PermissionDenied


@login_required
def working_calendar_page(request: HttpRequest) -> HttpResponse:
    _check(request)
    hours, _created = WorkingHours.objects.get_or_create(pk=1)
    initial = {
        "weekdays": [int(d) for d in hours.weekdays.split(",") if d],
        "periods": hours.periods,
        "version": hours.version,
    }
    hours_form = HoursForm(initial=initial)
    days_form = DaysForm()
    status = 200
    action = request.POST.get("action")
    if request.method == "POST" and action == "hours":
        hours_form = HoursForm(request.POST)
        if hours_form.is_valid():
            data = hours_form.cleaned_data
            try:
                services.set_working_hours(
                    actor=request.user,
                    weekdays=data["weekdays"],
                    periods=data["periods"],
                    version=data["version"],
                )
            except ValueError as exc:
                hours_form.add_error("periods", str(exc))
            except StaleWriteError:
                hours_form.add_error(None, str(StaleWriteError.message))
            else:
                messages.success(request, _("Saved."))
                return HttpResponseRedirect(reverse("working_calendar"))
        status = 400
    elif request.method == "POST" and action == "days":
        days_form = DaysForm(request.POST)
        if days_form.is_valid():
            data = days_form.cleaned_data
            try:
                count = services.set_calendar_days(
                    actor=request.user,
                    first=data["first"],
                    last=data["last"] or data["first"],
                    kind=data["kind"],
                    name=data["name"],
                )
            except ValueError as exc:
                days_form.add_error(None, str(exc))
            else:
                messages.success(request, _("%(count)d days marked.") % {"count": count})
                return HttpResponseRedirect(reverse("working_calendar"))
        status = 400
    elif request.method == "POST" and action == "remove":
        try:
            day = dt.date.fromisoformat(request.POST.get("day", ""))
        except ValueError:
            messages.error(request, _("Not a date."))
        else:
            services.remove_calendar_day(actor=request.user, day=day)
            messages.success(request, _("Removed."))
        return HttpResponseRedirect(reverse("working_calendar"))
    today = timezone.localdate()
    calendar = load_calendar()
    upcoming = _next_days(calendar, today, 14)
    days = CalendarDay.objects.filter(day__gte=today - dt.timedelta(days=31))
    context: dict[str, Any] = {
        "hours_form": hours_form,
        "days_form": days_form,
        "days": days,
        "upcoming": upcoming,
        "day_hours": round(calendar.day_length.total_seconds() / 3600, 2),
    }
    return render(request, "core/working_calendar.html", context, status=status)


def _next_days(calendar: Any, start: dt.date, count: int) -> list[tuple[dt.date, bool]]:
    return [
        (start + dt.timedelta(days=i), calendar.is_working_day(start + dt.timedelta(days=i)))
        for i in range(count)
    ]

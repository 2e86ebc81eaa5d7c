"""API of the working calendar: read by anyone signed in, changed with ``manage_calendar``."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status

from kehu.core import services
from kehu.core.apisupport import invalid, parse_if_match
from kehu.core.models import CalendarDay, WorkingHours
from kehu.core.permissions import has_perm
from kehu.core.workcalendar import load_calendar

router = Router(tags=["calendar"])


class CalendarDayOut(Schema):
    day: dt.date
    kind: str
    name: str


class CalendarOut(Schema):
    weekdays: list[int]
    periods: str
    version: int
    hours_per_day: float
    days: list[CalendarDayOut]


class HoursIn(Schema):
    weekdays: list[int]
    periods: str
    version: int | None = None


class DaysIn(Schema):
    first: dt.date
    last: dt.date | None = None
    kind: str = CalendarDay.Kind.HOLIDAY
    name: str = ""


def _require(request: HttpRequest) -> None:
    if not has_perm(request.auth, "manage_calendar"):  # type: ignore[attr-defined]
        raise PermissionDenied


def _out() -> dict[str, object]:
    hours, _created = WorkingHours.objects.get_or_create(pk=1)
    calendar = load_calendar()
    return {
        "weekdays": sorted(calendar.weekdays),
        "periods": hours.periods,
        "version": hours.version,
        "hours_per_day": calendar.day_length.total_seconds() / 3600,
        "days": list(CalendarDay.objects.values("day", "kind", "name")),
    }


@router.get("/calendar", response=CalendarOut, summary="The working calendar")
def get_calendar(request: HttpRequest) -> object:
    """Working weekdays (1 = Monday), the periods of a working day, holidays and make-up days."""
    return _out()


@router.put(
    "/calendar",
    response={200: CalendarOut, 409: dict, 422: dict},
    summary="Change the working week",
)
def put_calendar(request: HttpRequest, payload: HoursIn) -> object:
    """Send the ``version`` you read (or ``If-Match``); a stale write answers 409."""
    _require(request)
    version = payload.version if payload.version is not None else parse_if_match(request)
    try:
        services.set_working_hours(
            actor=request.auth,  # type: ignore[attr-defined]
            weekdays=payload.weekdays,
            periods=payload.periods,
            version=version,
        )
    except ValueError as exc:
        return invalid(request, [{"loc": ["body", "periods"], "msg": str(exc), "type": "value"}])
    return _out()


@router.post(
    "/calendar/days", response={201: CalendarOut, 422: dict}, summary="Mark holidays or workdays"
)
def post_days(request: HttpRequest, payload: DaysIn) -> object:
    """Mark ``first``…``last`` (inclusive) as ``holiday`` or ``workday``."""
    _require(request)
    try:
        services.set_calendar_days(
            actor=request.auth,  # type: ignore[attr-defined]
            first=payload.first,
            last=payload.last or payload.first,
            kind=payload.kind,
            name=payload.name,
        )
    except ValueError as exc:
        return invalid(request, [{"loc": ["body"], "msg": str(exc), "type": "value"}])
    return Status(201, _out())


@router.delete("/calendar/days/{day}", response={204: None, 404: dict}, summary="Unmark a day")
def delete_day(request: HttpRequest, day: dt.date) -> HttpResponse:
    _require(request)
    if not services.remove_calendar_day(actor=request.auth, day=day):  # type: ignore[attr-defined]
        from kehu.core.apisupport import problem

        return problem(request, 404, _("Not found."))
    return HttpResponse(status=204)

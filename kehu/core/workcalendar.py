"""Working time: the clock that deadlines, stage time limits and SLAs count in.

A :class:`WorkingCalendar` is an immutable snapshot of the organisation's working week (weekdays
and the periods of a working day, in the team's time zone) and its special days (holidays that
fall on working weekdays, make-up working days on weekends, 调休). :func:`working_calendar`
returns the current one from the cache; every change through :mod:`kehu.core.services` clears
it, so all web and worker processes see an edit at once (the cache is Redis in team mode).
"""

from __future__ import annotations

import datetime as dt
import itertools
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext as _

CACHE_KEY = "kehu:workcalendar:v1"
# No calendar is so sparse that a working minute is more than ten years away; past that the
# configuration has no working time at all, and we refuse instead of looping forever.
MAX_DAYS = 3660

Period = tuple[dt.time, dt.time]


def parse_periods(text: str) -> list[Period]:
    """``"09:00-12:00,13:00-18:00"`` → sorted, non-overlapping periods; ValueError with a
    translated message when the text is not like that."""
    periods: list[Period] = []
    for part in text.replace("，", ",").replace("；", ",").replace(";", ",").split(","):
        part = part.strip().replace("–", "-").replace("—", "-").replace("～", "-").replace("~", "-")
        if not part:
            continue
        try:
            start_text, end_text = (p.strip() for p in part.split("-"))
            start = dt.time.fromisoformat(start_text.zfill(5))
            end = dt.time.fromisoformat(end_text.zfill(5))
        except ValueError:
            raise ValueError(
                _("“%(part)s” is not a period like 09:00-12:00.") % {"part": part}
            ) from None
        if end <= start:
            raise ValueError(_("In “%(part)s” the end is not after the start.") % {"part": part})
        periods.append((start, end))
    periods.sort()
    for (_s1, e1), (s2, _e2) in itertools.pairwise(periods):
        if s2 < e1:
            raise ValueError(_("Working periods overlap."))
    if not periods:
        raise ValueError(_("Give at least one working period, e.g. 09:00-18:00."))
    return periods


def parse_weekdays(text: str) -> frozenset[int]:
    days = frozenset(int(d) for d in text.split(",") if d.strip())
    if not days or not days <= set(range(1, 8)):
        raise ValueError(_("Choose at least one working weekday."))
    return days


@dataclass(frozen=True)
class WorkingCalendar:
    weekdays: frozenset[int] = frozenset({1, 2, 3, 4, 5})
    periods: tuple[Period, ...] = ((dt.time(9), dt.time(12)), (dt.time(13), dt.time(18)))
    holidays: frozenset[dt.date] = frozenset()
    workdays: frozenset[dt.date] = frozenset()
    zone: str = field(default_factory=lambda: settings.TIME_ZONE)

    # -- days ------------------------------------------------------------------------------
    def is_working_day(self, day: dt.date) -> bool:
        if day in self.workdays:
            return True
        if day in self.holidays:
            return False
        return day.isoweekday() in self.weekdays

    def _spans(self, day: dt.date) -> list[tuple[dt.datetime, dt.datetime]]:
        """The working spans of ``day`` as aware datetimes (empty on a day off)."""
        if not self.is_working_day(day):
            return []
        tz = ZoneInfo(self.zone)
        return [
            (dt.datetime.combine(day, start, tz), dt.datetime.combine(day, end, tz))
            for start, end in self.periods
        ]

    def _local(self, moment: dt.datetime) -> dt.datetime:
        if moment.tzinfo is None:
            raise ValueError("working-time arithmetic needs aware datetimes")
        return moment.astimezone(ZoneInfo(self.zone))

    @property
    def day_length(self) -> dt.timedelta:
        return sum(
            (
                dt.datetime.combine(dt.date.min, e) - dt.datetime.combine(dt.date.min, s)
                for s, e in self.periods
            ),
            dt.timedelta(),
        )

    # -- instants --------------------------------------------------------------------------
    def is_working(self, moment: dt.datetime) -> bool:
        local = self._local(moment)
        return any(a <= local < b for a, b in self._spans(local.date()))

    def add(self, start: dt.datetime, duration: dt.timedelta) -> dt.datetime:
        """The instant when ``duration`` of working time has passed since ``start``.

        A zero duration from outside working hours is the start of the next working period
        (the clock has not started yet). Negative durations are not meaningful for deadlines.
        """
        if duration < dt.timedelta(0):
            raise ValueError("duration must not be negative")
        local = self._local(start)
        remaining = duration
        day = local.date()
        for _i in range(MAX_DAYS):
            for a, b in self._spans(day):
                if b <= local:
                    continue
                begin = max(a, local)
                if begin + remaining <= b:
                    return (begin + remaining).astimezone(start.tzinfo)
                remaining -= b - begin
            day += dt.timedelta(days=1)
        raise ValueError(_("The working calendar has no working time."))

    def between(self, start: dt.datetime, end: dt.datetime) -> dt.timedelta:
        """Working time elapsed from ``start`` to ``end`` (zero when ``end`` is not later)."""
        if end <= start:
            return dt.timedelta(0)
        a_local, b_local = self._local(start), self._local(end)
        total = dt.timedelta(0)
        day = a_local.date()
        last = b_local.date()
        # Whole weeks in the middle would be quicker to count arithmetically, but holidays make
        # that fiddly; a day loop over a year is ~365 small steps, well below a millisecond.
        while day <= last:
            for a, b in self._spans(day):
                lo, hi = max(a, a_local), min(b, b_local)
                if hi > lo:
                    total += hi - lo
            day += dt.timedelta(days=1)
        return total

    def add_days(self, start: dt.datetime, days: int) -> dt.datetime:
        """The same time of day ``days`` working days after ``start``'s day, moved into that
        day's working hours (before the first period: its start; after the last: its end)."""
        if days < 0:
            raise ValueError("days must not be negative")
        local = self._local(start)
        if days == 0:
            return start
        day = local.date()
        counted = 0
        for _i in range(MAX_DAYS):
            day += dt.timedelta(days=1)
            if self.is_working_day(day):
                counted += 1
                if counted == days:
                    spans = self._spans(day)
                    moment = dt.datetime.combine(day, local.timetz().replace(tzinfo=None))
                    moment = moment.replace(tzinfo=ZoneInfo(self.zone))
                    moment = min(max(moment, spans[0][0]), spans[-1][1])
                    return moment.astimezone(start.tzinfo)
        raise ValueError(_("The working calendar has no working time."))


def load_calendar() -> WorkingCalendar:
    """Read the calendar from the database (no cache)."""
    from kehu.core.models import CalendarDay, WorkingHours

    hours = WorkingHours.objects.filter(pk=1).first()
    rows = list(CalendarDay.objects.values_list("day", "kind"))
    weekdays = parse_weekdays(hours.weekdays) if hours else WorkingCalendar.weekdays
    periods = tuple(parse_periods(hours.periods)) if hours else WorkingCalendar.periods
    return WorkingCalendar(
        weekdays=weekdays,
        periods=periods,
        holidays=frozenset(d for d, k in rows if k == "holiday"),
        workdays=frozenset(d for d, k in rows if k == "workday"),
    )


def working_calendar() -> WorkingCalendar:
    """The organisation's working calendar, from the cache when it is there."""
    calendar = cache.get(CACHE_KEY)
    if calendar is None:
        calendar = load_calendar()
        cache.set(CACHE_KEY, calendar, 3600)
    return calendar


def forget_calendar() -> None:
    cache.delete(CACHE_KEY)

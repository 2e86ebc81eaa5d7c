"""The working calendar: the clock of stage time limits, SLAs and deadlines."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kehu.core import services
from kehu.core.models import AuditEvent
from kehu.core.workcalendar import WorkingCalendar, parse_periods, working_calendar
from tests.conftest import force_login_verified

SH = ZoneInfo("Asia/Shanghai")
H = dt.timedelta(hours=1)


def at(day: str, hm: str = "09:00") -> dt.datetime:
    return dt.datetime.fromisoformat(f"{day}T{hm}").replace(tzinfo=SH)


# 2026-10-01 (Thu) … 10-07 are 国庆节 holidays; Saturday 10-10 is a make-up working day.
NATIONAL_DAY = WorkingCalendar(
    holidays=frozenset(dt.date(2026, 10, d) for d in range(1, 8)),
    workdays=frozenset({dt.date(2026, 10, 10)}),
    zone="Asia/Shanghai",
)
PLAIN = WorkingCalendar(zone="Asia/Shanghai")


def test_adding_hours_skips_the_night_and_lunch():
    # Tuesday 17:00 + 2 working hours: one hour today, the next from 09:00 on Wednesday.
    assert PLAIN.add(at("2026-11-24", "17:00"), 2 * H) == at("2026-11-25", "10:00")
    # 11:30 + 1 h: half an hour before lunch, half an hour after.
    assert PLAIN.add(at("2026-11-24", "11:30"), H) == at("2026-11-24", "13:30")
    # Started at night: the clock starts at 09:00.
    assert PLAIN.add(at("2026-11-24", "03:00"), H) == at("2026-11-24", "10:00")


def test_adding_hours_skips_the_weekend():
    # Friday 17:00 + 2 h ends Monday 10:00.
    assert PLAIN.add(at("2026-11-27", "17:00"), 2 * H) == at("2026-11-30", "10:00")
    assert PLAIN.add(at("2026-11-28", "12:00"), H) == at("2026-11-30", "10:00")


def test_holidays_and_make_up_days():
    # Wednesday 30 September 17:00 + 2 h: the holiday week is skipped, Thursday 8 October 10:00.
    assert NATIONAL_DAY.add(at("2026-09-30", "17:00"), 2 * H) == at("2026-10-08", "10:00")
    # Friday 9 October 18:00 + 1 h lands on the make-up Saturday.
    assert NATIONAL_DAY.add(at("2026-10-09", "18:00"), H) == at("2026-10-10", "10:00")
    assert NATIONAL_DAY.is_working(at("2026-10-10", "10:00"))
    assert not NATIONAL_DAY.is_working(at("2026-10-05", "10:00"))
    assert not PLAIN.is_working(at("2026-10-10", "10:00"))


def test_working_days():
    # Friday 15:00 + 1 working day = Monday 15:00; + 3 across the holiday week.
    assert PLAIN.add_days(at("2026-11-27", "15:00"), 1) == at("2026-11-30", "15:00")
    assert NATIONAL_DAY.add_days(at("2026-09-30", "15:00"), 2) == at("2026-10-09", "15:00")
    # A start at night moves into the day's hours.
    assert PLAIN.add_days(at("2026-11-27", "22:00"), 1) == at("2026-11-30", "18:00")
    assert PLAIN.add_days(at("2026-11-27", "22:00"), 0) == at("2026-11-27", "22:00")


def test_between_counts_only_working_time():
    assert PLAIN.between(at("2026-11-27", "17:00"), at("2026-11-30", "10:00")) == 2 * H
    assert PLAIN.between(at("2026-11-24", "08:00"), at("2026-11-24", "20:00")) == 8 * H
    assert PLAIN.between(at("2026-11-24", "12:00"), at("2026-11-24", "13:00")) == dt.timedelta(0)
    assert PLAIN.between(at("2026-11-25"), at("2026-11-24")) == dt.timedelta(0)
    assert NATIONAL_DAY.between(at("2026-09-30", "09:00"), at("2026-10-11", "09:00")) == 32 * H


def test_works_across_time_zones_of_the_caller():
    utc = at("2026-11-27", "17:00").astimezone(dt.UTC)
    result = PLAIN.add(utc, 2 * H)
    assert result.tzinfo == dt.UTC and result == at("2026-11-30", "10:00")


def test_a_calendar_without_working_time_refuses_instead_of_looping():
    empty = WorkingCalendar(weekdays=frozenset({1}), zone="Asia/Shanghai")
    blocked = WorkingCalendar(
        weekdays=frozenset({1}),
        holidays=frozenset(dt.date(2026, 1, 5) + dt.timedelta(weeks=w) for w in range(600)),
        zone="Asia/Shanghai",
    )
    assert empty.add(at("2026-11-24"), H) == at("2026-11-30", "10:00")
    with pytest.raises(ValueError):
        blocked.add(at("2026-01-01"), H * 1000)


@pytest.mark.parametrize(
    "text,error",
    [
        ("9-12", "not a period"),
        ("12:00-09:00", "not after"),
        ("09:00-12:00,11:00-13:00", "overlap"),
    ],
)
def test_bad_periods_are_refused_clearly(text, error):
    from django.utils import translation

    with translation.override("en"), pytest.raises(ValueError, match=error):
        parse_periods(text)


def test_periods_accept_chinese_punctuation():
    assert parse_periods("9:00-12:00，13:00～18:00") == [
        (dt.time(9), dt.time(12)),
        (dt.time(13), dt.time(18)),
    ]


moments = st.datetimes(min_value=dt.datetime(2026, 9, 1), max_value=dt.datetime(2026, 12, 31)).map(
    lambda d: d.replace(tzinfo=SH, second=0, microsecond=0)
)


@settings(max_examples=200, deadline=None)
@given(start=moments, minutes=st.integers(min_value=0, max_value=60 * 24 * 20))
def test_add_and_between_agree(start, minutes):
    """Whatever the start, the working time between a start and start + d is d."""
    end = NATIONAL_DAY.add(start, dt.timedelta(minutes=minutes))
    assert end >= start
    assert NATIONAL_DAY.between(start, end) == dt.timedelta(minutes=minutes)
    if minutes:
        assert NATIONAL_DAY.is_working(end - dt.timedelta(minutes=1))


@settings(max_examples=100, deadline=None)
@given(start=moments, a=st.integers(0, 5000), b=st.integers(0, 5000))
def test_between_is_additive(start, a, b):
    mid = start + dt.timedelta(minutes=a)
    end = mid + dt.timedelta(minutes=b)
    cal = NATIONAL_DAY
    assert cal.between(start, end) == cal.between(start, mid) + cal.between(mid, end)


# -- stored calendar, page and API ------------------------------------------------------------


@pytest.fixture
def keeper(make_user):
    return make_user("keeper", roles=("sales_director",))


def test_the_stored_calendar_follows_every_change(db, keeper):
    assert working_calendar().is_working(at("2026-11-24", "10:00"))
    services.set_calendar_day(actor=keeper, day=dt.date(2026, 11, 24), kind="holiday", name="团建")
    assert not working_calendar().is_working(at("2026-11-24", "10:00"))
    services.set_working_hours(actor=keeper, weekdays=[1, 2, 3, 4, 5, 6], periods="08:30-17:30")
    cal = working_calendar()
    assert cal.is_working(at("2026-11-28", "08:30")) and cal.day_length == 9 * H
    services.remove_calendar_day(actor=keeper, day=dt.date(2026, 11, 24))
    assert working_calendar().is_working(at("2026-11-24", "10:00"))
    assert AuditEvent.objects.filter(action="calendar_changed").count() == 3


def test_page_needs_the_permission_and_reports_bad_input(client, user, keeper):
    client.force_login(user)
    assert client.get("/settings/calendar/").status_code == 403
    assert client.post("/settings/calendar/", {"action": "days"}).status_code == 403
    force_login_verified(client, keeper)
    assert client.get("/settings/calendar/").status_code == 200
    bad = client.post(
        "/settings/calendar/",
        {"action": "hours", "weekdays": ["1", "2"], "periods": "18:00-09:00", "version": "1"},
    )
    assert bad.status_code == 400
    assert "18:00-09:00" in bad.content.decode()  # the input is kept
    ok = client.post(
        "/settings/calendar/",
        {
            "action": "days",
            "first": "2026-10-01",
            "last": "2026-10-07",
            "kind": "holiday",
            "name": "国庆节",
        },
    )
    assert ok.status_code == 302
    assert not working_calendar().is_working_day(dt.date(2026, 10, 5))
    page = client.get("/settings/calendar/").content.decode()
    assert "国庆节" in page or "2026-10-05" not in page  # only recent days are listed


def test_api_reads_for_everyone_and_writes_with_the_permission(client, user, keeper):
    client.force_login(user)
    got = client.get("/api/v1/calendar").json()
    assert got["weekdays"] == [1, 2, 3, 4, 5] and got["hours_per_day"] == 8
    denied = client.put(
        "/api/v1/calendar",
        {"weekdays": [1], "periods": "09:00-17:00"},
        content_type="application/json",
    )
    assert denied.status_code == 403
    force_login_verified(client, keeper)
    stale = client.put(
        "/api/v1/calendar",
        {"weekdays": [1, 2, 3, 4, 5], "periods": "09:00-17:00", "version": 99},
        content_type="application/json",
    )
    assert stale.status_code == 409
    bad = client.put(
        "/api/v1/calendar",
        {"weekdays": [1], "periods": "nine to five", "version": got["version"]},
        content_type="application/json",
    )
    assert bad.status_code == 422
    ok = client.put(
        "/api/v1/calendar",
        {"weekdays": [1, 2, 3, 4, 5], "periods": "09:00-17:00", "version": got["version"]},
        content_type="application/json",
    )
    assert ok.status_code == 200 and ok.json()["hours_per_day"] == 8
    made = client.post(
        "/api/v1/calendar/days",
        {"first": "2026-10-10", "kind": "workday", "name": "调休"},
        content_type="application/json",
    )
    assert made.status_code == 201
    assert working_calendar().is_working_day(dt.date(2026, 10, 10))
    assert client.delete("/api/v1/calendar/days/2026-10-10").status_code == 204
    assert client.delete("/api/v1/calendar/days/2026-10-10").status_code == 404

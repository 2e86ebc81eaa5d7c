"""The sales process map judges each stage on the clock of its limit: working time (by the
working calendar, with its real day length) for limits in working hours or days, calendar time
for limits in calendar days."""

from __future__ import annotations

import datetime as dt
import importlib
from zoneinfo import ZoneInfo

import pytest

from kehu.core.processmap import bottleneck_index
from kehu.sales import selectors, services
from kehu.sales.models import StageChange
from tests.conftest import force_login_verified

SH = ZoneInfo("Asia/Shanghai")


@pytest.fixture(autouse=True)
def fresh_calendar(db):
    """The calendar is cached outside the test's transaction: start and end on the stored one."""
    from kehu.core.workcalendar import forget_calendar

    forget_calendar()
    yield
    forget_calendar()


@pytest.fixture
def friday():
    """A Friday at 17:00 in Shanghai, a few weeks back (inside the map's year of history)."""
    day = dt.date.today() - dt.timedelta(days=21)
    day -= dt.timedelta(days=(day.isoweekday() - 5) % 7)
    return dt.datetime.combine(day, dt.time(17), SH)


def _monday(friday, hour):
    return friday.replace(hour=hour) + dt.timedelta(days=3)


def test_a_move_records_working_time_across_the_weekend(director, make_deal, stages, friday):
    deal = make_deal(director, now=friday)
    services.move_deal(
        actor=director, deal=deal, stage=stages["Follow-up"], now=_monday(friday, 10)
    )
    change = StageChange.objects.get(deal=deal, from_stage=stages["Lead"])
    assert change.seconds_in_previous == 65 * 3600  # Friday 17:00 → Monday 10:00
    assert change.working_seconds_in_previous == 2 * 3600  # Friday 17–18, Monday 9–10


def test_a_holiday_is_not_working_time(director, make_deal, stages, friday):
    from kehu.core import services as core_services

    core_services.set_calendar_day(
        actor=director, day=_monday(friday, 9).date(), kind="holiday", name="调休"
    )
    deal = make_deal(director, now=friday)
    tuesday = _monday(friday, 10) + dt.timedelta(days=1)
    services.move_deal(actor=director, deal=deal, stage=stages["Follow-up"], now=tuesday)
    change = StageChange.objects.get(deal=deal, from_stage=stages["Lead"])
    assert change.working_seconds_in_previous == 2 * 3600  # Friday 17–18, Tuesday 9–10


def test_working_day_limits_use_the_calendars_day_length(director, pipeline, stages):
    from kehu.core import services as core_services

    lead = next(f for f in selectors.stage_flow(director, pipeline) if f.stage == stages["Lead"])
    assert lead.limit_seconds == 2 * 8 * 3600  # 2 working days of 09–12 and 13–18
    core_services.set_working_hours(actor=director, weekdays=[1, 2, 3, 4, 5], periods="09:00-12:00")
    lead = next(f for f in selectors.stage_flow(director, pipeline) if f.stage == stages["Lead"])
    assert lead.limit_seconds == 2 * 3 * 3600


def test_bottleneck_is_judged_on_working_time(client, director, make_deal, stages, friday):
    """Lead (2 working days) held a deal over a weekend: 65 h of calendar time but 2 working
    hours, an eighth of its limit. Follow-up (4 working hours) held it 2 working hours, half of
    its limit: Follow-up is the bottleneck."""
    services.update_stage(
        actor=director,
        stage=stages["Follow-up"],
        expected_version=None,
        time_limit=4,
        time_limit_unit="working_hours",
    )
    deal = make_deal(director, now=friday)
    deal = services.move_deal(
        actor=director, deal=deal, stage=stages["Follow-up"], now=_monday(friday, 10)
    )
    services.move_deal(
        actor=director, deal=deal, stage=stages["Negotiation"], now=_monday(friday, 13)
    )
    flows = {f.stage.name_en: f for f in selectors.stage_flow(director, stages["Lead"].pipeline)}
    assert flows["Lead"].median_seconds == 65 * 3600
    assert flows["Lead"].judged_seconds == 2 * 3600
    assert flows["Follow-up"].judged_seconds == 2 * 3600
    assert flows["Follow-up"].limit_seconds == 4 * 3600
    force_login_verified(client, director)
    page = client.get("/sales/map/")
    stats = page.context["stats"]
    assert [s.name for s in stats] == ["线索获取", "跟进", "谈判"]
    assert bottleneck_index(stats) == 1
    html = page.content.decode()
    assert 'data-median="working"' in html and "pm-bottleneck" in html


def test_calendar_day_limits_are_judged_on_calendar_time(director, make_deal, stages, friday):
    services.update_stage(
        actor=director,
        stage=stages["Lead"],
        expected_version=None,
        time_limit=3,
        time_limit_unit="calendar_days",
    )
    deal = make_deal(director, now=friday)
    services.move_deal(
        actor=director, deal=deal, stage=stages["Follow-up"], now=_monday(friday, 10)
    )
    flows = selectors.stage_flow(director, stages["Lead"].pipeline)
    lead = next(f for f in flows if f.stage == stages["Lead"])
    assert lead.judged_seconds == 65 * 3600
    assert lead.limit_seconds == 3 * 86400


def test_migration_counts_working_time_of_earlier_moves(director, make_deal, stages, friday):
    from django.apps import apps

    deal = make_deal(director, now=friday)
    services.move_deal(
        actor=director, deal=deal, stage=stages["Follow-up"], now=_monday(friday, 10)
    )
    StageChange.objects.update(working_seconds_in_previous=None)
    migration = importlib.import_module("kehu.sales.migrations.0003_stage_working_time")
    migration.count_working_time(apps, None)
    change = StageChange.objects.get(deal=deal, from_stage=stages["Lead"])
    assert change.working_seconds_in_previous == 2 * 3600
    first = StageChange.objects.get(deal=deal, from_stage__isnull=True)
    assert first.working_seconds_in_previous is None

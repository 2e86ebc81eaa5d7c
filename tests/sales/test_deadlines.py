"""Stage time limits on the working calendar, and overrun notices (once each)."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from kehu.core.models import Notification
from kehu.sales import services
from kehu.sales.models import Deal, Stage

SH = ZoneInfo("Asia/Shanghai")


def at(day: int, hour: int, minute: int = 0, month: int = 3) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=SH)


def limit(stage: Stage, amount: int, unit: str) -> Stage:
    stage.time_limit = amount
    stage.time_limit_unit = unit
    stage.save()
    return stage


@pytest.fixture
def holiday(admin_user):
    """Monday 9 March 2026 made a holiday through the calendar service."""
    from kehu.core.services import set_calendar_day

    set_calendar_day(actor=admin_user, day=dt.date(2026, 3, 9), kind="holiday", name="测试假日")


def test_working_days_skip_the_weekend(user, make_deal, stages):
    limit(stages["Lead"], 2, Stage.LimitUnit.WORKING_DAYS)
    deal = make_deal(user, now=at(6, 16))  # Friday 16:00
    assert deal.stage_due_at == at(10, 16)  # Tuesday 16:00


def test_working_days_skip_a_holiday(user, make_deal, stages, holiday):
    limit(stages["Lead"], 2, Stage.LimitUnit.WORKING_DAYS)
    deal = make_deal(user, now=at(6, 16))  # Friday; Monday is a holiday
    assert deal.stage_due_at == at(11, 16)  # Wednesday 16:00


def test_working_hours_skip_the_night_and_lunch(user, make_deal, stages):
    limit(stages["Lead"], 6, Stage.LimitUnit.WORKING_HOURS)
    deal = make_deal(user, now=at(5, 17))  # Thursday 17:00: 1 h today, 3 h Fri morning, 2 h after
    assert deal.stage_due_at == at(6, 15)


def test_working_hours_skip_weekend_and_holiday(user, make_deal, stages, holiday):
    limit(stages["Lead"], 4, Stage.LimitUnit.WORKING_HOURS)
    deal = make_deal(user, now=at(6, 16))  # Friday 16:00: 2 h, then Tuesday 09:00 + 2 h
    assert deal.stage_due_at == at(10, 11)


def test_calendar_days_ignore_the_calendar(user, make_deal, stages, holiday):
    limit(stages["Lead"], 3, Stage.LimitUnit.CALENDAR_DAYS)
    deal = make_deal(user, now=at(6, 16))
    assert deal.stage_due_at == at(9, 16)


def test_moving_applies_the_new_stage_limit(user, make_deal, stages):
    limit(stages["Follow-up"], 1, Stage.LimitUnit.WORKING_DAYS)
    deal = make_deal(user, now=at(2, 10))
    services.move_deal(actor=user, deal=deal, stage=stages["Follow-up"], now=at(6, 11))
    deal.refresh_from_db()
    assert deal.stage_due_at == at(9, 11)
    services.move_deal(actor=user, deal=deal, stage=stages["Lost"], reason="预算取消")
    deal.refresh_from_db()
    assert deal.stage_due_at is None


def test_overrun_flags_and_notifies_owner_and_leader_once(make_user, make_deal, stages):
    from kehu.accounts.models import Team

    rep = make_user("rep-late", roles=("sales_rep",))
    leader = make_user("leader", roles=("customer_manager",))
    bystander = make_user("bystander", roles=("sales_rep",))
    team = Team.objects.create(name="华东销售", leader=leader)
    team.members.add(rep, leader, bystander)
    limit(stages["Lead"], 2, Stage.LimitUnit.WORKING_DAYS)
    late = make_deal(rep, now=at(2, 10))  # due Wednesday 4 March 10:00
    on_time = make_deal(rep, now=at(4, 9))  # due Friday 09:00

    assert services.check_stage_deadlines(now=at(4, 9, 59)) == 0
    assert services.check_stage_deadlines(now=at(4, 10, 1)) == 1
    late.refresh_from_db()
    on_time.refresh_from_db()
    assert late.is_overdue and not on_time.is_overdue
    notices = Notification.objects.filter(kind="deal.overdue")
    assert sorted(n.recipient.username for n in notices) == ["leader", "rep-late"]
    assert all(late.title in n.title for n in notices)

    # Running again (the job runs every few minutes) tells nobody twice.
    assert services.check_stage_deadlines(now=at(4, 17)) == 0
    assert notices.count() == 2
    # Entering a new stage clears the flag; overrunning it notifies again.
    services.move_deal(actor=rep, deal=late, stage=stages["Follow-up"], now=at(4, 17))
    late.refresh_from_db()
    assert not late.is_overdue and late.overdue_notified_at is None


def test_closed_deals_are_never_overdue(user, make_deal, stages):
    limit(stages["Lead"], 1, Stage.LimitUnit.WORKING_HOURS)
    deal = make_deal(user, now=at(2, 10))
    services.move_deal(
        actor=user, deal=deal, stage=stages["Lost"], reason="失联", now=at(2, 10, 30)
    )
    assert services.check_stage_deadlines(now=at(20, 10)) == 0
    assert not Deal.objects.get(pk=deal.pk).is_overdue


def test_periodic_task_runs_the_check(user, make_deal, stages):
    from kehu.sales.tasks import check_stage_deadlines

    limit(stages["Lead"], 1, Stage.LimitUnit.WORKING_HOURS)
    deal = make_deal(user, now=at(2, 10))
    check_stage_deadlines.call_local()
    assert Deal.objects.get(pk=deal.pk).is_overdue


def test_a_team_leaders_overdue_deal_goes_to_the_parent_teams_leader(make_user, make_deal, stages):
    from kehu.accounts.models import Team

    director = make_user("sales-head", roles=("sales_director",))
    leader = make_user("east-leader", roles=("customer_manager",))
    region = Team.objects.create(name="销售部", leader=director)
    east = Team.objects.create(name="华东销售", leader=leader, parent=region)
    east.members.add(leader)
    limit(stages["Lead"], 2, Stage.LimitUnit.WORKING_DAYS)
    make_deal(leader, now=at(2, 10))  # due Wednesday 4 March 10:00
    assert services.check_stage_deadlines(now=at(4, 10, 1)) == 1
    notices = Notification.objects.filter(kind="deal.overdue")
    assert sorted(n.recipient.username for n in notices) == ["east-leader", "sales-head"]


def test_a_leader_of_a_top_team_is_told_alone(make_user, make_deal, stages):
    from kehu.accounts.models import Team

    leader = make_user("top-leader", roles=("customer_manager",))
    Team.objects.create(name="总部销售", leader=leader).members.add(leader)
    limit(stages["Lead"], 2, Stage.LimitUnit.WORKING_DAYS)
    make_deal(leader, now=at(2, 10))
    assert services.check_stage_deadlines(now=at(4, 10, 1)) == 1
    notices = Notification.objects.filter(kind="deal.overdue")
    assert [n.recipient.username for n in notices] == ["top-leader"]

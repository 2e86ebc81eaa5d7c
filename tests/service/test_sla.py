"""SLA clocks in working time: nights, weekends, holidays and pauses; warnings and
escalations exactly once each."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kehu.core.workcalendar import WorkingCalendar
from kehu.service import services
from kehu.service.models import Ticket
from tests.service.conftest import SH, at

pytestmark = pytest.mark.django_db

# Monday 2026-11-23 … Friday 2026-11-27; 2026-11-28/29 are a weekend.


def test_most_specific_policy_wins(make_policy):
    any_policy = make_policy(name="默认")
    urgent = make_policy(name="紧急", priority="urgent")
    complaint = make_policy(name="投诉", ticket_type="complaint")
    urgent_complaint = make_policy(name="紧急投诉", priority="urgent", ticket_type="complaint")
    make_policy(name="停用", priority="urgent", ticket_type="complaint", is_active=False)
    pick = services.pick_policy
    assert pick(priority="urgent", ticket_type="complaint") == urgent_complaint
    assert pick(priority="urgent", ticket_type="inquiry") == urgent
    assert pick(priority="low", ticket_type="complaint") == complaint
    assert pick(priority="low", ticket_type="inquiry") == any_policy


def test_due_times_skip_the_night(make_policy, make_ticket):
    make_policy(first_response_minutes=120, resolution_minutes=8 * 60)
    t = make_ticket(opened_at=at("2026-11-23", "17:00"))
    # one hour left on Monday, the second starts at 09:00 on Tuesday
    assert t.first_response_due_at == at("2026-11-24", "10:00")
    # 1 h Monday + 3 h Tuesday morning + 4 h afternoon (lunch 12–13 not counted)
    assert t.resolution_due_at == at("2026-11-24", "17:00")


def test_due_times_skip_the_weekend_and_a_holiday(make_policy, make_ticket, manager):
    from kehu.core.services import set_calendar_day

    make_policy(first_response_minutes=60, resolution_minutes=60)
    friday_evening = at("2026-11-27", "17:30")
    assert make_ticket(opened_at=friday_evening).first_response_due_at == at("2026-11-30", "09:30")
    set_calendar_day(actor=manager, day=dt.date(2026, 11, 30), kind="holiday", name="测试假日")
    assert make_ticket(opened_at=friday_evening).first_response_due_at == at("2026-12-01", "09:30")


def test_waiting_on_customer_shifts_due_times_by_the_paused_working_time(
    make_policy, make_ticket, agent
):
    make_policy(first_response_minutes=60, resolution_minutes=4 * 60)
    t = make_ticket(actor=agent, opened_at=at("2026-11-23", "10:00"))
    assert t.resolution_due_at == at("2026-11-23", "15:00")
    services.reply(actor=agent, ticket=t, body="请提供型号", now=at("2026-11-23", "10:30"))
    services.pause(actor=agent, ticket=t, now=at("2026-11-23", "11:00"))
    t.refresh_from_db()
    assert t.waiting_on_customer and t.paused_at == at("2026-11-23", "11:00")
    # the customer answers the next day at 11:00: 1 h + 5 h Monday, 2 h Tuesday = 8 h paused
    services.resume(actor=agent, ticket=t, now=at("2026-11-24", "11:00"))
    t.refresh_from_db()
    assert t.paused_seconds == 8 * 3600
    assert t.resolution_due_at == at("2026-11-24", "15:00")
    # the first response was given before the pause: its due time stays
    assert t.first_response_due_at == at("2026-11-23", "11:00")
    assert not t.waiting_on_customer and t.paused_at is None


def test_a_paused_ticket_is_neither_warned_nor_escalated(make_policy, make_ticket, agent):
    make_policy(first_response_minutes=60, resolution_minutes=120)
    t = make_ticket(actor=agent, assignee=agent, opened_at=at("2026-11-23", "09:00"))
    services.pause(actor=agent, ticket=t, now=at("2026-11-23", "09:10"))
    assert services.check_slas(now=at("2026-11-25", "10:00")) == {"warned": 0, "escalated": 0}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    start=st.datetimes(min_value=dt.datetime(2026, 1, 1), max_value=dt.datetime(2026, 12, 20)),
    target=st.integers(min_value=1, max_value=5 * 8 * 60),
    pauses=st.lists(
        st.tuples(st.integers(0, 3 * 24 * 60), st.integers(0, 3 * 24 * 60)), max_size=4
    ),
    holidays=st.sets(st.dates(dt.date(2026, 1, 1), dt.date(2027, 1, 31)), max_size=10),
)
def test_property_due_minus_pauses_is_the_target(start, target, pauses, holidays):
    """Whatever the pauses, the working time from opening to the due time, less the working
    time spent paused, is exactly the policy's target (the shift rule of _resume_clocks)."""
    cal = WorkingCalendar(holidays=frozenset(holidays), zone="Asia/Shanghai")
    opened = start.replace(tzinfo=SH)
    due = cal.add(opened, dt.timedelta(minutes=target))
    moment, paused_total = opened, dt.timedelta(0)
    for gap, length in pauses:
        begin = moment + dt.timedelta(minutes=gap)
        end = begin + dt.timedelta(minutes=length)
        if begin >= due:  # resolved before this pause would start
            break
        paused = cal.between(begin, end)
        if paused > dt.timedelta(0):
            due = cal.add(due, paused)
        paused_total += paused
        moment = end
    assert cal.between(opened, due) - paused_total == dt.timedelta(minutes=target)


def test_warning_then_escalation_exactly_once_each(make_policy, make_ticket, agent, make_user):
    from kehu.accounts.models import Team
    from kehu.core.models import Notification

    leader = make_user("leader", roles=("customer_manager",))
    boss = make_user("director", roles=("sales_director",))
    team = Team.objects.create(name="售后服务组", leader=leader)
    team.members.add(agent)
    make_policy(
        first_response_minutes=60,
        resolution_minutes=8 * 60,
        warn_before_minutes=15,
        escalate_to_user=boss,
    )
    t = make_ticket(actor=agent, team=team, assignee=agent, opened_at=at("2026-11-23", "09:00"))

    def count(user, kind):
        return Notification.objects.filter(recipient=user, kind=kind).count()

    assert services.check_slas(now=at("2026-11-23", "09:30")) == {"warned": 0, "escalated": 0}
    assert services.check_slas(now=at("2026-11-23", "09:50")) == {"warned": 1, "escalated": 0}
    assert services.check_slas(now=at("2026-11-23", "09:55")) == {"warned": 0, "escalated": 0}
    assert count(agent, "ticket.sla_warning") == 1
    assert services.check_slas(now=at("2026-11-23", "10:01")) == {"warned": 0, "escalated": 1}
    assert services.check_slas(now=at("2026-11-23", "10:30")) == {"warned": 0, "escalated": 0}
    t.refresh_from_db()
    assert t.response_breached and t.escalated and not t.resolution_breached
    for person in (agent, leader, boss):
        assert count(person, "ticket.sla_escalated") == 1
    # the resolution clock has its own warning and escalation (due 18:00 Monday)
    services.reply(actor=agent, ticket=t, body="正在处理", now=at("2026-11-23", "10:40"))
    assert services.check_slas(now=at("2026-11-23", "17:50")) == {"warned": 1, "escalated": 0}
    assert services.check_slas(now=at("2026-11-24", "09:00")) == {"warned": 0, "escalated": 1}
    assert services.check_slas(now=at("2026-11-24", "09:05")) == {"warned": 0, "escalated": 0}
    assert count(leader, "ticket.sla_escalated") == 2


def test_first_reply_stops_the_first_response_clock(make_policy, make_ticket, agent):
    make_policy(first_response_minutes=60)
    t = make_ticket(actor=agent, opened_at=at("2026-11-23", "09:00"))
    services.reply(actor=agent, ticket=t, body="您好", now=at("2026-11-23", "09:20"))
    services.reply(actor=agent, ticket=t, body="再补充", now=at("2026-11-23", "11:20"))
    t.refresh_from_db()
    assert t.first_responded_at == at("2026-11-23", "09:20")
    assert t.status == Ticket.Status.IN_PROGRESS
    assert services.check_slas(now=at("2026-11-23", "11:30"))["escalated"] == 0


def test_sla_clocks_show_working_time_left(make_policy, make_ticket):
    from kehu.service.selectors import sla_clocks

    make_policy(first_response_minutes=60, resolution_minutes=120, warn_before_minutes=30)
    t = make_ticket(opened_at=at("2026-11-23", "11:30"))
    response, resolution = sla_clocks(t, now=at("2026-11-23", "12:30"))
    # lunch does not count: 30 min of the hour are gone
    assert response.remaining == dt.timedelta(minutes=30) and response.state == "warning"
    assert resolution.remaining == dt.timedelta(minutes=90) and resolution.state == "running"
    response, _res = sla_clocks(t, now=at("2026-11-23", "14:00"))
    assert response.state == "overdue" and response.remaining == -dt.timedelta(minutes=30)


def test_raising_the_priority_repicks_the_policy_and_due_times(make_policy, make_ticket, agent):
    make_policy(name="普通", priority="normal", first_response_minutes=240, resolution_minutes=960)
    urgent = make_policy(
        name="紧急", priority="urgent", first_response_minutes=30, resolution_minutes=120
    )
    t = make_ticket(actor=agent, opened_at=at("2026-11-23", "09:00"))
    assert t.first_response_due_at == at("2026-11-23", "14:00")
    services.pause(actor=agent, ticket=t, now=at("2026-11-23", "09:10"))
    services.resume(actor=agent, ticket=t, now=at("2026-11-23", "09:40"))  # 30 min paused
    t.refresh_from_db()
    services.update_ticket(actor=agent, ticket=t, expected_version=t.version, priority="urgent")
    t.refresh_from_db()
    assert t.sla_policy == urgent
    assert t.first_response_due_at == at("2026-11-23", "10:00")
    assert t.resolution_due_at == at("2026-11-23", "11:30")


def test_reopening_lets_the_resolution_warning_come_again(make_policy, make_ticket, agent):
    from kehu.core.models import Notification

    make_policy(first_response_minutes=60, resolution_minutes=8 * 60, warn_before_minutes=15)
    t = make_ticket(actor=agent, assignee=agent, opened_at=at("2026-11-23", "09:00"))
    services.reply(actor=agent, ticket=t, body="收到", now=at("2026-11-23", "09:10"))
    assert services.check_slas(now=at("2026-11-23", "17:50")) == {"warned": 1, "escalated": 0}
    services.change_status(actor=agent, ticket=t, status="resolved", now=at("2026-11-23", "17:55"))
    # The customer writes back the next morning: the 5 minutes left resume at 09:30.
    services.change_status(
        actor=agent, ticket=t, status="in_progress", now=at("2026-11-24", "09:30")
    )
    t.refresh_from_db()
    assert not t.resolution_warned and not t.resolution_breached
    assert services.check_slas(now=at("2026-11-24", "09:31")) == {"warned": 1, "escalated": 0}
    warnings = Notification.objects.filter(recipient=agent, kind="ticket.sla_warning")
    assert warnings.count() == 2

"""Each gap rule fires on its case (positive) and stays quiet on the near miss (negative)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from kehu.work import gaps, services
from kehu.work.models import Area, Goal, Task

D = dt.date(2026, 6, 1)


def day(n: int) -> dt.date:
    return D + dt.timedelta(days=n)


@pytest.fixture
def people(make_user: Any) -> Any:
    boss = make_user("boss", display_name="主管", roles=("sales_director",))
    a = make_user("amy", display_name="艾米", roles=("sales_rep",))
    b = make_user("bob", display_name="鲍勃", roles=("sales_rep",))
    return boss, a, b


def kinds(user: Any, kind: str, **kw: Any) -> list[gaps.Finding]:
    return gaps.find_gaps(user, today=day(0), kinds={kind}, **kw)


def area(name: str) -> Area:
    return Area.objects.get(name=name)


def test_overlap_same_area_same_customer(people: Any, make_customer: Any) -> None:
    boss, a, b = people
    customer = make_customer(boss, name="云帆科技有限公司")
    service = area("客户服务")
    t1 = services.create_task(
        actor=boss,
        title="回访",
        customer=customer,
        area=service,
        responsible=a,
        start_on=day(1),
        due_on=day(5),
    )
    t2 = services.create_task(
        actor=boss,
        title="电话回访",
        customer=customer,
        area=service,
        responsible=b,
        start_on=day(4),
        due_on=day(8),
    )
    found = kinds(boss, "overlap")
    assert len(found) == 1 and set(found[0].task_ids) == {t1.pk, t2.pk}
    assert "云帆科技" in found[0].message and found[0].customer_id == customer.pk
    # Negative: the dates no longer overlap.
    services.update_task(actor=boss, task=t2, version=t2.version, start_on=day(6))
    assert kinds(boss, "overlap") == []
    # Negative: same person.
    services.update_task(actor=boss, task=t2, version=t2.version, start_on=day(2), responsible=a)
    assert kinds(boss, "overlap") == []


def test_overlap_same_goal_and_different_area_is_not_overlap(people: Any) -> None:
    boss, a, b = people
    goal = services.create_goal(actor=boss, title="满意度")
    services.create_task(
        actor=boss, title="x", goal=goal, area=area("售后"), responsible=a, due_on=day(3)
    )
    other = services.create_task(
        actor=boss, title="y", goal=goal, area=area("投诉处理"), responsible=b, due_on=day(3)
    )
    assert kinds(boss, "overlap") == []
    services.update_task(actor=boss, task=other, version=other.version, area=area("售后"))
    found = kinds(boss, "overlap")
    assert len(found) == 1 and found[0].goal_id == goal.pk


def test_contradiction_two_owners_different_areas_same_window(
    people: Any, make_customer: Any
) -> None:
    boss, a, b = people
    customer = make_customer(boss)
    services.create_task(
        actor=boss,
        title="续约推进",
        customer=customer,
        area=area("销售"),
        responsible=a,
        start_on=day(1),
        due_on=day(10),
    )
    complaint = services.create_task(
        actor=boss,
        title="投诉处理",
        customer=customer,
        area=area("投诉处理"),
        responsible=b,
        start_on=day(5),
        due_on=day(12),
    )
    found = kinds(boss, "contradiction")
    assert len(found) == 1 and found[0].links[0]["url"] == f"/customers/{customer.pk}/"
    services.update_task(actor=boss, task=complaint, version=complaint.version, status="done")
    assert kinds(boss, "contradiction") == []


def test_do_not_contact(people: Any, make_customer: Any) -> None:
    boss, a, b = people
    customer = make_customer(boss)
    stop = services.create_task(
        actor=boss,
        title="客户要求暂停联系两周",
        customer=customer,
        responsible=a,
        start_on=day(0),
        due_on=day(14),
    )
    push = services.create_task(
        actor=boss, title="推荐新品", customer=customer, responsible=b, due_on=day(7)
    )
    found = kinds(boss, "do_not_contact")
    assert len(found) == 1 and found[0].severity == "high"
    assert set(found[0].task_ids) == {stop.pk, push.pk}
    # Negative: the other task ended before the pause began.
    services.update_task(actor=boss, task=push, version=push.version, due_on=day(-3))
    assert kinds(boss, "do_not_contact") == []


def test_goal_without_tasks(people: Any) -> None:
    boss, a, _b = people
    goal = services.create_goal(actor=boss, title="空目标")
    sub = services.create_goal(actor=boss, title="子目标", parent=goal)
    found = kinds(boss, "goal_without_tasks")
    assert {f.goal_id for f in found} == {goal.pk, sub.pk}
    services.create_task(actor=boss, title="t", goal=sub, responsible=a)
    assert kinds(boss, "goal_without_tasks") == []  # the task below counts for the parent too


def test_no_responsible_overdue_blocked(people: Any) -> None:
    boss, a, _b = people
    nobody = services.create_task(actor=boss, title="无人负责")
    late = services.create_task(actor=boss, title="逾期", responsible=a, due_on=day(-1))
    on_time = services.create_task(actor=boss, title="按时", responsible=a, due_on=day(0))
    stuck = services.create_task(actor=boss, title="卡住", responsible=a, status="blocked")
    assert [f.task_ids for f in kinds(boss, "no_responsible")] == [[nobody.pk]]
    assert [f.task_ids for f in kinds(boss, "overdue")] == [[late.pk]]
    assert [f.task_ids for f in kinds(boss, "blocked")] == [[stuck.pk]]
    assert on_time.pk not in {i for f in gaps.find_gaps(boss, today=day(0)) for i in f.task_ids}
    for task in (nobody, late, stuck):
        task.refresh_from_db()
        services.update_task(actor=boss, task=task, version=task.version, status="done")
    assert kinds(boss, "no_responsible") == kinds(boss, "overdue") == kinds(boss, "blocked") == []


def test_goal_late_by_task_due_and_by_dependency_chain(people: Any) -> None:
    boss, a, _b = people
    goal = services.create_goal(actor=boss, title="上线", due_on=day(20))
    first = services.create_task(
        actor=boss, title="准备", responsible=a, start_on=day(0), due_on=day(10)
    )
    last = services.create_task(
        actor=boss,
        title="上线",
        goal=goal,
        responsible=a,
        start_on=day(15),
        due_on=day(19),
        depends_on=[first],
    )
    assert kinds(boss, "goal_late") == []
    # The prerequisite (outside the goal) slips to day 17: 上线 needs 4 more days -> day 22.
    services.update_task(actor=boss, task=first, version=first.version, due_on=day(17))
    found = kinds(boss, "goal_late")
    assert len(found) == 1 and found[0].task_ids == [last.pk]
    assert day(22).isoformat() in found[0].message
    # A task due after the goal, no dependency involved.
    services.update_task(actor=boss, task=first, version=first.version, due_on=day(10))
    assert kinds(boss, "goal_late") == []
    services.update_task(actor=boss, task=last, version=last.version, due_on=day(25))
    assert len(kinds(boss, "goal_late")) == 1


def test_stale_goal_and_team(people: Any) -> None:
    from kehu.accounts.models import Team

    boss, a, _b = people
    team = Team.objects.create(name="客服组")
    team.members.add(a)
    goal = services.create_goal(actor=boss, title="旧目标", team=team)
    task = services.create_task(actor=boss, title="t", goal=goal, responsible=a)
    assert kinds(boss, "stale", stale_days=14) == []
    old = timezone.now() - dt.timedelta(days=20)
    Task.objects.filter(pk=task.pk).update(updated_at=old)
    Goal.objects.filter(pk=goal.pk).update(updated_at=old)
    found = kinds(boss, "stale", stale_days=14)
    assert [f.goal_id for f in found] == [goal.pk]
    team_found = kinds(boss, "stale", stale_days=14, team=team)
    assert {f.team_id for f in team_found} == {team.pk}
    assert kinds(boss, "stale", stale_days=30) == []


def test_findings_only_cover_what_the_viewer_sees(people: Any) -> None:
    boss, a, b = people
    services.create_task(actor=boss, title="别人的逾期", responsible=b, due_on=day(-2))
    assert kinds(a, "overdue") == []
    assert len(kinds(boss, "overdue")) == 1


def test_overlap_is_one_finding_per_group_with_every_task_involved(people: Any) -> None:
    boss, a, b = people
    goal = services.create_goal(actor=boss, title="大促")
    sales = area("销售")
    t1 = services.create_task(
        actor=boss, title="1", goal=goal, area=sales, responsible=a, start_on=day(0), due_on=day(9)
    )
    t2 = services.create_task(
        actor=boss, title="2", goal=goal, area=sales, responsible=b, start_on=day(3), due_on=day(4)
    )
    t3 = services.create_task(
        actor=boss, title="3", goal=goal, area=sales, responsible=b, start_on=day(8), due_on=day(12)
    )
    services.create_task(  # same person as t1 only, later: not involved
        actor=boss,
        title="4",
        goal=goal,
        area=sales,
        responsible=a,
        start_on=day(20),
        due_on=day(21),
    )
    found = kinds(boss, "overlap")
    assert len(found) == 1
    assert found[0].task_ids == [t1.pk, t2.pk, t3.pk]
    assert "艾米" in found[0].message and "鲍勃" in found[0].message


def test_an_overdue_open_task_finishes_no_earlier_than_today(people: Any) -> None:
    """The task was due on day -3 and is still open: it ends today at the earliest, which is
    after its goal's due date (day -1), so the goal is late."""
    boss, a, _b = people
    goal = services.create_goal(actor=boss, title="月底交付", due_on=day(-1))
    task = services.create_task(
        actor=boss, title="拖着的活", goal=goal, responsible=a, due_on=day(-3)
    )
    found = kinds(boss, "goal_late")
    assert [f.goal_id for f in found] == [goal.pk] and found[0].task_ids == [task.pk]
    assert day(0).isoformat() in found[0].message  # "cannot finish before" today
    services.update_task(actor=boss, task=task, version=task.version, status="done")
    assert kinds(boss, "goal_late") == []  # done: it no longer holds the goal back


def test_an_overdue_task_does_not_make_a_goal_due_later_late(people: Any) -> None:
    boss, a, _b = people
    services.create_goal(actor=boss, title="下月目标", due_on=day(10))
    goal = Goal.objects.get(title="下月目标")
    services.create_task(actor=boss, title="逾期小事", goal=goal, responsible=a, due_on=day(-2))
    assert kinds(boss, "goal_late") == []  # today is still before the goal's due date
    assert len(kinds(boss, "overdue")) == 1


def test_an_overdue_prerequisite_pushes_what_waits_for_it(people: Any) -> None:
    """The prerequisite was due on day -2 and is open: it ends today at the earliest, so the
    3-day task waiting for it cannot end before day 4, after its goal (day 3)."""
    boss, a, _b = people
    goal = services.create_goal(actor=boss, title="按期上线", due_on=day(3))
    first = services.create_task(actor=boss, title="前置", responsible=a, due_on=day(-2))
    last = services.create_task(
        actor=boss,
        title="收尾",
        goal=goal,
        responsible=a,
        start_on=day(0),
        due_on=day(3),
        depends_on=[first],
    )
    found = kinds(boss, "goal_late")
    assert len(found) == 1 and found[0].task_ids == [last.pk]
    assert day(4).isoformat() in found[0].message
    services.update_task(actor=boss, task=first, version=first.version, status="done")
    assert kinds(boss, "goal_late") == []

"""Gantt, my tasks, calendar, workload and gaps: content, scoping, writes with versions."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.utils import timezone

from kehu.work import services
from tests.work import viewkit as kit


@pytest.fixture
def lead(make_user: Any, user: Any, other_user: Any) -> Any:
    return kit.team_lead(make_user, [user, other_user])


def _sees_all(lead: Any) -> Any:
    """The lead's role sees every task (unassigned ones too), like a director without 2FA."""
    from kehu.accounts.models import Role

    role = Role.objects.get(code="project_manager")
    role.scopes = {**role.scopes, "task": "all", "goal": "all"}
    role.save(update_fields=["scopes"])
    return lead


def _rows(client: Any, query: str = "") -> dict[str, Any]:
    response = client.get(f"/work/gantt/data/{query}")
    assert response.status_code == 200
    return {r["name"].split(" · ")[0]: r for r in response.json()["tasks"]}


def test_gantt_has_dependencies_and_the_critical_path(client: Any, lead: Any, user: Any) -> None:
    g = kit.goal(lead, "升级")
    today = timezone.localdate()
    a = kit.task(
        lead, "调研", goal=g, responsible=user, start_on=today, due_on=today + dt.timedelta(days=9)
    )
    b = kit.task(
        lead, "培训", goal=g, responsible=user, start_on=today, due_on=today + dt.timedelta(days=1)
    )
    c = kit.task(
        lead,
        "上线",
        goal=g,
        responsible=user,
        start_on=today + dt.timedelta(days=10),
        due_on=today + dt.timedelta(days=12),
    )
    services.add_dependency(actor=lead, task=c, depends_on=a)
    services.add_dependency(actor=lead, task=c, depends_on=b)
    client.force_login(lead)
    rows = _rows(client)
    assert rows["上线"]["dependencies"] in (f"t{a.pk},t{b.pk}", f"t{b.pk},t{a.pk}")
    assert rows["调研"]["critical"] and rows["上线"]["critical"] and not rows["培训"]["critical"]
    page = client.get("/work/gantt/").content.decode()
    assert 'id="gantt-rows"' in page and "bar-critical" in page


def test_gantt_drag_saves_dates_and_refuses_a_stale_version(
    client: Any, lead: Any, user: Any
) -> None:
    t = kit.task(
        lead, "排期", responsible=user, start_on=dt.date(2026, 5, 1), due_on=dt.date(2026, 5, 3)
    )
    client.force_login(lead)
    ok = client.post(
        "/work/gantt/dates/",
        {"task": f"t{t.pk}", "version": 1, "start": "2026-05-04", "end": "2026-05-08"},
    )
    assert ok.status_code == 200 and ok.json()["version"] == 2
    t.refresh_from_db()
    assert (t.start_on, t.due_on) == (dt.date(2026, 5, 4), dt.date(2026, 5, 8))
    stale = client.post(
        "/work/gantt/dates/",
        {"task": f"t{t.pk}", "version": 1, "start": "2026-06-01", "end": "2026-06-02"},
    )
    assert stale.status_code == 409 and stale.json()["start"] == "2026-05-04"
    bad = client.post(
        "/work/gantt/dates/",
        {"task": f"t{t.pk}", "version": 2, "start": "2026-06-05", "end": "2026-06-01"},
    )
    assert bad.status_code == 400
    t.refresh_from_db()
    assert t.start_on == dt.date(2026, 5, 4)


def test_gantt_and_calendar_are_scoped(client: Any, lead: Any, user: Any, other_user: Any) -> None:
    day = timezone.localdate()
    kit.task(lead, "我的排期", responsible=user, due_on=day)
    hidden = kit.task(lead, "别人的排期", responsible=other_user, due_on=day)
    client.force_login(user)
    assert set(_rows(client)) == {"我的排期"}
    cal = client.get("/work/calendar/").content.decode()
    assert "我的排期" in cal and "别人的排期" not in cal
    assert (
        client.post(
            "/work/gantt/dates/",
            {"task": hidden.pk, "version": 1, "start": "2026-01-01", "end": "2026-01-02"},
        ).status_code
        == 404
    )


def test_my_tasks_are_grouped_by_due_date(client: Any, lead: Any, user: Any) -> None:
    today = timezone.localdate()
    kit.task(lead, "逾期的", responsible=user, due_on=today - dt.timedelta(days=2))
    kit.task(lead, "今天的", responsible=user, due_on=today)
    kit.task(lead, "以后的", responsible=user, due_on=today + dt.timedelta(days=30))
    kit.task(lead, "完成的", responsible=user, due_on=today, status="done")
    client.force_login(user)
    page = client.get("/work/mine/").content.decode()

    def section(key: str) -> str:
        start = page.index(f'data-group="{key}"')
        return page[start : page.index("</section>", start)]

    assert "逾期的" in section("overdue") and "今天的" in section("today")
    assert "以后的" in section("later") and "完成的" not in page


def test_calendar_months(client: Any, lead: Any, user: Any) -> None:
    kit.task(lead, "三月到期", responsible=user, due_on=dt.date(2026, 3, 17))
    client.force_login(lead)
    page = client.get("/work/calendar/?month=2026-03").content.decode()
    cell = page[page.index('data-day="2026-03-17"') :][:600]
    assert "三月到期" in cell
    assert "三月到期" not in client.get("/work/calendar/?month=2026-05").content.decode()


def test_workload_against_capacity(client: Any, lead: Any, user: Any, other_user: Any) -> None:
    from kehu.work.models import WorkerProfile

    WorkerProfile.objects.create(user=user, weekly_capacity_hours=10)
    monday = timezone.localdate() - dt.timedelta(days=timezone.localdate().weekday())
    kit.task(
        lead,
        "大活",
        responsible=user,
        start_on=monday,
        due_on=monday + dt.timedelta(days=4),
        estimate_hours=20,
    )
    kit.task(lead, "小活", responsible=other_user, start_on=monday, due_on=monday, estimate_hours=2)
    kit.task(lead, "没人管", responsible=None, area=kit.area("售后"))
    client.force_login(_sees_all(lead))
    page = client.get(f"/work/workload/?from={monday.isoformat()}").content.decode()
    row_user = page[page.index(">林雪<") :][:400]
    assert "20.0 / 10.0 h" in row_user and 'data-level="over"' in row_user
    row_other = page[page.index(">陈浩<") :][:400]
    assert 'data-level="under"' in row_other
    assert 'data-suggest="' in page  # who could take the unassigned task


def test_gaps_panel_groups_findings_and_table_marks_cells(
    client: Any, lead: Any, user: Any
) -> None:
    g = kit.goal(lead, "缺口目标")
    kit.task(lead, "没人负责的事", goal=g, responsible=None)
    client.force_login(_sees_all(lead))
    page = client.get("/work/gaps/").content.decode()
    assert 'data-kind="no_responsible"' in page and "没人负责的事" in page
    table = client.get("/work/table/").content.decode()
    assert 'data-gap="omission"' in table


@pytest.mark.parametrize(
    "url", ["/work/gantt/", "/work/mine/", "/work/calendar/", "/work/workload/", "/work/gaps/"]
)
def test_pages_keep_their_query_count(client: Any, lead: Any, make_user: Any, url: str) -> None:
    people = [make_user(f"q{i}", roles=("sales_rep",)) for i in range(20)]
    kit.team_of(lead).members.add(*people)
    goals = [kit.goal(lead, "目标A")]
    kit.many_tasks(lead, [*people, lead], goals, 25)
    client.force_login(lead)
    client.get(url)
    few, _r = kit.count_queries(lambda: client.get(url))
    kit.many_tasks(lead, [*people, lead], goals, 50)
    more, r = kit.count_queries(lambda: client.get(url))
    assert r.status_code == 200 and few == more


def test_gantt_rows_are_json_for_the_page(client: Any, lead: Any, user: Any) -> None:
    kit.task(lead, "</script><b>x", responsible=user, due_on=dt.date(2026, 1, 5))
    client.force_login(lead)
    page = client.get("/work/gantt/").content.decode()
    opening = page.index('id="gantt-rows"')
    start = page.index(">", opening) + 1
    data = json.loads(page[start : page.index("</script>", start)])  # escaped: one element
    assert data[0]["name"].startswith("</script><b>x")


@pytest.mark.parametrize("url", ["/work/gantt/", "/work/mine/", "/work/calendar/"])
def test_gantt_my_tasks_and_calendar_refresh_live(
    client: Any, lead: Any, user: Any, url: str
) -> None:
    """Each page loads the live script and answers its region alone to a fragment request, with
    the ids of the tasks it shows (so a change to one of them reaches it)."""
    today = timezone.localdate()
    task = kit.task(lead, "Live refresh", responsible=lead, start_on=today, due_on=today)
    client.force_login(lead)
    page = client.get(url).content.decode()
    assert "kehu/work/live.js" in page and "data-live-region" in page
    fragment = client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert fragment.lstrip().startswith("<div") and "<html" not in fragment
    assert "data-live-region" in fragment and "Live refresh" in fragment
    shown = f'data-task-id="{task.pk}"' in fragment or f"{task.pk} " in fragment
    assert shown


def test_gantt_fragment_lists_its_tasks_for_the_live_socket(client: Any, lead: Any) -> None:
    today = timezone.localdate()
    a = kit.task(lead, "甲", responsible=lead, start_on=today, due_on=today)
    b = kit.task(lead, "乙", responsible=lead, due_on=today)
    kit.task(lead, "没有日期", responsible=lead)
    client.force_login(lead)
    fragment = client.get("/work/gantt/", headers={"HX-Request": "true"}).content.decode()
    start = fragment.index('data-watch-ids="') + len('data-watch-ids="')
    ids = {int(x) for x in fragment[start : fragment.index('"', start)].split()}
    assert ids == {a.pk, b.pk}
    assert 'id="gantt-rows"' in fragment


def test_goal_findings_show_on_the_goal_row(client: Any, lead: Any, user: Any) -> None:
    """A goal without tasks and a goal that cannot finish in time are marked on their rows,
    linking to the gaps panel; a goal in good shape carries no marker."""
    today = timezone.localdate()
    empty = kit.goal(lead, "空目标")
    late = kit.goal(lead, "来不及的目标", due_on=today + dt.timedelta(days=3))
    kit.task(lead, "晚交的任务", goal=late, responsible=user, due_on=today + dt.timedelta(days=9))
    fine = kit.goal(lead, "正常目标", due_on=today + dt.timedelta(days=30))
    kit.task(lead, "按时的任务", goal=fine, responsible=user, due_on=today + dt.timedelta(days=5))
    client.force_login(_sees_all(lead))
    page = client.get("/work/table/").content.decode()

    def row(goal: Any) -> str:
        start = page.index(f'<tr data-row="{goal.pk}">')
        return page[start : page.index("</th>", start)]

    assert 'data-gap="goal_without_tasks"' in row(empty)
    assert f'href="/work/gaps/?goal={empty.pk}"' in row(empty)
    assert 'title="The goal “空目标” has no task' in row(empty) or "空目标" in row(empty)
    assert 'data-gap="goal_late"' in row(late) and "晚交的任务" in row(late)
    assert "data-gap=" not in row(fine)
    assert f'data-goal-id="{fine.pk}"' in row(fine)


def test_a_stale_goal_is_marked_on_its_row(client: Any, lead: Any, user: Any) -> None:
    from kehu.work.models import Goal, Task

    g = kit.goal(lead, "没人更新的目标")
    t = kit.task(lead, "搁置的任务", goal=g, responsible=user)
    old = timezone.now() - dt.timedelta(days=40)
    Task.objects.filter(pk=t.pk).update(updated_at=old)
    Goal.objects.filter(pk=g.pk).update(updated_at=old)
    client.force_login(_sees_all(lead))
    page = client.get("/work/table/").content.decode()
    start = page.index(f'<tr data-row="{g.pk}">')
    assert 'data-gap="stale"' in page[start : page.index("</th>", start)]

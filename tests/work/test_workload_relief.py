"""Taking work off over-loaded people: who could take a task (the same role as the person
responsible — for an unassigned task, the role its goal, team or area usually gets — skills,
least loaded), shown on the workload page and on the task page, with a one-click reassign that
respects versions."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from kehu.work import selectors, services
from kehu.work.models import Task, WorkerProfile
from tests.work import viewkit as kit


@pytest.fixture
def crew(make_user: Any) -> dict[str, Any]:
    """A lead who sees everything, two service agents (one swamped, one free), a sales rep."""
    from kehu.accounts.models import Role

    lead = make_user("relief-lead", display_name="经理", roles=("project_manager",))
    role = Role.objects.get(code="project_manager")
    role.scopes = {**role.scopes, "task": "all", "goal": "all"}
    role.save(update_fields=["scopes"])
    busy = make_user("busy", display_name="忙碌的客服", title="客服专员", roles=("sales_rep",))
    free = make_user("free", display_name="空闲的客服", title="客服专员", roles=("sales_rep",))
    other = make_user("rep", display_name="销售", title="销售代表", roles=("sales_rep",))
    WorkerProfile.objects.create(user=busy, weekly_capacity_hours=Decimal(10))
    return {"lead": lead, "busy": busy, "free": free, "other": other}


def _week() -> tuple[dt.date, dt.date]:
    today = timezone.localdate()
    monday = today - dt.timedelta(days=today.weekday())
    return monday, monday + dt.timedelta(days=4)


def _swamp(crew: dict[str, Any]) -> Task:
    start, end = _week()
    kit.task(crew["lead"], "大单回访", responsible=crew["busy"], estimate_hours=12,
             start_on=start, due_on=end)  # fmt: skip
    return kit.task(crew["lead"], "投诉跟进", responsible=crew["busy"], estimate_hours=6,
                    start_on=start, due_on=end)  # fmt: skip


def test_the_same_role_is_suggested_and_the_holder_is_not(crew: dict[str, Any]) -> None:
    task = _swamp(crew)
    assert selectors.responsible_overloaded(task)
    names = [p.name for p, _load in selectors.suggest_assignees(task)]
    assert names[0] == "空闲的客服" and "忙碌的客服" not in names


def test_a_person_within_capacity_is_not_overloaded(crew: dict[str, Any]) -> None:
    start, end = _week()
    light = kit.task(crew["lead"], "小事", responsible=crew["busy"], estimate_hours=3,
                     start_on=start, due_on=end)  # fmt: skip
    assert not selectors.responsible_overloaded(light)


def test_an_unassigned_task_gets_its_goals_usual_role(crew: dict[str, Any]) -> None:
    goal = kit.goal(crew["lead"], "客服升级")
    kit.task(crew["lead"], "培训", goal=goal, responsible=crew["busy"])
    kit.task(crew["lead"], "排班", goal=goal, responsible=crew["free"])
    orphan = kit.task(crew["lead"], "没人管的", goal=goal, responsible=None)
    assert selectors.usual_role(orphan) == "客服专员"
    names = {p.name for p, _load in selectors.suggest_assignees(orphan)}
    assert {"忙碌的客服", "空闲的客服"} <= names and "销售" not in names


def test_an_unassigned_task_without_goal_uses_its_areas_usual_role(
    crew: dict[str, Any],
) -> None:
    area = kit.area("售后")
    kit.task(crew["lead"], "售后一", area=area, responsible=crew["other"])
    orphan = kit.task(crew["lead"], "售后二", area=area, responsible=None)
    assert selectors.usual_role(orphan) == "销售代表"


def test_the_workload_page_offers_relief_for_over_loaded_people(
    client: Any, crew: dict[str, Any]
) -> None:
    task = _swamp(crew)
    client.force_login(crew["lead"])
    page = client.get("/work/workload/").content.decode()
    start = page.index('data-testid="relief"')
    relief = page[start : page.index("</section>", start)]
    assert "忙碌的客服" in relief and f'data-relief="{task.pk}"' in relief
    assert f'data-testid="give-to-{crew["free"].pk}"' in relief
    assert f'data-testid="give-to-{crew["busy"].pk}"' not in relief


def test_no_relief_section_when_nobody_is_over_capacity(client: Any, crew: dict[str, Any]) -> None:
    _start, end = _week()
    kit.task(crew["lead"], "轻松", responsible=crew["busy"], estimate_hours=2, due_on=end)
    client.force_login(crew["lead"])
    assert 'data-testid="relief"' not in client.get("/work/workload/").content.decode()


def test_the_task_page_says_who_could_take_it_and_gives_it_in_one_click(
    client: Any, crew: dict[str, Any]
) -> None:
    task = _swamp(crew)
    client.force_login(crew["lead"])
    page = client.get(f"/work/tasks/{task.pk}/").content.decode()
    assert 'data-testid="overloaded"' in page and 'data-testid="could-take"' in page
    assert f'data-testid="give-to-{crew["free"].pk}"' in page
    response = client.post(
        f"/work/tasks/{task.pk}/reassign/",
        {"person": crew["free"].pk, "version": task.version, "next": "/work/workload/"},
    )
    assert response.status_code == 302 and response["Location"] == "/work/workload/"
    task.refresh_from_db()
    assert task.responsible == crew["free"] and task.version == 2
    # the page no longer offers help: the new holder is within capacity
    after = client.get(f"/work/tasks/{task.pk}/").content.decode()
    assert 'data-testid="could-take"' not in after


def test_a_stale_one_click_reassign_changes_nothing(client: Any, crew: dict[str, Any]) -> None:
    task = _swamp(crew)
    services.update_task(actor=crew["lead"], task=task, version=1, title="改过了")
    client.force_login(crew["lead"])
    response = client.post(
        f"/work/tasks/{task.pk}/reassign/",
        {"person": crew["free"].pk, "version": 1, "next": "https://evil.example/"},
    )
    assert response.status_code == 302 and response["Location"] == f"/work/tasks/{task.pk}/"
    task.refresh_from_db()
    assert task.responsible == crew["busy"]
    page = client.get(response["Location"]).content.decode()
    assert "有人修改了这项任务" in page  # "someone changed this task meanwhile"


def test_who_cannot_change_the_task_cannot_give_it_away(client: Any, crew: dict[str, Any]) -> None:
    task = _swamp(crew)
    client.force_login(crew["other"])  # a rep who does not see the task
    response = client.post(
        f"/work/tasks/{task.pk}/reassign/", {"person": crew["other"].pk, "version": 1}
    )
    assert response.status_code == 404
    assert Task.objects.get(pk=task.pk).responsible == crew["busy"]

"""Goal, task, template, review and feedback-box pages."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from kehu.work import reviews, services, templating
from kehu.work.models import Goal, Proposal, Review, Task, WorkTemplate
from tests.conftest import force_login_verified


@pytest.fixture
def director(make_user: Any) -> Any:
    return make_user("zhou", display_name="周总", roles=("sales_director",))


def test_task_pages_and_actions(
    client: Any, user: Any, other_user: Any, settings: Any, tmp_path: Any
) -> None:
    settings.MEDIA_ROOT = str(tmp_path)
    client.force_login(user)
    response = client.post(
        "/work/tasks/new/",
        {
            "title": "整理知识库",
            "status": "todo",
            "progress": 0,
            "progress_mode": "manual",
            "recurrence": "none",
            "responsible": user.pk,
        },
    )
    task = Task.objects.get(title="整理知识库")
    assert response.status_code == 302 and response["Location"] == f"/work/tasks/{task.pk}/"
    other = services.create_task(actor=user, title="前置", responsible=user)
    client.post(f"/work/tasks/{task.pk}/checklist/", {"action": "add", "text": "分类"})
    client.post(f"/work/tasks/{task.pk}/comment/", {"body": "已开始"})
    client.post(f"/work/tasks/{task.pk}/dependency/", {"depends_on": other.pk})
    client.post(
        f"/work/tasks/{task.pk}/attachment/",
        {"file": SimpleUploadedFile("清单.txt", b"hello")},
    )
    page = client.get(f"/work/tasks/{task.pk}/").content.decode()
    for text in ("分类", "已开始", "前置", "清单.txt"):
        assert text in page
    # The loop is refused with its message shown, nothing saved.
    response = client.post(
        f"/work/tasks/{other.pk}/dependency/", {"depends_on": task.pk}, follow=True
    )
    assert "“前置” → “整理知识库” → “前置”" in response.content.decode()
    assert not other.depends_on.exists()
    listing = client.get("/work/tasks/?q=知识").content.decode()
    assert "整理知识库" in listing and "前置" not in listing
    # Someone else's task: every action answers 404.
    theirs = services.create_task(actor=other_user, title="别人的", responsible=other_user)
    for url, data in (
        (f"/work/tasks/{theirs.pk}/checklist/", {"action": "add", "text": "x"}),
        (f"/work/tasks/{theirs.pk}/comment/", {"body": "x"}),
        (f"/work/tasks/{theirs.pk}/dependency/", {"depends_on": task.pk}),
    ):
        assert client.post(url, data).status_code == 404
    assert not theirs.checklist.exists() and not theirs.comments.exists()


def test_task_edit_conflict_is_409_with_newer_values(client: Any, user: Any) -> None:
    task = services.create_task(actor=user, title="旧标题", responsible=user)
    client.force_login(user)
    form = {
        "title": "我的标题",
        "status": "todo",
        "progress": 0,
        "progress_mode": "manual",
        "recurrence": "none",
        "responsible": user.pk,
        "version": 1,
    }
    services.update_task(actor=user, task=task, version=1, title="别人改的")
    response = client.post(f"/work/tasks/{task.pk}/edit/", form)
    assert response.status_code == 409 and "别人改的" in response.content.decode()
    assert Task.objects.get(pk=task.pk).title == "别人改的"


def test_goal_pages_and_template_round_trip(client: Any, director: Any, user: Any) -> None:
    force_login_verified(client, director)
    response = client.post("/work/goals/new/", {"title": "满意度 4.5", "status": "open"})
    goal = Goal.objects.get(title="满意度 4.5")
    assert response.status_code == 302 and goal.owner == director
    services.create_task(actor=director, title="问卷", goal=goal, responsible=user)
    page = client.get(f"/work/goals/{goal.pk}/").content.decode()
    assert "问卷" in page
    client.post(f"/work/goals/{goal.pk}/save-template/", {"name": "我的模板"})
    template = WorkTemplate.objects.get(name="我的模板")
    assert client.get("/work/templates/").status_code == 200
    builtin = WorkTemplate.objects.get(code=templating.CS_UPGRADE_CODE)
    use = client.get(f"/work/templates/{builtin.pk}/use/").content.decode()
    assert "售后工程师" in use
    roles = templating.template_roles(template)
    response = client.post(
        f"/work/templates/{template.pk}/use/", {"start_on": "2026-09-07", "role_0": user.pk}
    )
    copy = Goal.objects.exclude(pk=goal.pk).get(title="满意度 4.5")
    assert response.status_code == 302 and copy.start_on == dt.date(2026, 9, 7)
    assert copy.tasks.get().responsible == user and len(roles) == 1


def test_rep_cannot_use_templates(client: Any, user: Any) -> None:
    client.force_login(user)
    builtin = WorkTemplate.objects.get(code=templating.CS_UPGRADE_CODE)
    assert client.get(f"/work/templates/{builtin.pk}/use/").status_code == 403
    assert client.get("/work/goals/new/").status_code == 403


def test_weekly_review_lists_done_slipped_blocked_and_carries_notes(
    client: Any, director: Any, user: Any
) -> None:
    goal = services.create_goal(actor=director, title="客服升级")
    week = reviews.week_start_for(dt.date.today())
    services.create_task(actor=director, title="完成的", goal=goal, status="done", responsible=user)
    services.create_task(
        actor=director,
        title="拖延的",
        goal=goal,
        responsible=user,
        due_on=week + dt.timedelta(days=1),
    )
    services.create_task(actor=director, title="卡住的", goal=goal, status="blocked")
    services.create_task(
        actor=director, title="下个月的", goal=goal, due_on=week + dt.timedelta(days=40)
    )
    force_login_verified(client, director)
    url = f"/work/review/?goal={goal.pk}&week={(week - dt.timedelta(days=7)).isoformat()}"
    client.post(url, {"action": "note", "person": user.pk, "body": "周五前交问卷"})
    url = f"/work/review/?goal={goal.pk}&week={week.isoformat()}"
    page = client.get(url).content.decode()
    assert "完成的" in page and "拖延的" in page and "卡住的" in page
    assert "下个月的" not in page
    client.post(url, {"summary": "本周进展正常"})
    review = Review.objects.get(goal=goal, week_start=week)
    carried = review.notes.get()
    assert carried.body == "周五前交问卷" and carried.carried_from is not None
    assert "周五前交问卷" in client.get(url).content.decode()
    client.force_login(user)
    assert client.post(url, {"summary": "x"}).status_code == 403


def test_review_weekday_is_configurable(settings: Any) -> None:
    settings.KEHU_WORK_REVIEW_WEEKDAY = 4  # Friday
    assert reviews.week_start_for(dt.date(2026, 6, 3)) == dt.date(2026, 5, 29)  # Wed -> Fri before
    settings.KEHU_WORK_REVIEW_WEEKDAY = 0
    assert reviews.week_start_for(dt.date(2026, 6, 3)) == dt.date(2026, 6, 1)


def test_open_weekly_reviews_job(director: Any) -> None:
    from kehu.core.models import Notification

    goal = services.create_goal(actor=director, title="g")
    monday = dt.date(2026, 6, 1)
    assert reviews.open_weekly_reviews(today=monday + dt.timedelta(days=1)) == 0
    assert reviews.open_weekly_reviews(today=monday) == 1
    assert reviews.open_weekly_reviews(today=monday) == 0
    assert Review.objects.filter(goal=goal, week_start=monday).count() == 1
    assert Notification.objects.filter(recipient=director, kind="work.review").count() == 1


def test_feedback_box_page_anonymous(client: Any, user: Any, director: Any) -> None:
    client.force_login(user)
    client.post("/work/proposals/", {"body": "匿名建议", "anonymous": "on"})
    client.post("/work/proposals/", {"body": "实名建议"})
    anon = Proposal.objects.get(body="匿名建议")
    assert anon.author_id is None and Proposal.objects.get(body="实名建议").author == user
    page = client.get("/work/proposals/").content.decode()
    assert "实名建议" in page and "匿名建议" not in page  # not theirs any more: it has no author
    assert client.post(f"/work/proposals/{anon.pk}/respond/", {"status": "done"}).status_code == 403
    force_login_verified(client, director)
    client.post(f"/work/proposals/{anon.pk}/respond/", {"status": "accepted", "response": "采纳"})
    anon.refresh_from_db()
    assert anon.status == "accepted" and anon.responded_by == director
    client.force_login(user)
    assert "匿名建议" in client.get("/work/proposals/").content.decode()  # accepted: shown to all


def test_starting_a_template_on_the_page_takes_a_team_and_a_customer(
    client: Any, director: Any, user: Any, make_customer: Any
) -> None:
    from kehu.accounts.models import Team

    team = Team.objects.create(name="华东客服组")
    team.members.add(director)
    mine = make_customer(director, "杭州某某电商有限公司")
    builtin = WorkTemplate.objects.get(code=templating.CS_UPGRADE_CODE)
    force_login_verified(client, director)
    page = client.get(f"/work/templates/{builtin.pk}/use/").content.decode()
    assert 'name="team"' in page and 'name="customer"' in page
    assert f'<option value="{team.pk}" selected>' in page  # the user's only team preset
    response = client.post(
        f"/work/templates/{builtin.pk}/use/",
        {"start_on": "2026-09-07", "team": team.pk, "customer": mine.pk, "role_0": user.pk},
    )
    assert response.status_code == 302
    goal = Goal.objects.get(pk=response["Location"].rstrip("/").rsplit("/", 1)[1])
    assert goal.team == team
    assert Task.objects.filter(customer=mine).count() == 13  # every task of the plan
    # a customer number nobody can see (or that does not exist) is refused, nothing is created
    count = Goal.objects.count()
    refused = client.post(
        f"/work/templates/{builtin.pk}/use/",
        {"start_on": "2026-09-07", "customer": mine.pk + 1000},
    )
    assert refused.status_code == 400 and Goal.objects.count() == count
    assert "没有您可见的客户使用这个编号" in refused.content.decode()

"""The division table page: grid, scoping, in-place edit with versions, XLSX, share links."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from kehu.work import services, sharing
from kehu.work.models import Task
from kehu.work.models_share import TableShareLink
from tests.work import viewkit as kit


@pytest.fixture
def director(make_user: Any, user: Any, other_user: Any) -> Any:
    """A project manager leading the team of 林雪 and 陈浩 (sees the team's tasks)."""
    return kit.team_lead(make_user, [user, other_user])


def test_table_shows_people_as_columns_goals_as_rows_with_labels_and_progress(
    client: Any, director: Any, user: Any, other_user: Any
) -> None:
    g = kit.goal(director, "提升客户满意度")
    kit.task(director, "客户调研", goal=g, responsible=user, label=kit.label("P0"), progress=40)
    kit.task(director, "投诉处理", goal=g, responsible=other_user, label=kit.label("P2"))
    client.force_login(director)
    page = client.get("/work/table/").content.decode()
    assert "提升客户满意度" in page
    assert page.index(">林雪<") and page.index(">陈浩<")  # people are column headers
    assert 'data-label="P0"' in page and 'aria-valuenow="40"' in page
    assert f'data-cell="{g.pk}:{user.pk}"' in page


def test_by_area_and_transposed(client: Any, director: Any, user: Any) -> None:
    kit.task(director, "售后回访", area=kit.area("售后"), responsible=user)
    client.force_login(director)
    by_area = client.get("/work/table/?by=area").content.decode()
    assert "售后回访" in by_area and f'data-row="{kit.area("售后").pk}"' in by_area
    flipped = client.get("/work/table/?by=area&transpose=1").content.decode()
    assert f'data-row="{user.pk}"' in flipped


def test_filters_narrow_the_table(client: Any, director: Any, user: Any) -> None:
    kit.task(director, "要紧的事", label=kit.label("P0"), responsible=user)
    kit.task(director, "不急的事", label=kit.label("P3"), responsible=user, status="doing")
    client.force_login(director)
    p0 = client.get(f"/work/table/?label={kit.label('P0').pk}").content.decode()
    assert "要紧的事" in p0 and "不急的事" not in p0
    doing = client.get("/work/table/?status=doing").content.decode()
    assert "不急的事" in doing and "要紧的事" not in doing


def test_a_rep_sees_only_their_own_tasks(
    client: Any, director: Any, user: Any, other_user: Any
) -> None:
    kit.task(director, "林雪的任务", responsible=user)
    kit.task(director, "陈浩的任务", responsible=other_user)
    client.force_login(user)
    page = client.get("/work/table/").content.decode()
    assert "林雪的任务" in page and "陈浩的任务" not in page
    hidden = Task.objects.get(title="陈浩的任务")
    assert client.get(f"/work/cards/{hidden.pk}/").status_code == 404
    assert client.post(f"/work/cards/{hidden.pk}/quick/", {"version": 1}).status_code == 404


def test_query_count_does_not_grow_with_tasks(client: Any, director: Any, make_user: Any) -> None:
    people = [make_user(f"p{i}", roles=("sales_rep",)) for i in range(20)]
    kit.team_of(director).members.add(*people)
    goals = [kit.goal(director, f"目标{i}") for i in range(3)]
    kit.many_tasks(director, people, goals, 40)
    client.force_login(director)
    client.get("/work/table/")
    few, r1 = kit.count_queries(lambda: client.get("/work/table/"))
    kit.many_tasks(director, people, [*goals, kit.goal(director, "目标X")], 120)
    more, r2 = kit.count_queries(lambda: client.get("/work/table/"))
    assert r1.status_code == r2.status_code == 200
    assert r2.content.decode().count("data-task-id=") == 160
    assert few == more


def test_in_place_edit_and_stale_version(client: Any, director: Any, user: Any) -> None:
    t = kit.task(director, "整理投诉", responsible=user)
    client.force_login(director)
    form = client.get(f"/work/cards/{t.pk}/?edit=1").content.decode()
    assert 'name="version" value="1"' in form
    data = {
        "version": 1,
        "status": "doing",
        "progress": 30,
        "responsible": user.pk,
        "label": kit.label("P1").pk,
    }
    ok = client.post(f"/work/cards/{t.pk}/quick/", data, HTTP_HX_REQUEST="true")
    assert ok.status_code == 200
    t.refresh_from_db()
    assert (t.status, t.progress, t.label.code, t.version) == ("doing", 30, "P1", 2)
    stale = client.post(f"/work/cards/{t.pk}/quick/", {**data, "progress": 90})
    assert stale.status_code == 409
    assert 'aria-valuenow="30"' in stale.content.decode()  # the newer state is shown
    t.refresh_from_db()
    assert t.progress == 30


def test_a_viewer_without_change_right_cannot_edit(
    client: Any, make_user: Any, director: Any
) -> None:
    from kehu.accounts.models import Role

    Role.objects.filter(code="sales_rep").update(permissions=["task.view", "goal.view"])
    rep = make_user("viewer", roles=("sales_rep",))
    t = kit.task(director, "只读任务", responsible=rep)
    client.force_login(rep)
    assert "edit-card" not in client.get("/work/table/").content.decode()
    data = {"version": 1, "status": "done", "progress": 100, "responsible": rep.pk}
    assert client.post(f"/work/cards/{t.pk}/quick/", data).status_code == 403


def test_xlsx_export_has_the_table_and_neutralises_formulas(
    client: Any, director: Any, user: Any
) -> None:
    g = kit.goal(director, "=HYPERLINK(1)")
    kit.task(director, "客户回访", goal=g, responsible=user, label=kit.label("P0"), progress=50)
    client.force_login(director)
    response = client.get("/work/table/export.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[0][0] == "Goal" or rows[0][0] == "目标"
    assert "林雪" in rows[0]
    goal_row = next(r for r in rows if r[0] and "HYPERLINK" in r[0])
    assert goal_row[0] == "'=HYPERLINK(1)"
    assert "客户回访 [P0]" in goal_row[rows[0].index("林雪")]


def test_share_link_is_read_only_revocable_and_expires(
    client: Any, director: Any, user: Any
) -> None:
    kit.task(director, "共享的任务", responsible=user, label=kit.label("P0"))
    client.force_login(director)
    response = client.post("/work/table/share/", {"days": 3, "query": "by=goal"})
    assert response.status_code == 302
    url = client.session["work_share_url"]
    token = url.rstrip("/").rsplit("/", 1)[1]
    link = TableShareLink.objects.get()
    assert token not in link.token_hash and len(link.token_hash) == 64
    client.logout()
    page = client.get(f"/work/shared/{token}/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "共享的任务" in html and "quick-form" not in html and "edit-card" not in html
    assert client.get(f"/work/shared/{token}/export.xlsx").status_code == 200
    assert client.get("/work/shared/not-a-token/").status_code == 404
    # expiry
    TableShareLink.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    assert client.get(f"/work/shared/{token}/").status_code == 404
    # revocation
    TableShareLink.objects.update(expires_at=timezone.now() + dt.timedelta(days=1))
    assert client.get(f"/work/shared/{token}/").status_code == 200
    client.force_login(director)
    assert client.post(f"/work/table/share/{link.pk}/revoke/").status_code == 302
    client.logout()
    assert client.get(f"/work/shared/{token}/").status_code == 404


def test_someone_else_cannot_revoke_my_link(client: Any, director: Any, user: Any) -> None:
    link, _raw = sharing.create_share_link(actor=director)
    client.force_login(user)
    assert client.post(f"/work/table/share/{link.pk}/revoke/").status_code == 404
    link.refresh_from_db()
    assert link.revoked_at is None


def test_anonymous_is_sent_to_sign_in(client: Any) -> None:
    for url in (
        "/work/table/",
        "/work/board/",
        "/work/gantt/",
        "/work/mine/",
        "/work/calendar/",
        "/work/workload/",
        "/work/gaps/",
    ):
        response = client.get(url)
        assert response.status_code == 302 and "/login/" in response["Location"], url


def test_a_card_says_where_it_belongs_for_a_live_refresh(
    client: Any, director: Any, user: Any, other_user: Any
) -> None:
    """A live refresh fetches one changed card with the table's query: the answer names the
    cell (row:column) a full render would put it in, its goal's progress, or 204 when the card
    no longer matches the table's filters."""
    g = kit.goal(director, "单卡刷新")
    area = kit.area("售后")
    task = kit.task(director, "换人的任务", goal=g, area=area, responsible=user, progress=30)
    client.force_login(director)
    table = client.get("/work/table/").content.decode()
    assert 'data-card-url="/work/cards/0/"' in table

    def place(query: str) -> Any:
        return client.get(f"/work/cards/{task.pk}/?place=1&{query}", headers={"HX-Request": "true"})

    by_goal = place("")
    assert by_goal.status_code == 200 and by_goal["X-Kehu-Cell"] == f"{g.pk}:{user.pk}"
    assert (
        by_goal["X-Kehu-Goal"] == f"{g.pk}:30"
        and f'id="card-{task.pk}"' in by_goal.content.decode()
    )
    assert f'data-cell="{g.pk}:{user.pk}"' in table  # the same key the table uses
    task = services.update_task(
        actor=director, task=task, version=task.version, responsible=other_user
    )
    assert place("")["X-Kehu-Cell"] == f"{g.pk}:{other_user.pk}"
    assert place("by=area&transpose=1")["X-Kehu-Cell"] == f"{other_user.pk}:{area.pk}"
    assert place(f"person={user.pk}").status_code == 204  # filtered out of this table now
    assert place(f"person={other_user.pk}").status_code == 200

"""The kanban: columns by status/person/label, moves with versions, WIP limits, live pushes."""

from __future__ import annotations

from typing import Any

import pytest

from kehu.work.models import Task, WipLimit
from tests.work import viewkit as kit


@pytest.fixture
def lead(make_user: Any, user: Any, other_user: Any) -> Any:
    return kit.team_lead(make_user, [user, other_user])


def _move(
    client: Any,
    task: Any,
    column: str,
    version: int | None = None,
    mode: str = "status",
    position: int = 0,
) -> Any:
    return client.post(
        f"/work/board/move/?mode={mode}",
        {
            "task": task.pk,
            "version": version or task.version,
            "column": column,
            "position": position,
        },
    )


def test_board_columns_by_status_person_and_label(client: Any, lead: Any, user: Any) -> None:
    kit.task(lead, "写周报", responsible=user, label=kit.label("P1"), status="doing")
    client.force_login(lead)
    by_status = client.get("/work/board/").content.decode()
    assert 'data-column="doing"' in by_status and "写周报" in by_status
    by_person = client.get("/work/board/?mode=person").content.decode()
    assert f'data-column="{user.pk}"' in by_person
    by_label = client.get("/work/board/?mode=label").content.decode()
    assert f'data-column="{kit.label("P1").pk}"' in by_label


def test_drop_moves_the_task_and_stale_drop_is_refused(client: Any, lead: Any, user: Any) -> None:
    t = kit.task(lead, "回访客户", responsible=user)
    client.force_login(lead)
    response = _move(client, t, "doing")
    assert response.status_code == 200
    t.refresh_from_db()
    assert (t.status, t.version) == ("doing", 2)
    stale = _move(client, t, "done", version=1)
    assert stale.status_code == 409
    assert "X-Kehu-Message" in stale
    t.refresh_from_db()
    assert t.status == "doing"


def test_drop_on_a_person_or_a_label(client: Any, lead: Any, user: Any, other_user: Any) -> None:
    t = kit.task(lead, "换人", responsible=user)
    client.force_login(lead)
    assert _move(client, t, str(other_user.pk), mode="person").status_code == 200
    t.refresh_from_db()
    assert t.responsible == other_user
    assert _move(client, t, str(kit.label("P0").pk), mode="label").status_code == 200
    t.refresh_from_db()
    assert t.label.code == "P0"
    assert _move(client, t, "none", mode="label").status_code == 200
    t.refresh_from_db()
    assert t.label is None


def test_wip_limit_is_enforced_with_a_message(client: Any, lead: Any, user: Any) -> None:
    WipLimit.objects.create(status="doing", limit=1)
    kit.task(lead, "进行中的", responsible=user, status="doing")
    waiting = kit.task(lead, "等待的", responsible=user)
    client.force_login(lead)
    page = client.get("/work/board/").content.decode()
    assert 'data-wip="1"' in page
    refused = _move(client, waiting, "doing")
    assert refused.status_code == 409
    from urllib.parse import unquote

    assert "1" in unquote(refused["X-Kehu-Message"])
    waiting.refresh_from_db()
    assert waiting.status == "todo"


def test_a_rep_cannot_move_what_they_cannot_see(
    client: Any, lead: Any, user: Any, other_user: Any
) -> None:
    hidden = kit.task(lead, "别人的", responsible=other_user)
    client.force_login(user)
    assert "别人的" not in client.get("/work/board/").content.decode()
    assert _move(client, hidden, "done").status_code == 404
    assert Task.objects.get(pk=hidden.pk).status == "todo"


def test_board_query_count_is_constant(client: Any, lead: Any, make_user: Any) -> None:
    people = [make_user(f"k{i}", roles=("sales_rep",)) for i in range(20)]
    kit.team_of(lead).members.add(*people)
    goals = [kit.goal(lead, "目标")]
    kit.many_tasks(lead, people, goals, 30)
    client.force_login(lead)
    for mode in ("status", "person", "label"):
        client.get(f"/work/board/?mode={mode}")
        few, _r = kit.count_queries(lambda m=mode: client.get(f"/work/board/?mode={m}"))
        kit.many_tasks(lead, people, goals, 30)
        more, r = kit.count_queries(lambda m=mode: client.get(f"/work/board/?mode={m}"))
        assert r.status_code == 200 and few == more, mode

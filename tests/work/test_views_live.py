"""Live boards over the WebSocket: an id-only ping, only to those who may see the task."""

from __future__ import annotations

from typing import Any

import pytest
from asgiref.sync import async_to_sync, sync_to_async

from kehu.asgi import application
from kehu.work import services
from tests.core.test_realtime import session_cookie_for
from tests.work import viewkit as kit
from tests.wsclient import WebsocketCommunicator

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def work_rights(db: Any) -> None:
    """A transactional test's flush also removes the task rights the work migration granted."""
    from kehu.accounts.models import Role
    from kehu.accounts.roles import create_default_roles
    from kehu.work.roles import grant_work

    create_default_roles(Role)
    grant_work(Role)


def connect(cookie: str | None = None) -> WebsocketCommunicator:
    headers = [(b"origin", b"http://127.0.0.1"), (b"host", b"127.0.0.1")]
    if cookie:
        headers.append((b"cookie", cookie.encode()))
    return WebsocketCommunicator(application, "/ws/work/", headers=headers)


def test_a_change_reaches_who_can_see_it_and_nobody_else(make_user: Any) -> None:
    owner = make_user("owner", roles=("sales_rep",))
    stranger = make_user("stranger", roles=("sales_rep",))
    task = kit.task(owner, "实时任务", responsible=owner)
    async_to_sync(_pushes)(owner, stranger, task)


async def _pushes(owner: Any, stranger: Any, task: Any) -> None:
    mine = connect(await sync_to_async(session_cookie_for)(owner))
    theirs = connect(await sync_to_async(session_cookie_for)(stranger))
    assert (await mine.connect(timeout=15))[0]
    assert await mine.receive_json_from(timeout=15) == {"type": "hello"}
    assert (await theirs.connect(timeout=15))[0]
    assert await theirs.receive_json_from(timeout=15) == {"type": "hello"}
    await sync_to_async(services.move_task)(actor=owner, task=task, status="doing")
    message = await mine.receive_json_from(timeout=15)
    assert message == {
        "type": "task.changed",
        "task_id": task.pk,
        "visible": True,
        "mine": True,
        "own": False,
    }
    assert await theirs.receive_nothing(timeout=0.5)
    await mine.disconnect()
    await theirs.disconnect()


def test_a_card_that_leaves_my_scope_is_announced_to_me_only_if_i_showed_it(make_user: Any) -> None:
    owner = make_user("owner2", roles=("sales_rep",))
    other = make_user("other2", roles=("sales_rep",))
    admin = make_user("boss", is_superuser=True)
    task = kit.task(owner, "转交", responsible=owner)
    async_to_sync(_leaves)(owner, other, admin, task)


async def _leaves(owner: Any, other: Any, admin: Any, task: Any) -> None:
    ws = connect(await sync_to_async(session_cookie_for)(owner))
    assert (await ws.connect())[0]
    await ws.receive_json_from(timeout=15)
    await ws.send_json_to({"type": "watch", "ids": [task.pk]})
    await sync_to_async(services.update_task)(
        actor=admin, task=task, version=task.version, responsible=other
    )
    message = await ws.receive_json_from(timeout=15)
    assert message["task_id"] == task.pk and message["visible"] is False
    await ws.disconnect()


def test_anonymous_board_sockets_are_closed() -> None:
    async_to_sync(_anonymous)()


async def _anonymous() -> None:
    connected, code = await connect().connect()
    assert not connected and code == 4401


def test_only_the_page_that_made_a_change_is_told_it_is_its_own(make_user: Any) -> None:
    """Two tabs of one person: the tab whose in-place edit saved the task hears "own" and keeps
    what it shows; the other tab is told to refresh like anybody else's."""
    owner = make_user("tabs", roles=("sales_rep",))
    task = kit.task(owner, "两个标签页", responsible=owner)
    async_to_sync(_two_tabs)(owner, task)


async def _two_tabs(owner: Any, task: Any) -> None:
    from django.test import Client

    cookie = await sync_to_async(session_cookie_for)(owner)
    first, second = connect(cookie), connect(cookie)
    for ws, client in ((first, "tab-one-123"), (second, "tab-two-456")):
        assert (await ws.connect(timeout=15))[0]
        await ws.receive_json_from(timeout=15)
        await ws.send_json_to({"type": "watch", "ids": [task.pk], "client": client})
    http = Client()
    await sync_to_async(http.force_login)(owner)
    response = await sync_to_async(http.post)(
        f"/work/cards/{task.pk}/quick/",
        {"version": task.version, "status": "doing", "progress": 10, "responsible": owner.pk},
        headers={"X-Kehu-Client": "tab-one-123", "HX-Request": "true"},
    )
    assert response.status_code == 200
    heard_first = await first.receive_json_from(timeout=15)
    heard_second = await second.receive_json_from(timeout=15)
    assert heard_first["task_id"] == task.pk and heard_first["own"] is True
    assert heard_second["task_id"] == task.pk and heard_second["own"] is False
    assert heard_second["mine"] is True  # the same person, yet another page: it refreshes
    await first.disconnect()
    await second.disconnect()


def test_goal_changes_reach_who_can_see_the_goal(make_user: Any) -> None:
    owner = make_user("goalowner", roles=("sales_rep",))
    stranger = make_user("goalstranger", roles=("sales_rep",))
    goal = services.create_goal(actor=owner, title="季度目标")
    async_to_sync(_goal_pushes)(owner, stranger, goal)


async def _goal_pushes(owner: Any, stranger: Any, goal: Any) -> None:
    mine = connect(await sync_to_async(session_cookie_for)(owner))
    theirs = connect(await sync_to_async(session_cookie_for)(stranger))
    for ws in (mine, theirs):
        assert (await ws.connect(timeout=15))[0]
        await ws.receive_json_from(timeout=15)
    await sync_to_async(services.update_goal)(
        actor=owner, goal=goal, version=goal.version, title="季度目标（修订）"
    )
    message = await mine.receive_json_from(timeout=15)
    assert message["type"] == "goal.changed" and message["goal_id"] == goal.pk
    assert message["visible"] is True
    assert await theirs.receive_nothing(timeout=0.5)
    await mine.disconnect()
    await theirs.disconnect()

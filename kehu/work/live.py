"""Live boards: task and goal events become small "changed" pings on a WebSocket.

Nothing about a task or goal travels over the socket but its id, and only to connections whose
user can see it now (checked per connection, through the same selectors the pages use) or that
said they show it (so a card that left someone's scope disappears). The page then re-fetches its
fragment through the normal scoped view: the socket never becomes a second door to the data.

Each open page has a random client id that it sends with its writes (``X-Kehu-Client``) and
with its ``watch`` message; a ping caused by that very page says ``own`` so the page, which
already shows its change, does not fetch it again. The same person's other tabs do refresh.
"""

from __future__ import annotations

import logging
import re
from typing import Any

from asgiref.sync import async_to_sync
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from channels.layers import get_channel_layer

from kehu.core.events import Event, subscribe

logger = logging.getLogger(__name__)

BOARD_GROUP = "work.tasks"
UNAUTHENTICATED = 4401
MAX_WATCHED = 5000
CLIENT_HEADER = "X-Kehu-Client"
CLIENT_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
TASK_EVENTS = {"task.changed", "task.created", "task.deleted"}
GOAL_EVENTS = {"goal.changed", "goal.created", "goal.deleted"}


def client_id(value: Any) -> str:
    """A page's client id as sent by live.js, or "" when absent or malformed."""
    return value if isinstance(value, str) and CLIENT_ID.match(value) else ""


def _origin_client() -> str:
    """The client id of the page whose request caused the write being announced (the request is
    the one simple-history's middleware keeps for the current thread or task)."""
    from simple_history.models import HistoricalRecords

    request = getattr(HistoricalRecords.context, "request", None)
    if request is None:
        return ""
    return client_id(request.headers.get(CLIENT_HEADER))


def _send(kind: str, event: Event) -> None:
    layer = get_channel_layer()
    if layer is None or event.object_id is None:
        return
    async_to_sync(layer.group_send)(
        BOARD_GROUP,
        {
            "type": f"{kind}_event",
            "event": event.name,
            "id": int(event.object_id),
            "actor_id": event.actor_id,
            "client": _origin_client(),
        },
    )


@subscribe("task.*")
def push_task_event(event: Event) -> None:
    """After commit: tell every open board which task changed (each connection filters)."""
    if event.name in TASK_EVENTS:
        _send("task", event)


@subscribe("goal.*")
def push_goal_event(event: Event) -> None:
    """After commit: a goal's title, dates, status or progress changed; pages showing it (goal
    rows of the division table, the gaps they carry) refresh."""
    if event.name in GOAL_EVENTS:
        _send("goal", event)


def _can_see(user: Any, task_id: int) -> bool:
    from kehu.work.selectors import tasks_visible_to

    user.refresh_from_db(fields=["is_active"])
    return bool(user.is_active) and tasks_visible_to(user).filter(pk=task_id).exists()


def _can_see_goal(user: Any, goal_id: int) -> bool:
    from kehu.work.selectors import goals_visible_to

    user.refresh_from_db(fields=["is_active"])
    return bool(user.is_active) and goals_visible_to(user).filter(pk=goal_id).exists()


class BoardConsumer(AsyncJsonWebsocketConsumer):  # type: ignore[misc]
    """``/ws/work/``: pings ``{"type": "task.changed", "task_id": …}`` for visible tasks and
    ``{"type": "goal.changed", "goal_id": …}`` for visible goals."""

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated or not user.is_active:
            await self.close(code=UNAUTHENTICATED)
            return
        self.watched: set[int] = set()
        self.watched_goals: set[int] = set()
        self.client = ""
        await self.channel_layer.group_add(BOARD_GROUP, self.channel_name)
        await self.accept()
        await self.send_json({"type": "hello"})

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "watched"):
            await self.channel_layer.group_discard(BOARD_GROUP, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        """``{"type": "watch", "ids": [...], "goals": [...], "client": "…"}``: the task and goal
        ids the page shows now, and the page's client id."""
        if not isinstance(content, dict):
            return
        if content.get("type") == "ping":
            await self.send_json({"type": "pong"})
        elif content.get("type") == "watch":
            self.watched = _ids(content.get("ids"))
            self.watched_goals = _ids(content.get("goals"))
            self.client = client_id(content.get("client")) or self.client

    async def task_event(self, message: dict[str, Any]) -> None:
        await self._relay(message, "task_id", _can_see, self.watched)

    async def goal_event(self, message: dict[str, Any]) -> None:
        await self._relay(message, "goal_id", _can_see_goal, self.watched_goals)

    async def _relay(
        self, message: dict[str, Any], key: str, can_see: Any, watched: set[int]
    ) -> None:
        pk = int(message["id"])
        user = self.scope["user"]
        if message["event"].endswith(".deleted"):
            visible = False
        else:
            visible = await database_sync_to_async(can_see)(user, pk)
        if not visible and pk not in watched:
            return
        await self.send_json(
            {
                "type": message["event"],
                key: pk,
                "visible": visible,
                "mine": message.get("actor_id") == user.pk,
                "own": bool(self.client) and message.get("client") == self.client,
            }
        )


def _ids(value: Any) -> set[int]:
    if not isinstance(value, list):
        return set()
    return {i for i in value[:MAX_WATCHED] if isinstance(i, int)}

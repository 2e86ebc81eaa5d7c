"""WebSocket endpoints."""

from __future__ import annotations

from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from kehu.core.realtime import user_group
from kehu.core.selectors import unread_count

UNAUTHENTICATED = 4401


class NotificationConsumer(AsyncJsonWebsocketConsumer):  # type: ignore[misc]
    """Pushes the signed-in user's notifications; refuses anonymous and inactive users."""

    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated or not user.is_active:
            await self.close(code=UNAUTHENTICATED)
            return
        self.group = user_group(user.pk)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        count = await database_sync_to_async(unread_count)(user)
        await self.send_json({"type": "hello", "unread": count})

    async def disconnect(self, code: int) -> None:
        group = getattr(self, "group", None)
        if group:
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if isinstance(content, dict) and content.get("type") == "ping":
            await self.send_json({"type": "pong"})

    async def push(self, message: dict[str, Any]) -> None:
        await self.send_json(message["payload"])

    async def disconnect_user(self, message: dict[str, Any]) -> None:
        """The account was deactivated or signed out everywhere: close at once."""
        await self.close(code=UNAUTHENTICATED)

"""Writes owned by core: the notification inbox."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from kehu.core.events import Event, publish
from kehu.core.models import Notification


@transaction.atomic
def notify(
    *,
    recipient: Any,
    title: str,
    body: str = "",
    url: str = "",
    level: str = Notification.Level.INFO,
    kind: str = "",
) -> Notification | None:
    """Put a notification in ``recipient``'s inbox and push it live once committed.

    Inactive users get nothing: a deactivated account must not keep receiving company data.
    """
    if recipient is None or not recipient.is_active:
        return None
    notification = Notification.objects.create(
        recipient=recipient, title=title[:200], body=body, url=url, level=level, kind=kind
    )
    publish(
        Event(
            "notification.created",
            object_type="notification",
            object_id=notification.pk,
            data={"recipient_id": recipient.pk},
        )
    )
    return notification


@transaction.atomic
def mark_notifications_read(*, user: Any, ids: list[int] | None = None) -> int:
    """Mark the given notifications of ``user`` (all unread ones when ``ids`` is None) read."""
    qs = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(pk__in=ids)
    count = qs.update(read_at=timezone.now())
    if count:
        publish(Event("notification.read", data={"recipient_id": user.pk}))
    return count

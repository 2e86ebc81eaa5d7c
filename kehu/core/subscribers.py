"""Event subscribers owned by core: live notification pushes."""

from __future__ import annotations

from kehu.core.events import Event, subscribe
from kehu.core.models import Notification
from kehu.core.realtime import disconnect_user, push_to_user
from kehu.core.selectors import unread_count


def notification_payload(notification: Notification, unread: int) -> dict[str, object]:
    return {
        "type": "notification",
        "id": notification.pk,
        "title": notification.title,
        "body": notification.body,
        "url": notification.url,
        "level": notification.level,
        "created_at": notification.created_at.isoformat(),
        "unread": unread,
    }


@subscribe("notification.created")
def push_notification(event: Event) -> None:
    notification = (
        Notification.objects.select_related("recipient").filter(pk=event.object_id).first()
    )
    if notification is None or not notification.recipient.is_active:
        return
    push_to_user(
        notification.recipient_id,
        notification_payload(notification, unread_count(notification.recipient)),
    )


@subscribe("notification.read")
def push_unread_count(event: Event) -> None:
    from kehu.accounts.models import User

    user = User.objects.filter(pk=event.data["recipient_id"]).first()
    if user is not None:
        push_to_user(user.pk, {"type": "unread", "unread": unread_count(user)})


@subscribe("user.deactivated")
def close_connections(event: Event) -> None:
    if event.object_id is not None:
        disconnect_user(int(event.object_id))

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


@transaction.atomic
def share_record(
    *, actor: Any, obj: Any, user: Any = None, team: Any = None, can_edit: bool = False
) -> Any:
    """Share ``obj`` with a person or a team beyond their role's scope.

    Only someone who may edit the record may share it, and only as far as they may edit it.
    """
    from django.contrib.contenttypes.models import ContentType
    from django.core.exceptions import PermissionDenied

    from kehu.core import scoping
    from kehu.core.models import Share

    if (user is None) == (team is None):
        raise ValueError("share with exactly one person or team")
    if not scoping.can(actor, "change", obj):
        raise PermissionDenied
    share, _created = Share.objects.update_or_create(
        content_type=ContentType.objects.get_for_model(type(obj)),
        object_id=obj.pk,
        user=user,
        team=team,
        defaults={"can_edit": can_edit, "created_by": actor},
    )
    publish(
        Event(
            "record.shared",
            actor_id=actor.pk,
            object_type=type(obj)._meta.model_name,
            object_id=obj.pk,
        )
    )
    return share


PAGING_KEYS = ("after", "before")


@transaction.atomic
def save_view(*, actor: Any, table: str, name: str, query: str, team: Any = None) -> Any:
    """Save (or replace) the actor's view of a table; paging cursors are never saved."""
    from urllib.parse import parse_qsl, urlencode

    from django.core.exceptions import PermissionDenied, ValidationError
    from django.utils.translation import gettext as _

    from kehu.core.models import SavedView

    name = name.strip()[:80]
    if not name:
        raise ValidationError({"name": _("Give the view a name.")})
    if team is not None and not actor.teams.filter(pk=team.pk).exists():
        raise PermissionDenied
    pairs = [(k, v) for k, v in parse_qsl(query, keep_blank_values=False) if k not in PAGING_KEYS]
    view, _created = SavedView.objects.update_or_create(
        owner=actor,
        table=table,
        name=name,
        defaults={"query": urlencode(pairs)[:2000], "team": team, "updated_by": actor},
    )
    return view


@transaction.atomic
def delete_view(*, actor: Any, view_id: int) -> bool:
    from kehu.core.models import SavedView

    deleted, _rows = SavedView.objects.filter(owner=actor, pk=view_id).delete()
    return bool(deleted)

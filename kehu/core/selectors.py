"""Reads owned by core."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from kehu.core.models import Notification


def notifications_for(user: Any) -> QuerySet[Notification]:
    """A user's inbox; nobody reads another person's notifications, administrators included."""
    if not user.is_authenticated:
        return Notification.objects.none()
    return Notification.objects.filter(recipient=user)


def unread_count(user: Any) -> int:
    return notifications_for(user).filter(read_at__isnull=True).count()


def saved_views_for(user: Any, table: str) -> QuerySet[Any]:
    """The user's own views of ``table`` and those shared with any of their teams."""
    from django.db.models import Q

    from kehu.core.models import SavedView

    return (
        SavedView.objects.filter(table=table)
        .filter(Q(owner=user) | Q(team__in=user.teams.all()))
        .select_related("owner", "team")
        .distinct()
        .order_by("name")
    )

"""Writes of the division table's share links (create, revoke, open)."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Any

from django.db import transaction
from django.utils import timezone

from kehu.core.events import Event, publish
from kehu.work.models_share import TableShareLink

MAX_DAYS = 90


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


@transaction.atomic
def create_share_link(
    *, actor: Any, query: str = "", days: int = 7, name: str = ""
) -> tuple[TableShareLink, str]:
    """A link and its secret (returned this once; only its hash is kept)."""
    days = max(1, min(int(days), MAX_DAYS))
    raw = secrets.token_urlsafe(32)
    link = TableShareLink.objects.create(
        token_hash=_hash(raw),
        name=name.strip()[:120],
        query=query[:500],
        created_by=actor,
        expires_at=timezone.now() + dt.timedelta(days=days),
    )
    publish(
        Event(
            "work.share_link.created",
            actor_id=actor.pk,
            object_type="share_link",
            object_id=link.pk,
        )
    )
    return link, raw


@transaction.atomic
def revoke_share_link(*, actor: Any, link: TableShareLink) -> None:
    if link.revoked_at is None:
        link.revoked_at = timezone.now()
        link.save(update_fields=["revoked_at"])
        publish(
            Event(
                "work.share_link.revoked",
                actor_id=actor.pk,
                object_type="share_link",
                object_id=link.pk,
            )
        )


def open_share_link(raw: str) -> TableShareLink | None:
    """The live link for a secret, or None (unknown, expired or revoked)."""
    if not raw or len(raw) > 100:
        return None
    link = (
        TableShareLink.objects.select_related("created_by")
        .filter(token_hash=_hash(raw), revoked_at__isnull=True, expires_at__gt=timezone.now())
        .first()
    )
    if link is not None and link.created_by.is_active:
        TableShareLink.objects.filter(pk=link.pk).update(last_used_at=timezone.now())
        return link
    return None

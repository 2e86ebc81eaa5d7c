"""Optimistic locking: no lost updates.

Every editable record carries ``version``. A writer states the version it read; the UPDATE only
matches that version and bumps it in the same statement, so of two concurrent writers exactly
one wins and the other gets :class:`StaleWriteError` carrying the current values (HTTP 409).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import models
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class StaleWriteError(Exception):
    """The record changed since the writer read it."""

    message = _("This record was changed by someone else. Review the newer values and try again.")

    def __init__(self, instance: models.Model, expected_version: int | None) -> None:
        super().__init__(str(self.message))
        self.instance = instance
        self.expected_version = expected_version

    @property
    def current_version(self) -> int:
        return int(getattr(self.instance, "version", 0))


def save_versioned(
    instance: models.Model,
    *,
    expected_version: int | None,
    update_fields: Iterable[str],
    user: Any = None,
) -> None:
    """Write ``update_fields`` of ``instance`` if its stored version is ``expected_version``.

    On success ``instance.version`` is the new version. On conflict the instance is left as the
    caller built it and :class:`StaleWriteError` carries a fresh copy from the database.
    ``expected_version=None`` means "the version on the instance" (a caller that just read it).
    """
    model = type(instance)
    fields = set(update_fields)
    expected = instance.version if expected_version is None else expected_version  # type: ignore[attr-defined]
    values: dict[str, Any] = {}
    for name in fields:
        attname = model._meta.get_field(name).attname  # type: ignore[union-attr]
        values[attname] = getattr(instance, attname)
    if any(f.name == "updated_at" for f in model._meta.fields):
        instance.updated_at = timezone.now()  # type: ignore[attr-defined]
        values["updated_at"] = instance.updated_at  # type: ignore[attr-defined]
    if user is not None and any(f.name == "updated_by" for f in model._meta.fields):
        instance.updated_by = user  # type: ignore[attr-defined]
        values["updated_by_id"] = user.pk
    values["version"] = F("version") + 1
    changed = model._default_manager.filter(pk=instance.pk, version=expected).update(**values)
    if changed != 1:
        current = model._default_manager.filter(pk=instance.pk).first()
        if current is None:
            raise model.DoesNotExist  # type: ignore[attr-defined]
        raise StaleWriteError(current, expected)
    instance.version = expected + 1  # type: ignore[attr-defined]
    record_history(instance, user)


def record_history(instance: models.Model, user: Any, history_type: str = "~") -> None:
    """Add the simple-history row for a write made with ``UPDATE`` (which it cannot see)."""
    manager = getattr(type(instance), "history", None)
    historical = getattr(manager, "model", None)
    if historical is None or not hasattr(historical, "tracked_fields"):
        return
    fresh = type(instance)._default_manager.get(pk=instance.pk)
    historical.objects.create(
        history_type=history_type,
        history_user=user if getattr(user, "pk", None) else None,
        history_date=timezone.now(),
        **{f.attname: getattr(fresh, f.attname) for f in historical.tracked_fields},
    )

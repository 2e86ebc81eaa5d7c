"""The domain-event bus.

Services publish an :class:`Event` after a state change; it is delivered when (and only if) the
surrounding transaction commits. Subscribers — notifications, webhooks, real-time pushes, search
indexing — register with :func:`subscribe` and must be quick: slow work is handed to a huey task.

Names are dotted, ``<area>.<thing>.<verb>`` (``customer.created``, ``notification.created``);
a subscription pattern may end in ``*``.

A subscriber that keeps derived data in the database (the search index) subscribes with
``in_transaction=True``: it runs at once, inside the writer's transaction, so the derived rows
commit or roll back with the write. Everything else runs after commit.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Event:
    name: str
    actor_id: int | None = None
    object_type: str = ""
    object_id: int | str | None = None
    data: dict[str, Any] = field(default_factory=dict)


Handler = Callable[[Event], None]
_subscribers: list[tuple[str, Handler]] = []
_in_transaction: list[tuple[str, Handler]] = []


def subscribe(pattern: str, *, in_transaction: bool = False) -> Callable[[Handler], Handler]:
    """Decorator: call the handler for every event whose name matches ``pattern``."""
    target = _in_transaction if in_transaction else _subscribers

    def register(handler: Handler) -> Handler:
        if (pattern, handler) not in target:
            target.append((pattern, handler))
        return handler

    return register


def unsubscribe(pattern: str, handler: Handler) -> None:
    for target in (_subscribers, _in_transaction):
        if (pattern, handler) in target:
            target.remove((pattern, handler))


def _matches(pattern: str, name: str) -> bool:
    if pattern.endswith("*"):
        return name.startswith(pattern[:-1])
    return pattern == name


def dispatch(event: Event) -> None:
    """Deliver now. A failing subscriber is logged and never breaks the others."""
    for pattern, handler in list(_subscribers):
        if _matches(pattern, event.name):
            try:
                handler(event)
            except Exception:
                logger.exception("event subscriber %r failed for %s", handler, event.name)


def publish(event: Event, *, using: str | None = None) -> None:
    """Run in-transaction subscribers now; deliver to the rest once the transaction commits.

    An in-transaction subscriber that fails makes the write fail too: derived data never
    silently diverges from what it derives from.
    """
    for pattern, handler in list(_in_transaction):
        if _matches(pattern, event.name):
            handler(event)
    transaction.on_commit(lambda: dispatch(event), using=using)

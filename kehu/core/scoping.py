"""One door for visibility.

Every queryset shown on behalf of a user goes through :func:`restrict`. A model registers the
policy that decides which of its records a user may see (``view``) or change (``change``,
``delete``); a model without a policy is visible to superusers only, so forgetting to register
hides data instead of leaking it. Pages and the API answer 404 for records out of scope through
:func:`get_visible_or_404`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from django.db import models
from django.db.models import QuerySet
from django.http import Http404

M = TypeVar("M", bound=models.Model)
Policy = Callable[[QuerySet[Any], Any, str], QuerySet[Any]]

_policies: dict[type[models.Model], Policy] = {}


def register(model: type[models.Model], policy: Policy) -> None:
    _policies[model] = policy


def registered_models() -> list[type[models.Model]]:
    return list(_policies)


def policy_for(model: type[models.Model]) -> Policy | None:
    for klass in model.__mro__:
        if klass in _policies:
            return _policies[klass]
    return None


def restrict(queryset: QuerySet[M], user: Any, action: str = "view") -> QuerySet[M]:
    """The part of ``queryset`` that ``user`` may ``action``."""
    if user is None or not user.is_authenticated or not user.is_active:
        return queryset.none()
    if user.is_superuser:
        return queryset
    policy = policy_for(queryset.model)
    if policy is None:
        return queryset.none()
    return policy(queryset, user, action)


def get_visible_or_404(queryset: QuerySet[M], user: Any, action: str = "view", **lookup: Any) -> M:
    try:
        return restrict(queryset, user, action).get(**lookup)
    except queryset.model.DoesNotExist as exc:  # type: ignore[attr-defined]
        raise Http404 from exc


def owned_by(field: str = "owner") -> Policy:
    """Policy: a user sees records whose ``field`` is them or a member of a team they lead.

    The role-based scopes (own / team / all per record type) refine this; the shape stays.
    """

    def policy(queryset: QuerySet[Any], user: Any, action: str) -> QuerySet[Any]:
        from kehu.accounts.selectors import users_led_by

        return queryset.filter(**{f"{field}__in": users_led_by(user)})

    return policy

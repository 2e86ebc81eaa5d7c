"""Context every page of the shell needs."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from kehu.core import navigation, selectors


def shell(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    authenticated = bool(user is not None and user.is_authenticated)
    return {
        "KEHU_VERSION": settings.KEHU_VERSION,
        "nav_items": navigation.items_for(user) if authenticated else [],
        "LANGUAGE_CHOICES": settings.LANGUAGES,
        # A callable: templates evaluate it only on pages that show the bell.
        "unread_notifications": (lambda: selectors.unread_count(user)) if authenticated else 0,
    }

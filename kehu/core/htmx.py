"""HTMX helpers."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest, HttpResponse


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def trigger(response: HttpResponse, event: str, detail: Any = None) -> HttpResponse:
    """Add an ``HX-Trigger`` event to ``response`` (merging with any already there)."""
    existing = response.headers.get("HX-Trigger")
    events: dict[str, Any] = json.loads(existing) if existing else {}
    events[event] = detail if detail is not None else True
    # ASCII-only JSON: a header with raw Chinese would be MIME-encoded and unreadable to htmx.
    response.headers["HX-Trigger"] = json.dumps(events)
    return response


def toast(response: HttpResponse, message: str, level: str = "success") -> HttpResponse:
    return trigger(response, "kehu:toast", {"message": message, "level": level})

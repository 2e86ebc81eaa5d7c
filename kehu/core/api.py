"""Core API: health, the caller's identity and notification inbox."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status
from ninja.pagination import paginate

from kehu.core import selectors, services
from kehu.core.apisupport import KeysetPagination
from kehu.core.health import run_checks

router = Router(tags=["core"])


class CheckOut(Schema):
    status: str
    backend: str | None = None
    error: str | None = None
    pending: int | None = None
    worker_seen_seconds_ago: float | None = None


class HealthOut(Schema):
    status: str
    version: str
    checks: dict[str, CheckOut]


@router.get(
    "/health", auth=None, response={200: HealthOut, 503: HealthOut}, summary="Service health"
)
def health(request: HttpRequest) -> HttpResponse:
    """Database, cache, channel layer and job queue, each ``ok`` or ``error``; 503 if any fail.

    Public so load balancers and monitors can call it; it reveals no configuration.
    """
    from django.conf import settings

    checks = run_checks()
    ok = all(c["status"] == "ok" for c in checks.values())
    body = {"status": "ok" if ok else "error", "version": settings.KEHU_VERSION, "checks": checks}
    return JsonResponse(body, status=200 if ok else 503)


class MeOut(Schema):
    id: int
    username: str
    display_name: str
    email: str
    language: str
    is_superuser: bool


@router.get("/me", response=MeOut, summary="The signed-in user")
def me(request: HttpRequest) -> object:
    user = request.auth  # type: ignore[attr-defined]
    return {
        "id": user.pk,
        "username": user.username,
        "display_name": str(user),
        "email": user.email,
        "language": user.language,
        "is_superuser": user.is_superuser,
    }


class NotificationOut(Schema):
    id: int
    level: str
    title: str
    body: str
    url: str
    kind: str
    created_at: dt.datetime
    read_at: dt.datetime | None


class MarkReadIn(Schema):
    ids: list[int] | None = None


class CountOut(Schema):
    count: int


@router.get("/me/notifications", response=list[NotificationOut], summary="My notifications")
@paginate(KeysetPagination, ordering=["-created_at"])
def list_notifications(request: HttpRequest, unread: bool = False) -> object:
    qs = selectors.notifications_for(request.auth)  # type: ignore[attr-defined]
    return qs.filter(read_at__isnull=True) if unread else qs


@router.post("/me/notifications/read", response=CountOut, summary="Mark notifications read")
def mark_read(request: HttpRequest, payload: MarkReadIn) -> object:
    count = services.mark_notifications_read(user=request.auth, ids=payload.ids)  # type: ignore[attr-defined]
    return {"count": count}


@router.post(
    "/me/notifications/test",
    response={201: NotificationOut},
    summary="Send myself a test notification",
)
def send_test_notification(request: HttpRequest) -> Status:
    """Checks the live channel end to end: the bell of every open Kehu tab should ring."""
    notification = services.notify(
        recipient=request.auth,  # type: ignore[attr-defined]
        title=_("Test notification"),
        body=_("If you can read this, live notifications work."),
        kind="test",
    )
    return Status(201, notification)

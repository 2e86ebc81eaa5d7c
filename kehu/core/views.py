"""Shell pages: the dashboard, the inbox, language switching and error pages."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from kehu.core import selectors, services
from kehu.core.generic import Column, ObjectListView
from kehu.core.htmx import is_htmx
from kehu.core.middleware import SUPPORTED


@login_required
def home(request: HttpRequest) -> HttpResponse:
    from kehu.customers.selectors import (
        customers_visible_to,
        follow_ups_due,
        recent_interactions,
    )

    follow_ups = list(follow_ups_due(request.user).select_related("owner")[:10])
    context: dict[str, Any] = {
        "follow_ups": follow_ups,
        "recent": recent_interactions(request.user),
        "customer_count": customers_visible_to(request.user).count(),
        "follow_up_count": follow_ups_due(request.user).count(),
        "unread": selectors.unread_count(request.user),
    }
    return render(request, "core/home.html", context)


@require_POST
def switch_language(request: HttpRequest) -> HttpResponse:
    """Set the interface language: kept on the user's profile and in a cookie."""
    language = request.POST.get("language", "").lower()
    next_url = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = "/"
    response = HttpResponseRedirect(next_url)
    if language not in SUPPORTED:
        return response
    user = request.user
    if user.is_authenticated and user.language != language:  # type: ignore[union-attr]
        user.language = language  # type: ignore[union-attr]
        user.save(update_fields=["language"])  # type: ignore[union-attr]
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=365 * 24 * 3600,
        samesite="Lax",
        secure=settings.HTTPS,
    )
    return response


class NotificationListView(ObjectListView):
    title = _("Notifications")
    template_name = "core/notifications.html"
    columns = [
        Column("title", _("Title"), sortable=False),
        Column("created_at", _("Time")),
    ]
    default_ordering = ["-created_at"]
    page_size = 30

    @staticmethod
    def selector(user: Any) -> Any:
        return selectors.notifications_for(user)

    def get_queryset(self) -> Any:
        qs = super().get_queryset()
        if self.request.GET.get("unread") == "1":
            qs = qs.filter(read_at__isnull=True)
        return qs


@login_required
@require_POST
def mark_all_read(request: HttpRequest) -> HttpResponse:
    services.mark_notifications_read(user=request.user)
    if is_htmx(request):
        response = HttpResponse(status=204)
        response.headers["HX-Refresh"] = "true"
        return response
    return HttpResponseRedirect(request.POST.get("next") or "/notifications/")


@login_required
def bell(request: HttpRequest) -> HttpResponse:
    """The bell's drop-down: the newest notifications."""
    items = list(selectors.notifications_for(request.user)[:8])
    return render(
        request,
        "core/_bell.html",
        {"items": items, "unread": selectors.unread_count(request.user)},
    )


def error_400(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, 400, _("Bad request"), _("The request could not be understood."))


def error_403(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(request, 403, _("No access"), _("You do not have permission to open this page."))


def error_404(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(
        request,
        404,
        _("Page not found"),
        _("The page does not exist, or you are not allowed to see it."),
    )


def error_500(request: HttpRequest) -> HttpResponse:
    return _error(
        request,
        500,
        _("Something went wrong"),
        _("The error was logged. Please try again in a moment."),
        bare=True,
    )


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return _error(
        request,
        403,
        _("Form expired"),
        _("The page was open too long or cookies are blocked. Reload the page and try again."),
    )


def _error(
    request: HttpRequest, status: int, title: Any, message: Any, *, bare: bool = False
) -> HttpResponse:
    context = {"status": status, "title": title, "message": message}
    if bare:
        # The 500 page must not touch the database (it may be what failed): no request context.
        from django.template.loader import render_to_string

        return HttpResponse(render_to_string("errors/bare.html", context), status=status)
    return render(request, "errors/error.html", context, status=status)


class AuditLogView(ObjectListView):
    """The global audit log, for holders of ``view_audit_log``."""

    title = _("Audit log")
    template_name = "core/audit_log.html"
    default_ordering = ["-created_at"]
    page_size = 50
    columns = [
        Column("created_at", _("Time"), template="core/_audit_cells.html#time"),
        Column("actor", _("Who"), sortable=False, template="core/_audit_cells.html#actor"),
        Column("action", _("Action"), template="core/_audit_cells.html#action"),
        Column("summary", _("Summary"), sortable=False),
        Column("ip_address", _("IP address"), sortable=False),
    ]

    required_perm = "view_audit_log"

    @staticmethod
    def selector(user: Any) -> Any:
        from kehu.core import scoping
        from kehu.core.models import AuditEvent

        return scoping.restrict(AuditEvent.objects.select_related("actor"), user)

    @property
    def filterset_class(self) -> Any:  # type: ignore[override]
        from kehu.core.filters import AuditEventFilter

        return AuditEventFilter

    def extra_context(self) -> dict[str, Any]:
        from kehu.core.models import AuditEvent

        return {"actions": AuditEvent.Action.choices}


@login_required
def search_page(request: HttpRequest) -> HttpResponse:
    """The global search: customers, contacts… grouped by type, only what the user may see."""
    from kehu.core import search

    text = request.GET.get("q", "").strip()[:100]
    groups = search.search(request.user, text, limit=20) if text else []
    context = {"q": text, "groups": groups}
    template = "core/search.html#results" if is_htmx(request) else "core/search.html"
    return render(request, template, context)


@login_required
@require_POST
def save_view(request: HttpRequest) -> HttpResponse:
    """Save the table view the user is looking at (its filters, sort and columns)."""
    from django.contrib import messages
    from django.core.exceptions import ValidationError
    from django.urls import NoReverseMatch, reverse

    table = request.POST.get("table", "")
    try:
        target = reverse(table)
    except NoReverseMatch:
        return HttpResponseRedirect("/")
    team = None
    if request.POST.get("team"):
        team = request.user.teams.filter(pk=request.POST["team"]).first()
    query = request.POST.get("query", "")
    try:
        view = services.save_view(
            actor=request.user,
            table=table,
            name=request.POST.get("name", ""),
            query=query,
            team=team,
        )
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
        return HttpResponseRedirect(f"{target}?{query}")
    messages.success(request, _("View “%(name)s” saved.") % {"name": view.name})
    return HttpResponseRedirect(f"{target}?{view.query}")


@login_required
@require_POST
def delete_view(request: HttpRequest, view_id: int) -> HttpResponse:
    from django.contrib import messages

    if services.delete_view(actor=request.user, view_id=view_id):
        messages.success(request, _("View deleted."))
    return HttpResponseRedirect(request.POST.get("next") or "/")

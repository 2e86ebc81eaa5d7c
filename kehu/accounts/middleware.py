"""Sends a signed-in user who must use two-factor sign-in to enrolment or verification."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import gettext as _

from kehu.accounts import twofactor

# Paths a half-signed-in user may still reach.
OPEN_PREFIXES = (
    "/static/",
    "/login/",
    "/logout/",
    "/language/",
    "/account/2fa/setup/",
    "/api/v1/health",
)


def send_to(
    request: HttpRequest, url_name: str, *, status: int, title: str, detail: str
) -> HttpResponse:
    """Pages go to ``url_name`` and come back afterwards; API calls get a problem response."""
    if request.path.startswith("/api/"):
        from kehu.core.apisupport import problem

        return problem(request, status, title, detail)
    target = reverse(url_name)
    return HttpResponseRedirect(f"{target}?{urlencode({'next': request.get_full_path()})}")


class TwoFactorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not request.path.startswith(OPEN_PREFIXES)
            and not user.is_verified()  # type: ignore[union-attr]
        ):
            has_device = twofactor.has_device(user)
            if has_device or twofactor.required_for(user):
                return self._redirect(request, "verify" if has_device else "setup")
        return self.get_response(request)

    @staticmethod
    def _redirect(request: HttpRequest, step: str) -> HttpResponse:
        return send_to(
            request,
            "twofactor_verify" if step == "verify" else "twofactor_setup",
            status=403,
            title=_("Two-factor sign-in required."),
            detail=_("Finish signing in with your authenticator code in the browser."),
        )


class SessionPolicyMiddleware:
    """Ends a session idle longer than ``KEHU_SESSION_IDLE`` or older than
    ``KEHU_SESSION_MAX_AGE`` (seconds), and keeps the session list's "last active" current."""

    TOUCH_EVERY = 60

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        import time

        from django.conf import settings
        from django.contrib import messages
        from django.contrib.auth import logout

        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and hasattr(request, "session"):
            now = time.time()
            auth_at = request.session.get("kehu_auth_at", now)
            seen_at = request.session.get("kehu_seen_at", now)
            if (
                now - seen_at > settings.KEHU_SESSION_IDLE
                or now - auth_at > settings.KEHU_SESSION_MAX_AGE
            ):
                logout(request)
                ended = _("Your session ended. Please sign in again.")
                messages.info(request, ended)
                return send_to(
                    request, "login", status=401, title=_("Authentication required."), detail=ended
                )
            if now - seen_at > self.TOUCH_EVERY:
                request.session["kehu_seen_at"] = now
                from django.utils import timezone

                from kehu.accounts.models import UserSession

                UserSession.objects.filter(session_key=request.session.session_key).update(
                    last_seen_at=timezone.now()
                )
        return self.get_response(request)

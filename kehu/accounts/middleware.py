"""Sends a signed-in user who must use two-factor sign-in to enrolment or verification."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
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


FREE_AT = "kehu_2fa_free_at"  # session key: when the user was last found free of 2FA


def _two_factor_step(request: HttpRequest, user: Any) -> str:
    """ "verify", "setup" or "" (free of two-factor sign-in, noted in the session)."""
    import time

    session = getattr(request, "session", None)
    has_device = twofactor.has_device(user)
    if has_device or twofactor.required_for(user):
        if session is not None:
            session.pop(FREE_AT, None)
        return "verify" if has_device else "setup"
    if session is not None:
        session[FREE_AT] = time.time()
    return ""


def note_two_factor_state(
    sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any
) -> None:
    """At sign-in (password step), whether the user is free of two-factor sign-in: their first
    pages need not ask again."""
    if request is not None and user is not None:
        _two_factor_step(request, user)


class TwoFactorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    # A user found free of two-factor sign-in (no device, no role requiring it) is not checked
    # again for this long: three queries on every request otherwise. A role that starts to
    # require it, or a device added elsewhere, takes effect within this time.
    RECHECK_AFTER = 60.0

    def __call__(self, request: HttpRequest) -> HttpResponse:
        import time

        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and not request.path.startswith(OPEN_PREFIXES)
            and not user.is_verified()  # type: ignore[union-attr]
        ):
            session = getattr(request, "session", None)
            free_since = session.get(FREE_AT) if session is not None else None
            if free_since is None or not 0 <= time.time() - free_since < self.RECHECK_AFTER:
                step = _two_factor_step(request, user)
                if step:
                    return self._redirect(request, step)
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

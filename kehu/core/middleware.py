"""Request middleware: language choice and security headers."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation

SUPPORTED = {code for code, _name in settings.LANGUAGES}


def language_for(request: HttpRequest) -> str:
    """The user's saved language, else the language cookie, else the team default.

    The browser's Accept-Language is deliberately not consulted: a team deploys Kehu in its
    working language (``KEHU_LANGUAGE``), and each person switches for themselves.
    """
    user = getattr(request, "user", None)
    saved = getattr(user, "language", "") if user is not None and user.is_authenticated else ""
    for candidate in (saved, request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, "")):
        if candidate and candidate.lower() in SUPPORTED:
            return candidate.lower()
    return settings.LANGUAGE_CODE


class UserLanguageMiddleware:
    """Activates the request's language (see :func:`language_for`) before views run.

    Sits right after AuthenticationMiddleware; it replaces Django's LocaleMiddleware.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        language = language_for(request)
        translation.activate(language)
        request.LANGUAGE_CODE = language  # type: ignore[attr-defined]
        response = self.get_response(request)
        response.headers.setdefault("Content-Language", language)
        return response


class ReadsRememberedMiddleware:
    """Answers a request that changes nothing (GET, HEAD) with the visibility rules' reads of
    collaborations and shares remembered for its duration (see ``scoping.reads_remembered``)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method not in ("GET", "HEAD"):
            return self.get_response(request)
        from kehu.core.scoping import reads_remembered

        with reads_remembered():
            return self.get_response(request)


class SecurityHeadersMiddleware:
    """A Content-Security-Policy that forbids inline scripts and foreign origins."""

    POLICY = (
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self' ws: wss:; "
        "frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'"
    )

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if not request.path.startswith(("/admin/", "/api/v1/docs")):
            response.headers.setdefault("Content-Security-Policy", self.POLICY)
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault(
            "Permissions-Policy", "camera=(), microphone=(), geolocation=()"
        )
        return response

"""API plumbing shared by every app's router: errors as problem+json, keyset pagination."""

from __future__ import annotations

import json
import logging
from typing import Any

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.pagination import PaginationBase
from ninja.responses import NinjaJSONEncoder

from kehu.core.fieldrules import FieldNotWritable
from kehu.core.locking import StaleWriteError
from kehu.core.pagination import InvalidCursor, paginate_keyset

logger = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"


class Problem(Schema):
    """RFC 9457 problem details."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None


def problem(
    request: HttpRequest, status: int, title: str, detail: str | None = None, **extra: Any
) -> HttpResponse:
    body = {
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.path,
        **extra,
    }
    return HttpResponse(
        json.dumps(body, cls=NinjaJSONEncoder, ensure_ascii=False),
        status=status,
        content_type=PROBLEM_JSON,
    )


def invalid(request: HttpRequest, errors: list[dict[str, Any]]) -> HttpResponse:
    """422 with one entry per invalid field: ``{"loc": [...], "msg": ..., "type": ...}``."""
    return problem(
        request, 422, _("The request is not valid."), _("Check the fields listed."), errors=errors
    )


def install_error_handlers(api: NinjaAPI) -> None:
    @api.exception_handler(ValidationError)
    def on_validation(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        errors = [
            {
                "loc": [str(p) for p in err.get("loc", [])],
                "msg": str(err.get("msg", "")),
                "type": err.get("type", ""),
            }
            for err in exc.errors
        ]
        return invalid(request, errors)

    @api.exception_handler(AuthenticationError)
    def on_auth(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
        return problem(
            request, 401, _("Authentication required."), _("Sign in, or send a valid token.")
        )

    @api.exception_handler(PermissionDenied)
    def on_denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
        extra = {"fields": exc.fields} if isinstance(exc, FieldNotWritable) else {}
        return problem(request, 403, _("Permission denied."), str(exc) or None, **extra)

    @api.exception_handler(DjangoValidationError)
    def on_model_validation(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
        errors = [
            {"loc": ["body", field], "msg": str(msg), "type": "invalid"}
            for field, messages in getattr(exc, "message_dict", {"__all__": exc.messages}).items()
            for msg in messages
        ]
        return invalid(request, errors)

    @api.exception_handler(Http404)
    def on_missing(request: HttpRequest, exc: Http404) -> HttpResponse:
        return problem(request, 404, _("Not found."))

    @api.exception_handler(InvalidCursor)
    def on_cursor(request: HttpRequest, exc: InvalidCursor) -> HttpResponse:
        return problem(
            request, 400, _("Invalid page cursor."), _("Start again from the first page.")
        )

    @api.exception_handler(StaleWriteError)
    def on_stale(request: HttpRequest, exc: StaleWriteError) -> HttpResponse:
        return problem(
            request, 409, _("Edit conflict."), str(exc.message), current_version=exc.current_version
        )

    @api.exception_handler(HttpError)
    def on_http(request: HttpRequest, exc: HttpError) -> HttpResponse:
        return problem(request, exc.status_code, str(exc.message))

    @api.exception_handler(Exception)
    def on_crash(request: HttpRequest, exc: Exception) -> HttpResponse:
        logger.exception("API error on %s", request.path)
        return problem(
            request, 500, _("Internal error."), _("The error was logged. Please try again later.")
        )


def parse_if_match(request: HttpRequest) -> int | None:
    """The version in an ``If-Match: "3"`` (or ``W/"3"``) header."""
    raw = request.headers.get("If-Match", "").strip()
    raw = raw.removeprefix("W/").strip('"')
    return int(raw) if raw.isdigit() else None


def expected_version(request: HttpRequest, data: dict[str, Any]) -> int:
    """The version a write was read at: the payload's ``version`` (taken out of ``data``) or
    the ``If-Match`` header; without either the write is refused with 428."""
    from ninja.errors import HttpError

    expected = data.pop("version", None) or parse_if_match(request)
    if expected is None:
        raise HttpError(428, "Send the version you read (field `version` or If-Match).")
    return int(expected)


def require_perm(request: HttpRequest, code: str) -> None:
    """403 unless the caller holds the permission ``code`` (scope is checked per record)."""
    from ninja.errors import HttpError

    from kehu.core.permissions import has_perm

    if not has_perm(request.auth, code):  # type: ignore[attr-defined]
        raise HttpError(403, "Permission denied.")


class KeysetPagination(PaginationBase):
    """``?cursor=…&limit=…`` pages with ``next``/``prev`` cursors; stable under inserts."""

    class Input(Schema):
        cursor: str | None = None
        direction: str = "next"
        limit: int = 50

    class Output(Schema):
        items: list[Any]
        next_cursor: str | None
        prev_cursor: str | None

    items_attribute = "items"

    def __init__(
        self,
        *,
        ordering: list[str] | None = None,
        max_limit: int = 500,
        serialize: Any = None,
        **kw: Any,
    ):
        super().__init__(**kw)
        self.ordering = ordering or ["-pk"]
        self.max_limit = max_limit
        # serialize(user, obj) -> dict: applies field rules to each row of the page.
        self.serialize = serialize

    def paginate_queryset(
        self, queryset: Any, pagination: Input, request: HttpRequest, **params: Any
    ) -> dict[str, Any]:
        limit = max(1, min(pagination.limit, self.max_limit))
        backwards = pagination.direction == "prev"
        page = paginate_keyset(
            queryset,
            ordering=self.ordering,
            limit=limit,
            after=None if backwards else pagination.cursor,
            before=pagination.cursor if backwards else None,
        )
        items: list[Any] = page.items
        if self.serialize is not None:
            user = getattr(request, "auth", None) or request.user
            items = [self.serialize(user, obj) for obj in items]
        return {
            "items": items,
            "next_cursor": page.next_cursor,
            "prev_cursor": page.prev_cursor,
        }

"""The REST API under /api/v1/: one NinjaAPI, one router per app."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import NinjaAPI
from ninja.security import HttpBearer, django_auth

from kehu.accounts import services as account_services
from kehu.accounts.api import router as accounts_router
from kehu.core.api import router as core_router
from kehu.core.apisupport import install_error_handlers
from kehu.core.calendar_api import router as calendar_router
from kehu.customers.api import router as customers_router
from kehu.customers.contacts_api import router as contacts_router
from kehu.customers.orders_api import router as orders_router
from kehu.dataops.api import router as imports_router
from kehu.dataops.audit_api import router as audit_router
from kehu.sales.api import router as sales_router
from kehu.service.api import router as service_router
from kehu.work.api import router as work_router
from kehu.work.templates_api import router as work_templates_router

# The area an API path belongs to, for token scopes ("<area>:read" / "<area>:write").
AREAS = {
    "/api/v1/customers": "customers",
    "/api/v1/contacts": "customers",
    "/api/v1/interactions": "customers",
    "/api/v1/imports": "customers",
    # An audit reads customer data: the same token scope (write runs one).
    "/api/v1/data-audits": "customers",
    "/api/v1/deals": "sales",
    "/api/v1/pipelines": "sales",
    "/api/v1/stages": "sales",
    # The service desk is customer data: the same token scope.
    "/api/v1/tickets": "customers",
    "/api/v1/sla-policies": "customers",
    "/api/v1/me": "account",
    "/api/v1/users": "account",
    "/api/v1/teams": "account",
    "/api/v1/roles": "account",
    "/api/v1/goals": "work",
    "/api/v1/tasks": "work",
    "/api/v1/work": "work",
}


def area_of(path: str) -> str | None:
    for prefix, area in AREAS.items():
        if path == prefix or path.startswith(prefix + "/"):
            return area
    return None


class TokenAuth(HttpBearer):
    """``Authorization: Bearer kehu_…``: the token's owner, limited to the token's scopes."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        found = account_services.token_user(token)
        if found is None:
            # A presented but invalid token is refused outright, never replaced by the session.
            from ninja.errors import AuthenticationError

            raise AuthenticationError
        user, api_token = found
        area = area_of(request.path)
        write = request.method not in {"GET", "HEAD", "OPTIONS"}
        if area is None or not account_services.token_allows(api_token, area, write):
            from django.core.exceptions import PermissionDenied
            from django.utils.translation import gettext as _

            raise PermissionDenied(_("This token's scopes do not allow this request."))
        request.user = user
        request.api_token = api_token  # type: ignore[attr-defined]
        return user


api = NinjaAPI(
    title="Kehu API",
    version="1",
    description=(
        "Kehu's REST API. Browser sessions authenticate with the session cookie and send the "
        "CSRF token in `X-CSRFToken`. Errors are `application/problem+json`."
    ),
    urls_namespace="api",
    auth=[TokenAuth(), django_auth],
    docs_url="/docs",
    openapi_url="/openapi.json",
)
install_error_handlers(api)
api.add_router("/", core_router)
api.add_router("/", customers_router)
api.add_router("/", contacts_router)
api.add_router("/", orders_router)
api.add_router("/", imports_router)
api.add_router("/", accounts_router)
api.add_router("/", audit_router)
api.add_router("/", sales_router)
api.add_router("/", calendar_router)
api.add_router("/", work_router)
api.add_router("/", work_templates_router)
api.add_router("/", service_router)

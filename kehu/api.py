"""The REST API under /api/v1/: one NinjaAPI, one router per app."""

from __future__ import annotations

from ninja import NinjaAPI
from ninja.security import django_auth

from kehu.core.api import router as core_router
from kehu.core.apisupport import install_error_handlers
from kehu.customers.api import router as customers_router

api = NinjaAPI(
    title="Kehu API",
    version="1",
    description=(
        "Kehu's REST API. Browser sessions authenticate with the session cookie and send the "
        "CSRF token in `X-CSRFToken`. Errors are `application/problem+json`."
    ),
    urls_namespace="api",
    auth=[django_auth],
    docs_url="/docs",
    openapi_url="/openapi.json",
)
install_error_handlers(api)
api.add_router("/", core_router)
api.add_router("/", customers_router)

"""ASGI entry point: HTTP through Django, WebSockets through channels."""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kehu.settings")

from django.core.asgi import get_asgi_application

django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402

from kehu.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": AllowedHostsOriginValidator(
            AuthMiddlewareStack(URLRouter(websocket_urlpatterns))
        ),
    }
)


def _settle_memory() -> None:
    """Load the URL configuration (every view, the API and its schemas: 50,000 objects that
    the first request would otherwise load), then move everything loaded so far out of the
    garbage collector's sight: it never frees any of it, and walking it in a full collection
    held a request up by 20–100 ms now and then."""
    import gc

    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 - imports every view and the API's schemas
    gc.collect()
    gc.freeze()


_settle_memory()

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
    """Move everything loaded so far (Django, the apps, the URL and template caches) out of
    the garbage collector's sight: it never frees any of it, and walking it in a full
    collection held a request up by 50–100 ms now and then."""
    import gc

    gc.collect()
    gc.freeze()


_settle_memory()

from django.urls import path

from kehu.core.consumers import NotificationConsumer
from kehu.work.live import BoardConsumer

websocket_urlpatterns = [
    path("ws/notifications/", NotificationConsumer.as_asgi()),
    path("ws/work/", BoardConsumer.as_asgi()),
]

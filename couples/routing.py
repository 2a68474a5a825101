from __future__ import annotations

from django.urls import path

from .consumers import NotifyConsumer

websocket_urlpatterns = [
    path("ws/me/", NotifyConsumer.as_asgi()),
]

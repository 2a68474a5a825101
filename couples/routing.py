from __future__ import annotations

from channels.auth import AuthMiddleware
from django.urls import path

from .consumers import NotifyConsumer

websocket_urlpatterns = [
    path("ws/me/", AuthMiddleware(NotifyConsumer.as_asgi())),
]

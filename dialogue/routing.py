from __future__ import annotations

from django.urls import path

from .consumers import DialogueConsumer

websocket_urlpatterns = [
    path("ws/dialogue/<uuid:pk>/", DialogueConsumer.as_asgi()),
]

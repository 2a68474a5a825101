"""Live events: the one way services tell open websockets that something changed."""

from __future__ import annotations

from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction


def send_event_on_commit(group: str, event: dict[str, Any]) -> None:
    """Send `event` to the channel-layer `group` once the current transaction commits, never
    before: a client must never hear of a change that could still roll back."""

    def send() -> None:
        layer = get_channel_layer()
        if layer is not None:
            async_to_sync(layer.group_send)(group, event)

    transaction.on_commit(send)

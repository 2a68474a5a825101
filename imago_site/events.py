"""Live events: the one way services tell open websockets that something changed."""

from __future__ import annotations

import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger(__name__)


def send_event_on_commit(group: str, event: dict[str, Any]) -> None:
    """Send `event` to the channel-layer `group` once the current transaction commits, never
    before: a client must never hear of a change that could still roll back."""

    def send() -> None:
        # The change is already committed: a channel layer that is down (Redis unavailable)
        # must not turn it into an error for the person who made it. Live clients catch up
        # from the database when they reconnect (`sync` / `state` frames).
        try:
            layer = get_channel_layer()
            if layer is not None:
                async_to_sync(layer.group_send)(group, event)
        except Exception:
            logger.warning("Live event %s to %s not sent", event.get("type"), group, exc_info=True)

    transaction.on_commit(send)

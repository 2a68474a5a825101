"""Live events: the one way services tell open websockets that something changed."""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterator
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

logger = logging.getLogger(__name__)

Event = tuple[str, dict[str, Any]]
_collecting = threading.local()


@contextlib.contextmanager
def events_collected() -> Iterator[list[Event]]:
    """While open in this thread, committed events are handed back in the yielded list instead
    of being sent from this thread: the live dialogue's database threads must never hold a
    broadcast, so the event loop that called them sends what they return (dialogue/live.py)."""
    events: list[Event] = []
    outer = getattr(_collecting, "events", None)
    _collecting.events = events
    try:
        yield events
    finally:
        _collecting.events = outer


def send_event_on_commit(group: str, event: dict[str, Any]) -> None:
    """Send `event` to the channel-layer `group` once the current transaction commits, never
    before: a client must never hear of a change that could still roll back."""

    def send() -> None:
        collected = getattr(_collecting, "events", None)
        if collected is not None:
            collected.append((group, event))
            return
        # The change is already committed: a channel layer that is down (Redis unavailable)
        # must not turn it into an error for the person who made it. Live clients catch up
        # from the database when they reconnect (`?since=` / `sync`).
        try:
            layer = get_channel_layer()
            if layer is not None:
                async_to_sync(layer.group_send)(group, event)
        except Exception:
            logger.warning("Live event %s to %s not sent", event.get("type"), group, exc_info=True)

    transaction.on_commit(send)

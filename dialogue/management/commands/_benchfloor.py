"""The two floors `manage.py bench` measures Imago against, with the same client and messages.

- The framework floor: a minimal Channels consumer relaying each frame to its group over the
  configured channel layer, served by daphne (`daphne dialogue.management.commands._benchfloor:
  application`). Everything Imago adds on top of Channels is what the ratio to it measures.
- The physical floor: a bare `websockets` relay in one asyncio process
  (`python -m dialogue.management.commands._benchfloor PORT`).

Both relay every frame to everyone in the room, the sender included, as Imago sends a turn to its
author too (that is the author's acknowledgement)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "imago_site.settings")


def _channels_app() -> Any:
    from django.core.asgi import get_asgi_application

    get_asgi_application()  # sets Django up
    from channels.generic.websocket import AsyncWebsocketConsumer
    from channels.routing import ProtocolTypeRouter, URLRouter
    from django.urls import path

    class Relay(AsyncWebsocketConsumer):
        async def connect(self) -> None:
            self.room = "relay-" + self.scope["url_route"]["kwargs"]["room"]
            await self.channel_layer.group_add(self.room, self.channel_name)
            await self.accept()

        async def disconnect(self, code: int) -> None:
            await self.channel_layer.group_discard(self.room, self.channel_name)

        async def receive(self, text_data: str | None = None, bytes_data: Any = None) -> None:
            await self.channel_layer.group_send(self.room, {"type": "relay", "text": text_data})

        async def relay(self, event: dict[str, Any]) -> None:
            await self.send(text_data=event["text"])

    return ProtocolTypeRouter(
        {"websocket": URLRouter([path("relay/<str:room>/", Relay.as_asgi())])}
    )


def __getattr__(name: str) -> Any:
    # daphne imports `application`; the bare relay never needs Django.
    if name == "application":
        return _channels_app()
    raise AttributeError(name)


async def _bare_relay(port: int) -> None:
    from websockets.asyncio.server import serve

    rooms: dict[str, set[Any]] = {}

    async def handler(ws: Any) -> None:
        room = rooms.setdefault(ws.request.path, set())
        room.add(ws)
        try:
            async for message in ws:
                for peer in list(room):
                    with contextlib.suppress(Exception):  # a peer that left
                        await peer.send(message)
        finally:
            room.discard(ws)

    async with serve(handler, "127.0.0.1", port, compression=None, max_queue=None) as server:
        await server.serve_forever()


if __name__ == "__main__":
    asyncio.run(_bare_relay(int(sys.argv[1])))

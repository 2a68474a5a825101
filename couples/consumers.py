"""`/ws/me/`: one light socket per signed-in tab. It carries only "what concerns you changed",
answered with the unread count and the latest notices as HTML, rendered from the same partial
the page uses. See docs/protocol.md ("Notifications socket")."""

from __future__ import annotations

import json
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer
from django.template.loader import render_to_string

from .notifications import notification_summary
from .services import SOCKET_RECONNECT, session_tag, user_close_applies


class NotifyConsumer(AsyncWebsocketConsumer):
    async def connect(self) -> None:
        self.user = self.scope["user"]
        if not self.user.is_authenticated:
            await self.close()
            return
        self.group = self.user.group_name
        session = self.scope.get("session")
        self.session_tag = session_tag(session.session_key if session else None)
        await self.channel_layer.group_add(self.group, self.channel_name)
        await self.accept()
        await self._send_summary()

    async def disconnect(self, code: int) -> None:
        if hasattr(self, "group"):
            await self.channel_layer.group_discard(self.group, self.channel_name)

    async def receive(self, text_data: str | None = None, bytes_data: bytes | None = None) -> None:
        # The client only ever asks for a fresh picture (after a reconnect, say).
        await self._send_summary()

    async def notify_changed(self, event: dict[str, Any]) -> None:
        await self._send_summary()

    async def user_close(self, event: dict[str, Any]) -> None:
        """The person's session ended (couples.services.user_sockets_close): this socket goes
        with it. Leaving a couple changes nothing here, so a reconnect request is ignored."""
        if event["code"] != SOCKET_RECONNECT and user_close_applies(event, self.session_tag):
            await self.close(code=event["code"])

    async def _send_summary(self) -> None:
        summary = await database_sync_to_async(notification_summary)(user=self.user)
        html = render_to_string("couples/notifications.html#live", {"notify": summary}).strip()
        await self.send(
            text_data=json.dumps(
                {"type": "notifications", "unread": summary["unread"], "html": html}
            )
        )

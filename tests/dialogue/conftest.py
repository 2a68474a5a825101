"""Websocket helpers: communicators that log in through the real session cookie and the
application's own websocket stack, and a reader that skips the presence/typing chatter unless
asked."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import connections
from django.test import Client

from couples.models import Couple, User
from dialogue.models import Dialogue
from dialogue.services import dialogue_invite_therapist, dialogue_start
from imago_site.asgi import application
from tests.conftest import login_client

ORIGIN = (b"origin", b"http://127.0.0.1")
ClientFor = Callable[[User], Client]
CHATTER = {"presence", "typing"}


def session_cookie(user: User) -> str:
    return login_client(user).cookies["sessionid"].value


class Party:
    """One browser tab's websocket, as `user`."""

    def __init__(self, user: User, communicator: WebsocketCommunicator) -> None:
        self.user = user
        self.ws = communicator
        self.last_seq = 0
        self.closed = False

    async def frame(self, *types: str, timeout: float = 5) -> dict[str, Any]:
        """The next frame of one of `types` (any non-chatter frame when none are given)."""
        while True:
            frame = await self.ws.receive_json_from(timeout=timeout)
            if types and frame["type"] in types:
                break
            if not types and frame["type"] not in CHATTER:
                break
            if frame["type"] not in CHATTER:
                raise AssertionError(f"expected {types}, got {frame}")
        if "dialogue" in frame:
            self.last_seq = frame["dialogue"]["last_seq"]
        return frame

    async def send(self, message: dict[str, Any]) -> str:
        message.setdefault("msg_id", uuid.uuid4().hex)
        await self.ws.send_json_to(message)
        return message["msg_id"]

    async def act(self, action: str, text: str = "", **extra: Any) -> str:
        return await self.send({"type": "action", "action": action, "text": text, **extra})

    async def close(self) -> None:
        if not self.closed:
            self.closed = True
            await self.ws.disconnect()


Join = Callable[..., Awaitable[Party]]


async def open_socket(
    user: User | None,
    dialogue_id: object,
    *,
    origin: tuple[bytes, bytes] = ORIGIN,
    query: str = "",
) -> tuple[bool, Party | None, WebsocketCommunicator]:
    headers = [origin]
    if user is not None:
        cookie = await sync_to_async(session_cookie)(user)
        headers.append((b"cookie", f"sessionid={cookie}".encode()))
    path = f"/ws/dialogue/{dialogue_id}/" + (f"?{query}" if query else "")
    communicator = WebsocketCommunicator(application, path, headers)
    connected, _ = await communicator.connect(timeout=10)
    return connected, (Party(user, communicator) if connected else None), communicator


@pytest.fixture
def dialogue(couple: Couple, alice: User) -> Dialogue:
    return dialogue_start(couple=couple, user=alice, topic="the dishes")


@pytest.fixture
def carol_invited(dialogue: Dialogue, alice: User, carol_consented: User) -> User:
    """Carol, consented, and invited by Alice to watch `dialogue`."""
    dialogue_invite_therapist(dialogue_id=dialogue.pk, user=alice, invite=True)
    return carol_consented


@pytest.fixture
async def join(dialogue: Dialogue) -> AsyncIterator[Join]:
    """`await join(user)` -> a connected Party that already read its initial state frame."""
    parties: list[Party] = []

    async def _join(user: User, dialogue_id: object = None) -> Party:
        ok, party, _ = await open_socket(user, dialogue_id or dialogue.pk)
        assert ok, f"{user} could not connect"
        state = await party.frame("state")
        assert state["type"] == "state"
        parties.append(party)
        return party

    yield _join
    for party in parties:
        await party.close()
    # The consumer's ORM thread keeps its connection; close it so the test DB can be dropped.
    await sync_to_async(connections.close_all)()

"""Open sockets through a Redis outage, against a real daphne and a Redis server of the test's
own that is stopped and started: sockets pause (close 4503) instead of silently missing turns,
a turn sent as Redis goes down is saved and acknowledged (or, if the socket closed first, lands
once when resent), connecting while Redis is down says "paused", and once Redis is back every
client catches up from its last turn with nothing lost and live updates flow again."""

from __future__ import annotations

import asyncio
import json
import signal
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed

from couples.models import User
from dialogue.live import LAYER_DOWN, LAYER_TIMEOUT
from dialogue.models import Dialogue, Turn
from tests.servers import RedisServer, daphne_on

from .conftest import session_cookie

pytestmark = pytest.mark.django_db(transaction=True)


class Tab:
    """One browser tab's socket, reading as the page does."""

    def __init__(self, base: str, dialogue: Dialogue, cookie: str) -> None:
        self.url = f"{base}/ws/dialogue/{dialogue.pk}/"
        self.cookie = cookie
        self.ws: Any = None
        self.last_seq = 0

    async def open(self) -> dict[str, Any]:
        """Connect with `?since=` the last turn seen: the first frame, or the close."""
        self.ws = await connect(
            f"{self.url}?since={self.last_seq}",
            origin="http://127.0.0.1",
            additional_headers={"Cookie": f"sessionid={self.cookie}"},
            open_timeout=10,
        )
        return await self.frame("state")

    async def frame(self, *types: str, timeout: float = 10) -> dict[str, Any]:
        """The next frame of one of `types`; {"closed": code} if the socket closes first."""
        while True:
            try:
                frame = json.loads(await asyncio.wait_for(self.ws.recv(), timeout))
            except ConnectionClosed as closed:
                return {"closed": closed.rcvd.code if closed.rcvd else None}
            if frame["type"] in types:
                if "dialogue" in frame:
                    self.last_seq = max(self.last_seq, frame["dialogue"]["last_seq"])
                return frame

    async def act(self, action: str, text: str = "", msg_id: str = "") -> str:
        msg_id = msg_id or uuid.uuid4().hex
        await self.ws.send(
            json.dumps({"type": "action", "msg_id": msg_id, "action": action, "text": text,
                        "last_seq": self.last_seq})
        )  # fmt: skip
        return msg_id


async def _reopen_when_back(tab: Tab, within: float = 30) -> dict[str, Any]:
    """Reconnect with backoff, as the page does, until live updates are back."""
    deadline = time.monotonic() + within
    delay = 0.25
    while True:
        frame = await tab.open()
        if "closed" not in frame:
            return frame
        assert frame["closed"] == LAYER_DOWN
        assert time.monotonic() < deadline, "live updates did not come back"
        await asyncio.sleep(delay)
        delay = min(2.0, delay * 2)


Scenario = Callable[[str, RedisServer, Dialogue, list[str]], Awaitable[None]]


def _against_own_redis(scenario: Scenario, dialogue: Dialogue, people: list[User]) -> None:
    """Run `scenario` against a daphne of its own on a Redis of its own, which it may stop."""
    redis = RedisServer()
    redis.start()
    cookies = [session_cookie(person) for person in people]
    try:
        with daphne_on(redis.url) as base:
            asyncio.run(scenario(base, redis, dialogue, cookies))
    finally:
        if redis.process is not None and redis.process.poll() is None:
            redis.process.send_signal(signal.SIGCONT)  # if it was left hanging
            redis.stop()


async def _outage(base: str, redis: RedisServer, dialogue: Dialogue, cookies: list[str]) -> None:
    a, b = Tab(base, dialogue, cookies[0]), Tab(base, dialogue, cookies[1])
    await a.open()
    await b.open()
    await a.act("request", "Is now a good time?")
    assert (await a.frame("turn"))["turn"]["seq"] == 1
    assert (await b.frame("turn"))["turn"]["seq"] == 1

    redis.stop()
    # Bob answers just as Redis goes down: saved and acknowledged to him, then paused…
    answer = await b.act("accept", "Yes, I'm ready to hear you.")
    reply = await b.frame("turn")
    acknowledged = reply.get("in_reply_to") == answer
    if acknowledged:
        assert reply["turn"]["seq"] == 2
        reply = await b.frame("turn")
    # …or, if the pause closed his socket first, unread: his page resends it on reconnect.
    assert reply == {"closed": LAYER_DOWN}
    # Alice's idle socket is told too, within a few seconds, instead of missing the turn.
    assert await a.frame("turn", timeout=15) == {"closed": LAYER_DOWN}
    # Connecting meanwhile says "paused" — an accepted socket closed with 4503, not a refusal.
    assert await a.open() == {"closed": LAYER_DOWN}

    redis.start()  # back, on the same port
    caught_up = await _reopen_when_back(a)
    b_state = await _reopen_when_back(b)
    if not acknowledged:
        await b.act("accept", "Yes, I'm ready to hear you.", msg_id=answer)
        reply = await b.frame("turn")
        assert (reply["in_reply_to"], reply["turn"]["seq"]) == (answer, 2)
        if reply["replay"]:  # it had landed: Alice's catch-up brought it
            assert [t["seq"] for t in caught_up["turns"]] == [2]
        else:  # it lands now, live
            assert (await a.frame("turn"))["turn"]["seq"] == 2
    else:
        # Alice missed turn 2 while paused: her reconnect from turn 1 brings exactly it.
        assert caught_up["since"] == 1
        assert [t["seq"] for t in caught_up["turns"]] == [2]
        assert b_state["since"] == 2 and b_state["turns"] == []
    # And live updates flow again, both ways.
    await a.act("send", "When the dishes pile up, I feel alone.")
    assert (await b.frame("turn"))["turn"]["seq"] == 3
    assert (await a.frame("turn"))["turn"]["seq"] == 3  # Alice's acknowledgement
    await b.act("mirror", "You feel alone when the dishes pile up.")
    assert (await a.frame("turn"))["turn"]["seq"] == 4
    await a.ws.close()
    await b.ws.close()


def test_open_sockets_pause_through_a_redis_outage_and_catch_up_with_nothing_lost(
    dialogue: Dialogue, alice: User, bob: User
) -> None:
    _against_own_redis(_outage, dialogue, [alice, bob])
    assert list(Turn.objects.filter(dialogue=dialogue).values_list("seq", "action")) == [
        (1, "request"), (2, "accept"), (3, "send"), (4, "mirror"),
    ]  # fmt: skip


async def _hang(base: str, redis: RedisServer, dialogue: Dialogue, cookies: list[str]) -> None:
    a, b = Tab(base, dialogue, cookies[0]), Tab(base, dialogue, cookies[1])
    await a.open()
    await b.open()
    assert redis.process is not None
    redis.process.send_signal(signal.SIGSTOP)  # hangs: accepts nothing, refuses nothing
    try:
        asked = await a.act("request", "Is now a good time?")
        # The send to the room times out (LAYER_TIMEOUT): Alice still hears her turn was saved,
        # on a socket that stays open.
        reply = await a.frame("turn", timeout=LAYER_TIMEOUT + 10)
        assert (reply.get("in_reply_to"), reply["turn"]["seq"]) == (asked, 1)
    finally:
        redis.process.send_signal(signal.SIGCONT)
    # Neither socket was paused: a slow layer is not a layer that is down. Bob missed the live
    # turn; the next one tells him of the gap and his resync brings it.
    await b.ws.send(json.dumps({"type": "sync", "msg_id": "s1", "since": 0}))
    state = await b.frame("state")
    assert [turn["seq"] for turn in state["turns"]] == [1]
    await b.act("accept", "Yes, I'm ready to hear you.", msg_id="b1")
    # The send that timed out may still be delivered once Redis continues: a turn the page
    # already has, which it ignores by its number.
    frame = await a.frame("turn")
    if frame["turn"]["seq"] == 1:
        frame = await a.frame("turn")
    assert frame["turn"]["seq"] == 2
    await a.ws.close()
    await b.ws.close()


def test_a_redis_that_only_hangs_a_while_pauses_no_socket_and_loses_nothing(
    dialogue: Dialogue, alice: User, bob: User
) -> None:
    _against_own_redis(_hang, dialogue, [alice, bob])
    assert list(Turn.objects.filter(dialogue=dialogue).values_list("seq", "action")) == [
        (1, "request"), (2, "accept"),
    ]  # fmt: skip

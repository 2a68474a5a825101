"""A person's flood budget holds across processes: scaled out, their sockets may land on several
daphne processes, and together they get one person's budget, not one per process. Two real
daphne processes share a Redis of the test's own."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import ExitStack

import pytest
from django.conf import settings
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection

from couples.models import Couple, User
from dialogue.services import dialogue_start
from tests.conftest import login_client
from tests.servers import Daphne, RedisServer

pytestmark = pytest.mark.django_db(transaction=True)

SOCKETS_PER_PROCESS = 3


@pytest.fixture
def two_processes() -> Iterator[tuple[Daphne, Daphne]]:
    redis_server = RedisServer()
    redis_server.start()
    servers = (Daphne({"REDIS_URL": redis_server.url}), Daphne({"REDIS_URL": redis_server.url}))
    try:
        for server in servers:
            server.start()
        yield servers
    finally:
        for server in servers:
            server.stop()
        redis_server.stop()


def _send_syncs(sockets: list[ClientConnection], each: int, tag: str) -> set[str]:
    sent: set[str] = set()
    for index, ws in enumerate(sockets):
        for n in range(each):
            msg_id = f"{tag}{index}x{n}"
            sent.add(msg_id)
            ws.send(json.dumps({"type": "sync", "msg_id": msg_id}))
    return sent


def _answered(sockets: list[ClientConnection], sent: set[str]) -> int:
    """How many of the syncs `sent` were answered with the dialogue's state rather than refused as
    too fast (a refused frame is answered once per run, then dropped unanswered)."""
    answered = 0
    for ws in sockets:
        while True:
            try:
                frame = json.loads(ws.recv(timeout=0.75))
            except (TimeoutError, ConnectionClosed):
                break  # no more answers coming
            if frame.get("in_reply_to") in sent and frame.get("type") != "error":
                answered += 1
    return answered


def test_a_person_on_two_processes_gets_one_persons_sync_budget_in_all(
    two_processes: tuple[Daphne, Daphne], couple: Couple, alice: User
) -> None:
    first, second = two_processes
    dialogue = dialogue_start(couple=couple, user=alice, topic="The dishes")
    cookie = login_client(alice).cookies["sessionid"].value
    burst = settings.DIALOGUE_FLOOD["sync"][0]
    person_burst = burst * settings.DIALOGUE_FLOOD["per_person"]
    assert SOCKETS_PER_PROCESS * burst == person_burst  # each process alone allows it all

    started = time.monotonic()
    with ExitStack() as stack:
        on_first = [
            stack.enter_context(first.dialogue_socket(dialogue.pk, cookie))
            for _ in range(SOCKETS_PER_PROCESS)
        ]
        # Within the budget: every sync is answered.
        assert _answered(on_first, _send_syncs(on_first, burst, "a")) == person_burst

        on_second = [
            stack.enter_context(second.dialogue_socket(dialogue.pk, cookie))
            for _ in range(SOCKETS_PER_PROCESS)
        ]
        time.sleep(1)  # the second process settles with the shared budget as she arrives
        # The same again through the other process would be a second budget; she gets only what
        # refilled meanwhile (a fraction of a sync per second), where a budget per process would
        # have answered all of them.
        sent = _send_syncs(on_second, burst, "b")
        elapsed = time.monotonic() - started
        answered = _answered(on_second, sent)
    refilled = settings.DIALOGUE_FLOOD["sync"][1] * settings.DIALOGUE_FLOOD["per_person"] * elapsed
    assert answered <= refilled + 1, f"{answered} of {person_burst} syncs answered in {elapsed} s"

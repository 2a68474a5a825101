"""Killing the server mid-dialogue loses nothing: a real daphne is killed with SIGKILL ten times
while several couples are acting at once, each with one action still in flight every time; after
each restart the clients reconnect and resend what was not acknowledged, with the same message
id. Every acknowledged turn is then stored exactly once, and the sequence has no gap."""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack

import pytest
from websockets.sync.client import ClientConnection

from dialogue.models import Dialogue, Turn
from dialogue.services import dialogue_start
from tests.conftest import login_client, make_user, pair
from tests.servers import Daphne

pytestmark = pytest.mark.django_db(transaction=True)

CYCLES = 10
COUPLES = 4  # acting at once: each kill lands with several actions in the server
# The opening and one whole round, in order: who acts ("s" sender, "r" receiver), action, text.
SCRIPT: list[tuple[str, str, str]] = [
    ("s", "request", "Can we talk about the dishes?"),
    ("r", "accept", ""),
    ("s", "send", "When the dishes pile up, I feel alone."),
    ("r", "mirror", "If I got it, you feel annoyed. Did I get it?"),
    ("s", "correct", "Almost — the part I want you to hear is alone."),
    ("r", "mirror", "You feel alone when the dishes pile up. Did I get it?"),
    ("s", "confirm", ""),
    ("r", "ask_more", "Is there more about that?"),
    ("s", "more", ""),
    ("s", "send", "And then I go quiet."),
    ("r", "mirror", "And then you go quiet. Did I get it?"),
    ("s", "confirm", ""),
    ("r", "ask_more", "Is there more?"),
    ("s", "done", ""),
    ("r", "summarize", "You feel alone with the dishes and go quiet. Did I get all of that?"),
    ("s", "confirm", ""),
    ("r", "validate", "You make sense to me, because you grew up doing chores alone."),
    ("s", "acknowledge", "Thank you."),
    ("r", "empathize", "I imagine you might be feeling lonely. Is that how you feel?"),
    ("s", "confirm", ""),
]


@pytest.fixture
def server() -> Iterator[Daphne]:
    running = Daphne()
    yield running
    running.stop()


def _open(server: Daphne, dialogue: Dialogue, cookie: str) -> ClientConnection:
    # The server will be gone: don't wait for its closing handshake.
    return server.dialogue_socket(dialogue.pk, cookie, close_timeout=0.2)


def _ack(ws: ClientConnection, msg_id: str) -> dict[str, object]:
    """Read frames until the one answering `msg_id`."""
    while True:
        frame = json.loads(ws.recv(timeout=10))
        if frame.get("in_reply_to") == msg_id and frame["type"] in {"turn", "error"}:
            return frame


def _cycle(
    cycle: int,
    sockets: dict[str, ClientConnection],
    in_flight: tuple[str, str, str, str] | None,
    step: int,
    acknowledged: list[str],
) -> tuple[tuple[str, str, str, str], int]:
    """Resend what was in flight when the server died, take one acknowledged action, and leave
    the next one in flight."""
    if in_flight is not None:
        # The resend after a crash: the same message id, so a turn saved before the kill
        # comes back as a replay instead of a second turn.
        who, msg_id, action, text = in_flight
        sockets[who].send(
            json.dumps({"type": "action", "msg_id": msg_id, "action": action, "text": text})
        )
        frame = _ack(sockets[who], msg_id)
        assert frame["type"] == "turn", frame
        acknowledged.append(msg_id)
        in_flight = None
    # One acknowledged action, then one left in flight when the server dies.
    who, action, text = SCRIPT[step]
    msg_id = f"c{cycle}-a"
    sockets[who].send(
        json.dumps({"type": "action", "msg_id": msg_id, "action": action, "text": text})
    )
    frame = _ack(sockets[who], msg_id)
    assert frame["type"] == "turn", frame
    acknowledged.append(msg_id)
    who, action, text = SCRIPT[step + 1]
    in_flight = (who, f"c{cycle}-b", action, text)
    sockets[who].send(
        json.dumps({"type": "action", "msg_id": in_flight[1], "action": action, "text": text})
    )
    return in_flight, step + 2


class Pair:
    """One couple's dialogue as its two browsers see it across the kills."""

    def __init__(self, index: int) -> None:
        sender = make_user(f"s{index}@example.com", f"Sender {index}")
        receiver = make_user(f"r{index}@example.com", f"Receiver {index}")
        self.dialogue = dialogue_start(
            couple=pair(sender, receiver), user=sender, topic="The dishes"
        )
        self.cookies = {
            "s": login_client(sender).cookies["sessionid"].value,
            "r": login_client(receiver).cookies["sessionid"].value,
        }
        self.acknowledged: list[str] = []
        self.in_flight: tuple[str, str, str, str] | None = None  # who, msg_id, action, text
        self.step = 0

    def act(self, server: Daphne, cycle: int, stack: ExitStack) -> None:
        sockets = {
            who: stack.enter_context(_open(server, self.dialogue, cookie))
            for who, cookie in self.cookies.items()
        }
        self.in_flight, self.step = _cycle(
            cycle, sockets, self.in_flight, self.step, self.acknowledged
        )


def test_ten_kills_under_load_lose_no_acknowledged_turn_and_duplicate_none(
    server: Daphne,
) -> None:
    pairs = [Pair(index) for index in range(COUPLES)]
    for cycle in range(CYCLES):
        server.start()
        with ExitStack() as stack, ThreadPoolExecutor(max_workers=COUPLES) as pool:
            # Every couple acts at once, and each leaves an action in flight when daphne dies.
            for done in [pool.submit(one.act, server, cycle, stack) for one in pairs]:
                done.result()
            server.kill()

    for one in pairs:
        turns = list(Turn.objects.filter(dialogue=one.dialogue).order_by("seq"))
        ids = [turn.client_msg_id for turn in turns]
        assert [turn.seq for turn in turns] == list(range(1, len(turns) + 1))
        assert len(ids) == len(set(ids)), "a resent action became a second turn"
        assert set(one.acknowledged) <= set(ids), "an acknowledged turn is missing"
        # Every action but the last one in flight was acknowledged and stored once.
        assert len(one.acknowledged) == 2 * CYCLES - 1
        assert [t.action for t in turns[: len(one.acknowledged)]] == [a for _, a, _ in SCRIPT][
            : len(one.acknowledged)
        ]

"""Ten thousand hostile frames from a partner's socket: wrong types, huge, deeply nested, binary,
unicode edge cases, another couple's ids. None ends the socket, none changes anything, none
shows anything of another couple."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from typing import Any

import hypothesis
import pytest
from asgiref.sync import async_to_sync, sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import connections
from hypothesis import HealthCheck, given
from hypothesis import strategies as st

from couples.models import Couple, User
from dialogue import flow
from dialogue.models import Dialogue, Turn
from dialogue.services import dialogue_start, turn_submit
from imago_site.asgi import application

from .conftest import ORIGIN, session_cookie

BATCHES = 100
PER_BATCH = 100  # frames sent over one connection
# Every code the protocol documents for a refused frame (docs/protocol.md).
DOCUMENTED_CODES = {
    "bad_json", "bad_message", "too_large", "bad_msg_id", "unknown_type", "unknown_action",
    "text_required", "text_too_long", "bad_text", "bad_time", "not_your_turn", "wrong_step",
    "paused", "ended", "conflict", "observer", "read_only", "too_fast",
}  # fmt: skip

# Hypothesis draws two small numbers per frame (a recipe and a seed); the frame is built from
# them with plain `random`, which keeps ten thousand frames cheap to generate and still lets a
# failure shrink towards the simplest recipe.

# Characters that break naive handling: lone surrogates, NUL, controls, bidi, joiners, emoji.
ODD = ["\ud800", "\udfff", "\x00", "\x1b", "\u202e", "\u200d", "\ufeff", "\U0001f600", "\uffff",
       "é", "'", '"', "<script>", "\\", "\n", " ", "a", "0"]  # fmt: skip
ID_CHARS = "ABCXYZabcxyz0123456789_.:-"
# Everything Alice may not do at this step: all actions but a time-out (her one legal move).
ACTIONS = [a.value for a in flow.Action if a != flow.Action.TIMEOUT]
TYPES = ["action", "action", "action", "typing", "sync", "prompt", "hold", "release", "timer", ""]
ODD_VALUES: list[Any] = [
    None, True, False, 0, -1, 2**70, -(2**70), 1.5, float("nan"), float("inf"), "", [], {},
    [None], [[["deep"]]], {"a": {"b": []}}, {"type": "sync"}, [{}] * 50,
]  # fmt: skip
TIMES = ["2026-13-01T00:00", "9999-12-31T23:59:59+14:00", "0001-01-01", "now",
         "2026-11-25T12:00:00Z", "2026-11-25T12:00:00+99:00", "1e400"]  # fmt: skip


def _text(rng: random.Random) -> str:
    shape = rng.randrange(4)
    if shape == 0:
        return "".join(rng.choice(ODD) for _ in range(rng.randrange(12)))
    if shape == 1:
        return rng.choice(["a", "é", "\ud800", " "]) * rng.randint(3_990, 4_010)
    if shape == 2:
        return "".join(chr(rng.randrange(0x110000)) for _ in range(rng.randrange(8)))
    return rng.choice(["hello", "", "   ", "I feel alone."])


def _value(rng: random.Random) -> Any:
    return rng.choice(ODD_VALUES) if rng.randrange(2) else _text(rng)


def _message(rng: random.Random, foreign_id: str) -> dict[str, Any]:
    """A JSON object that looks like a message: mostly well-formed, each field sometimes wrong."""
    message: dict[str, Any] = {"type": rng.choice(TYPES) if rng.randrange(8) else _value(rng)}
    if rng.randrange(8):
        message["msg_id"] = "".join(rng.choice(ID_CHARS) for _ in range(rng.randint(1, 64)))
    elif rng.randrange(2):
        message["msg_id"] = _value(rng)
    fields = {
        "action": lambda: rng.choice(ACTIONS) if rng.randrange(4) else _value(rng),
        "text": lambda: _text(rng) if rng.randrange(8) else _value(rng),
        "at": lambda: rng.choice(TIMES) if rng.randrange(2) else _value(rng),
        "last_seq": lambda: rng.choice([0, 1, 2, -1, True]) if rng.randrange(2) else _value(rng),
        "dialogue": lambda: foreign_id,
        "id": lambda: foreign_id,
        "kind": lambda: _value(rng),
        "seconds": lambda: _value(rng),
    }
    for key, make in fields.items():
        if rng.randrange(3) == 0 or (key in ("action", "text") and rng.randrange(4)):
            message[key] = make()
    return message


def _oversized(rng: random.Random) -> str:
    return json.dumps({"type": "sync", "pad": "x" * rng.randint(32_000, 40_000)})


RECIPES: list[Callable[[random.Random, str], dict[str, Any]]] = [
    lambda rng, foreign: {"text": json.dumps(_message(rng, foreign))},
    lambda rng, foreign: {"text": json.dumps(_message(rng, foreign))},
    lambda rng, foreign: {"text": json.dumps(_message(rng, foreign))},
    lambda rng, foreign: {"text": json.dumps(_message(rng, foreign))},
    lambda rng, foreign: {"text": json.dumps(_value(rng))},
    lambda rng, foreign: {"text": _text(rng)},
    lambda rng, foreign: {"text": "[" * rng.randint(1, 20_000)},
    lambda rng, foreign: {"text": '{"a":' * rng.randint(1, 10_000)},
    lambda rng, foreign: {"text": _oversized(rng)},
    lambda rng, foreign: {"bytes": rng.randbytes(rng.randrange(64))},
]


def _frames(foreign_id: str) -> st.SearchStrategy[dict[str, Any]]:
    """One websocket.receive event: mostly message-like JSON objects, and every other garbage."""
    return st.builds(
        lambda recipe, seed: RECIPES[recipe](random.Random(seed), foreign_id),
        st.integers(0, len(RECIPES) - 1),
        st.integers(0, 2**32),
    )


def _world(dialogue: Dialogue, theirs: Dialogue) -> list[Any]:
    rows = []
    for one in (dialogue, theirs):
        one.refresh_from_db()
        rows.append((one.step, one.paused, one.round, one.last_seq, one.sender_id, one.updated_at))
        rows.append(list(Turn.objects.filter(dialogue=one).values_list("pk", "text")))
    return rows


@pytest.mark.django_db(transaction=True)
def test_ten_thousand_hostile_frames_end_no_socket_change_nothing_and_leak_nothing(
    dialogue: Dialogue, alice: User, mallory: User, mallory_couple: Couple, settings: Any
) -> None:
    # Flood limits are tested on their own; here every frame must reach the parser.
    unlimited = dict.fromkeys(("frame", "action", "sync", "typing"), (10**9, 10**9))
    settings.DIALOGUE_FLOOD = {**settings.DIALOGUE_FLOOD, **unlimited}
    turn_submit(
        dialogue_id=dialogue.pk, user=alice, action="request", text="Now?", client_msg_id="r1"
    )
    theirs = dialogue_start(couple=mallory_couple, user=mallory, topic="Mallory's secret")
    before = _world(dialogue, theirs)
    secrets = [str(theirs.pk), "Mallory", "Mike", "secret"]
    cookie = session_cookie(alice)
    sent = 0

    async def batch(frames: list[dict[str, Any]]) -> None:
        ws = WebsocketCommunicator(
            application,
            f"/ws/dialogue/{dialogue.pk}/",
            [ORIGIN, (b"cookie", f"sessionid={cookie}".encode())],
        )
        connected, _ = await ws.connect(timeout=30)
        assert connected
        for frame in frames:
            await ws.send_input({"type": "websocket.receive", **frame})
        # Frames are handled in order: once the marker is answered, every frame has been.
        await ws.send_json_to({"type": "marker", "msg_id": "marker"})
        while True:
            output = await ws.receive_output(timeout=30)
            assert output["type"] == "websocket.send", output  # never a close, never a 1011
            for secret in secrets:
                assert secret not in output["text"]
            reply = json.loads(output["text"])
            assert reply["type"] in {"state", "error", "presence"}, reply
            if reply["type"] == "error":
                assert reply["code"] in DOCUMENTED_CODES, reply
                if reply["in_reply_to"] == "marker":
                    break
        await ws.disconnect()

    @hypothesis.settings(
        max_examples=BATCHES,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    @given(st.lists(_frames(str(theirs.pk)), min_size=PER_BATCH, max_size=PER_BATCH))
    def each_batch(frames: list[dict[str, Any]]) -> None:
        nonlocal sent
        async_to_sync(batch)(frames)
        sent += len(frames)

    each_batch()
    async_to_sync(sync_to_async(connections.close_all))()
    assert sent >= 10_000
    assert _world(dialogue, theirs) == before

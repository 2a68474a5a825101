"""Frames the socket cannot use get a clear error and keep the connection; floods get an error
frame, then a close with 4429, and cost nobody else anything."""

from __future__ import annotations

import json

import pytest
from asgiref.sync import sync_to_async

from couples.models import Couple, User
from dialogue.models import Dialogue, Turn
from dialogue.services import dialogue_start

from .conftest import Join, Party

pytestmark = pytest.mark.django_db(transaction=True)

FLOODED = 4429
REQUEST = '{"type": "action", "msg_id": "m1", "action": "request", "text": %s}'


@pytest.fixture
def no_refill(settings: object) -> dict:
    """The configured bursts, with buckets that do not refill while a test runs: what a flood
    gets through is then exactly the burst, however slow the machine."""
    settings.DIALOGUE_FLOOD = {
        kind: (value[0], 1e-9) if isinstance(value, tuple) else value
        for kind, value in settings.DIALOGUE_FLOOD.items()
    }
    return settings.DIALOGUE_FLOOD


async def _turn_count(dialogue: Dialogue) -> int:
    return await Turn.objects.filter(dialogue=dialogue).acount()


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("[" * 5_000, "bad_json"),
        ('{"a":' * 5_000, "bad_json"),
        ("[" * 5_000 + "]" * 5_000, "bad_json"),
        (REQUEST % '"hi \\ud800"', "bad_text"),
        (REQUEST % '"\\udfff"', "bad_text"),
        (REQUEST % '"a\\u0000b"', "bad_text"),
        ('{"type": "action", "msg_id": "m1", "action": "req\\u0000", "text": "x"}', "bad_text"),
    ],
    ids=["5000 brackets", "5000 objects", "5000 closed brackets", "surrogate", "low surrogate",
         "NUL in text", "NUL in action"],
)  # fmt: skip
async def test_a_frame_that_cannot_be_parsed_or_stored_gets_an_error_and_the_socket_stays(
    raw: str, code: str, join: Join, dialogue: Dialogue, alice: User
) -> None:
    a = await join(alice)
    await a.ws.send_to(text_data=raw)
    error = await a.frame("error")
    assert error["code"] == code
    assert error["message"]
    assert await _turn_count(dialogue) == 0
    # The same socket still takes a move.
    await a.act("request", "Is now a good time?")
    assert (await a.frame("turn"))["turn"]["text"] == "Is now a good time?"


async def _until_closed(party: Party) -> tuple[list[dict], int]:
    """Every frame until the socket closes, and the close code."""
    frames: list[dict] = []
    while True:
        output = await party.ws.receive_output(timeout=10)
        if output["type"] == "websocket.close":
            party.closed = True
            return frames, output["code"]
        frames.append(json.loads(output["text"]))


async def _until_answered(party: Party) -> list[dict]:
    """Every frame up to the answer to a marker frame sent now (an unknown type, which draws on
    no kind's bucket): the socket handles frames in order, so nothing sent before is missed."""
    await party.ws.send_to(text_data=json.dumps({"type": "marker", "msg_id": "marker"}))
    frames: list[dict] = []
    while True:
        frame = json.loads(await party.ws.receive_from(timeout=10))
        if frame.get("in_reply_to") == "marker":
            return frames
        frames.append(frame)


FLOODS = {
    "sync": lambda n: {"type": "sync", "msg_id": f"s{n}"},
    "typing": lambda n: {"type": "typing", "msg_id": f"t{n}"},
    # Refused actions still cost: each one is validated and checked against the database.
    "action": lambda n: {"type": "action", "msg_id": f"a{n}", "action": "summarize", "text": "x"},
    "garbage": lambda n: "not json at all",
}


@pytest.mark.parametrize("kind", list(FLOODS))
async def test_a_flood_gets_one_error_frame_then_the_socket_is_closed(
    kind: str, join: Join, dialogue: Dialogue, alice: User, bob: User, no_refill: dict
) -> None:
    a, b = await join(alice), await join(bob)
    for n in range(300):
        frame = FLOODS[kind](n)
        await a.ws.send_to(text_data=frame if isinstance(frame, str) else json.dumps(frame))
    frames, code = await _until_closed(a)
    assert code == FLOODED
    too_fast = [f for f in frames if f["type"] == "error" and f["code"] == "too_fast"]
    assert len(too_fast) == 1
    handled = [f for f in frames if f["type"] == "state" or f.get("code") not in (None, "too_fast")]
    burst = no_refill["frame" if kind == "garbage" else kind][0]
    # Only the burst is handled; the rest is dropped unread (refused actions also resend state).
    assert len(handled) <= 2 * burst
    assert await _turn_count(dialogue) == 0
    # Bob heard at most a burst of typing hints, and his socket is untouched.
    hints = await _until_answered(b)
    assert len([f for f in hints if f["type"] == "typing"]) <= no_refill["typing"][0]
    await b.send({"type": "sync"})
    assert (await b.frame("state"))["type"] == "state"


async def test_a_person_flooding_from_several_connections_meets_the_per_person_limit(
    join: Join, dialogue: Dialogue, alice: User, no_refill: dict
) -> None:
    burst, _ = no_refill["sync"]
    per_person = no_refill["per_person"]
    tabs = [await join(alice) for _ in range(per_person + 2)]
    # Each connection stays within its own burst; together they are over the person's.
    for tab in tabs:
        for n in range(burst):
            await tab.send({"type": "sync", "msg_id": f"s{n}"})
    states = errors = 0
    for tab in tabs:
        frames = await _until_answered(tab)
        states += len([f for f in frames if f["type"] == "state"])
        errors += len([f for f in frames if f.get("code") == "too_fast"])
    assert states <= burst * per_person
    assert errors >= 1


async def test_a_person_at_a_human_pace_is_never_limited(
    join: Join, dialogue: Dialogue, alice: User, bob: User
) -> None:
    a, b = await join(alice), await join(bob)
    script = [(a, "request"), (b, "accept"), (a, "send"), (b, "mirror"), (a, "confirm")]
    for party, action in script:
        await party.send({"type": "typing"})
        await party.act(action, "Some words.", last_seq=party.last_seq)
        turn = await party.frame("turn")
        assert turn["turn"]["action"] == action
        other = b if party is a else a
        await other.frame("turn")
    await a.send({"type": "sync"})
    assert (await a.frame("state"))["dialogue"]["last_seq"] == len(script)


async def test_another_couples_moves_are_all_acknowledged_while_one_client_floods(
    join: Join,
    dialogue: Dialogue,
    alice: User,
    bob: User,
    mallory_couple: Couple,
    mallory: User,
    no_refill: dict,
) -> None:
    theirs = await sync_to_async(dialogue_start)(
        couple=mallory_couple, user=mallory, topic="the car"
    )
    m = await join(mallory, theirs.pk)
    a, b = await join(alice), await join(bob)
    # Mallory sends two thousand syncs — each would render and send her whole dialogue — and
    # does not wait for any answer.
    for n in range(2_000):
        await m.ws.send_to(text_data=json.dumps({"type": "sync", "msg_id": f"s{n}"}))
    # Meanwhile Alice and Bob hold their dialogue: every move is acknowledged to its author
    # and reaches the partner, in order, with no error.
    script = [
        (a, "request"), (b, "accept"), (a, "send"), (b, "mirror"), (a, "confirm"),
        (b, "ask_more"), (a, "done"),
    ]  # fmt: skip
    for party, action in script:
        msg_id = await party.act(action, f"{action} words", last_seq=party.last_seq)
        ack = await party.frame("turn")
        assert (ack["turn"]["action"], ack["in_reply_to"]) == (action, msg_id)
        other = b if party is a else a
        assert (await other.frame("turn"))["turn"]["seq"] == ack["turn"]["seq"]
    assert await _turn_count(dialogue) == len(script)
    # Mallory's flood was cut short: a burst of answers, one warning, a close.
    frames, code = await _until_closed(m)
    assert code == FLOODED
    assert len([f for f in frames if f["type"] == "state"]) <= no_refill["sync"][0]
    assert [f["code"] for f in frames if f["type"] == "error"] == ["too_fast"]

"""The live dialogue over real websockets: the ASGI app with its origin check and session auth,
the configured channel layer (in-memory, or Redis pub/sub when REDIS_URL is set), a real DB."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from django.utils import timezone

from couples.models import Couple, User
from couples.services import (
    couple_leave,
    therapist_consent_give,
    therapist_link_create,
    therapist_link_revoke,
)
from dialogue.models import Dialogue, Turn
from dialogue.services import dialogue_invite_therapist

from .conftest import Join, Party, open_socket

pytestmark = pytest.mark.django_db(transaction=True)


async def _turns(dialogue: Dialogue) -> list[tuple[str, str, str]]:
    return await sync_to_async(list)(
        Turn.objects.filter(dialogue=dialogue)
        .order_by("seq")
        .values_list("author__display_name", "action", "text")
    )


async def _fresh(dialogue: Dialogue) -> Dialogue:
    return await Dialogue.objects.select_related("sender", "receiver").aget(pk=dialogue.pk)


async def step(actor: Party, action: str, text: str, *watchers: Party) -> dict:
    """`actor` takes `action`; everyone connected sees the same new turn arrive."""
    msg_id = await actor.act(action, text, last_seq=actor.last_seq)
    mine = await actor.frame("turn")
    assert mine["turn"]["action"] == action, mine
    assert mine["in_reply_to"] == msg_id
    for watcher in watchers:
        theirs = await watcher.frame("turn")
        assert theirs["turn"] == mine["turn"]
        if watcher.user != actor.user:
            assert theirs["in_reply_to"] is None
    return mine


async def test_partners_hold_a_whole_round_with_a_correction_and_more_then_swap_roles(
    join: Join, dialogue: Dialogue, alice: User, bob: User
) -> None:
    a, b = await join(alice), await join(bob)
    script = [
        (a, "request", "I'd like to talk about the dishes. Is now a good time?"),
        (b, "accept", "Yes, I'm ready to hear you."),
        (a, "send", "When the dishes pile up, I feel alone."),
        (b, "mirror", "If I got it, you feel annoyed. Did I get it?"),
        (a, "correct", "Almost — the part I want you to hear is alone, not annoyed."),
        (b, "mirror", "You feel alone when the dishes pile up. Did I get it?"),
        (a, "confirm", ""),
        (b, "ask_more", "Is there more about that?"),
        (a, "more", ""),
        (a, "send", "And then I react by going quiet."),
        (b, "mirror", "And then you go quiet. Did I get it?"),
        (a, "confirm", "Yes, you got it."),
        (b, "ask_more", "Is there more?"),
        (a, "done", "That's all for now."),
        (b, "summarize", "You feel alone with the dishes and go quiet. Did I get all of that?"),
        (a, "confirm", ""),
        (b, "validate", "You make sense to me, because you grew up doing chores alone."),
        (a, "acknowledge", "Thank you."),
        (b, "empathize", "I imagine you might be feeling lonely. Is that how you feel?"),
        (a, "confirm", "Yes."),
    ]
    for actor, action, text in script:
        other = b if actor is a else a
        frame = await step(actor, action, text, other)
    assert frame["dialogue"]["step"] == "close"
    # The round is complete: either partner may swap; Bob answers on the same topic.
    frame = await step(b, "swap", "Thank you for listening. May I answer?", a)
    assert frame["dialogue"]["step"] == "send"
    assert frame["dialogue"]["round"] == 2
    assert frame["dialogue"]["sender"]["name"] == "Bob"
    assert frame["you"]["role"] == "sender"  # rendered for Bob, who now sends
    await step(b, "send", "When I come home late, I feel guilty.", a)
    # Alice is now the receiver: the panel she was sent asks her to mirror.
    await a.send({"type": "sync"})
    alice_view = (await a.frame("state"))["html"]["panel"]
    assert "Your move" in alice_view
    assert "Repeat back what you heard" in alice_view

    turns = await _turns(dialogue)
    assert len(turns) == len(script) + 2
    assert turns[4] == (
        "Alice",
        "correct",
        "Almost — the part I want you to hear is alone, not annoyed.",
    )
    fresh = await _fresh(dialogue)
    assert (fresh.sender.display_name, fresh.receiver.display_name, fresh.step) == (
        "Bob",
        "Alice",
        "mirror",
    )


async def test_each_turn_arrives_as_html_rendered_for_the_viewer_with_the_text_escaped(
    join: Join, alice: User, bob: User
) -> None:
    a, b = await join(alice), await join(bob)
    await a.act("request", "<script>alert('hi')</script> Is now good?", last_seq=0)
    frame = await b.frame("turn")
    assert "&lt;script&gt;" in frame["html"]["turn"]
    assert "<script>" not in frame["html"]["turn"]
    # Bob's panel invites him to answer, with the stem as an editable starter.
    assert "Yes, I&#x27;m ready to hear you." in frame["html"]["panel"]
    # Still making the appointment: the step progress did not change, so it is not resent.
    assert "progress" not in frame["html"]
    mine = await a.frame("turn")
    assert "Bob’s move" in mine["html"]["panel"]
    assert "Your partner is deciding whether now is a good time." in mine["html"]["panel"]


async def test_a_reconnect_mid_round_resumes_at_the_same_step_with_every_turn(
    join: Join, dialogue: Dialogue, alice: User, bob: User
) -> None:
    a, b = await join(alice), await join(bob)
    await step(a, "request", "Can we talk about the dishes?", b)
    await step(b, "accept", "", a)
    await step(a, "send", "I feel alone with the dishes.", b)
    await b.close()  # Bob's phone drops off mid-round
    await step(a, "timeout", "Ouch — a minute please.")
    await step(a, "resume", "")

    again = await join(bob)
    await again.send({"type": "sync"})
    state = await again.frame("state")
    assert state["dialogue"]["step"] == "mirror"
    assert [t["action"] for t in state["turns"]] == [
        "request",
        "accept",
        "send",
        "timeout",
        "resume",
    ]
    assert state["turns"][2]["text"] == "I feel alone with the dishes."
    assert len(state["html"]["turns"]) == 5
    assert "I feel alone with the dishes." in state["html"]["turns"][2]
    assert state["you"]["role"] == "receiver"
    await step(again, "mirror", "You feel alone with the dishes. Did I get it?", a)


async def test_a_second_device_of_the_same_partner_sees_the_same_turns(
    join: Join, alice: User, bob: User
) -> None:
    phone, laptop, b = await join(alice), await join(alice), await join(bob)
    await step(phone, "request", "Now?", laptop, b)
    assert laptop.last_seq == 1


@pytest.mark.parametrize("who", ["mallory", "anonymous", "carol"])
async def test_anyone_but_the_couple_and_their_consented_therapist_is_refused(
    who: str, dialogue: Dialogue, mallory_couple: Couple, mallory: User, carol: User
) -> None:
    user = {"mallory": mallory, "anonymous": None, "carol": carol}[who]
    ok, _, ws = await open_socket(user, dialogue.pk)
    assert not ok
    await ws.disconnect()


async def test_a_missing_dialogue_is_refused_exactly_like_someone_elses(
    dialogue: Dialogue, mallory: User
) -> None:
    refusals = []
    for target in (dialogue.pk, uuid.uuid4()):
        ok, _, ws = await open_socket(mallory, target)
        refusals.append(ok)
        await ws.disconnect()
    assert refusals == [False, False]


async def test_a_page_on_another_origin_cannot_open_the_socket(
    dialogue: Dialogue, alice: User
) -> None:
    ok, _, ws = await open_socket(alice, dialogue.pk, origin=(b"origin", b"https://evil.example"))
    assert not ok
    await ws.disconnect()


async def test_an_invited_therapist_watches_live_but_cannot_act(
    join: Join, dialogue: Dialogue, alice: User, bob: User, carol_invited: User
) -> None:
    a, b, c = await join(alice), await join(bob), await join(carol_invited)
    await step(a, "request", "Can we talk now?", b, c)
    await c.act("accept", "Yes", last_seq=c.last_seq)
    error = await c.frame("error")
    assert error["code"] == "observer"
    assert "observing" in error["message"]
    await c.send({"type": "sync"})
    state = await c.frame("state")
    assert state["you"]["role"] == "observer"
    assert "You are observing" in state["html"]["panel"]
    assert 'id="turn-form"' not in state["html"]["panel"]
    assert [t[1] for t in await _turns(dialogue)] == ["request"]


async def _closed_code(party: Party) -> int:
    output = await party.ws.receive_output(timeout=5)
    while output["type"] != "websocket.close":
        output = await party.ws.receive_output(timeout=5)
    return output["code"]


async def test_a_consented_therapist_not_invited_to_this_dialogue_is_refused(
    dialogue: Dialogue, carol_consented: User
) -> None:
    ok, _, ws = await open_socket(carol_consented, dialogue.pk)
    assert not ok
    await ws.disconnect()


async def test_withdrawing_the_invitation_cuts_off_a_watching_therapist_at_once(
    join: Join, dialogue: Dialogue, bob: User, carol_invited: User
) -> None:
    c = await join(carol_invited)
    await sync_to_async(dialogue_invite_therapist)(dialogue_id=dialogue.pk, user=bob, invite=False)
    assert await _closed_code(c) == 4403


async def test_every_time_a_therapist_watches_is_recorded_for_the_partners(
    join: Join, couple: Couple, carol_invited: User
) -> None:
    await join(carol_invited)
    views = await sync_to_async(list)(couple.therapist_views.values_list("therapist", "what"))
    assert views == [(carol_invited.pk, "Watched the live dialogue: “the dishes”")]


async def test_revoking_consent_cuts_off_a_watching_therapist_at_once(
    join: Join, couple: Couple, alice: User, bob: User, carol_invited: User
) -> None:
    a, b, c = await join(alice), await join(bob), await join(carol_invited)
    link = await sync_to_async(couple.therapist_links.get)()
    await sync_to_async(therapist_link_revoke)(link=link, by=bob)
    assert await _closed_code(c) == 4403  # without waiting for anyone to act
    await step(a, "request", "Just the two of us now?", b)


async def test_a_couple_ending_cuts_off_a_watching_therapist_at_once(
    join: Join, couple: Couple, alice: User, carol_invited: User
) -> None:
    c = await join(carol_invited)
    await sync_to_async(couple_leave)(couple=couple, user=alice)
    assert await _closed_code(c) == 4403


async def test_a_therapist_whose_access_ended_gets_no_state_by_asking_for_it(
    join: Join, couple: Couple, bob: User, carol_invited: User
) -> None:
    c = await join(carol_invited)
    # Revoked in the database directly, so no broadcast warns her socket: the sync must check.
    await sync_to_async(couple.therapist_links.update)(revoked_at=timezone.now())
    await c.send({"type": "sync"})
    assert await _closed_code(c) == 4403


async def test_a_new_therapist_does_not_inherit_invitations_made_for_the_previous_one(
    dialogue: Dialogue, couple: Couple, alice: User, bob: User, carol_invited: User
) -> None:
    link = await sync_to_async(couple.therapist_links.get)()
    await sync_to_async(therapist_link_revoke)(link=link, by=bob)
    dave = await sync_to_async(User.objects.create_user)(
        "dave@example.com", "x", display_name="Dave", role=User.Role.THERAPIST
    )
    new_link = await sync_to_async(therapist_link_create)(couple=couple, therapist=dave, by=alice)
    await sync_to_async(therapist_consent_give)(link=new_link, partner=bob)
    for therapist in (dave, carol_invited):
        ok, _, ws = await open_socket(therapist, dialogue.pk)
        assert not ok
        await ws.disconnect()
    # Carol linked again does not get her old invitation back either.
    await sync_to_async(therapist_link_revoke)(link=new_link, by=bob)
    again = await sync_to_async(therapist_link_create)(
        couple=couple, therapist=carol_invited, by=alice
    )
    await sync_to_async(therapist_consent_give)(link=again, partner=bob)
    ok, _, ws = await open_socket(carol_invited, dialogue.pk)
    assert not ok
    await ws.disconnect()


async def test_the_ended_couples_dialogue_stays_readable_but_refuses_actions(
    join: Join, dialogue: Dialogue, couple: Couple, alice: User
) -> None:
    a = await join(alice)
    await step(a, "request", "Now?")
    await sync_to_async(couple_leave)(couple=couple, user=alice)
    again = await join(alice)
    await again.send({"type": "sync"})
    state = await again.frame("state")
    assert [t["action"] for t in state["turns"]] == ["request"]
    assert state["dialogue"]["read_only"] is True
    await again.act("timeout", "")
    error = await again.frame("error")
    assert error["code"] == "read_only"
    assert "readable" in error["message"]


def _action(**fields: object) -> str:
    return json.dumps({"type": "action", "msg_id": "m1", **fields})


BAD_INPUTS = [
    ("not json at all {", "bad_json"),
    ('["a", "list"]', "bad_message"),
    (json.dumps({"type": "action", "action": "request", "text": "hi"}), "bad_msg_id"),
    (json.dumps({"type": "dance", "msg_id": "m1"}), "unknown_type"),
    (_action(action="shout", text="hi"), "unknown_action"),
    (_action(action="request", text="   "), "text_required"),
    (_action(action="request", text="x" * 4001), "text_too_long"),
    (
        _action(action="propose", text="I'd like to talk about the dishes. Could we talk at ___?"),
        "starter_only",
    ),  # fmt: skip
    (_action(action="send", text="too early"), "wrong_step"),
    (_action(action="request", text="hi", at="soon"), "bad_time"),
    (_action(action="request", text="x" * 40_000), "too_large"),
    (_action(action="propose", text="hi", at=5), "bad_message"),
    (_action(action="request", text={"a": 1}), "bad_message"),
    (_action(action=["request"], text="hi"), "bad_message"),
    (_action(action="request", text="hi", last_seq="0; drop"), "bad_message"),
]


@pytest.mark.parametrize(("raw", "code"), BAD_INPUTS)
async def test_bad_input_gets_an_error_frame_and_changes_nothing(
    raw: str, code: str, join: Join, dialogue: Dialogue, alice: User
) -> None:
    a = await join(alice)
    await a.ws.send_to(text_data=raw)
    error = await a.frame("error")
    assert error["code"] == code
    assert error["message"]
    assert await _turns(dialogue) == []
    if code == "wrong_step":
        assert (await a.frame("state"))["dialogue"]["last_seq"] == 0
    # The connection is kept: the same socket still works.
    await step(a, "request", "Is now a good time?")


async def test_acting_out_of_turn_is_refused_by_name(
    join: Join, dialogue: Dialogue, alice: User, bob: User
) -> None:
    _a, b = await join(alice), await join(bob)
    await b.act("request", "I'd like to talk", last_seq=0)
    error = await b.frame("error")
    assert error["code"] == "not_your_turn"
    assert error["message"] == "It's Alice's move now."
    state = await b.frame("state")
    assert state["dialogue"]["step"] == "appointment"
    assert await _turns(dialogue) == []


async def test_a_resent_message_id_returns_the_original_turn_and_adds_nothing(
    join: Join, dialogue: Dialogue, alice: User, bob: User
) -> None:
    a, b = await join(alice), await join(bob)
    first = await step(a, "request", "Now?", b)
    msg_id = first["in_reply_to"]
    await a.send(
        {"type": "action", "msg_id": msg_id, "action": "request", "text": "Now?", "last_seq": 0}
    )
    replay = await a.frame("turn")
    assert replay["replay"] is True
    assert replay["turn"] == first["turn"]
    assert replay["in_reply_to"] == msg_id
    assert len(await _turns(dialogue)) == 1
    # Bob saw it once: his next frame is the next turn, not a duplicate.
    await a.act("timeout", "")
    assert (await b.frame("turn"))["turn"]["seq"] == 2


@pytest.mark.parametrize("send_last_seq", [True, False])
async def test_when_both_partners_act_at_once_exactly_one_wins_and_the_other_learns_why(
    send_last_seq: bool, join: Join, dialogue: Dialogue, alice: User, bob: User
) -> None:
    a, b = await join(alice), await join(bob)
    extra = {"last_seq": 0} if send_last_seq else {}
    ids = await asyncio.gather(a.act("timeout", "ouch", **extra), b.act("timeout", "ouch", **extra))
    seen: dict[Party, list[dict]] = {}
    for party, msg_id in zip((a, b), ids, strict=True):
        # Read until this party has its answer, a fresh state (for the loser) and the one turn.
        frames: list[dict] = []
        while not _settled(frames, msg_id):
            frames.append(await party.frame("turn", "error", "state"))
        seen[party] = frames
    won = [p for p, fs in seen.items() if not any(f["type"] == "error" for f in fs)]
    lost = [p for p, fs in seen.items() if any(f["type"] == "error" for f in fs)]
    assert len(won) == 1 and len(lost) == 1
    error = next(f for f in seen[lost[0]] if f["type"] == "error")
    # With last_seq the loser hears it was a race; without, the row lock still lets only one in.
    assert error["code"] == ("conflict" if send_last_seq else "paused")
    state = next(f for f in seen[lost[0]] if f["type"] == "state")
    assert state["dialogue"]["paused"] is True
    assert [t[1] for t in await _turns(dialogue)] == ["timeout"]


def _settled(frames: list[dict], msg_id: str) -> bool:
    turns = [f for f in frames if f["type"] == "turn"]
    mine = any(f["in_reply_to"] == msg_id for f in turns)
    refused = any(f["type"] == "error" and f["in_reply_to"] == msg_id for f in frames)
    restated = any(f["type"] == "state" for f in frames)
    return (mine and len(turns) == 1) or (refused and restated and len(turns) == 1)


async def test_a_time_out_pauses_at_the_same_step_until_either_partner_resumes(
    join: Join, dialogue: Dialogue, alice: User, bob: User
) -> None:
    a, b = await join(alice), await join(bob)
    await step(a, "request", "Now?", b)
    back_at = (timezone.now() + timedelta(hours=1)).replace(microsecond=0)
    frame = await step(b, "timeout", "Ouch — I need a break.", a)
    assert frame["dialogue"]["paused"] is True
    await b.act("timeout", "again", last_seq=b.last_seq, at=back_at.isoformat())
    assert (await b.frame("error"))["code"] == "paused"
    await b.frame("state")
    await a.act("accept", "", last_seq=a.last_seq)  # Alice can't move the dialogue on either
    assert (await a.frame("error"))["code"] in {"paused", "not_your_turn"}
    await a.frame("state")
    frame = await step(a, "resume", "", b)
    assert frame["dialogue"] == {**frame["dialogue"], "step": "appointment_reply", "paused": False}
    await step(b, "accept", "Yes, I'm ready.", a)


async def test_a_time_out_shows_the_agreed_return_time(
    join: Join, dialogue: Dialogue, alice: User, bob: User
) -> None:
    a, b = await join(alice), await join(bob)
    back_at = (timezone.now() + timedelta(hours=2)).replace(microsecond=0)
    msg = await a.act("timeout", "", at=back_at.isoformat(), last_seq=0)
    frame = await b.frame("turn")
    assert frame["dialogue"]["paused_until"] == back_at.isoformat()
    assert "back at" in frame["html"]["panel"]
    assert "Resume the dialogue" in frame["html"]["panel"]
    assert (await a.frame("turn"))["in_reply_to"] == msg


async def test_presence_shows_who_is_here_and_typing_reaches_only_the_partner(
    join: Join, alice: User, bob: User
) -> None:
    a = await join(alice)
    b = await join(bob)
    present = await a.frame("presence")
    while {p["name"] for p in present["present"]} != {"Alice", "Bob"}:
        present = await a.frame("presence")
    await a.send({"type": "typing"})
    typing = await b.frame("typing")
    assert typing["user"]["name"] == "Alice"
    await b.close()
    gone = await a.frame("presence")
    while {p["name"] for p in gone["present"]} != {"Alice"}:
        gone = await a.frame("presence")
    assert [p["name"] for p in gone["present"]] == ["Alice"]


async def _unread(party: Party) -> list[dict]:
    """Every frame waiting for `party`, read without closing its socket on a timeout."""
    frames = []
    while not await party.ws.receive_nothing(timeout=0.2):
        frames.append(await party.ws.receive_json_from())
    return frames


async def test_a_newcomer_learns_who_is_here_and_costs_the_others_one_frame_each(
    join: Join, alice: User, bob: User
) -> None:
    """Those already in the room answer a newcomer alone: a join is one presence frame for each
    socket present, not one more for every answer to it."""
    tabs = [await join(alice), await join(bob), await join(alice)]
    await asyncio.sleep(0.5)
    for tab in tabs:  # what the first joins said is read and done with
        await _unread(tab)
    newcomer = await join(bob)
    present = await newcomer.frame("presence")
    while {p["name"] for p in present["present"]} != {"Alice", "Bob"}:
        present = await newcomer.frame("presence")
    await asyncio.sleep(0.5)
    for tab in tabs:
        frames = await _unread(tab)
        assert [frame["type"] for frame in frames] == ["presence"]
        assert {p["name"] for p in frames[0]["present"]} == {"Alice", "Bob"}

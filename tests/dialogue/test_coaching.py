"""Live facilitation: the watching therapist's prompts, time-out for both and step timer, over
real websockets. None of it is a turn; all of it is stored before anyone hears of it."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from django.utils import timezone

from couples.models import Couple, User
from couples.services import therapist_link_revoke
from dialogue.models import Coaching, Dialogue, Turn
from dialogue.services import dialogue_invite_therapist

from .conftest import Join, Party, open_socket

pytestmark = pytest.mark.django_db(transaction=True)


async def _fresh(dialogue: Dialogue) -> Dialogue:
    return await Dialogue.objects.aget(pk=dialogue.pk)


async def _move(actor: Party, action: str, text: str, *watchers: Party) -> dict:
    await actor.act(action, text, last_seq=actor.last_seq)
    frame = await actor.frame("turn")
    assert frame["turn"]["action"] == action, frame
    for watcher in watchers:
        await watcher.frame("turn")
    return frame


async def _coach(therapist: Party, kind: str, *watchers: Party, **fields: object) -> dict:
    """The therapist coaches; she gets her acknowledgement and everyone the same item."""
    msg_id = await therapist.send({"type": "coach", "kind": kind, **fields})
    mine = await therapist.frame("coaching")
    assert mine["in_reply_to"] == msg_id
    for watcher in watchers:
        theirs = await watcher.frame("coaching")
        assert theirs["item"] == mine["item"]
        assert theirs["in_reply_to"] is None
    return mine


async def _closed_with(party: Party) -> int:
    while True:
        output = await party.ws.receive_output(timeout=5)
        if output["type"] == "websocket.close":
            party.closed = True
            return output["code"]


async def test_a_prompt_reaches_both_partners_at_once_and_changes_nothing_in_the_flow(
    join: Join, dialogue: Dialogue, alice: User, bob: User, carol_invited: User
) -> None:
    a, b, c = await join(alice), await join(bob), await join(carol_invited)
    await _move(a, "request", "Is now a good time?", b, c)
    before = await _fresh(dialogue)
    frame = await _coach(c, "stem", a, b, text="What I'd like you to know is…")
    assert frame["item"]["kind"] == "stem"
    assert frame["item"]["author"]["name"] == "Carol"
    assert frame["item"]["after_seq"] == 1
    assert "What I&#x27;d like you to know is…" in frame["html"]["item"]
    # Stored, and not a turn: the step, the turn numbers and the turns are as they were.
    assert await Coaching.objects.filter(dialogue=dialogue, kind="stem").acount() == 1
    after = await _fresh(dialogue)
    assert (after.step, after.last_seq, after.paused) == (before.step, before.last_seq, False)
    assert await Turn.objects.filter(dialogue=dialogue).acount() == 1
    # The flow goes on exactly as before.
    await _move(b, "accept", "", a, c)


async def test_a_partner_sees_a_suggested_starter_with_a_button_to_use_it_and_a_note_without(
    join: Join, dialogue: Dialogue, alice: User, bob: User, carol_invited: User
) -> None:
    a, c = await join(alice), await join(carol_invited)
    stem = await _coach(c, "stem", a, text="When ___ happens, I feel…")
    note = await _coach(c, "note", a, text="Slow down; breathe first.")
    await a.send({"type": "sync"})
    state = await a.frame("state")
    html = "".join(state["html"]["turns"])
    assert "Use this starter" in html
    assert "Slow down; breathe first." in html
    assert [item["id"] for item in state["coaching"]] == [stem["item"]["id"], note["item"]["id"]]
    # The therapist's own view has no such button: she does not write turns.
    assert "Use this starter" not in stem["html"]["item"]


async def test_prompts_survive_a_reconnect_in_their_place_in_the_transcript(
    join: Join, dialogue: Dialogue, alice: User, bob: User, carol_invited: User
) -> None:
    a, b, c = await join(alice), await join(bob), await join(carol_invited)
    await _move(a, "request", "Now?", b, c)
    await _coach(c, "note", a, b, text="Bob, take your time.")
    await _move(b, "accept", "", a, c)
    await b.close()
    again = await join(bob)
    await again.send({"type": "sync"})
    state = await again.frame("state")
    html = state["html"]["turns"]
    assert len(html) == 3
    assert "Now?" in html[0]
    assert "Bob, take your time." in html[1]
    assert "accepted" in html[2]


async def test_a_time_out_for_both_holds_every_partner_move_until_the_therapist_lifts_it(
    join: Join, dialogue: Dialogue, alice: User, bob: User, carol_invited: User
) -> None:
    a, b, c = await join(alice), await join(bob), await join(carol_invited)
    await _move(a, "request", "Now?", b, c)
    await _move(b, "accept", "", a, c)
    held = await _coach(c, "hold", a, b, text="Let's pause for a breath.")
    assert held["dialogue"]["held"]["by"]["name"] == "Carol"
    assert held["dialogue"]["step"] == "send"
    # Every partner move is refused while it stands, their own time-out and resume too.
    for party, action in [(a, "send"), (a, "timeout"), (b, "resume"), (b, "timeout")]:
        await party.act(action, "words", last_seq=party.last_seq)
        error = await party.frame("error")
        assert error["code"] == "held"
        assert "Carol" in error["message"]
        assert (await party.frame("state"))["dialogue"]["held"] is not None
    assert await Turn.objects.filter(dialogue=dialogue).acount() == 2
    # Both partners see who holds it in their panel; the therapist sees how to lift it.
    partner_panel = held["html"]["panel"]
    assert "Lift the time-out" in partner_panel
    await a.send({"type": "sync"})
    assert "called by Carol" in (await a.frame("state"))["html"]["panel"]
    lifted = await _coach(c, "release", a, b)
    assert lifted["dialogue"]["held"] is None
    assert lifted["dialogue"]["step"] == "send"  # the same step
    await _move(a, "send", "When the dishes pile up, I feel alone.", b, c)


async def test_the_therapists_time_out_and_a_partners_own_are_independent(
    join: Join, dialogue: Dialogue, alice: User, bob: User, carol_invited: User
) -> None:
    a, b, c = await join(alice), await join(bob), await join(carol_invited)
    await _move(a, "timeout", "Ouch — I need a time-out.", b, c)
    await _coach(c, "hold", a, b)
    lifted = await _coach(c, "release", a, b)
    # Lifting hers leaves Alice's own time-out standing: only a partner resumes it.
    assert lifted["dialogue"]["paused"] is True
    await c.send({"type": "action", "action": "resume"})
    assert (await c.frame("error"))["code"] == "observer"
    await _move(b, "resume", "", a, c)
    assert (await _fresh(dialogue)).step == "appointment"


async def test_a_partner_cannot_lift_the_therapists_time_out_and_stopping_sharing_ends_it_visibly(
    join: Join, dialogue: Dialogue, alice: User, bob: User, carol_invited: User
) -> None:
    a, b, c = await join(alice), await join(bob), await join(carol_invited)
    await _coach(c, "hold", a, b)
    await a.send({"type": "coach", "kind": "release"})
    assert (await a.frame("error"))["code"] == "not_observer"
    assert (await _fresh(dialogue)).held_by_id == carol_invited.pk
    # A partner who stops sharing the dialogue ends the therapist's time-out with it — on the
    # record, in front of both.
    await sync_to_async(dialogue_invite_therapist)(
        dialogue_id=dialogue.pk, user=alice, invite=False
    )
    assert await _closed_with(c) == 4403
    for party in (a, b):
        frame = await party.frame("coaching")
        assert frame["item"]["kind"] == "release"
        assert frame["item"]["author"]["name"] == "Alice"
        assert frame["dialogue"]["held"] is None
    await _move(a, "request", "Shall we go on?", b)


async def test_a_time_out_lapses_when_the_therapists_access_ends_and_the_record_says_so(
    join: Join, dialogue: Dialogue, couple: Couple, alice: User, bob: User, carol_invited: User
) -> None:
    a, b, c = await join(alice), await join(bob), await join(carol_invited)
    await _coach(c, "hold", a, b)
    link = await sync_to_async(couple.therapist_links.get)()
    await sync_to_async(therapist_link_revoke)(link=link, by=bob)
    assert await _closed_with(c) == 4403
    await a.send({"type": "sync"})
    assert (await a.frame("state"))["dialogue"]["held"] is None
    await a.act("request", "Shall we go on?", last_seq=0)
    lapsed = await a.frame("coaching")
    assert lapsed["item"]["kind"] == "release"
    assert "access" in lapsed["item"]["text"]
    assert (await a.frame("turn"))["turn"]["action"] == "request"


async def test_a_step_timer_is_shown_to_all_three_and_ends_with_its_step(
    join: Join, dialogue: Dialogue, alice: User, bob: User, carol_invited: User
) -> None:
    a, b, c = await join(alice), await join(bob), await join(carol_invited)
    before = timezone.now()
    frame = await _coach(c, "timer", a, b, seconds=180)
    timer = frame["dialogue"]["timer"]
    assert (timer["seconds"], timer["step"], timer["round"]) == (180, "appointment", 1)
    ends = timezone.datetime.fromisoformat(timer["ends_at"])
    assert 179 <= (ends - before).total_seconds() <= 240
    assert "3 min" in frame["html"]["panel"]
    for party in (a, b):
        await party.send({"type": "sync"})
        state = await party.frame("state")
        assert state["dialogue"]["timer"] == timer
        assert "Timer for this step: 3 min" in state["html"]["panel"]
    # A display, not a rule: the step moves on when the partners do, and the timer goes.
    moved = await _move(a, "request", "Now?", b, c)
    assert moved["dialogue"]["timer"] is None
    await _coach(c, "timer", a, b, seconds=120)
    cleared = await _coach(c, "timer", a, b, seconds=0)
    assert cleared["dialogue"]["timer"] is None


@pytest.mark.parametrize(
    ("message", "code"),
    [
        ({"kind": "note", "text": "   "}, "text_required"),
        ({"kind": "stem"}, "text_required"),
        ({"kind": "note", "text": "x" * 501}, "text_too_long"),
        ({"kind": "note", "text": "\ud800"}, "bad_text"),
        ({"kind": "shout", "text": "hi"}, "unknown_kind"),
        ({"text": "hi"}, "unknown_kind"),
        ({"kind": ["note"], "text": "hi"}, "bad_message"),
        ({"kind": "timer", "seconds": "180"}, "bad_message"),
        ({"kind": "timer", "seconds": True}, "bad_message"),
        ({"kind": "timer"}, "bad_seconds"),
        ({"kind": "timer", "seconds": -1}, "bad_seconds"),
        ({"kind": "timer", "seconds": 3601}, "bad_seconds"),
        ({"kind": "release"}, "not_held"),
    ],
)
async def test_bad_coaching_gets_a_clear_error_and_stores_nothing(
    message: dict, code: str, join: Join, dialogue: Dialogue, carol_invited: User
) -> None:
    c = await join(carol_invited)
    await c.send({"type": "coach", **message})
    error = await c.frame("error")
    assert error["code"] == code
    assert error["message"]
    assert await Coaching.objects.acount() == 0
    assert await _closed_code_or_open(c)


async def _closed_code_or_open(party: Party) -> bool:
    """The socket is still open: a sync is answered."""
    await party.send({"type": "sync"})
    return (await party.frame("state"))["type"] == "state"


async def test_a_second_time_out_while_one_stands_is_refused(
    join: Join, dialogue: Dialogue, alice: User, carol_invited: User
) -> None:
    a, c = await join(alice), await join(carol_invited)
    await _coach(c, "hold", a)
    await c.send({"type": "coach", "kind": "hold"})
    assert (await c.frame("error"))["code"] == "held"
    assert await Coaching.objects.acount() == 1


async def test_a_resent_coaching_message_is_applied_once(
    join: Join, dialogue: Dialogue, alice: User, carol_invited: User
) -> None:
    a, c = await join(alice), await join(carol_invited)
    message = {"type": "coach", "kind": "note", "text": "Once.", "msg_id": "same-id"}
    first = await _coach(c, "note", a, text="Once.", msg_id="same-id")
    await c.send(dict(message))
    again = await c.frame("coaching")
    assert again["replay"] is True
    assert again["item"] == first["item"]
    assert await Coaching.objects.acount() == 1


async def test_nothing_can_be_coached_in_an_ended_dialogue(
    join: Join, dialogue: Dialogue, alice: User, carol_invited: User
) -> None:
    await Dialogue.objects.filter(pk=dialogue.pk).aupdate(step="ended", ended_at=timezone.now())
    c = await join(carol_invited)
    await c.send({"type": "coach", "kind": "note", "text": "Well done."})
    assert (await c.frame("error"))["code"] == "ended"


# --- Who may coach: every persona ------------------------------------------------------------


@pytest.mark.parametrize(
    "message",
    [
        {"kind": "stem", "text": "Try: I feel…"},
        {"kind": "note", "text": "Breathe."},
        {"kind": "hold"},
        {"kind": "release"},
        {"kind": "timer", "seconds": 60},
    ],
    ids=lambda message: message["kind"],
)
@pytest.mark.parametrize("partner", ["alice", "bob"])
async def test_partners_cannot_coach(
    message: dict, partner: str, request: pytest.FixtureRequest, join: Join, dialogue: Dialogue,
    carol_invited: User,
) -> None:  # fmt: skip
    user = request.getfixturevalue(partner)
    party = await join(user)
    await party.send({"type": "coach", **message})
    error = await party.frame("error")
    assert error["code"] == "not_observer"
    assert await Coaching.objects.acount() == 0
    fresh = await _fresh(dialogue)
    assert (fresh.held_by_id, fresh.timer_ends_at) == (None, None)


@pytest.fixture
def personas(
    db: None, couple: Couple, alice: User, bob: User, mallory: User, mallory_couple: Couple
) -> dict[str, User | None]:
    """Everyone who may not watch this dialogue, so may not coach it either."""
    from couples.services import therapist_consent_give, therapist_link_create
    from tests.conftest import make_user

    def therapist(email: str, name: str) -> User:
        return make_user(email, name, User.Role.THERAPIST, "Imago therapist")

    unlinked = therapist("una@example.com", "Una")
    one_consent = therapist("oona@example.com", "Oona")
    other_couples = therapist("otto@example.com", "Otto")
    link = therapist_link_create(couple=mallory_couple, therapist=other_couples, by=mallory)
    therapist_consent_give(link=link, partner=mallory_couple.partners.exclude(pk=mallory.pk)[0])
    return {
        "anonymous": None,
        "outsider": mallory,
        "unlinked therapist": unlinked,
        "therapist with one consent": one_consent,
        "another couple's therapist": other_couples,
    }


async def test_nobody_who_may_not_watch_can_even_connect_to_coach(
    dialogue: Dialogue, couple: Couple, alice: User, personas: dict[str, User | None]
) -> None:
    from couples.services import therapist_link_create

    await sync_to_async(therapist_link_create)(
        couple=couple, therapist=personas["therapist with one consent"], by=alice
    )
    for name, user in personas.items():
        ok, _, ws = await open_socket(user, dialogue.pk)
        assert not ok, name
        await ws.disconnect()


async def test_a_consented_therapist_not_invited_to_this_dialogue_cannot_connect_to_coach(
    dialogue: Dialogue, carol_consented: User
) -> None:
    ok, _, ws = await open_socket(carol_consented, dialogue.pk)
    assert not ok
    await ws.disconnect()


async def test_a_revoked_therapists_coaching_is_refused_and_her_socket_closed(
    join: Join, dialogue: Dialogue, couple: Couple, alice: User, bob: User, carol_invited: User
) -> None:
    c = await join(carol_invited)
    # Revoked in the database directly, so no broadcast warns her socket: coaching must check.
    await sync_to_async(couple.therapist_links.update)(revoked_at=timezone.now())
    await c.send({"type": "coach", "kind": "note", "text": "Still here?"})
    assert await _closed_with(c) == 4403
    assert await Coaching.objects.acount() == 0
    ok, _, ws = await open_socket(carol_invited, dialogue.pk)
    assert not ok
    await ws.disconnect()

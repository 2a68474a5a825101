"""turn_submit and dialogue_start: what is stored, what is refused, and when it is broadcast."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from django.db import transaction
from django.utils import timezone

from couples.models import Couple, User
from couples.services import couple_leave
from dialogue.models import Dialogue, Turn
from dialogue.services import DialogueError, dialogue_start, turn_submit

from .conftest import Join, Party


def _act(dialogue: Dialogue, user: User, action: str, text: str = "", **extra: object) -> object:
    extra.setdefault("client_msg_id", uuid.uuid4().hex)
    return turn_submit(dialogue_id=dialogue.pk, user=user, action=action, text=text, **extra)


def _refusal(dialogue: Dialogue, user: User, action: str, text: str = "", **extra: object) -> str:
    with pytest.raises(DialogueError) as caught:
        _act(dialogue, user, action, text, **extra)
    return caught.value.code


@pytest.mark.django_db
def test_text_is_stripped_and_may_be_exactly_4000_characters_but_not_more(
    dialogue: Dialogue, alice: User
) -> None:
    assert _refusal(dialogue, alice, "request", "x" * 4001) == "text_too_long"
    _act(dialogue, alice, "request", "  " + "x" * 4000 + "\n ")
    assert Turn.objects.get().text == "x" * 4000


@pytest.mark.django_db
def test_a_bare_starter_is_refused_gently_and_changes_nothing(
    dialogue: Dialogue, alice: User, bob: User
) -> None:
    _act(dialogue, alice, "request", "Is now good?")
    _act(dialogue, bob, "accept")
    for bare in ("What I'd like you to know is…", " What I'd like you to know is ... ",
                 "When ___ happens, I feel"):  # fmt: skip
        with pytest.raises(DialogueError) as caught:
            _act(dialogue, alice, "send", bare)
        assert caught.value.message == "Add your own words after the starter."
    assert (Turn.objects.count(), Dialogue.objects.get().step) == (2, "send")
    _act(dialogue, alice, "send", "What I'd like you to know is that I miss our walks.")
    assert _refusal(dialogue, bob, "mirror", "If I got it, you said… Did I get it?") == (
        "starter_only"
    )
    assert (Turn.objects.count(), Dialogue.objects.get().step) == (3, "mirror")
    _act(dialogue, bob, "mirror", "If I got it, you said you miss our walks. Did I get it?")
    assert Dialogue.objects.get().step == "check"


@pytest.mark.django_db
def test_an_appointment_time_must_lie_within_24_hours_and_a_time_out_within_a_week(
    dialogue: Dialogue, alice: User, bob: User
) -> None:
    now = timezone.now()
    assert _refusal(dialogue, alice, "propose", "At 9?", at=now - timedelta(hours=1)) == "bad_time"
    assert (
        _refusal(dialogue, alice, "propose", "Tomorrow?", at=now + timedelta(days=2)) == "bad_time"
    )
    assert _refusal(dialogue, alice, "request", "Now?", at=now + timedelta(hours=1)) == "bad_time"
    _act(dialogue, alice, "propose", "At nine tonight?", at=now + timedelta(hours=3))
    _act(dialogue, bob, "timeout", at=now + timedelta(days=3))
    dialogue.refresh_from_db()
    assert dialogue.paused and dialogue.paused_until == now + timedelta(days=3)
    assert Turn.objects.get(action="propose").at == now + timedelta(hours=3)


@pytest.mark.django_db
def test_message_ids_are_per_author_so_the_partners_never_collide(
    dialogue: Dialogue, alice: User, bob: User
) -> None:
    _act(dialogue, alice, "request", "Now?", client_msg_id="1")
    _act(dialogue, bob, "accept", client_msg_id="1")
    assert Turn.objects.count() == 2


@pytest.mark.django_db
def test_ending_stores_the_end_and_refuses_anything_after(
    dialogue: Dialogue, alice: User, bob: User
) -> None:
    script = [
        (alice, "request", "Now?"), (bob, "accept", ""), (alice, "send", "I feel alone."),
        (bob, "mirror", "You feel alone."), (alice, "confirm", ""), (bob, "ask_more", ""),
        (alice, "done", ""), (bob, "summarize", "Alone."), (alice, "confirm", ""),
        (bob, "validate", "That makes sense."), (alice, "acknowledge", ""),
        (bob, "empathize", "Lonely?"), (alice, "confirm", ""), (alice, "end", "Thank you."),
    ]  # fmt: skip
    for user, action, text in script:
        _act(dialogue, user, action, text)
    dialogue.refresh_from_db()
    assert dialogue.is_ended and dialogue.ended_at is not None
    assert dialogue.last_seq == len(script) == Turn.objects.count()
    assert _refusal(dialogue, bob, "timeout") == "ended"


@pytest.mark.django_db
def test_only_a_partner_of_an_active_couple_starts_a_dialogue(
    couple: Couple, alice: User, carol_consented: User
) -> None:
    with pytest.raises(DialogueError):
        dialogue_start(couple=couple, user=carol_consented, topic="their money")
    with pytest.raises(DialogueError):
        dialogue_start(couple=couple, user=alice, topic="   ")
    couple_leave(couple=couple, user=alice)
    with pytest.raises(DialogueError) as caught:
        dialogue_start(couple=couple, user=alice, topic="us")
    assert caught.value.code == "read_only"
    assert not Dialogue.objects.exists()


def _rolled_back_turn(dialogue: Dialogue, alice: User) -> None:
    with pytest.raises(RuntimeError), transaction.atomic():
        _act(dialogue, alice, "request", "This never happened.")
        raise RuntimeError("the surrounding work failed")


@pytest.mark.django_db(transaction=True)
async def test_a_turn_is_broadcast_only_after_it_is_committed(
    join: Join, dialogue: Dialogue, alice: User, bob: User
) -> None:
    b: Party = await join(bob)
    await sync_to_async(_rolled_back_turn)(dialogue, alice)
    assert not await Turn.objects.filter(dialogue=dialogue).aexists()
    await sync_to_async(_act)(dialogue, alice, "request", "Is now a good time?")
    frame = await b.frame("turn")
    # Bob's first frame is the committed turn: the rolled-back one never reached him.
    assert (frame["turn"]["seq"], frame["turn"]["text"]) == (1, "Is now a good time?")

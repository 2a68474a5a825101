"""A couple with a little of everything shared with their therapist (and some things not), for
the desk's tests."""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.utils import timezone

from couples.models import Couple, User
from dialogue.models import Dialogue
from dialogue.services import dialogue_invite_therapist, dialogue_start, turn_submit
from exercises.models import Kind, Visibility

from .conftest import create_entry


def act(dialogue: Dialogue, user: User, action: str, text: str = "", **extra: object) -> None:
    turn_submit(
        dialogue_id=dialogue.pk,
        user=user,
        action=action,
        client_msg_id=uuid.uuid4().hex,
        text=text,
        **extra,
    )


def full_dialogue(
    sender: User, receiver: User, couple: Couple, topic: str = "Evenings"
) -> Dialogue:
    """One round: a mirror corrected once, "is there more?", summary, validation, empathy, and a
    time-out called by the sender; then the end."""
    dialogue = dialogue_start(couple=couple, user=sender, topic=topic)
    act(dialogue, sender, "request", "Is now a good time?")
    act(dialogue, receiver, "accept")
    act(dialogue, sender, "send", "When you come home late I feel alone.")
    act(dialogue, receiver, "mirror", "You feel angry.")
    act(dialogue, sender, "correct", "Alone, not angry.")
    act(dialogue, receiver, "mirror", "You feel alone when I come home late.")
    act(dialogue, sender, "confirm")
    act(dialogue, sender, "timeout", at=timezone.now() + timedelta(minutes=10))
    act(dialogue, receiver, "resume")
    act(dialogue, receiver, "ask_more")
    act(dialogue, sender, "done")
    act(dialogue, receiver, "summarize", "You feel alone in the evenings.")
    act(dialogue, sender, "confirm")
    act(dialogue, receiver, "validate", "You make sense to me.")
    act(dialogue, sender, "acknowledge")
    act(dialogue, receiver, "empathize", "I imagine you feel lonely.")
    act(dialogue, sender, "confirm")
    act(dialogue, sender, "end")
    return dialogue


def shared_dialogue(alice: User, bob: User, couple: Couple, topic: str = "Evenings") -> Dialogue:
    dialogue = full_dialogue(alice, bob, couple, topic)
    dialogue_invite_therapist(dialogue_id=dialogue.pk, user=alice, invite=True)
    return dialogue


def shared_and_private(alice: User, bob: User) -> dict[str, object]:
    """Entries of every kind shared with the therapist, and private and partner-only ones whose
    titles must never reach the therapist."""
    return {
        "shared": [
            create_entry(alice, kind, Visibility.THERAPIST)
            for kind in (Kind.APPRECIATION, Kind.REQUEST, Kind.TEMPERATURE, Kind.CARING)
        ]
        + [create_entry(bob, Kind.VISION, Visibility.THERAPIST)],
        "private": create_entry(
            bob,
            Kind.APPRECIATION,
            Visibility.PRIVATE,
            appreciate="SECRET-PRIVATE the way you hum",
        ),
        "partner_only": create_entry(
            alice,
            Kind.APPRECIATION,
            Visibility.PARTNER,
            appreciate="SECRET-PARTNER the way you laugh",
        ),
    }

"""Live facilitation on the pages: the room written for the observer, the coaching form post
that works without JavaScript, and who may use it."""

from __future__ import annotations

import uuid

import pytest
from django.test import Client
from django.urls import reverse

from couples.models import Couple, User
from couples.services import therapist_consent_give, therapist_link_create, therapist_link_revoke
from dialogue import flow
from dialogue.fragments import panel_context
from dialogue.models import Coaching, Dialogue
from dialogue.services import coaching_submit, dialogue_invite_therapist, dialogue_start
from tests.conftest import make_user

from .conftest import ClientFor

pytestmark = pytest.mark.django_db

SNAPSHOT = {
    "kind": "standard", "stage_minutes": None, "prepared": [], "updated": None,
    "topic": "the dishes", "paused": False, "paused_until": None, "round": 1, "last_seq": 3,
    "sender": {"id": 1, "name": "Alice"}, "receiver": {"id": 2, "name": "Bob"},
    "ended": False, "read_only": False, "held": None, "timer": None,
}  # fmt: skip
# Step by step, what the observer reads: each person by name, never "your partner" or "you".
OBSERVER_READS = {
    "appointment": "Alice is asking Bob for a time to talk.",
    "appointment_reply": "Bob is deciding whether now is a good time.",
    "send": "Alice is sending; Bob is listening.",
    "mirror": "Bob is mirroring what Alice said.",
    "check": "Alice is checking whether Bob got it.",
    "more": "Bob is about to ask Alice whether there is more.",
    "more_answer": "Alice is deciding whether there is more to say.",
    "summary": "Bob is summing up everything Alice said.",
    "summary_check": "Alice is checking Bob’s summary.",
    "validation": "Bob is telling Alice how they make sense.",
    "validation_ack": "Alice is taking in Bob’s validation.",
    "empathy": "Bob is imagining how Alice feels.",
    "empathy_check": "Alice is checking the feelings Bob named.",
    "close": "The round is complete: Alice or Bob may swap roles or end.",
}


@pytest.mark.parametrize(("step", "line"), list(OBSERVER_READS.items()))
def test_the_observer_reads_each_step_by_name(step: str, line: str) -> None:
    panel = panel_context({**SNAPSHOT, "step": step}, flow.Role.OBSERVER)
    assert panel["guidance"] == line
    assert "your partner" not in (panel["status"] + panel["guidance"]).lower()


def test_the_observer_reads_a_partners_time_out_by_name() -> None:
    panel = panel_context({**SNAPSHOT, "step": "mirror", "paused": True}, flow.Role.OBSERVER)
    assert panel["guidance"] == (
        "Alice and Bob are taking a time-out. The dialogue waits at this same step until one of "
        "them resumes."
    )


def test_the_observers_room_page_is_written_for_the_observer(
    client_for: ClientFor, dialogue: Dialogue, carol_invited: User
) -> None:
    page = client_for(carol_invited).get(reverse("dialogue:room", args=[dialogue.pk]))
    html = page.content.decode()
    assert "What they’ve said so far" in html
    assert "Alice is asking Bob for a time to talk." in html
    assert "Your partner" not in html
    assert "Call a time-out for both" in html
    assert "Post to both" in html


def test_partners_see_no_coaching_controls(
    client_for: ClientFor, dialogue: Dialogue, alice: User, carol_invited: User
) -> None:
    html = client_for(alice).get(reverse("dialogue:room", args=[dialogue.pk])).content.decode()
    assert "What you’ve said so far" in html
    assert "Post to both" not in html
    assert "Call a time-out for both" not in html


def _coach_post(client: Client, dialogue: Dialogue, **fields: object) -> object:
    fields.setdefault("msg_id", uuid.uuid4().hex)
    return client.post(reverse("dialogue:coach", args=[dialogue.pk]), fields)


def test_without_javascript_the_therapist_coaches_by_form_post(
    client_for: ClientFor, dialogue: Dialogue, alice: User, carol_invited: User
) -> None:
    carol = client_for(carol_invited)
    assert _coach_post(carol, dialogue, kind="note", text="Breathe first.").status_code == 302
    assert _coach_post(carol, dialogue, kind="hold").status_code == 302
    assert _coach_post(carol, dialogue, kind="timer", minutes="3").status_code == 302
    dialogue.refresh_from_db()
    assert dialogue.held_by == carol_invited
    assert dialogue.timer_seconds == 180
    # Both partners' pages show the note in the transcript, who holds the time-out, the timer.
    html = client_for(alice).get(reverse("dialogue:room", args=[dialogue.pk])).content.decode()
    assert "Breathe first." in html
    assert "Time-out — called by Carol" in html
    assert "Timer for this step: 3 min" in html
    assert 'id="turn-form"' not in html  # nothing to do but wait for Carol
    transcript = client_for(alice).get(reverse("dialogue:transcript", args=[dialogue.pk]))
    assert "Breathe first." in transcript.content.decode()
    assert _coach_post(carol, dialogue, kind="release").status_code == 302
    dialogue.refresh_from_db()
    assert dialogue.held_by is None


def test_a_refused_coaching_post_explains_and_stores_nothing(
    client_for: ClientFor, dialogue: Dialogue, carol_invited: User
) -> None:
    carol = client_for(carol_invited)
    response = _coach_post(carol, dialogue, kind="note", text="   ")
    assert response.status_code == 302
    page = carol.get(response["Location"]).content.decode()
    assert "Write the prompt before posting it." in page
    assert not Coaching.objects.exists()


@pytest.fixture
def everyone(
    couple: Couple, dialogue: Dialogue, alice: User, bob: User, mallory: User,
    mallory_couple: Couple, carol: User,
) -> dict[str, User | None]:  # fmt: skip
    """Every persona of the access matrix but the invited therapist."""

    def therapist(email: str, name: str) -> User:
        return make_user(email, name, User.Role.THERAPIST, "Imago therapist")

    one_consent = therapist("oona@example.com", "Oona")
    other_couples = therapist("otto@example.com", "Otto")
    link = therapist_link_create(couple=mallory_couple, therapist=other_couples, by=mallory)
    therapist_consent_give(link=link, partner=mallory_couple.partners.exclude(pk=mallory.pk)[0])
    revoked = therapist("rita@example.com", "Rita")
    old = therapist_link_create(couple=couple, therapist=revoked, by=alice)
    therapist_consent_give(link=old, partner=bob)
    dialogue_invite_therapist(dialogue_id=dialogue.pk, user=alice, invite=True)
    therapist_link_revoke(link=old, by=bob)
    therapist_link_create(couple=couple, therapist=one_consent, by=alice)
    return {
        "anonymous": None,
        "partner": alice,
        "other partner": bob,
        "outsider": mallory,
        "unlinked therapist": carol,
        "therapist with one consent": one_consent,
        "revoked therapist": revoked,
        "another couple's therapist": other_couples,
    }


@pytest.mark.parametrize("kind", ["stem", "note", "hold", "release", "timer"])
def test_nobody_but_the_watching_therapist_can_coach_by_form_post(
    kind: str, everyone: dict[str, User | None], dialogue: Dialogue, client_for: ClientFor
) -> None:
    for name, user in everyone.items():
        client = client_for(user) if user else Client()
        response = _coach_post(client, dialogue, kind=kind, text="x", minutes="3")
        if name == "anonymous":
            assert response.status_code == 302 and "login" in response["Location"], name
        elif name in ("partner", "other partner"):
            assert response.status_code == 302, name  # refused with a message, in their room
            page = client.get(response["Location"]).content.decode()
            assert "Only the therapist watching this dialogue can coach it." in page, name
        else:
            assert response.status_code == 404, name
    assert not Coaching.objects.exists()
    dialogue.refresh_from_db()
    assert (dialogue.held_by, dialogue.timer_ends_at) == (None, None)


def test_a_consented_therapist_not_invited_to_this_dialogue_gets_a_404(
    client_for: ClientFor, couple: Couple, alice: User, carol_invited: User
) -> None:
    other = dialogue_start(couple=couple, user=alice, topic="the car")
    response = _coach_post(client_for(carol_invited), other, kind="note", text="Hi")
    assert response.status_code == 404
    assert not Coaching.objects.exists()


def test_the_service_refuses_partners_directly_too(
    dialogue: Dialogue, alice: User, carol_invited: User
) -> None:
    from dialogue.services import DialogueError

    with pytest.raises(DialogueError) as refused:
        coaching_submit(dialogue_id=dialogue.pk, user=alice, kind="hold", client_msg_id="m")
    assert refused.value.code == "not_observer"

"""The guided practice: one person tries every step against a scripted partner."""

from __future__ import annotations

import pytest
from django.urls import reverse

from couples.models import Couple, User
from dialogue.practice import practice_act, practice_new
from dialogue.services import dialogue_start
from imago_site.errors import ImagoError

from .conftest import ClientFor

# The learner's moves only: the scripted partner takes every other one.
AS_SENDER = [
    ("request", "I'd like to talk about our evenings. Is now a good time?"),
    ("send", "When we both look at our phones, I feel lonely."),
    ("correct", "Almost — the part I want you to hear is lonely."),
    ("confirm", ""),
    ("more", ""),
    ("send", "I miss our walks."),
    ("confirm", ""),
    ("done", ""),
    ("confirm", ""),
    ("acknowledge", ""),
    ("confirm", ""),
    ("swap", ""),
]
AS_RECEIVER = [
    ("mirror", "If I got it, you feel close when I listen. Did I get it?"),
    ("ask_more", ""),
    ("summarize", "You feel close when I listen. Did I get all of that?"),
    ("validate", "You make sense to me, because listening is caring."),
    ("empathize", "I imagine you feel warm. Is that how you feel?"),
]


def _walk(moves: list[tuple[str, str]], practice: dict[str, object]) -> dict[str, object]:
    for action, text in moves:
        practice = practice_act(practice=practice, user_name="Alice", action=action, text=text)
    return practice


def test_a_learner_tries_every_step_as_sender_then_as_receiver_and_the_partner_closes() -> None:
    practice = _walk(AS_SENDER, practice_new())
    assert (practice["you"], practice["step"], practice["round"]) == ("receiver", "mirror", 2)
    mirror = next(t for t in practice["turns"] if t["action"] == "mirror")
    assert mirror["text"] == (
        "If I got it, you said: “When we both look at our phones, I feel lonely.” Did I get it?"
    )
    summary = next(t for t in practice["turns"] if t["action"] == "summarize")
    assert (
        "I feel lonely. … Almost — the part I want you to hear is lonely. … I miss our walks."
        in (summary["text"])
    )
    practice = _walk(AS_RECEIVER, practice)
    assert practice["step"] == "ended"
    assert practice["turns"][-1]["text"] == "Thank you for listening. That was our practice."
    learner_actions = {t["action"] for t in practice["turns"] if t["author"]["id"] is None}
    assert learner_actions == {action for action, _text in AS_SENDER + AS_RECEIVER}


def test_a_practice_time_out_waits_for_the_learner_to_resume() -> None:
    practice = _walk([("request", "Now?"), ("timeout", "")], practice_new())
    assert (practice["step"], practice["paused"]) == ("send", True)
    practice = _walk([("resume", "")], practice)
    assert (practice["step"], practice["paused"]) == ("send", False)


@pytest.mark.parametrize(
    ("action", "text", "code"),
    [("send", "Hello", "wrong_step"), ("request", "", "text_required"),
     ("request", "x" * 4001, "text_too_long"), ("shout", "Hi", "unknown_action"),
     ("accept", "", "wrong_step")],
)  # fmt: skip
def test_a_refused_practice_move_changes_nothing(action: str, text: str, code: str) -> None:
    practice = practice_new()
    with pytest.raises(ImagoError) as caught:
        practice_act(practice=practice, user_name="Alice", action=action, text=text)
    assert caught.value.code == code
    assert practice == practice_new()


def test_a_bare_starter_in_practice_is_refused_and_changes_nothing() -> None:
    practice = _walk([("request", "Now?")], practice_new())
    turns = len(practice["turns"])
    with pytest.raises(ImagoError) as caught:
        practice_act(
            practice=practice, user_name="Alice", action="send",
            text="What I'd like you to know is…",
        )  # fmt: skip
    assert (caught.value.code, caught.value.message) == (
        "starter_only", "Add your own words after the starter."
    )  # fmt: skip
    assert (len(practice["turns"]), practice["step"]) == (turns, "send")


@pytest.mark.django_db
def test_the_walkthrough_greets_a_couple_until_they_skip_it_or_hold_a_dialogue(
    client_for: ClientFor, couple: Couple, alice: User, bob: User
) -> None:
    client = client_for(alice)
    assert "New to the Imago Dialogue?" in client.get(reverse("dialogue:list")).content.decode()
    client.post(reverse("dialogue:walkthrough_skip"))
    page = client.get(reverse("dialogue:list")).content.decode()
    assert "New to the Imago Dialogue?" not in page
    assert reverse("dialogue:practice") in page  # still reachable
    dialogue_start(couple=couple, user=alice, topic="us")
    assert (
        "New to the Imago Dialogue?"
        not in client_for(bob).get(reverse("dialogue:list")).content.decode()
    )


@pytest.mark.django_db
def test_the_practice_page_keeps_the_round_in_the_session_and_refuses_bad_moves_clearly(
    client_for: ClientFor, alice: User
) -> None:
    client = client_for(alice)
    page = client.get(reverse("dialogue:practice")).content.decode()
    assert "Two roles" in page and "Ask to talk now" in page
    response = client.post(reverse("dialogue:practice"), {"action": "request", "text": "Now?"})
    assert response.status_code == 302
    page = client.get(reverse("dialogue:practice")).content.decode()
    assert "Sam (practice partner)" in page and "Send my message" in page
    refused = client.post(reverse("dialogue:practice"), {"action": "send", "text": ""})
    assert refused.status_code == 400
    assert "Please write something before sending." in refused.content.decode()
    client.post(reverse("dialogue:practice_restart"))
    assert "Nothing said yet." in client.get(reverse("dialogue:practice")).content.decode()

"""The dialogue pages: list, start, the room (which also works without JavaScript), and the
printable transcript — and who may see them."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from couples.models import Couple, User
from couples.services import couple_leave, therapist_consent_give, therapist_link_create
from dialogue.models import Dialogue, Turn
from dialogue.services import dialogue_start, turn_submit

from .conftest import ClientFor

pytestmark = pytest.mark.django_db


def _act(dialogue: Dialogue, user: User, action: str, text: str = "") -> None:
    turn_submit(
        dialogue_id=dialogue.pk, user=user, action=action, text=text, client_msg_id=uuid.uuid4().hex
    )


def test_a_partner_starts_a_dialogue_and_lands_in_its_room_as_sender(
    client_for: ClientFor, couple: Couple, alice: User
) -> None:
    client = client_for(alice)
    response = client.post(reverse("dialogue:start"), {"topic": "  the dishes  "})
    dialogue = Dialogue.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("dialogue:room", args=[dialogue.pk])
    assert (dialogue.topic, dialogue.sender, dialogue.step) == ("the dishes", alice, "appointment")
    page = client.get(response["Location"]).content.decode()
    assert "Your move" in page
    # The stem is an editable starter in the text box, with the topic filled in.
    assert "I&#x27;d like to talk about the dishes. Is now a good time?</textarea>" in page
    assert 'aria-current="step">Appointment' in page
    assert 'id="announcer"' in page and 'aria-live="polite"' in page


def test_the_waiting_partner_sees_what_their_partner_is_doing(
    client_for: ClientFor, dialogue: Dialogue, bob: User
) -> None:
    page = client_for(bob).get(reverse("dialogue:room", args=[dialogue.pk])).content.decode()
    assert "Alice’s move" in page
    assert "Your partner is asking for a time to talk." in page
    assert 'id="turn-form"' not in page


def test_the_list_shows_open_and_finished_dialogues(
    client_for: ClientFor, couple: Couple, dialogue: Dialogue, alice: User, bob: User
) -> None:
    finished = dialogue_start(couple=couple, user=bob, topic="holidays")
    Dialogue.objects.filter(pk=finished.pk).update(step="ended", ended_at=finished.created_at)
    page = client_for(alice).get(reverse("dialogue:list")).content.decode()
    open_part, finished_part = page.split("Finished dialogues")
    assert "the dishes" in open_part and "holidays" not in open_part
    assert "holidays" in finished_part
    assert "Start a dialogue with Bob" in page


def test_starting_needs_an_active_couple_and_a_topic(
    client_for: ClientFor, couple: Couple, alice: User, mallory: User
) -> None:
    assert client_for(alice).post(reverse("dialogue:start"), {"topic": " "}).status_code == 400
    response = client_for(mallory).post(reverse("dialogue:start"), {"topic": "us"}, follow=True)
    assert "pair with them first" in response.content.decode()
    couple_leave(couple=couple, user=alice)
    response = client_for(alice).post(reverse("dialogue:start"), {"topic": "us"}, follow=True)
    assert "pair with them first" in response.content.decode()
    assert not Dialogue.objects.exists()


def test_the_list_invites_only_an_unpaired_partner_to_pair_first(
    client_for: ClientFor, couple: Couple, alice: User, carol: User
) -> None:
    ivy = User.objects.create_user("ivy@example.com", "x", display_name="Ivy")
    page = client_for(ivy).get(reverse("dialogue:list")).content.decode()
    assert "Pair with them first" in page and "Start a dialogue" not in page
    page = client_for(alice).get(reverse("dialogue:list")).content.decode()
    assert "Pair with them first" not in page and "Start a dialogue with Bob" in page
    page = client_for(carol).get(reverse("dialogue:list")).content.decode()
    assert "Pair with them first" not in page and "Start a dialogue" not in page


@pytest.mark.parametrize("name", ["dialogue:room", "dialogue:transcript"])
def test_another_couples_dialogue_is_a_404_just_like_a_missing_one(
    name: str, client_for: ClientFor, dialogue: Dialogue, mallory_couple: Couple, mallory: User
) -> None:
    client = client_for(mallory)
    assert client.get(reverse(name, args=[dialogue.pk])).status_code == 404
    assert client.get(reverse(name, args=[uuid.uuid4()])).status_code == 404


def test_an_outsider_cannot_act_in_someone_elses_dialogue(
    client_for: ClientFor, dialogue: Dialogue, mallory: User
) -> None:
    response = client_for(mallory).post(
        reverse("dialogue:act", args=[dialogue.pk]),
        {"action": "request", "text": "hi", "msg_id": "m1"},
    )
    assert response.status_code == 404
    assert not Turn.objects.exists()


def test_the_list_never_shows_another_couples_dialogues(
    client_for: ClientFor, dialogue: Dialogue, mallory_couple: Couple, mallory: User
) -> None:
    assert "the dishes" not in client_for(mallory).get(reverse("dialogue:list")).content.decode()


def test_logged_out_visitors_are_sent_to_log_in(client: Client, dialogue: Dialogue) -> None:
    response = client.get(reverse("dialogue:room", args=[dialogue.pk]))
    assert response.status_code == 302
    assert reverse("login") in response["Location"]


def test_without_javascript_the_form_post_takes_the_turn_once_even_if_sent_twice(
    client_for: ClientFor, dialogue: Dialogue, alice: User
) -> None:
    client = client_for(alice)
    url = reverse("dialogue:act", args=[dialogue.pk])
    form = {"action": "request", "text": "Is now good?", "msg_id": "form-1", "last_seq": "0"}
    assert client.post(url, form).status_code == 302
    assert client.post(url, form).status_code == 302  # a double click
    assert list(Turn.objects.values_list("action", "text")) == [("request", "Is now good?")]
    assert Dialogue.objects.get().step == "appointment_reply"


def test_without_javascript_a_refused_post_explains_and_keeps_the_words(
    client_for: ClientFor, dialogue: Dialogue, bob: User
) -> None:
    response = client_for(bob).post(
        reverse("dialogue:act", args=[dialogue.pk]),
        {"action": "request", "text": "My words stay", "msg_id": "m1"},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "It&#x27;s Alice&#x27;s move now." in page
    assert not Turn.objects.exists()


def test_without_javascript_a_bare_mirror_starter_is_refused_with_a_clear_message(
    client_for: ClientFor, dialogue: Dialogue, alice: User, bob: User
) -> None:
    _act(dialogue, alice, "request", "Now?")
    _act(dialogue, bob, "accept")
    _act(dialogue, alice, "send", "I miss our walks.")
    response = client_for(bob).post(
        reverse("dialogue:act", args=[dialogue.pk]),
        {"action": "mirror", "text": "If I got it, you said… Did I get it?", "msg_id": "m1"},
    )
    assert response.status_code == 400
    assert "Add your own words after the starter." in response.content.decode()
    assert Turn.objects.count() == 3
    assert Dialogue.objects.get().step == "mirror"


def test_the_printable_transcript_shows_every_turn_by_round_escaped(
    client_for: ClientFor, dialogue: Dialogue, alice: User, bob: User
) -> None:
    _act(dialogue, alice, "request", "Now? <b>please</b>")
    _act(dialogue, bob, "accept")
    _act(dialogue, alice, "send", "I feel alone with the dishes.")
    page = client_for(bob).get(reverse("dialogue:transcript", args=[dialogue.pk])).content.decode()
    assert "Round 1" in page
    assert "I feel alone with the dishes." in page
    assert "&lt;b&gt;please&lt;/b&gt;" in page
    assert "3 turns" in page
    assert "data-print" in page


def test_an_ended_couples_dialogue_stays_readable_but_the_room_is_read_only(
    client_for: ClientFor, couple: Couple, dialogue: Dialogue, alice: User
) -> None:
    _act(dialogue, alice, "request", "Now?")
    couple_leave(couple=couple, user=alice)
    client = client_for(alice)
    room = client.get(reverse("dialogue:room", args=[dialogue.pk])).content.decode()
    assert "Read-only" in room
    assert 'id="turn-form"' not in room
    assert "Now?" in client.get(reverse("dialogue:transcript", args=[dialogue.pk])).content.decode()
    assert "the dishes" in client.get(reverse("dialogue:list")).content.decode()


def test_a_therapist_watches_only_with_both_consents_and_an_invitation_to_the_dialogue(
    client_for: ClientFor, dialogue: Dialogue, carol: User, alice: User, bob: User
) -> None:
    url = reverse("dialogue:room", args=[dialogue.pk])
    assert client_for(carol).get(url).status_code == 404
    link = therapist_link_create(couple=dialogue.couple, therapist=carol, by=alice)
    assert client_for(carol).get(url).status_code == 404  # one consent is not enough
    therapist_consent_give(link=link, partner=bob)
    assert client_for(carol).get(url).status_code == 404  # nor consent without an invitation
    bob_room = client_for(bob).get(url).content.decode()
    assert "Invite Carol to watch" in bob_room
    client_for(bob).post(reverse("dialogue:therapist", args=[dialogue.pk]), {"invite": "yes"})
    page = client_for(carol).get(url).content.decode()
    assert "You are observing" in page
    assert 'id="turn-form"' not in page
    client_for(alice).post(reverse("dialogue:therapist", args=[dialogue.pk]), {"invite": "no"})
    assert client_for(carol).get(url).status_code == 404


def test_a_finished_dialogue_offers_its_transcript_to_the_therapist_not_a_live_watch(
    client_for: ClientFor, couple: Couple, alice: User, carol_consented: User
) -> None:
    dialogue = dialogue_start(couple=couple, user=alice, topic="us", kind="container",
                              stage_minutes=3)  # fmt: skip
    room = reverse("dialogue:room", args=[dialogue.pk])
    assert "Invite Carol to watch" in client_for(alice).get(room).content.decode()
    _act(dialogue, alice, "stop")
    page = client_for(alice).get(room).content.decode()
    assert "Invite Carol to watch" not in page
    assert "Share the transcript with Carol" in page
    client_for(alice).post(reverse("dialogue:therapist", args=[dialogue.pk]), {"invite": "yes"})
    dialogue.refresh_from_db()
    assert dialogue.invited_therapist_id == carol_consented.pk
    page = client_for(alice).get(room).content.decode()
    assert "Carol can read its transcript" in page and "watch this dialogue live" not in page


def test_every_look_a_therapist_takes_is_recorded_and_shown_to_the_partners(
    client_for: ClientFor, dialogue: Dialogue, alice: User, carol_invited: User
) -> None:
    carol = client_for(carol_invited)
    carol.get(reverse("dialogue:room", args=[dialogue.pk]))
    carol.get(reverse("dialogue:transcript", args=[dialogue.pk]))
    client_for(alice).get(reverse("dialogue:room", args=[dialogue.pk]))  # partners: not recorded
    couple_page = client_for(alice).get(reverse("couples:couple_detail", args=[dialogue.couple_id]))
    body = couple_page.content.decode()
    assert "What your therapist looked at" in body
    assert "Opened the dialogue: “the dishes”" in body
    assert "Read the transcript: “the dishes”" in body
    assert dialogue.couple.therapist_views.count() == 2


def test_inviting_a_therapist_needs_a_consented_one_and_a_partner_asking(
    client_for: ClientFor, dialogue: Dialogue, alice: User, mallory: User
) -> None:
    url = reverse("dialogue:therapist", args=[dialogue.pk])
    response = client_for(alice).post(url, {"invite": "yes"}, follow=True)
    assert "Link your therapist on your couple page first" in response.content.decode()
    assert client_for(mallory).post(url, {"invite": "yes"}).status_code == 404
    dialogue.refresh_from_db()
    assert dialogue.therapist_invited_at is None


def test_the_room_costs_the_same_queries_with_three_turns_or_thirty(
    client_for: ClientFor,
    dialogue: Dialogue,
    alice: User,
    bob: User,
    django_assert_max_num_queries: Callable[..., Any],
) -> None:
    client = client_for(alice)
    url = reverse("dialogue:room", args=[dialogue.pk])
    _act(dialogue, alice, "request", "Now?")
    _act(dialogue, bob, "accept")
    _act(dialogue, alice, "send", "One.")
    client.get(url)  # warm the session and template caches
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for index in range(9):
        _act(dialogue, bob, "mirror", f"Mirror {index}")
        _act(dialogue, alice, "correct", f"Correction {index}")
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get(url).content.decode()
    assert "Correction 8" in page


def test_a_therapist_lists_only_dialogues_shared_with_her_and_cannot_start_one(
    client_for: ClientFor, dialogue: Dialogue, alice: User, carol_invited: User
) -> None:
    dialogue_start(couple=dialogue.couple, user=alice, topic="our holidays")
    page = client_for(carol_invited).get(reverse("dialogue:list")).content.decode()
    assert "the dishes" in page
    assert "our holidays" not in page
    assert list(dialogue.couple.therapist_views.values_list("what", flat=True)) == [
        "The list of dialogues shared with you"
    ]
    assert "Start a dialogue" not in page
    response = client_for(carol_invited).post(reverse("dialogue:start"), {"topic": "x"})
    assert response.status_code == 302
    assert Dialogue.objects.count() == 2


def test_the_therapist_is_not_offered_the_partners_practice_round(
    client_for: ClientFor, dialogue: Dialogue, alice: User, carol_invited: User
) -> None:
    room = reverse("dialogue:room", args=[dialogue.pk])
    assert "practise alone" in client_for(alice).get(room).content.decode()
    assert "practise alone" in client_for(alice).get(reverse("dialogue:list")).content.decode()
    carol = client_for(carol_invited)
    page = carol.get(room).content.decode()
    assert dialogue.topic in page and "practise alone" not in page
    assert "practise alone" not in carol.get(reverse("dialogue:list")).content.decode()

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from couples.models import Couple, TherapistLink, User
from couples.services import therapist_consent_give, therapist_link_create, therapist_link_revoke
from dialogue.models import Turn
from exercises.models import Note
from exercises.services import ExerciseError, note_create, note_update

from ..conftest import make_user
from .conftest import ClientFor
from .desk_world import full_dialogue, shared_dialogue

pytestmark = pytest.mark.django_db


def test_a_session_note_is_read_by_its_author_alone_and_never_by_the_partners(
    couple: Couple, alice: User, bob: User, carol_consented: User, client_for: ClientFor
) -> None:
    client_for(carol_consented).post(
        reverse("desk:note_create", args=[couple.pk]), {"text": "SESSION-NOTE: anger under hurt"}
    )
    assert Note.objects.get().author == carol_consented
    notes = client_for(carol_consented).get(reverse("desk:notes", args=[couple.pk]))
    assert "SESSION-NOTE" in notes.content.decode()
    for partner in (alice, bob):
        client = client_for(partner)
        pages = [
            "/",
            reverse("couples:couple_detail", args=[couple.pk]),
            reverse("exercises:home"),
            reverse("exercises:history"),
            reverse("exercises:kind", args=["appreciation"]),
            reverse("dialogue:list"),
        ]
        for url in pages:
            assert "SESSION-NOTE" not in client.get(url).content.decode(), url
        export = client.get(reverse("exercises:export_json")).content.decode()
        assert "SESSION-NOTE" not in export


def test_another_therapist_never_reads_a_colleagues_notes(
    couple: Couple, alice: User, bob: User, carol_consented: User, client_for: ClientFor
) -> None:
    note_create(couple=couple, by=carol_consented, text="CAROL-ONLY")
    therapist_link_revoke(link=TherapistLink.objects.get(), by=alice)
    theo = make_user("theo@example.com", "Theo", User.Role.THERAPIST)
    link = therapist_link_create(couple=couple, therapist=theo, by=alice)
    therapist_consent_give(link=link, partner=bob)
    theo_client = client_for(theo)
    for name in ("notes", "brief", "export"):
        body = theo_client.get(reverse(f"desk:{name}", args=[couple.pk])).content.decode()
        assert "CAROL-ONLY" not in body, name
    note = Note.objects.get()
    assert (
        theo_client.get(reverse("desk:note_update", args=[couple.pk, note.pk])).status_code == 404
    )
    with pytest.raises(ExerciseError):
        note_update(note_id=note.pk, by=theo, text="mine now")


def test_a_note_to_the_couple_appears_on_both_partners_home_pages(
    couple: Couple, alice: User, bob: User, carol_consented: User, client_for: ClientFor
) -> None:
    client_for(carol_consented).post(
        reverse("desk:note_create", args=[couple.pk]),
        {"text": "Well done this week, both of you.", "to_couple": "on"},
    )
    for partner in (alice, bob):
        body = client_for(partner).get("/").content.decode()
        assert "From your therapist" in body
        assert "Well done this week, both of you." in body


def test_a_note_is_edited_by_its_author_and_keeps_its_date(
    couple: Couple, carol_consented: User, client_for: ClientFor
) -> None:
    note = note_create(couple=couple, by=carol_consented, text="First thoughts")
    client = client_for(carol_consented)
    url = reverse("desk:note_update", args=[couple.pk, note.pk])
    assert "First thoughts" in client.get(url).content.decode()
    client.post(url, {"text": "Second thoughts"})
    note.refresh_from_db()
    assert note.text == "Second thoughts"
    assert note.updated_at > note.created_at


def test_an_empty_or_oversized_note_is_explained_and_nothing_is_saved(
    couple: Couple, carol_consented: User, client_for: ClientFor
) -> None:
    client = client_for(carol_consented)
    url = reverse("desk:note_create", args=[couple.pk])
    assert "This field is required." in client.post(url, {"text": "  "}).content.decode()
    response = client.post(url, {"text": "x" * 4001})
    assert response.status_code == 400
    assert "at most 4000 characters" in response.content.decode()
    assert not Note.objects.exists()


def test_a_note_pinned_to_a_turn_shows_beside_that_turn(
    couple: Couple, alice: User, bob: User, carol_consented: User, client_for: ClientFor
) -> None:
    dialogue = shared_dialogue(alice, bob, couple)
    mirror = Turn.objects.filter(dialogue=dialogue, action="mirror").last()
    client = client_for(carol_consented)
    response = client.post(
        reverse("desk:note_create", args=[couple.pk]),
        {"text": "Here he mirrored well.", "turn": mirror.pk},
    )
    transcript_url = reverse("desk:transcript", args=[couple.pk, dialogue.pk])
    assert response["Location"] == f"{transcript_url}#turn-{mirror.seq}"
    body = client.get(transcript_url).content.decode()
    after_turn = body.split(f'id="turn-{mirror.seq}"')[1]
    assert after_turn.index("Here he mirrored well.") < after_turn.index(
        f'id="turn-{mirror.seq + 1}"'
    )
    export = json.loads(client.get(reverse("desk:export", args=[couple.pk])).content)
    assert export["notes"][0]["turn"] == {"dialogue": str(dialogue.pk), "seq": mirror.seq}


def test_a_note_cannot_be_pinned_to_a_turn_of_a_dialogue_not_shared(
    couple: Couple, alice: User, bob: User, carol_consented: User, client_for: ClientFor
) -> None:
    private = full_dialogue(alice, bob, couple)
    turn = Turn.objects.filter(dialogue=private).first()
    response = client_for(carol_consented).post(
        reverse("desk:note_create", args=[couple.pk]), {"text": "Sneaky", "turn": turn.pk}
    )
    assert response.status_code == 404
    assert not Note.objects.exists()


def test_an_empty_pinned_note_is_explained_on_the_transcript(
    couple: Couple, alice: User, bob: User, carol_consented: User, client_for: ClientFor
) -> None:
    dialogue = shared_dialogue(alice, bob, couple)
    turn = Turn.objects.filter(dialogue=dialogue).first()
    response = client_for(carol_consented).post(
        reverse("desk:note_create", args=[couple.pk]), {"text": "", "turn": turn.pk}
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "This field is required." in body and dialogue.topic in body
    assert not Note.objects.exists()

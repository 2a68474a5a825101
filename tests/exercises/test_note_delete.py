"""A therapist deletes their own notes: asked first, with or without JavaScript; anyone else —
a partner, a colleague, an outsider, the same therapist through another couple — gets a 404."""

from __future__ import annotations

import pytest
from django.urls import reverse

from couples.models import Couple, Notification, TherapistLink, User
from couples.services import therapist_consent_give, therapist_link_create, therapist_link_revoke
from exercises.models import Note
from exercises.services import ExerciseError, note_create, note_delete

from ..conftest import make_user
from .conftest import ClientFor

pytestmark = pytest.mark.django_db


def _delete_url(couple: Couple, note: Note) -> str:
    return reverse("desk:note_delete", args=[couple.pk, note.pk])


def test_the_author_is_asked_first_then_the_note_is_gone_without_javascript(
    couple: Couple, carol_consented: User, client_for: ClientFor
) -> None:
    note = note_create(couple=couple, by=carol_consented, text="SESSION: anger under hurt")
    client = client_for(carol_consented)
    notes_url = reverse("desk:notes", args=[couple.pk])
    assert _delete_url(couple, note) in client.get(notes_url).content.decode()
    confirm = client.get(_delete_url(couple, note)).content.decode()
    assert "Delete this session note?" in confirm and "SESSION: anger under hurt" in confirm
    assert Note.objects.filter(pk=note.pk).exists()  # asking deletes nothing
    response = client.post(_delete_url(couple, note), follow=True)
    assert response.redirect_chain[-1][0] == notes_url
    body = response.content.decode()
    assert "Note deleted." in body and "SESSION: anger under hurt" not in body
    assert not Note.objects.filter(pk=note.pk).exists()


def test_with_htmx_the_question_and_the_answer_replace_the_note_in_place(
    couple: Couple, carol_consented: User, client_for: ClientFor
) -> None:
    note = note_create(couple=couple, by=carol_consented, text="pinned thought")
    client = client_for(carol_consented)
    confirm = client.get(_delete_url(couple, note), HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in confirm
    assert f'id="note-{note.pk}"' in confirm and "Yes, delete it" in confirm
    done = client.post(_delete_url(couple, note), HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in done and f'id="note-{note.pk}"' in done and "Note deleted." in done
    assert not Note.objects.exists()


def test_a_deleted_note_to_the_couple_leaves_the_partners_home_and_notifications(
    couple: Couple, alice: User, bob: User, carol_consented: User, client_for: ClientFor
) -> None:
    note = note_create(couple=couple, by=carol_consented, text="WELL-DONE-NOTE", to_couple=True)
    assert "WELL-DONE-NOTE" in client_for(alice).get("/").content.decode()
    client_for(carol_consented).post(_delete_url(couple, note))
    for partner in (alice, bob):
        assert "WELL-DONE-NOTE" not in client_for(partner).get("/").content.decode()
        assert (
            not Notification.objects.for_recipient(partner)
            .filter(target=f"note-{note.pk}")
            .exists()
        )


def test_partners_and_outsiders_get_404_and_the_note_stays(
    couple: Couple,
    alice: User,
    bob: User,
    mallory: User,
    carol_consented: User,
    client_for: ClientFor,
) -> None:
    for to_couple in (False, True):
        note = note_create(couple=couple, by=carol_consented, text="x", to_couple=to_couple)
        for someone in (alice, bob, mallory):
            client = client_for(someone)
            assert client.get(_delete_url(couple, note)).status_code == 404
            assert client.post(_delete_url(couple, note)).status_code == 404
            with pytest.raises(ExerciseError):
                note_delete(note_id=note.pk, by=someone)
    assert Note.objects.count() == 2


def test_a_colleague_later_linked_to_the_couple_cannot_delete_the_first_therapists_note(
    couple: Couple, alice: User, bob: User, carol_consented: User, client_for: ClientFor
) -> None:
    note = note_create(couple=couple, by=carol_consented, text="CAROL-ONLY")
    therapist_link_revoke(link=TherapistLink.objects.get(), by=alice)
    theo = make_user("theo@example.com", "Theo", User.Role.THERAPIST)
    therapist_consent_give(
        link=therapist_link_create(couple=couple, therapist=theo, by=alice), partner=bob
    )
    assert client_for(theo).post(_delete_url(couple, note)).status_code == 404
    with pytest.raises(ExerciseError):
        note_delete(note_id=note.pk, by=theo)
    # Carol's access ended with the link: she cannot delete it now either.
    assert client_for(carol_consented).post(_delete_url(couple, note)).status_code == 404
    assert Note.objects.filter(pk=note.pk).exists()


def test_another_couples_id_in_the_address_is_a_404(
    couple: Couple,
    mallory: User,
    mallory_couple: Couple,
    carol_consented: User,
    client_for: ClientFor,
) -> None:
    # Carol is Mallory's couple's therapist too: still, a note is deleted only under its couple.
    mike = mallory_couple.partners.exclude(pk=mallory.pk).get()
    therapist_consent_give(
        link=therapist_link_create(couple=mallory_couple, therapist=carol_consented, by=mallory),
        partner=mike,
    )
    note = note_create(couple=couple, by=carol_consented, text="theirs")
    client = client_for(carol_consented)
    assert client.get(_delete_url(mallory_couple, note)).status_code == 404
    assert client.post(_delete_url(mallory_couple, note)).status_code == 404
    assert Note.objects.filter(pk=note.pk).exists()

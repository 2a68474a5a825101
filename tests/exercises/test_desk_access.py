"""Every route of the therapist's desk, for every persona: only the consented therapist gets in;
everyone else meets a 404 (an anonymous visitor, the login page), and nothing changes."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from couples.models import Couple, TherapistLink, User
from couples.services import therapist_consent_give, therapist_link_create, therapist_link_revoke
from dialogue.models import Dialogue
from exercises.models import Homework, Kind, Note

from ..conftest import make_user, pair
from .desk_world import shared_dialogue

pytestmark = pytest.mark.django_db

PERSONAS = [
    "anonymous",
    "partner",
    "other partner",
    "outsider",
    "unlinked therapist",
    "therapist with one consent",
    "consented therapist",
    "revoked therapist",
    "therapist of another couple",
]


def _therapist(email: str, name: str) -> User:
    return make_user(email, name, User.Role.THERAPIST)


@pytest.fixture
def world(couple: Couple, alice: User, bob: User, carol: User) -> dict[str, object]:
    """Carol consented for Alice and Bob while they shared a dialogue with her and she wrote a
    note; then the link is left in the state each persona needs."""
    link = therapist_link_create(couple=couple, therapist=carol, by=alice)
    therapist_consent_give(link=link, partner=bob)
    dialogue = shared_dialogue(alice, bob, couple)
    note = Note.objects.create(couple=couple, author=carol, text="She mirrored well.")
    return {"couple": couple, "dialogue": dialogue, "note": note, "link": link}


def _persona(
    name: str, world: dict[str, object], alice: User, bob: User, carol: User
) -> User | None:
    couple: Couple = world["couple"]
    link: TherapistLink = world["link"]
    if name == "anonymous":
        return None
    if name == "partner":
        return alice
    if name == "other partner":
        return bob
    if name == "outsider":
        pair(make_user("mallory@example.com", "Mallory"), make_user("mike@example.com", "Mike"))
        return User.objects.get(email="mallory@example.com")
    if name == "unlinked therapist":
        return _therapist("theo@example.com", "Theo")
    if name == "therapist with one consent":
        therapist_link_revoke(link=link, by=alice)
        therapist_link_create(couple=couple, therapist=carol, by=alice)
        return carol
    if name == "consented therapist":
        return carol
    if name == "revoked therapist":
        therapist_link_revoke(link=link, by=bob)
        return carol
    if name == "therapist of another couple":
        tess = _therapist("tess@example.com", "Tess")
        mallory = make_user("mallory@example.com", "Mallory")
        other = pair(mallory, make_user("mike@example.com", "Mike"))
        other_link = therapist_link_create(couple=other, therapist=tess, by=mallory)
        therapist_consent_give(link=other_link, partner=User.objects.get(email="mike@example.com"))
        return tess
    raise AssertionError(name)


def _routes(world: dict[str, object]) -> list[tuple[str, str]]:
    pk = world["couple"].pk
    return [
        ("get", reverse("desk:overview", args=[pk])),
        ("get", reverse("desk:history", args=[pk])),
        ("get", reverse("desk:dialogues", args=[pk])),
        ("get", reverse("desk:transcript", args=[pk, world["dialogue"].pk])),
        ("get", reverse("desk:skills", args=[pk])),
        ("get", reverse("desk:homework", args=[pk])),
        ("get", reverse("desk:notes", args=[pk])),
        ("get", reverse("desk:note_update", args=[pk, world["note"].pk])),
        ("get", reverse("desk:brief", args=[pk])),
        ("get", reverse("desk:export", args=[pk])),
        ("post", reverse("desk:homework_assign", args=[pk])),
        ("post", reverse("desk:note_create", args=[pk])),
        ("post", reverse("desk:note_update", args=[pk, world["note"].pk])),
    ]


POSTED = {
    "kind": Kind.APPRECIATION,
    "assignee": "both",
    "instructions": "One appreciation a day.",
    "text": "Changed by someone",
}


@pytest.mark.parametrize("persona", PERSONAS)
def test_only_the_consented_therapist_reaches_any_desk_route(
    persona: str,
    world: dict[str, object],
    alice: User,
    bob: User,
    carol: User,
    client_for: Callable[[User], Client],
) -> None:
    user = _persona(persona, world, alice, bob, carol)
    client = client_for(user) if user else Client()
    for method, url in _routes(world):
        response = getattr(client, method)(url, POSTED if method == "post" else None)
        if persona == "consented therapist":
            assert response.status_code in (200, 302), (method, url)
        elif persona == "anonymous":
            assert response.status_code == 302, (method, url)
            assert response["Location"].startswith(reverse("login")), (method, url)
        else:
            assert response.status_code == 404, (persona, method, url)
    if persona != "consented therapist":
        assert not Homework.objects.exists()
        assert list(Note.objects.values_list("text", flat=True)) == ["She mirrored well."]


def test_another_couples_dialogue_is_404_on_the_desk_even_for_its_own_therapist(
    world: dict[str, object], carol: User, client_for: Callable[[User], Client]
) -> None:
    mallory = make_user("mallory@example.com", "Mallory")
    mike = make_user("mike@example.com", "Mike")
    other = pair(mallory, mike)
    link = therapist_link_create(couple=other, therapist=carol, by=mallory)
    therapist_consent_give(link=link, partner=mike)
    theirs = shared_dialogue(mallory, mike, other, "Theirs")
    url = reverse("desk:transcript", args=[world["couple"].pk, theirs.pk])
    assert client_for(carol).get(url).status_code == 404
    assert Dialogue.objects.filter(pk=theirs.pk).exists()

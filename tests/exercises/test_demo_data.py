"""`manage.py demo_data` (run by `make run`): a lived-in couple, written through the services,
once — and each persona sees only what is theirs to see."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import timedelta

import pytest
from django.apps import apps
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from couples.access import active_couple_for
from couples.models import User
from dialogue.models import Dialogue
from exercises.models import CaringGift, Entry, Homework, Kind, Note, SurpriseGift, Visibility

pytestmark = pytest.mark.django_db

ALICE_PRIVATE_WOUND = "Childhood wound (Mother)"
BOB_THERAPIST_WOUND = "Childhood wound (Father)"
ALICE_THERAPIST_REQUEST = "Request: to feel that I matter to you during the day"
BOB_PRIVATE_REQUEST = "Request: to feel we decide our weekends together"
ALICE_PARTNER_APPRECIATION = "I appreciate the way you made tea for me"
ALICE_PRIVATE_APPRECIATION = "I appreciate your patience with my mother"
SESSION_NOTE = "Explore his father"
NOTE_TO_COUPLE = "Well done on your first full dialogue"


@pytest.fixture
def demo(settings: object) -> dict[str, User]:
    settings.DEBUG = True
    call_command("demo_data", stdout=io.StringIO())
    return {u.display_name: u for u in User.objects.all()}


def _counts() -> dict[str, int]:
    return {
        model._meta.label: model.objects.count()
        for model in apps.get_models()
        if model._meta.app_label in ("couples", "dialogue", "exercises")
        and model._meta.model_name not in ("securityevent", "accountsession")
    }


def test_running_it_twice_adds_nothing(demo: dict[str, User]) -> None:
    before = _counts()
    call_command("demo_data", stdout=io.StringIO())
    assert _counts() == before
    assert before["exercises.Entry"] > 0


def test_the_couple_has_entries_of_every_kind_at_every_level_of_sharing(
    demo: dict[str, User],
) -> None:
    couple = active_couple_for(demo["Alice"])
    assert couple is not None and couple.partners.filter(pk=demo["Bob"].pk).exists()
    entries = Entry.objects.filter(couple=couple)
    assert set(entries.values_list("kind", flat=True)) == set(Kind.values)
    assert set(entries.values_list("visibility", flat=True)) == set(Visibility.values)
    assert set(entries.values_list("author__display_name", flat=True)) == {"Alice", "Bob"}


def test_gifts_a_finished_dialogue_homework_and_notes_are_there(demo: dict[str, User]) -> None:
    couple = active_couple_for(demo["Alice"])
    assert CaringGift.objects.filter(giver=demo["Bob"]).count() == 1
    assert SurpriseGift.objects.filter(giver=demo["Bob"]).count() == 1
    dialogue = Dialogue.objects.get(couple=couple)
    assert dialogue.is_ended and dialogue.turns.count() > 10
    assert Homework.objects.filter(couple=couple, assigned_by=demo["Carol"]).count() == 2
    assert set(Note.objects.filter(couple=couple).values_list("to_couple", flat=True)) == {
        True,
        False,
    }


def _page(client_for: Callable[[User], Client], user: User, url: str) -> str:
    response = client_for(user).get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_each_partner_sees_what_is_shared_and_their_own_not_the_others_private(
    demo: dict[str, User], client_for: Callable[[User], Client]
) -> None:
    alice, bob = demo["Alice"], demo["Bob"]
    history = reverse("exercises:history")
    seen_by_bob = _page(client_for, bob, history)
    assert ALICE_PARTNER_APPRECIATION in seen_by_bob
    assert ALICE_THERAPIST_REQUEST in seen_by_bob
    assert ALICE_PRIVATE_WOUND not in seen_by_bob
    assert ALICE_PRIVATE_APPRECIATION not in seen_by_bob
    seen_by_alice = _page(client_for, alice, history)
    assert BOB_THERAPIST_WOUND in seen_by_alice
    assert BOB_PRIVATE_REQUEST not in seen_by_alice
    home = _page(client_for, alice, reverse("couples:home"))
    assert NOTE_TO_COUPLE in home
    assert "give one caring behavior" in home
    assert SESSION_NOTE not in home


def test_the_therapist_sees_only_what_both_shared_with_her(
    demo: dict[str, User], client_for: Callable[[User], Client]
) -> None:
    carol = demo["Carol"]
    couple = active_couple_for(demo["Alice"])
    history = _page(client_for, carol, reverse("desk:history", args=[couple.pk]))
    assert BOB_THERAPIST_WOUND in history
    assert ALICE_THERAPIST_REQUEST in history
    assert ALICE_PARTNER_APPRECIATION not in history
    assert ALICE_PRIVATE_WOUND not in history
    assert BOB_PRIVATE_REQUEST not in history
    assert SESSION_NOTE in _page(client_for, carol, reverse("desk:notes", args=[couple.pk]))
    dialogues = _page(client_for, carol, reverse("desk:dialogues", args=[couple.pk]))
    assert "Our Sunday evenings" in dialogues


def test_the_couple_was_formed_before_its_oldest_entry(
    demo: dict[str, User], client_for: Callable[[User], Client]
) -> None:
    couple = active_couple_for(demo["Alice"])
    oldest = Entry.objects.filter(couple=couple).order_by("created_at").first().created_at
    assert couple.created_at < oldest
    for membership in couple.memberships.all():
        assert membership.joined_at <= couple.created_at
    for name in ("Alice", "Bob"):
        demo[name].refresh_from_db()
        assert demo[name].date_joined < couple.created_at
    since = f"Together on Imago since {timezone.localtime(couple.created_at):%-d %B %Y}"
    assert since in client_for(demo["Alice"]).get("/").content.decode()

    call_command("demo_data", stdout=io.StringIO())
    couple.refresh_from_db()
    assert couple.created_at == oldest - timedelta(days=1)

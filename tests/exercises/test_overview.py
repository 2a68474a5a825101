from __future__ import annotations

import re
from datetime import timedelta

from django.urls import reverse
from django.utils import timezone
from pytest_django import DjangoAssertNumQueries

from couples.models import Couple, User
from exercises.models import Entry, Kind, Visibility

from .bulk import bulk_entries
from .conftest import ClientFor, create_entry

HOME = reverse("exercises:home")


def _bar_counts(body: str) -> list[int]:
    return [int(n) for n in re.findall(r"<td>\d+ \w+ \d{4}</td><td>(\d+)</td>", body)]


def test_the_overview_counts_this_weeks_work_for_both_partners(
    couple: Couple, alice: User, bob: User, client_for: ClientFor
) -> None:
    create_entry(alice, Kind.APPRECIATION, Visibility.PARTNER)
    create_entry(alice, Kind.APPRECIATION)
    create_entry(bob, Kind.APPRECIATION, Visibility.PARTNER)
    create_entry(bob, Kind.APPRECIATION)  # private: not counted for Alice
    body = client_for(alice).get(HOME).content.decode()
    assert "This week: 2 by you, 1 by Bob" in body


def test_the_chart_shows_eight_weeks_of_activity_drawn_on_the_server(
    couple: Couple, alice: User, bob: User, client_for: ClientFor
) -> None:
    entry = create_entry(alice, Kind.TEMPERATURE, Visibility.PARTNER)
    Entry.objects.filter(pk=entry.pk).update(created_at=timezone.now() - timedelta(weeks=3))
    create_entry(bob, Kind.APPRECIATION, Visibility.PARTNER)
    create_entry(bob, Kind.APPRECIATION)  # private to Bob
    old = create_entry(alice, Kind.APPRECIATION)
    Entry.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(weeks=12))
    body = client_for(alice).get(HOME).content.decode()
    assert '<svg viewBox="0 0 320 140" role="img"' in body
    assert "<script" not in body.split("<main")[1]
    counts = _bar_counts(body)
    assert len(counts) == 8
    assert counts[-1] == 1 and counts[-4] == 1 and sum(counts) == 2
    assert body.count('class="chart-bar"') == 8


def test_waiting_shows_a_vision_to_merge_and_appreciations_to_acknowledge(
    couple: Couple, alice: User, bob: User, client_for: ClientFor
) -> None:
    create_entry(alice, Kind.VISION, Visibility.PARTNER)
    create_entry(bob, Kind.VISION, Visibility.PARTNER)
    create_entry(alice, Kind.APPRECIATION, Visibility.PARTNER)
    body = client_for(bob).get(HOME).content.decode()
    assert "A vision to merge" in body and "2 of Alice" in body
    assert "1 appreciation from Alice" in body


def test_nothing_waits_for_someone_whose_partner_shared_nothing(
    couple: Couple, alice: User, bob: User, client_for: ClientFor
) -> None:
    create_entry(alice, Kind.REQUEST)
    create_entry(alice, Kind.VISION)
    body = client_for(bob).get(HOME).content.decode()
    assert "Nothing is waiting for you." in body


def test_someone_without_a_couple_still_sees_their_own_overview(
    alice: User, client_for: ClientFor
) -> None:
    create_entry(alice, Kind.APPRECIATION)
    body = client_for(alice).get(HOME).content.decode()
    assert "not in a couple right now" in body
    assert "This week: 1 by you<" in body


def test_overview_queries_do_not_grow_with_hundreds_of_entries(
    couple: Couple,
    alice: User,
    bob: User,
    client_for: ClientFor,
    django_assert_max_num_queries: DjangoAssertNumQueries,
) -> None:
    client = client_for(bob)
    bulk_entries(alice, couple, 3, visibility=Visibility.PARTNER, kind=Kind.REQUEST)
    client.get(HOME)
    with django_assert_max_num_queries(12) as few:
        client.get(HOME)
    bulk_entries(alice, couple, 300, visibility=Visibility.PARTNER)
    bulk_entries(alice, couple, 200, visibility=Visibility.PARTNER, kind=Kind.REQUEST)
    bulk_entries(bob, couple, 300, visibility=Visibility.PRIVATE)
    with django_assert_max_num_queries(12) as many:
        response = client.get(HOME)
    body = response.content.decode()
    assert body.count("sent you a behavior change request") == 5
    assert "and 198 more requests" in body
    assert len(many.captured_queries) == len(few.captured_queries)


def test_the_exercise_cards_speak_to_partners_not_to_the_therapist(
    client_for: ClientFor, alice: User, carol_consented: User
) -> None:
    assert "Tell your partner" in client_for(alice).get(reverse("exercises:home")).content.decode()
    carol = client_for(carol_consented)
    page = carol.get(reverse("exercises:home")).content.decode()
    assert "Appreciation" in page and "Tell your partner" not in page
    kind = carol.get(reverse("exercises:kind", args=["appreciation"]))
    assert kind.status_code == 200 and "Tell your partner" not in kind.content.decode()

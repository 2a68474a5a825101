from __future__ import annotations

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone
from pytest_django import DjangoAssertNumQueries

from couples.models import Couple, User
from exercises.models import Entry, Kind, Visibility

from .bulk import bulk_entries
from .conftest import ClientFor, create_entry

HISTORY = reverse("exercises:history")


def test_the_timeline_shows_what_both_share_newest_first_and_nothing_private(
    couple: Couple,
    alice: User,
    bob: User,
    mallory_couple: Couple,
    mallory: User,
    client_for: ClientFor,
) -> None:
    old = create_entry(alice, Kind.APPRECIATION, Visibility.PARTNER, appreciate="old words")
    Entry.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=3))
    create_entry(bob, Kind.TEMPERATURE, Visibility.THERAPIST)
    create_entry(alice, Kind.WORKUP)  # private
    create_entry(bob, Kind.VISION)  # private
    create_entry(mallory, Kind.APPRECIATION, Visibility.PARTNER, appreciate="mallory's words")
    for user in (alice, bob):
        body = client_for(user).get(HISTORY).content.decode().split('id="history-results"')[1]
        assert "Temperature reading" in body and "I appreciate old words" in body
        assert body.index("Temperature reading") < body.index("I appreciate old words")
        assert "Imago workup" not in body and "Relationship vision" not in body
        assert "mallory" not in body
    assert "old words" not in client_for(mallory).get(HISTORY).content.decode()


def test_the_timeline_filters_by_exercise_and_date(
    couple: Couple, alice: User, bob: User, client_for: ClientFor
) -> None:
    old = create_entry(alice, Kind.APPRECIATION, Visibility.PARTNER, appreciate="last month")
    Entry.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(days=30))
    create_entry(alice, Kind.APPRECIATION, Visibility.PARTNER, appreciate="this week")
    create_entry(bob, Kind.REQUEST, Visibility.PARTNER)
    client = client_for(bob)
    by_kind = client.get(HISTORY, {"kind": "appreciation"}).content.decode()
    assert "this week" in by_kind and "last month" in by_kind and "Request:" not in by_kind
    since = (timezone.localdate() - timedelta(days=7)).isoformat()
    recent = client.get(HISTORY, {"date_from": since}).content.decode()
    assert "this week" in recent and "Request:" in recent and "last month" not in recent
    until = (timezone.localdate() - timedelta(days=20)).isoformat()
    older = client.get(HISTORY, {"date_to": until}, headers={"HX-Request": "true"})
    assert "last month" in older.content.decode() and "this week" not in older.content.decode()
    assert "<html" not in older.content.decode()


def test_a_backwards_date_range_is_explained(
    couple: Couple, alice: User, client_for: ClientFor
) -> None:
    body = client_for(alice).get(HISTORY, {"date_from": "2026-05-02", "date_to": "2026-05-01"})
    assert "must be on or after" in body.content.decode()


def test_the_timeline_is_paginated(
    couple: Couple, alice: User, bob: User, client_for: ClientFor
) -> None:
    bulk_entries(alice, couple, 45, visibility=Visibility.PARTNER)
    client = client_for(bob)
    first = client.get(HISTORY).content.decode()
    assert "Page 1 of 3" in first and "Alice entry 0<" in first and "Alice entry 20<" not in first
    third = client.get(HISTORY, {"page": 3}).content.decode()
    assert "Alice entry 44<" in third and "Alice entry 0<" not in third


def test_timeline_queries_do_not_grow_with_hundreds_of_entries(
    couple: Couple,
    alice: User,
    bob: User,
    client_for: ClientFor,
    django_assert_max_num_queries: DjangoAssertNumQueries,
) -> None:
    client = client_for(bob)
    bulk_entries(alice, couple, 5, visibility=Visibility.PARTNER)
    client.get(HISTORY)  # warm the session
    # Session, user, count, page, couple, partners, and the header's unread notifications.
    with django_assert_max_num_queries(7) as few:
        client.get(HISTORY)
    bulk_entries(alice, couple, 300, visibility=Visibility.PARTNER)
    bulk_entries(bob, couple, 300, visibility=Visibility.THERAPIST, kind=Kind.REQUEST)
    bulk_entries(alice, couple, 100, visibility=Visibility.PRIVATE)
    with django_assert_max_num_queries(7) as many:
        response = client.get(HISTORY, {"page": 2})
    assert "Page 2 of 31" in response.content.decode()
    assert len(many.captured_queries) == len(few.captured_queries)


def test_a_date_at_the_edge_of_the_calendar_is_explained_not_a_crash(
    couple: Couple, alice: User, client_for: ClientFor
) -> None:
    response = client_for(alice).get(
        reverse("exercises:history"), {"date_to": "9999-12-31", "date_from": "0001-01-01"}
    )
    assert response.status_code == 200
    assert "Choose a date between 1900 and 9998" in response.content.decode()

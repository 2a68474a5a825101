"""The lifecycle every exercise shares: create inline, edit inline, share, delete with a
confirmation step."""

from __future__ import annotations

import pytest
from django.urls import reverse
from pytest_django import DjangoAssertNumQueries

from couples.models import Couple, User
from exercises.models import Entry, Kind, Visibility

from .conftest import ClientFor, current_data, valid_data

HX = {"HX-Request": "true"}

# One field per exercise that an edit changes, and the text the change should show.
CHANGES = {
    Kind.APPRECIATION: ("appreciate", "your steady hands"),
    Kind.CARING: ("note", "Here is my list, love"),
    Kind.REQUEST: ("frustration", "When plans change at the last minute I feel lost."),
    Kind.VISION: ("note", "Written on our anniversary"),
    Kind.TEMPERATURE: ("puzzles", "Why the garden gate was open"),
    Kind.WORKUP: ("note", "Written after talking to my sister"),
    Kind.TRAITS: ("note", "For our anniversary flooding"),
    Kind.WOUND: ("what_needed", "Someone who stayed when I cried"),
    Kind.SURPRISES: ("note", "Any of these, any time"),
}


@pytest.mark.parametrize("kind", list(Kind.values))
def test_each_exercise_is_created_edited_shared_and_deleted_inline(
    kind: str, couple: Couple, alice: User, bob: User, client_for: ClientFor
) -> None:
    client = client_for(alice)
    created = client.post(
        reverse("exercises:entry_create", args=[kind]), valid_data(kind), headers=HX
    )
    entry = Entry.objects.get()
    assert entry.kind == kind and entry.author == alice
    assert f'id="entry-{entry.pk}"' in created.content.decode()

    edit_url = reverse("exercises:entry_update", args=[entry.pk])
    assert "Save changes" in client.get(edit_url, headers=HX).content.decode()
    field, text = CHANGES[kind]
    edited = client.post(edit_url, current_data(entry, **{field: text}), headers=HX)
    assert text.replace("'", "&#x27;") in edited.content.decode()
    assert getattr(Entry.objects.get().detail, field) == text

    assert client_for(bob).get(reverse("exercises:entry", args=[entry.pk])).status_code == 404
    client.post(reverse("exercises:entry_set_visibility", args=[entry.pk]), {"visibility": "1"})
    partner_view = client_for(bob).get(reverse("exercises:entry", args=[entry.pk]))
    assert text.replace("'", "&#x27;") in partner_view.content.decode()

    delete_url = reverse("exercises:entry_delete", args=[entry.pk])
    assert "Yes, delete it" in client.get(delete_url).content.decode()  # the no-JS confirm page
    assert Entry.objects.exists()
    response = client.post(delete_url)
    assert response.status_code == 302
    assert not Entry.objects.exists()
    assert client_for(bob).get(reverse("exercises:entry", args=[entry.pk])).status_code == 404


@pytest.mark.parametrize("kind", list(Kind.values))
def test_an_overlong_field_is_refused_in_every_exercise_and_the_input_is_kept(
    kind: str, couple: Couple, alice: User, client_for: ClientFor
) -> None:
    field, _ = CHANGES[kind]
    limit = {
        "appreciate": 500,
        "note": 500,
        "frustration": 600,
        "puzzles": 1000,
        "what_needed": 2000,
    }[field]
    data = valid_data(kind, **{field: "y" * (limit + 1)})
    body = client_for(alice).post(reverse("exercises:entry_create", args=[kind]), data, headers=HX)
    body = body.content.decode()
    assert f"at most {limit} characters" in body
    assert "y" * (limit + 1) in body
    assert not Entry.objects.exists()


def test_the_therapist_reads_only_entries_shared_with_the_therapist(
    couple: Couple, alice: User, carol_consented: User, client_for: ClientFor
) -> None:
    from .conftest import create_entry

    for_therapist = create_entry(alice, Kind.TEMPERATURE, Visibility.THERAPIST)
    partner_only = create_entry(alice, Kind.TEMPERATURE, Visibility.PARTNER)
    client = client_for(carol_consented)
    page = client.get(reverse("exercises:entry", args=[for_therapist.pk])).content.decode()
    assert "Temperature reading" in page and "Update sharing" not in page
    assert client.get(reverse("exercises:entry", args=[partner_only.pk])).status_code == 404
    assert client.get(reverse("exercises:entry_update", args=[for_therapist.pk])).status_code == 404
    # Every look is on the partners' record; the partner-only entry left no trace there.
    looks = list(couple.therapist_views.values_list("what", flat=True))
    assert looks and all(for_therapist.title in what for what in looks)
    assert "Daily temperature reading by Alice" in looks[0]


def test_an_exercise_page_keeps_its_query_count_with_hundreds_of_entries(
    couple: Couple,
    alice: User,
    bob: User,
    client_for: ClientFor,
    django_assert_max_num_queries: DjangoAssertNumQueries,
) -> None:
    from .bulk import bulk_entries

    client = client_for(bob)
    url = reverse("exercises:kind", args=["request"])
    bulk_entries(alice, couple, 25, visibility=Visibility.PARTNER, kind=Kind.REQUEST)
    client.get(url)
    with django_assert_max_num_queries(12) as few:
        client.get(url)
    bulk_entries(alice, couple, 300, visibility=Visibility.PARTNER, kind=Kind.REQUEST)
    bulk_entries(bob, couple, 200, visibility=Visibility.PRIVATE, kind=Kind.REQUEST)
    with django_assert_max_num_queries(12) as many:
        response = client.get(url)
    assert "Page 1 of 27" in response.content.decode()
    assert len(many.captured_queries) == len(few.captured_queries)

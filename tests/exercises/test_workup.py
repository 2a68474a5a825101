from __future__ import annotations

from django.urls import reverse

from couples.models import Couple, User
from exercises.models import Caretaker, Entry, Kind, Visibility

from .conftest import ClientFor, create_entry, rows, valid_data

HX = {"HX-Request": "true"}
NEW = reverse("exercises:entry_create", args=["workup"])


def test_the_imago_statement_is_composed_from_the_most_influential_caretaker(
    couple: Couple, alice: User, client_for: ClientFor
) -> None:
    entry = create_entry(alice, Kind.WORKUP)
    statement = entry.workup.imago_statement()
    assert statement == (
        "I am drawn to someone who is warm and funny, and also anxious and critical. "
        "What I long for from them is to be seen for who I am. "
        "What I react to most is being compared."
    )
    page = client_for(alice).get(reverse("exercises:entry", args=[entry.pk])).content.decode()
    assert "Your imago" in page and "I am drawn to someone who is warm and funny" in page


def test_without_a_most_influential_mark_every_caretaker_counts(alice: User) -> None:
    entry = create_entry(alice, Kind.WORKUP, **{"rows-0-most_influential": ""})
    statement = entry.workup.imago_statement()
    assert "warm, funny and steady, and also anxious, critical and distant" in statement
    assert "to be seen for who I am and his time" in statement


def test_a_workup_is_private_by_default_and_clearly_labelled(
    couple: Couple, alice: User, bob: User, client_for: ClientFor
) -> None:
    form = client_for(alice).get(reverse("exercises:kind", args=["workup"])).content.decode()
    assert "Private by default" in form
    response = client_for(alice).post(NEW, valid_data("workup"), headers=HX)
    assert "Childhood exploration · private" in response.content.decode()
    entry = Entry.objects.get()
    assert entry.visibility == Visibility.PRIVATE
    assert client_for(bob).get(reverse("exercises:entry", args=[entry.pk])).status_code == 404


def test_a_shared_workup_shows_the_partner_the_imago(
    couple: Couple, alice: User, bob: User, client_for: ClientFor
) -> None:
    entry = create_entry(alice, Kind.WORKUP, Visibility.PARTNER)
    page = client_for(bob).get(reverse("exercises:entry", args=[entry.pk])).content.decode()
    assert "Alice's imago" in page and "I am drawn to someone" in page


def test_a_caretaker_needs_a_name_and_traits_and_the_input_is_kept(
    couple: Couple, alice: User, client_for: ClientFor
) -> None:
    data = valid_data(
        "workup",
        **rows([{"name": "", "positive_traits": "gentle", "negative_traits": "", "wanted": "x"}]),
    )
    body = client_for(alice).post(NEW, data, headers=HX).content.decode()
    assert body.count("This field is required.") == 2
    assert 'value="gentle"' in body
    assert not Caretaker.objects.exists()


def test_markup_typed_into_a_workup_is_shown_as_text(
    couple: Couple, alice: User, client_for: ClientFor
) -> None:
    entry = create_entry(
        alice, Kind.WORKUP, **{"rows-0-positive_traits": "<script>alert(1)</script>"}
    )
    page = client_for(alice).get(reverse("exercises:entry", args=[entry.pk])).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page

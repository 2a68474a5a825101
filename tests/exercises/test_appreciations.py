from __future__ import annotations

from django.urls import reverse

from couples.models import Couple, User
from exercises.models import Entry, Kind, Visibility

from .conftest import ClientFor, create_entry, valid_data

HX = {"HX-Request": "true"}
NEW = reverse("exercises:entry_create", args=["appreciation"])


def test_an_inline_create_returns_a_fresh_form_and_the_new_card(
    couple: Couple, alice: User, client_for: ClientFor
) -> None:
    response = client_for(alice).post(NEW, valid_data("appreciation", visibility="1"), headers=HX)
    body = response.content.decode()
    entry = Entry.objects.get()
    assert entry.kind == Kind.APPRECIATION and entry.visibility == Visibility.PARTNER
    assert entry.title == "I appreciate the way you make tea in the morning"
    assert 'hx-swap-oob="afterbegin:#entries"' in body
    assert f'id="entry-{entry.pk}"' in body
    assert "Saved:" in body and "<html" not in body


def test_without_javascript_a_create_redirects_to_the_exercise_page(
    couple: Couple, alice: User, client_for: ClientFor
) -> None:
    response = client_for(alice).post(NEW, valid_data("appreciation"), follow=True)
    assert response.redirect_chain[-1][0] == reverse("exercises:kind", args=["appreciation"])
    assert "the way you make tea" in response.content.decode()


def test_missing_fields_are_refused_with_messages_and_the_input_is_kept(
    couple: Couple, alice: User, client_for: ClientFor
) -> None:
    data = valid_data("appreciation", because="", feeling="")
    response = client_for(alice).post(NEW, data, headers=HX)
    body = response.content.decode()
    assert body.count("This field is required.") == 2
    assert "the way you make tea in the morning" in body
    assert not Entry.objects.exists()


def test_an_overlong_appreciation_is_refused_with_the_limit(
    couple: Couple, alice: User, client_for: ClientFor
) -> None:
    response = client_for(alice).post(NEW, valid_data("appreciation", appreciate="x" * 501))
    body = response.content.decode()
    assert "at most 500 characters" in body
    assert "x" * 501 in body
    assert not Entry.objects.exists()


def test_the_author_edits_inline_and_the_title_follows(
    couple: Couple, alice: User, client_for: ClientFor
) -> None:
    entry = create_entry(alice, Kind.APPRECIATION, Visibility.PARTNER)
    client = client_for(alice)
    url = reverse("exercises:entry_update", args=[entry.pk])
    form = client.get(url, headers=HX).content.decode()
    assert "Save changes" in form and "the way you make tea" in form
    response = client.post(url, valid_data("appreciation", appreciate="your patience"), headers=HX)
    assert "I appreciate your patience" in response.content.decode()
    entry.refresh_from_db()
    assert entry.appreciation.appreciate == "your patience"
    assert entry.title == "I appreciate your patience"


def test_an_invalid_edit_keeps_the_input_and_changes_nothing(
    couple: Couple, alice: User, client_for: ClientFor
) -> None:
    entry = create_entry(alice, Kind.APPRECIATION)
    url = reverse("exercises:entry_update", args=[entry.pk])
    response = client_for(alice).post(
        url, valid_data("appreciation", appreciate="", because="a new reason"), headers=HX
    )
    body = response.content.decode()
    assert "This field is required." in body and "a new reason" in body
    entry.appreciation.refresh_from_db()
    assert entry.appreciation.because == "it tells me you think of me first"


def test_delete_asks_for_confirmation_first(
    couple: Couple, alice: User, bob: User, client_for: ClientFor
) -> None:
    entry = create_entry(alice, Kind.APPRECIATION, Visibility.PARTNER)
    client = client_for(alice)
    url = reverse("exercises:entry_delete", args=[entry.pk])
    confirm = client.get(url, headers=HX).content.decode()
    assert "Yes, delete it" in confirm and "Your partner won't see it any more" in confirm
    assert Entry.objects.filter(pk=entry.pk).exists()
    response = client.post(url, headers=HX)
    assert "Deleted:" in response.content.decode()
    assert not Entry.objects.filter(pk=entry.pk).exists()
    assert client_for(bob).get(reverse("exercises:entry", args=[entry.pk])).status_code == 404


def test_the_partner_says_thank_you_and_both_see_it(
    couple: Couple, alice: User, bob: User, client_for: ClientFor
) -> None:
    entry = create_entry(alice, Kind.APPRECIATION, Visibility.PARTNER)
    response = client_for(bob).post(
        reverse("exercises:appreciation_acknowledge", args=[entry.pk]), headers=HX
    )
    assert "You said thank you" in response.content.decode()
    alice_page = client_for(alice).get(reverse("exercises:entry", args=[entry.pk])).content.decode()
    assert "Your partner said thank you" in alice_page


def test_thanking_twice_is_refused_and_changes_nothing(
    couple: Couple, alice: User, bob: User, client_for: ClientFor
) -> None:
    entry = create_entry(alice, Kind.APPRECIATION, Visibility.PARTNER)
    url = reverse("exercises:appreciation_acknowledge", args=[entry.pk])
    client_for(bob).post(url)
    first = Entry.objects.get(pk=entry.pk).appreciation.acknowledged_at
    response = client_for(bob).post(url, headers=HX)
    assert "already thanked" in response.content.decode()
    assert Entry.objects.get(pk=entry.pk).appreciation.acknowledged_at == first


def test_the_author_cannot_thank_themselves(
    couple: Couple, alice: User, client_for: ClientFor
) -> None:
    entry = create_entry(alice, Kind.APPRECIATION, Visibility.PARTNER)
    response = client_for(alice).post(
        reverse("exercises:appreciation_acknowledge", args=[entry.pk]), follow=True
    )
    assert "your partner is the one to answer it" in response.content.decode()
    entry.appreciation.refresh_from_db()
    assert entry.appreciation.acknowledged_at is None


def test_the_partner_list_shows_shared_appreciations_only(
    couple: Couple, alice: User, bob: User, client_for: ClientFor
) -> None:
    create_entry(alice, Kind.APPRECIATION, Visibility.PARTNER, appreciate="your laugh")
    create_entry(alice, Kind.APPRECIATION, Visibility.PRIVATE, appreciate="your secret recipe")
    page = client_for(bob).get(reverse("exercises:kind", args=["appreciation"])).content.decode()
    assert "your laugh" in page
    assert "your secret recipe" not in page

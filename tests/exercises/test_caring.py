from __future__ import annotations

from datetime import timedelta

from django.urls import reverse
from django.utils import timezone

from couples.models import Couple, User
from exercises.models import CaringGift, CaringItem, CaringList, Kind, Visibility

from .conftest import ClientFor, create_entry, rows, valid_data

HX = {"HX-Request": "true"}
NEW = reverse("exercises:entry_create", args=["caring"])


def test_three_lists_with_ratings_are_saved_and_grouped(
    couple: Couple, alice: User, client_for: ClientFor
) -> None:
    response = client_for(alice).post(NEW, valid_data("caring"), headers=HX)
    body = response.content.decode()
    items = CaringItem.objects.order_by("id")
    assert [(i.category, i.rating) for i in items] == [("now", 5), ("past", 4), ("future", 3)]
    assert "I feel loved and cared about when you…" in body
    assert "I used to feel loved when you…" in body and "I would feel loved if you…" in body
    assert "Caring behaviors: 3 items" in body


def test_a_rating_out_of_range_is_refused_and_the_list_is_kept(
    couple: Couple, alice: User, client_for: ClientFor
) -> None:
    data = valid_data("caring", **{"rows-1-rating": "9"})
    body = client_for(alice).post(NEW, data, headers=HX).content.decode()
    assert "Select a valid choice. 9 is not one of the available choices." in body
    assert "bring me coffee in bed" in body and "leave notes in my bag" in body
    assert not CaringList.objects.exists()


def test_an_empty_list_is_refused(couple: Couple, alice: User, client_for: ClientFor) -> None:
    data = valid_data("caring", **rows([{"category": "now", "text": "", "rating": "3"}]))
    body = client_for(alice).post(NEW, data, headers=HX).content.decode()
    assert "Add at least 1 caring behavior." in body
    assert not CaringList.objects.exists()


def test_editing_keeps_items_and_their_gift_history(
    couple: Couple, alice: User, bob: User, client_for: ClientFor
) -> None:
    entry = create_entry(alice, Kind.CARING, Visibility.PARTNER)
    first = entry.caring.items.get(text="bring me coffee in bed")
    CaringGift.objects.create(item=first, giver=bob, given_on=timezone.localdate())
    items = list(entry.caring.items.order_by("id"))
    data = {"note": "updated", **rows(
        [{"id": i.pk, "category": i.category, "text": i.text, "rating": i.rating} for i in items]
        + [{"category": "now", "text": "hold my hand", "rating": "2"}],
        initial=3,
    )}  # fmt: skip
    data["rows-2-DELETE"] = "on"
    client_for(alice).post(reverse("exercises:entry_update", args=[entry.pk]), data)
    assert set(entry.caring.items.values_list("text", flat=True)) == {
        "bring me coffee in bed",
        "leave notes in my bag",
        "hold my hand",
    }
    assert first.gifts.count() == 1


def test_the_partner_sets_an_item_aside_and_logs_gifts_shown_in_both_week_views(
    couple: Couple, alice: User, bob: User, client_for: ClientFor
) -> None:
    entry = create_entry(alice, Kind.CARING, Visibility.PARTNER)
    coffee = entry.caring.items.get(category="now")
    picnic = entry.caring.items.get(category="future")
    bob_client = client_for(bob)
    aside = bob_client.post(
        reverse("exercises:caring_item_set_aside", args=[picnic.pk]), {"aside": "1"}, headers=HX
    )
    assert "Not for now" in aside.content.decode() and "Take it back up" in aside.content.decode()
    given = bob_client.post(
        reverse("exercises:caring_gift_log", args=[coffee.pk]),
        {"given_on": timezone.localdate().isoformat()},
        headers=HX,
    )
    assert "given 1 time" in given.content.decode()
    refused = bob_client.post(
        reverse("exercises:caring_gift_log", args=[picnic.pk]),
        {"given_on": timezone.localdate().isoformat()},
        headers=HX,
    )
    assert "set this one aside" in refused.content.decode()
    for user, column in ((alice, "By Bob"), (bob, "By you")):
        page = client_for(user).get(reverse("exercises:kind", args=["caring"])).content.decode()
        assert column in page
        week = page.split('class="week"')[1].split("</table>")[0]
        assert '<span class="gift">bring me coffee in bed</span>' in week


def test_a_gift_logged_twice_the_same_day_or_in_the_future_is_refused(
    couple: Couple, alice: User, bob: User, client_for: ClientFor
) -> None:
    entry = create_entry(alice, Kind.CARING, Visibility.PARTNER)
    item = entry.caring.items.first()
    url = reverse("exercises:caring_gift_log", args=[item.pk])
    today = timezone.localdate()
    client_for(bob).post(url, {"given_on": today.isoformat()})
    again = client_for(bob).post(url, {"given_on": today.isoformat()}, headers=HX)
    assert "already logged this one for that day" in again.content.decode()
    future = client_for(bob).post(
        url, {"given_on": (today + timedelta(days=1)).isoformat()}, headers=HX
    )
    assert "isn&#x27;t in the future" in future.content.decode()
    assert CaringGift.objects.count() == 1


def test_the_author_cannot_log_gifts_on_their_own_list_and_outsiders_get_404(
    couple: Couple, alice: User, mallory: User, mallory_couple: Couple, client_for: ClientFor
) -> None:
    entry = create_entry(alice, Kind.CARING, Visibility.PARTNER)
    item = entry.caring.items.first()
    url = reverse("exercises:caring_gift_log", args=[item.pk])
    own = client_for(alice).post(url, {"given_on": timezone.localdate().isoformat()}, headers=HX)
    assert "your partner is the one to answer it" in own.content.decode()
    assert client_for(mallory).post(url, {"given_on": "2026-01-01"}).status_code == 404
    set_aside = reverse("exercises:caring_item_set_aside", args=[item.pk])
    assert client_for(mallory).post(set_aside, {"aside": "1"}).status_code == 404
    assert not CaringGift.objects.exists()
    item.refresh_from_db()
    assert item.set_aside_at is None


def test_a_private_list_cannot_be_acted_on_by_the_partner(
    couple: Couple, alice: User, bob: User, client_for: ClientFor
) -> None:
    entry = create_entry(alice, Kind.CARING)
    item = entry.caring.items.first()
    response = client_for(bob).post(reverse("exercises:caring_item_set_aside", args=[item.pk]))
    assert response.status_code == 404

"""Exercises tell the partner that something happened — an appreciation shared, a request
answered — and never what it says; a private entry tells no one it exists."""

from __future__ import annotations

from couples.models import Couple, Notification, NotificationKind, User
from couples.notifications import notification_text
from exercises.models import Visibility
from exercises.services import (
    entry_delete,
    entry_set_visibility,
    request_choose_gift,
    request_decline_all,
)

from .conftest import ClientFor, create_entry


def _notices(user: User) -> list[str]:
    return [notification_text(n) for n in Notification.objects.for_recipient(user)]


def test_a_shared_appreciation_tells_the_partner_without_its_words(
    couple: Couple, alice: User, bob: User, client_for: ClientFor
) -> None:
    entry = create_entry(alice, "appreciation", Visibility.PARTNER, appreciate="your warm hands")

    assert _notices(bob) == ["Alice wrote you an appreciation"]
    assert "warm hands" not in client_for(bob).get("/").content.decode().split("<main")[0]
    assert _notices(alice) == []
    notification = Notification.objects.get(recipient=bob)
    assert notification.url == f"/exercises/entry/{entry.pk}/"


def test_a_private_appreciation_tells_no_one_until_it_is_shared(
    couple: Couple, alice: User, bob: User
) -> None:
    entry = create_entry(alice, "appreciation", Visibility.PRIVATE)
    assert _notices(bob) == []

    entry_set_visibility(entry=entry, by=alice, visibility=Visibility.PARTNER)
    assert _notices(bob) == ["Alice wrote you an appreciation"]

    # Sharing it further (with the therapist too) is not news for Bob.
    entry_set_visibility(entry=entry, by=alice, visibility=Visibility.THERAPIST)
    assert len(_notices(bob)) == 1


def test_making_it_private_again_or_deleting_it_takes_the_notice_away(
    couple: Couple, alice: User, bob: User
) -> None:
    first = create_entry(alice, "appreciation", Visibility.PARTNER)
    second = create_entry(alice, "appreciation", Visibility.PARTNER)
    assert len(_notices(bob)) == 2

    entry_set_visibility(entry=first, by=alice, visibility=Visibility.PRIVATE)
    entry_delete(entry=second, by=alice)

    assert _notices(bob) == []


def test_opening_the_entry_marks_its_notice_read(
    couple: Couple, alice: User, bob: User, client_for: ClientFor
) -> None:
    entry = create_entry(alice, "appreciation", Visibility.PARTNER)

    client_for(bob).get(f"/exercises/entry/{entry.pk}/")

    assert Notification.objects.get(recipient=bob).read_at is not None


def test_choosing_a_gift_or_declining_tells_the_one_who_asked(
    couple: Couple, alice: User, bob: User
) -> None:
    chosen = create_entry(alice, "request", Visibility.PARTNER)
    declined = create_entry(alice, "request", Visibility.PARTNER)

    request_choose_gift(entry=chosen, by=bob, item_id=chosen.request.items.first().pk)
    request_decline_all(entry=declined, by=bob)

    assert _notices(alice) == ["Bob answered your request", "Bob answered your request"]
    assert {n.kind for n in Notification.objects.filter(recipient=alice)} == {
        NotificationKind.REQUEST_ANSWERED
    }

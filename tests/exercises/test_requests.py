from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from couples.models import Couple, User
from exercises.models import ChangeRequest, FollowThrough, Kind, RequestItem, Visibility

from .conftest import ClientFor, create_entry, rows, valid_data

HX = {"HX-Request": "true"}
NEW = reverse("exercises:entry_create", args=["request"])


def _requests(*items: tuple[str, str, str]) -> dict[str, object]:
    return valid_data(
        "request",
        **rows([{"what": w, "when": n, "duration_days": d} for w, n, d in items]),
    )


def test_a_request_needs_exactly_three_filled_requests(
    couple: Couple, alice: User, client_for: ClientFor
) -> None:
    data = _requests(
        ("Text me when you leave work", "on weekdays", "14"), ("", "", ""), ("", "", "")
    )
    body = client_for(alice).post(NEW, data, headers=HX).content.decode()
    assert "This field is required." in body
    assert "Write all three requests" in body
    assert "Text me when you leave work" in body
    assert not ChangeRequest.objects.exists()


def test_a_duplicate_request_is_refused(couple: Couple, alice: User, client_for: ClientFor) -> None:
    data = _requests(
        ("Text me when you leave work", "on weekdays", "14"),
        ("text me  when you LEAVE work", "daily", "7"),
        ("Call me at lunch", "twice a week", "21"),
    )
    body = client_for(alice).post(NEW, data, headers=HX).content.decode()
    assert "The same request appears twice" in body
    assert not ChangeRequest.objects.exists()


def test_negative_wording_and_endless_durations_are_refused_with_guidance(
    couple: Couple, alice: User, client_for: ClientFor
) -> None:
    data = _requests(
        ("Don't shout at me", "always", "14"),
        ("Call me at lunch", "twice a week", "365"),
        ("Tell me your plans", "every morning", "7"),
    )
    body = client_for(alice).post(NEW, data, headers=HX).content.decode()
    assert "not what to stop" in body
    assert "less than or equal to 90" in body
    assert "Don&#x27;t shout at me" in body  # kept, escaped
    assert not ChangeRequest.objects.exists()


def test_the_partner_chooses_one_gift_and_both_see_the_status(
    couple: Couple, alice: User, bob: User, client_for: ClientFor
) -> None:
    entry = create_entry(alice, Kind.REQUEST, Visibility.PARTNER)
    item = entry.request.items.get(what="Call me at lunch")
    response = client_for(bob).post(
        reverse("exercises:request_choose_gift", args=[entry.pk]), {"item": item.pk}, headers=HX
    )
    assert "Chosen as a gift" in response.content.decode()
    item.refresh_from_db()
    assert item.ends_on == timezone.localdate() + timedelta(days=20)
    alice_page = client_for(alice).get(reverse("exercises:entry", args=[entry.pk])).content.decode()
    assert "A gift is in progress" in alice_page


def test_choosing_a_second_gift_is_refused_and_changes_nothing(
    couple: Couple, alice: User, bob: User, client_for: ClientFor
) -> None:
    entry = create_entry(alice, Kind.REQUEST, Visibility.PARTNER)
    first, second, _ = entry.request.items.all()
    url = reverse("exercises:request_choose_gift", args=[entry.pk])
    client_for(bob).post(url, {"item": first.pk})
    response = client_for(bob).post(url, {"item": second.pk}, headers=HX)
    assert "already been answered" in response.content.decode()
    assert list(RequestItem.objects.filter(chosen_at__isnull=False)) == [first]
    decline = client_for(bob).post(
        reverse("exercises:request_decline_all", args=[entry.pk]), headers=HX
    )
    assert "already been answered" in decline.content.decode()
    assert ChangeRequest.objects.get().declined_at is None


def test_declining_all_three_is_allowed_and_shown_to_both(
    couple: Couple, alice: User, bob: User, client_for: ClientFor
) -> None:
    entry = create_entry(alice, Kind.REQUEST, Visibility.PARTNER)
    response = client_for(bob).post(
        reverse("exercises:request_decline_all", args=[entry.pk]), headers=HX
    )
    assert "Declined, for now" in response.content.decode()
    alice_page = client_for(alice).get(reverse("exercises:entry", args=[entry.pk])).content.decode()
    assert "Declined, for now" in alice_page


def test_a_gift_id_from_another_request_is_refused(
    couple: Couple, alice: User, bob: User, client_for: ClientFor
) -> None:
    entry = create_entry(alice, Kind.REQUEST, Visibility.PARTNER)
    other = create_entry(alice, Kind.REQUEST, Visibility.PARTNER)
    foreign = other.request.items.first()
    response = client_for(bob).post(
        reverse("exercises:request_choose_gift", args=[entry.pk]), {"item": foreign.pk}, headers=HX
    )
    assert "Choose one of the three requests" in response.content.decode()
    assert not RequestItem.objects.filter(chosen_at__isnull=False).exists()


@pytest.mark.parametrize("item", ["²", "", "1.5", "-1", "9" * 30])
def test_a_malformed_gift_id_is_refused_with_a_message(
    item: str, couple: Couple, alice: User, bob: User, client_for: ClientFor
) -> None:
    entry = create_entry(alice, Kind.REQUEST, Visibility.PARTNER)
    response = client_for(bob).post(
        reverse("exercises:request_choose_gift", args=[entry.pk]), {"item": item}, headers=HX
    )
    assert response.status_code in (200, 400)
    assert "Choose one of the three requests" in response.content.decode()
    assert not RequestItem.objects.filter(chosen_at__isnull=False).exists()


def test_the_author_cannot_answer_their_own_request(
    couple: Couple, alice: User, client_for: ClientFor
) -> None:
    entry = create_entry(alice, Kind.REQUEST, Visibility.PARTNER)
    item = entry.request.items.first()
    client_for(alice).post(
        reverse("exercises:request_choose_gift", args=[entry.pk]), {"item": item.pk}
    )
    client_for(alice).post(reverse("exercises:request_decline_all", args=[entry.pk]))
    request = ChangeRequest.objects.get()
    assert request.status() == ChangeRequest.Status.WAITING


def test_a_private_request_is_a_draft_the_partner_cannot_answer(
    couple: Couple, alice: User, bob: User, client_for: ClientFor
) -> None:
    entry = create_entry(alice, Kind.REQUEST)
    item = entry.request.items.first()
    url = reverse("exercises:request_choose_gift", args=[entry.pk])
    assert client_for(bob).post(url, {"item": item.pk}).status_code == 404
    assert entry.request.status() == ChangeRequest.Status.DRAFT


def test_both_partners_log_follow_through_until_the_end_date(
    couple: Couple, alice: User, bob: User, client_for: ClientFor
) -> None:
    entry = create_entry(alice, Kind.REQUEST, Visibility.PARTNER)
    item = entry.request.items.get(what="Tell me your plans each morning")
    client_for(bob).post(
        reverse("exercises:request_choose_gift", args=[entry.pk]), {"item": item.pk}
    )
    url = reverse("exercises:request_log_followthrough", args=[entry.pk])
    today = timezone.localdate()
    client_for(bob).post(url, {"done_on": today.isoformat(), "note": "told her over breakfast"})
    response = client_for(alice).post(url, {"done_on": today.isoformat()}, headers=HX)
    body = response.content.decode()
    assert "told her over breakfast" in body and "you" in body
    assert FollowThrough.objects.count() == 2
    late = client_for(bob).post(
        url, {"done_on": (today + timedelta(days=10)).isoformat()}, headers=HX
    )
    assert "future" in late.content.decode()
    again = client_for(bob).post(url, {"done_on": today.isoformat()}, headers=HX)
    assert "already logged that day" in again.content.decode()
    assert FollowThrough.objects.count() == 2


def test_follow_through_before_a_gift_is_chosen_is_refused(
    couple: Couple, alice: User, client_for: ClientFor
) -> None:
    entry = create_entry(alice, Kind.REQUEST, Visibility.PARTNER)
    response = client_for(alice).post(
        reverse("exercises:request_log_followthrough", args=[entry.pk]),
        {"done_on": timezone.localdate().isoformat()},
        headers=HX,
    )
    assert "No gift has been chosen" in response.content.decode()
    assert not FollowThrough.objects.exists()


def test_an_answered_request_can_no_longer_be_edited(
    couple: Couple, alice: User, bob: User, client_for: ClientFor
) -> None:
    entry = create_entry(alice, Kind.REQUEST, Visibility.PARTNER)
    client_for(bob).post(reverse("exercises:request_decline_all", args=[entry.pk]))
    url = reverse("exercises:entry_update", args=[entry.pk])
    response = client_for(alice).post(url, valid_data("request", desire="changed"), follow=True)
    assert "be changed any more" in response.content.decode()
    assert ChangeRequest.objects.get().desire != "changed"


def test_the_partner_sees_a_waiting_request_on_the_overview(
    couple: Couple, alice: User, bob: User, client_for: ClientFor
) -> None:
    entry = create_entry(alice, Kind.REQUEST, Visibility.PARTNER)
    page = client_for(bob).get(reverse("exercises:home")).content.decode()
    assert "Alice sent you a behavior change request" in page
    assert reverse("exercises:entry", args=[entry.pk]) in page
    alice_page = client_for(alice).get(reverse("exercises:home")).content.decode()
    assert "sent you a behavior change request" not in alice_page

from __future__ import annotations

from django.urls import reverse

from couples.models import Couple, User
from exercises.models import Entry, Kind, Visibility, Vision, VisionItem, VisionResponse

from .conftest import ClientFor, create_entry, rows, valid_data

HX = {"HX-Request": "true"}
NEW = reverse("exercises:entry_create", args=["vision"])
MERGE = reverse("exercises:vision_merge")
SHARED = reverse("exercises:vision_shared")


def _vision(user: User, *statements: str, visibility: int = Visibility.PARTNER) -> Entry:
    return create_entry(
        user,
        Kind.VISION,
        visibility,
        **rows([{"statement": s, "importance": "4"} for s in statements]),
    )


def test_statements_must_be_positive_present_tense_we_statements(
    couple: Couple, alice: User, client_for: ClientFor
) -> None:
    data = valid_data(
        "vision",
        **rows(
            [
                {"statement": "We don't fight", "importance": "3"},
                {"statement": "I feel safe", "importance": "3"},
                {"statement": "We travel every year", "importance": "7"},
            ]
        ),
    )
    body = client_for(alice).post(NEW, data, headers=HX).content.decode()
    assert "not what you avoid" in body
    assert "Begin with “We”" in body
    assert "7 is not one of the available choices" in body
    assert "We don&#x27;t fight" in body and "I feel safe" in body
    assert not Vision.objects.exists()


def test_the_merge_waits_until_both_have_written_and_shared(
    couple: Couple, alice: User, bob: User, client_for: ClientFor
) -> None:
    _vision(alice, "We settle our differences calmly")
    _vision(bob, "We cook together", visibility=Visibility.PRIVATE)
    page = client_for(alice).get(MERGE).content.decode()
    assert "once you have both written a vision" in page
    response = client_for(alice).post(MERGE, {})
    assert "once you have both written" in response.content.decode()
    assert not VisionResponse.objects.exists()


def test_the_shared_vision_keeps_items_both_accept_with_both_ratings(
    couple: Couple, alice: User, bob: User, client_for: ClientFor
) -> None:
    alice_entry = _vision(alice, "We settle our differences calmly", "We dance on Sundays")
    bob_entry = _vision(bob, "We cook together", "We save money")
    calmly, dance = alice_entry.vision.items.order_by("id")
    cook, save = bob_entry.vision.items.order_by("id")
    # Alice accepts one of Bob's, leaves the other out.
    response = client_for(alice).post(
        MERGE, {f"accept_{cook.pk}": "on", f"importance_{cook.pk}": "5"}, follow=True
    )
    assert "You accepted 1 of your partner" in response.content.decode()
    client_for(bob).post(MERGE, {f"accept_{calmly.pk}": "on", f"importance_{calmly.pk}": "2"})
    for user in (alice, bob):
        page = client_for(user).get(SHARED).content.decode()
        assert "We settle our differences calmly" in page and "We cook together" in page
        assert "We dance on Sundays" not in page and "We save money" not in page
        assert "Alice: 4/5" in page and "Bob: 2/5" in page  # both ratings of Alice's statement
        assert "Bob: 4/5" in page and "Alice: 5/5" in page


def test_a_statement_can_be_accepted_before_it_is_rated_and_rated_later(
    couple: Couple, alice: User, bob: User, client_for: ClientFor
) -> None:
    _vision(alice, "We settle our differences calmly")
    bob_items = list(_vision(bob, "We cook together").vision.items.all())
    cook = bob_items[0]
    response = client_for(alice).post(MERGE, {f"accept_{cook.pk}": "on"}, follow=True)
    assert "You accepted 1 of your partner&#x27;s statements." in response.content.decode()
    saved = VisionResponse.objects.get(item=cook, user=alice)
    assert saved.accepted and saved.importance is None
    page = client_for(bob).get(reverse("exercises:vision_shared")).content.decode()
    assert "We cook together" in page and "Alice: not rated yet" in page
    client_for(alice).post(MERGE, {f"accept_{cook.pk}": "on", f"importance_{cook.pk}": "4"})
    assert VisionResponse.objects.get(item=cook, user=alice).importance == 4


def test_an_importance_outside_one_to_five_is_refused_and_changes_nothing(
    couple: Couple, alice: User, bob: User, client_for: ClientFor
) -> None:
    _vision(alice, "We settle our differences calmly")
    cook = _vision(bob, "We cook together").vision.items.get()
    body = (
        client_for(alice)
        .post(MERGE, {f"accept_{cook.pk}": "on", f"importance_{cook.pk}": "9"})
        .content.decode()
    )
    assert "Select a valid choice" in body
    assert not VisionResponse.objects.exists()


def test_a_statement_id_from_outside_the_partners_vision_is_ignored(
    couple: Couple,
    alice: User,
    bob: User,
    mallory: User,
    mallory_couple: Couple,
    client_for: ClientFor,
) -> None:
    _vision(alice, "We settle our differences calmly")
    _vision(bob, "We cook together")
    foreign = _vision(mallory, "We garden").vision.items.get()
    client_for(alice).post(MERGE, {f"accept_{foreign.pk}": "on", f"importance_{foreign.pk}": "5"})
    assert not VisionResponse.objects.filter(item=foreign).exists()
    assert "We garden" not in client_for(alice).get(SHARED).content.decode()


def test_each_partner_rates_how_true_a_shared_statement_is_now(
    couple: Couple, alice: User, bob: User, client_for: ClientFor
) -> None:
    item = _vision(alice, "We settle our differences calmly").vision.items.get()
    _vision(bob, "We cook together")
    client_for(bob).post(MERGE, {f"accept_{item.pk}": "on", f"importance_{item.pk}": "3"})
    client_for(alice).post(reverse("exercises:vision_rate_truth", args=[item.pk]), {"truth": "2"})
    client_for(bob).post(reverse("exercises:vision_rate_truth", args=[item.pk]), {"truth": "4"})
    page = client_for(alice).get(SHARED).content.decode()
    assert "True now for Alice: 2/5" in page and "True now for Bob: 4/5" in page
    bad = client_for(bob).post(
        reverse("exercises:vision_rate_truth", args=[item.pk]), {"truth": "9"}, follow=True
    )
    assert "from 1 to 5" in bad.content.decode()
    assert VisionResponse.objects.get(item=item, user=bob).truth == 4


def test_an_outsider_cannot_rate_a_couples_statement(
    couple: Couple,
    alice: User,
    bob: User,
    mallory: User,
    mallory_couple: Couple,
    client_for: ClientFor,
) -> None:
    item = _vision(alice, "We settle our differences calmly").vision.items.get()
    _vision(bob, "We cook together")
    client_for(bob).post(MERGE, {f"accept_{item.pk}": "on", f"importance_{item.pk}": "3"})
    response = client_for(mallory).post(
        reverse("exercises:vision_rate_truth", args=[item.pk]), {"truth": "1"}
    )
    assert response.status_code == 404
    assert not VisionResponse.objects.filter(user=mallory).exists()


def test_a_statement_not_yet_accepted_cannot_be_rated(
    couple: Couple, alice: User, bob: User, client_for: ClientFor
) -> None:
    item = _vision(alice, "We settle our differences calmly").vision.items.get()
    _vision(bob, "We cook together")
    response = client_for(bob).post(
        reverse("exercises:vision_rate_truth", args=[item.pk]), {"truth": "5"}, follow=True
    )
    assert "isn&#x27;t part of your shared vision" in response.content.decode()
    assert not VisionResponse.objects.exists()


def test_the_shared_vision_page_is_printable_and_needs_a_couple(
    couple: Couple, alice: User, mallory: User, client_for: ClientFor
) -> None:
    page = client_for(alice).get(SHARED).content.decode()
    assert "Our shared vision" in page and "no-print" in page
    assert client_for(mallory).get(SHARED).status_code == 404  # no couple, nothing to show
    assert VisionItem.objects.count() == 0


def test_rewording_a_statement_asks_the_partner_again(
    couple: Couple, alice: User, bob: User, client_for: ClientFor
) -> None:
    from .conftest import current_data

    entry = _vision(alice, "We settle our differences calmly", "We dance on Sundays")
    calmly, dance = entry.vision.items.order_by("id")
    _vision(bob, "We cook together")
    client_for(bob).post(
        MERGE,
        {
            f"accept_{calmly.pk}": "on",
            f"importance_{calmly.pk}": "3",
            f"accept_{dance.pk}": "on",
            f"importance_{dance.pk}": "3",
        },
    )
    data = current_data(entry)
    row = next(k for k, v in data.items() if v == "We dance on Sundays")
    data[row] = "We dance every Saturday"
    client_for(alice).post(reverse("exercises:entry_update", args=[entry.pk]), data)
    page = client_for(alice).get(SHARED).content.decode()
    assert "We settle our differences calmly" in page
    assert "We dance every Saturday" not in page
    assert "1 of Alice" in client_for(bob).get(reverse("exercises:home")).content.decode()

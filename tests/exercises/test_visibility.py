from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from couples.models import Couple, User
from couples.services import couple_leave, therapist_link_revoke
from exercises.models import Entry, Kind, Visibility

from .conftest import ClientFor, create_entry, valid_data

HX = {"HX-Request": "true"}


def _entry_urls(entry: Entry) -> list[tuple[str, str]]:
    pk = entry.pk
    return [
        ("get", reverse("exercises:entry", args=[pk])),
        ("get", reverse("exercises:entry_update", args=[pk])),
        ("post", reverse("exercises:entry_update", args=[pk])),
        ("get", reverse("exercises:entry_delete", args=[pk])),
        ("post", reverse("exercises:entry_delete", args=[pk])),
        ("post", reverse("exercises:entry_set_visibility", args=[pk])),
        ("post", reverse("exercises:appreciation_acknowledge", args=[pk])),
        ("post", reverse("exercises:request_choose_gift", args=[pk])),
        ("post", reverse("exercises:request_decline_all", args=[pk])),
        ("post", reverse("exercises:request_log_followthrough", args=[pk])),
    ]


def test_a_new_entry_is_private_by_default(
    couple: Couple, alice: User, bob: User, client_for: ClientFor
) -> None:
    response = client_for(alice).post(
        reverse("exercises:entry_create", args=["appreciation"]),
        valid_data("appreciation"),
    )
    assert response.status_code == 302
    entry = Entry.objects.get()
    assert entry.visibility == Visibility.PRIVATE
    assert entry.couple == couple
    assert not Entry.objects.visible_to(bob).exists()


@pytest.mark.parametrize("kind", list(Kind.values))
def test_the_partner_gets_404_for_a_private_entry_everywhere(
    kind: str, couple: Couple, alice: User, bob: User, client_for: ClientFor
) -> None:
    entry = create_entry(alice, kind)
    client = client_for(bob)
    for method, url in _entry_urls(entry):
        assert getattr(client, method)(url).status_code == 404, url
    assert Entry.objects.filter(pk=entry.pk, visibility=Visibility.PRIVATE).exists()


@pytest.mark.parametrize("kind", list(Kind.values))
def test_an_outsider_gets_404_for_a_shared_entry_everywhere(
    kind: str,
    couple: Couple,
    alice: User,
    mallory: User,
    mallory_couple: Couple,
    client_for: ClientFor,
) -> None:
    entry = create_entry(alice, kind, Visibility.THERAPIST)
    client = client_for(mallory)
    for method, url in _entry_urls(entry):
        assert getattr(client, method)(url, {"visibility": "0", "item": "1"}).status_code == 404
    assert entry.title not in client.get(reverse("exercises:history")).content.decode()
    assert entry.title not in client.get(reverse("exercises:kind", args=[kind])).content.decode()
    entry.refresh_from_db()
    assert entry.visibility == Visibility.THERAPIST


@pytest.mark.parametrize("kind", list(Kind.values))
def test_the_partner_reads_a_shared_entry_but_cannot_edit_delete_or_reshare_it(
    kind: str, couple: Couple, alice: User, bob: User, client_for: ClientFor
) -> None:
    entry = create_entry(alice, kind, Visibility.PARTNER)
    client = client_for(bob)
    page = client.get(reverse("exercises:entry", args=[entry.pk]))
    assert page.status_code == 200
    assert entry.title in page.content.decode()
    assert "Update sharing" not in page.content.decode()
    assert client.get(reverse("exercises:entry_update", args=[entry.pk])).status_code == 404
    assert client.post(reverse("exercises:entry_delete", args=[entry.pk])).status_code == 404
    assert (
        client.post(
            reverse("exercises:entry_set_visibility", args=[entry.pk]), {"visibility": "0"}
        ).status_code
        == 404
    )
    entry.refresh_from_db()
    assert entry.visibility == Visibility.PARTNER


def test_the_author_shares_and_unshares_and_the_partner_sees_exactly_that(
    couple: Couple, alice: User, bob: User, client_for: ClientFor
) -> None:
    entry = create_entry(alice, Kind.APPRECIATION)
    url = reverse("exercises:entry_set_visibility", args=[entry.pk])
    response = client_for(alice).post(url, {"visibility": "1"}, headers=HX)
    assert "Shared with partner" in response.content.decode()
    assert client_for(bob).get(reverse("exercises:entry", args=[entry.pk])).status_code == 200
    client_for(alice).post(url, {"visibility": "0"})
    assert client_for(bob).get(reverse("exercises:entry", args=[entry.pk])).status_code == 404


def test_the_therapist_sees_only_what_is_shared_with_the_therapist_while_consent_holds(
    couple: Couple, alice: User, carol_consented: User
) -> None:
    private = create_entry(alice, Kind.APPRECIATION, Visibility.PRIVATE)
    partner_only = create_entry(alice, Kind.TEMPERATURE, Visibility.PARTNER)
    for_therapist = create_entry(alice, Kind.REQUEST, Visibility.THERAPIST)
    visible = set(Entry.objects.visible_to(carol_consented))
    assert visible == {for_therapist}
    assert private not in visible and partner_only not in visible
    therapist_link_revoke(link=couple.therapist_links.get(), by=alice)
    assert not Entry.objects.visible_to(carol_consented).exists()


def test_a_therapist_without_both_consents_sees_nothing(
    couple: Couple, alice: User, carol: User, client_for: ClientFor
) -> None:
    from couples.services import therapist_link_create

    therapist_link_create(couple=couple, therapist=carol, by=alice)  # bob has not consented
    entry = create_entry(alice, Kind.APPRECIATION, Visibility.THERAPIST)
    assert not Entry.objects.visible_to(carol).exists()
    assert client_for(carol).get(reverse("exercises:entry", args=[entry.pk])).status_code == 404


def test_someone_without_a_couple_writes_private_entries_but_cannot_share(
    alice: User, client_for: ClientFor
) -> None:
    client = client_for(alice)
    url = reverse("exercises:entry_create", args=["appreciation"])
    response = client.post(url, valid_data("appreciation", visibility="1"), headers=HX)
    body = response.content.decode()
    assert "only share with a partner you" in body
    assert "the way you make tea in the morning" in body  # nothing typed is lost
    assert not Entry.objects.exists()
    client.post(url, valid_data("appreciation", visibility="0"))
    entry = Entry.objects.get()
    assert entry.couple is None and entry.visibility == Visibility.PRIVATE


def test_an_ended_couples_shared_entries_stay_readable_but_read_only(
    couple: Couple, alice: User, bob: User, client_for: ClientFor
) -> None:
    entry = create_entry(alice, Kind.APPRECIATION, Visibility.PARTNER)
    private = create_entry(alice, Kind.APPRECIATION)
    couple_leave(couple=couple, user=bob)
    bob_client = client_for(bob)
    page = bob_client.get(reverse("exercises:entry", args=[entry.pk])).content.decode()
    assert entry.title in page and "Thank you" not in page.split("</blockquote>")[1]
    response = bob_client.post(
        reverse("exercises:appreciation_acknowledge", args=[entry.pk]), headers=HX
    )
    assert "couple has ended" in response.content.decode()
    entry.appreciation.refresh_from_db()
    assert entry.appreciation.acknowledged_at is None
    # Alice can't share further or edit, but can make it private or delete it.
    alice_client = client_for(alice)
    response = alice_client.post(
        reverse("exercises:entry_set_visibility", args=[private.pk]),
        {"visibility": "1"},
        headers=HX,
    )
    assert "couple has ended" in response.content.decode()
    assert alice_client.get(reverse("exercises:entry_update", args=[entry.pk])).status_code == 302
    alice_client.post(
        reverse("exercises:entry_set_visibility", args=[entry.pk]), {"visibility": "0"}
    )
    assert bob_client.get(reverse("exercises:entry", args=[entry.pk])).status_code == 404


def test_anonymous_visitors_are_sent_to_log_in(client: Client, couple: Couple, alice: User) -> None:
    entry = create_entry(alice, Kind.APPRECIATION, Visibility.PARTNER)
    for url in [
        reverse("exercises:home"),
        reverse("exercises:entry", args=[entry.pk]),
        reverse("exercises:export_json"),
    ]:
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response["Location"]


def test_an_unknown_exercise_kind_is_404(alice: User, client_for: ClientFor) -> None:
    assert client_for(alice).get("/exercises/gossip/").status_code == 404


def test_an_entry_written_while_single_can_be_shared_once_paired(
    alice: User, bob: User, client_for: ClientFor
) -> None:
    from tests.conftest import pair

    entry = create_entry(alice, Kind.APPRECIATION)
    assert entry.couple is None
    pair(alice, bob)
    client_for(alice).post(
        reverse("exercises:entry_set_visibility", args=[entry.pk]), {"visibility": "1"}
    )
    assert client_for(bob).get(reverse("exercises:entry", args=[entry.pk])).status_code == 200


def test_a_therapists_look_at_an_exercise_list_is_recorded_for_the_couple(
    couple: Couple, alice: User, carol_consented: User, client_for: ClientFor
) -> None:
    create_entry(alice, Kind.APPRECIATION, Visibility.THERAPIST)
    page = client_for(carol_consented).get(reverse("exercises:kind", args=["appreciation"]))
    assert page.status_code == 200
    assert list(couple.therapist_views.values_list("what", flat=True)) == [
        "Appreciations: a page of the list"
    ]

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from couples.access import couple_access_role
from couples.models import Couple, TherapistLink, User

pytestmark = pytest.mark.django_db

ClientFor = Callable[[User], Client]


def _link(client: Client, couple: Couple, email: str) -> object:
    return client.post(
        reverse("couples:therapist_link_create", args=[couple.pk]), {"email": email}, follow=True
    )


def test_both_partners_must_consent_before_the_therapist_sees_the_couple(
    client_for: ClientFor, couple: Couple, alice: User, bob: User, carol: User
) -> None:
    response = _link(client_for(alice), couple, "CAROL@example.com")
    assert "waiting for Bob to consent" in response.content.decode()
    assert "Alice &amp; Bob" not in client_for(carol).get("/").content.decode()
    assert couple_access_role(couple=couple, user=carol) is None

    bob_client = client_for(bob)
    assert (
        "I consent"
        in bob_client.get(reverse("couples:couple_detail", args=[couple.pk])).content.decode()
    )
    bob_client.post(reverse("couples:therapist_consent_give", args=[couple.pk]))
    assert couple_access_role(couple=couple, user=carol) == "therapist"
    assert "Alice &amp; Bob" in client_for(carol).get("/").content.decode()


def test_either_partner_ends_the_therapists_access_at_once(
    client_for: ClientFor, couple: Couple, bob: User, carol_consented: User
) -> None:
    client_for(bob).post(reverse("couples:therapist_link_revoke", args=[couple.pk]))
    assert couple_access_role(couple=couple, user=carol_consented) is None
    assert TherapistLink.objects.get().revoked_by == bob
    assert "Alice &amp; Bob" not in client_for(carol_consented).get("/").content.decode()


def test_linking_an_address_that_is_not_a_therapist_is_refused(
    client_for: ClientFor, couple: Couple, alice: User, mallory: User
) -> None:
    for email in ("nobody@example.com", "mallory@example.com"):
        response = _link(client_for(alice), couple, email)
        assert response.status_code == 400
        assert "No therapist account uses that address" in response.content.decode()
    assert not TherapistLink.objects.exists()


def test_an_outsider_cannot_link_consent_or_revoke_on_another_couple(
    client_for: ClientFor, couple: Couple, carol_consented: User, mallory: User
) -> None:
    client = client_for(mallory)
    for name in (
        "couples:therapist_link_create",
        "couples:therapist_consent_give",
        "couples:therapist_link_revoke",
    ):
        response = client.post(reverse(name, args=[couple.pk]), {"email": "carol@example.com"})
        assert response.status_code == 404
    assert couple_access_role(couple=couple, user=carol_consented) == "therapist"


def test_the_therapist_cannot_consent_for_a_partner(
    client_for: ClientFor, couple: Couple, alice: User, carol: User
) -> None:
    _link(client_for(alice), couple, "carol@example.com")
    response = client_for(carol).post(reverse("couples:therapist_consent_give", args=[couple.pk]))
    assert response.status_code == 404
    assert couple_access_role(couple=couple, user=carol) is None

"""Every invitation, therapist-link and consent action, tried on every state: each answers with a
clear message and changes nothing it should not (never a 500)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from couples.models import Couple, Invitation, TherapistConsent, TherapistLink, User
from couples.services import (
    couple_leave,
    invitation_accept,
    invitation_create,
    invitation_revoke,
    therapist_link_create,
)
from tests.conftest import make_user

pytestmark = pytest.mark.django_db

ClientFor = Callable[[User], Client]


def _invitation_in(state: str, alice: User) -> Invitation:
    invitation = invitation_create(inviter=alice)
    if state == "expired":
        Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now())
    elif state == "revoked":
        invitation_revoke(invitation=invitation, by=alice)
    elif state == "used":
        invitation_accept(user=make_user("dan@example.com", "Dan"), token=invitation.token)
    invitation.refresh_from_db()
    assert invitation.status == state
    return invitation


def _messages(response: object) -> str:
    return " ".join(str(message) for message in response.context["messages"])


REVOKE_MESSAGES = {
    "pending": "Invitation revoked. The link and the code no longer work.",
    "expired": "This invitation has already expired: nobody can use it.",
    "revoked": "This invitation was already revoked.",
    "used": "This invitation was already accepted, so it can&#x27;t be revoked.",
}


@pytest.mark.parametrize("state", ["pending", "expired", "revoked", "used"])
def test_revoking_an_invitation_in_any_state_answers_with_a_clear_message(
    client_for: ClientFor, alice: User, state: str
) -> None:
    invitation = _invitation_in(state, alice)
    before = Invitation.objects.values().get(pk=invitation.pk)
    response = client_for(alice).post(
        reverse("couples:invitation_revoke", args=[invitation.pk]), follow=True
    )
    assert response.status_code == 200
    assert REVOKE_MESSAGES[state] in response.content.decode()
    after = Invitation.objects.values().get(pk=invitation.pk)
    if state == "pending":
        assert after["revoked_at"] is not None
    else:
        assert after == before


ACCEPT_MESSAGES = {
    "expired": "This invitation has expired. Ask your partner for a new one.",
    "revoked": "This invitation was revoked. Ask your partner for a new one.",
    "used": "This invitation has already been used.",
}


@pytest.mark.parametrize("state", ["expired", "revoked", "used"])
@pytest.mark.parametrize("how", ["link", "code"])
def test_accepting_a_dead_invitation_by_link_or_code_is_refused_clearly(
    client_for: ClientFor, alice: User, bob: User, state: str, how: str
) -> None:
    invitation = _invitation_in(state, alice)
    couples_before = Couple.objects.count()
    client = client_for(bob)
    if how == "link":
        response = client.post(
            reverse("couples:join_by_link", args=[invitation.token]), follow=True
        )
        assert response.status_code == 200
    else:
        response = client.post(reverse("couples:join_by_code"), {"code": invitation.code})
        assert response.status_code == 400
    assert ACCEPT_MESSAGES[state].replace("'", "&#x27;") in response.content.decode()
    assert Couple.objects.count() == couples_before
    assert not bob.memberships.exists()


JOIN_PAGE_TEXT = {
    "pending": "Alice invited you",
    "expired": "This invitation is expired.",
    "revoked": "This invitation is revoked.",
    "used": "This invitation is accepted.",
}


@pytest.mark.parametrize("state", ["pending", "expired", "revoked", "used"])
def test_the_join_page_names_the_state_of_the_invitation(
    client_for: ClientFor, alice: User, bob: User, state: str
) -> None:
    invitation = _invitation_in(state, alice)
    response = client_for(bob).get(reverse("couples:join_by_link", args=[invitation.token]))
    assert response.status_code == 200
    assert JOIN_PAGE_TEXT[state] in response.content.decode()


def test_someone_elses_invitation_cannot_be_revoked_in_any_state(
    client_for: ClientFor, alice: User, mallory: User
) -> None:
    for state in ("pending", "expired", "revoked"):
        invitation = _invitation_in(state, alice)
        before = Invitation.objects.values().get(pk=invitation.pk)
        response = client_for(mallory).post(
            reverse("couples:invitation_revoke", args=[invitation.pk])
        )
        assert response.status_code == 404
        assert Invitation.objects.values().get(pk=invitation.pk) == before


# --- Therapist link and consent ----------------------------------------------------------------


def _detail(client: Client, couple: Couple, name: str, data: dict | None = None) -> object:
    return client.post(reverse(name, args=[couple.pk]), data or {}, follow=True)


def test_consenting_twice_says_so_and_adds_nothing(
    client_for: ClientFor, couple: Couple, alice: User, carol: User
) -> None:
    therapist_link_create(couple=couple, therapist=carol, by=alice)
    response = _detail(client_for(alice), couple, "couples:therapist_consent_give")
    assert response.status_code == 200
    assert "You have already consented to this therapist." in _messages(response)
    assert TherapistConsent.objects.count() == 1


def test_consenting_after_the_link_was_revoked_says_there_is_no_link(
    client_for: ClientFor, couple: Couple, alice: User, bob: User, carol: User
) -> None:
    therapist_link_create(couple=couple, therapist=carol, by=alice)
    _detail(client_for(alice), couple, "couples:therapist_link_revoke")
    response = _detail(client_for(bob), couple, "couples:therapist_consent_give")
    assert response.status_code == 200
    assert "Your couple has no therapist link right now: nothing changed." in _messages(response)
    assert TherapistConsent.objects.filter(partner=bob).count() == 0


def test_revoking_a_link_twice_says_there_is_no_link_and_keeps_the_first_revoker(
    client_for: ClientFor, couple: Couple, alice: User, bob: User, carol_consented: User
) -> None:
    _detail(client_for(alice), couple, "couples:therapist_link_revoke")
    response = _detail(client_for(bob), couple, "couples:therapist_link_revoke")
    assert response.status_code == 200
    assert "Your couple has no therapist link right now: nothing changed." in _messages(response)
    assert TherapistLink.objects.get().revoked_by == alice


def test_revoking_a_revoked_link_in_the_service_is_refused_clearly(
    couple: Couple, alice: User, bob: User, carol_consented: User
) -> None:
    from couples.services import CoupleError, therapist_link_revoke

    link = TherapistLink.objects.get()
    therapist_link_revoke(link=link, by=alice)
    with pytest.raises(CoupleError, match="already revoked"):
        therapist_link_revoke(link=link, by=bob)
    assert TherapistLink.objects.get().revoked_by == alice


def test_consent_or_revoke_without_any_link_says_there_is_no_link(
    client_for: ClientFor, couple: Couple, alice: User
) -> None:
    for name in ("couples:therapist_consent_give", "couples:therapist_link_revoke"):
        response = _detail(client_for(alice), couple, name)
        assert response.status_code == 200
        assert "Your couple has no therapist link right now" in _messages(response)


def test_linking_a_second_therapist_while_one_is_live_is_refused(
    client_for: ClientFor, couple: Couple, alice: User, carol_consented: User
) -> None:
    make_user("dora@example.com", "Dora", User.Role.THERAPIST, "Counsellor")
    response = _detail(
        client_for(alice), couple, "couples:therapist_link_create", {"email": "dora@example.com"}
    )
    assert response.status_code == 200
    assert "Your couple is already linked to a therapist. Revoke that first." in _messages(response)
    assert TherapistLink.objects.count() == 1


def test_a_non_member_cannot_consent_link_or_revoke(
    client_for: ClientFor, couple: Couple, alice: User, carol: User, mallory: User
) -> None:
    therapist_link_create(couple=couple, therapist=carol, by=alice)
    for name in (
        "couples:therapist_consent_give",
        "couples:therapist_link_revoke",
        "couples:therapist_link_create",
    ):
        for person in (mallory, carol):
            response = client_for(person).post(
                reverse(name, args=[couple.pk]), {"email": "carol@example.com"}
            )
            assert response.status_code == 404
    assert TherapistConsent.objects.count() == 1
    assert TherapistLink.objects.get().revoked_at is None


def test_after_the_couple_ended_no_link_or_consent_can_be_made(
    client_for: ClientFor, couple: Couple, alice: User, bob: User, carol: User
) -> None:
    therapist_link_create(couple=couple, therapist=carol, by=alice)
    couple_leave(couple=couple, user=alice)
    response = _detail(client_for(bob), couple, "couples:therapist_consent_give")
    assert "This therapist link is no longer open." in _messages(response)
    assert TherapistConsent.objects.count() == 1
    TherapistLink.objects.update(revoked_at=timezone.now())
    response = _detail(
        client_for(bob), couple, "couples:therapist_link_create", {"email": "carol@example.com"}
    )
    assert response.status_code == 200
    assert "Only a partner of an active couple can link a therapist." in _messages(response)
    assert TherapistLink.objects.filter(revoked_at__isnull=True).count() == 0

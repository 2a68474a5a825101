from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from django.core import mail
from django.db import IntegrityError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from couples.access import active_couple_for, is_active_member
from couples.models import Couple, Invitation, Membership, User
from couples.services import CoupleError, invitation_accept, invitation_create

pytestmark = pytest.mark.django_db

ClientFor = Callable[[User], Client]


def _invite(client: Client) -> Invitation:
    client.post(reverse("couples:invitation_create"))
    return Invitation.objects.latest("created_at")


def test_partner_creates_an_invitation_with_a_link_and_a_short_code(
    client_for: ClientFor, alice: User
) -> None:
    client = client_for(alice)
    invitation = _invite(client)
    body = client.get("/").content.decode()
    assert invitation.code in body
    assert reverse("couples:join_by_link", args=[invitation.token]) in body
    assert len(invitation.token) >= 40 and len(invitation.code.replace("-", "")) == 8
    assert invitation.expires_at - invitation.created_at == timedelta(days=7)


def test_the_invitation_expiry_names_its_time_zone(
    client_for: ClientFor, alice: User, settings: object
) -> None:
    settings.TIME_ZONE = "Europe/Paris"
    client = client_for(alice)
    invitation = _invite(client)
    # A winter date still ahead, whenever the test runs (a past one shows no invitation).
    Invitation.objects.filter(pk=invitation.pk).update(
        expires_at=datetime(datetime.now(UTC).year + 1, 12, 2, 13, 40, tzinfo=UTC)
    )
    body = client.get("/").content.decode()
    assert "2 December, 14:40 CET</time>" in body


def test_invitation_codes_and_tokens_are_not_predictable(alice: User, bob: User) -> None:
    first, second = invitation_create(inviter=alice), invitation_create(inviter=bob)
    assert first.code != second.code and first.token != second.token


def test_a_new_invitation_replaces_the_pending_one(client_for: ClientFor, alice: User) -> None:
    client = client_for(alice)
    old, new = _invite(client), _invite(client)
    old.refresh_from_db()
    assert old.status == Invitation.Status.REVOKED and new.is_pending


def test_partner_accepts_by_code_and_both_see_the_couple(
    client_for: ClientFor, alice: User, bob: User
) -> None:
    invitation = _invite(client_for(alice))
    bob_client = client_for(bob)
    response = bob_client.post(reverse("couples:join_by_code"), {"code": invitation.code.lower()})
    assert response.status_code == 302
    couple = Couple.objects.get()
    assert set(couple.partners.all()) == {alice, bob}
    assert "You and Alice" in bob_client.get("/").content.decode()
    assert "You and Bob" in client_for(alice).get("/").content.decode()


def test_partner_accepts_by_link_after_confirming(
    client_for: ClientFor, alice: User, bob: User
) -> None:
    invitation = _invite(client_for(alice))
    bob_client = client_for(bob)
    url = reverse("couples:join_by_link", args=[invitation.token])
    assert "Alice invited you" in bob_client.get(url).content.decode()
    assert not Couple.objects.exists()  # looking is not accepting
    bob_client.post(url)
    assert is_active_member(couple=active_couple_for(bob), user=alice)


def test_a_new_user_following_the_link_signs_up_then_lands_back_on_it(
    client_for: ClientFor, alice: User, client: Client
) -> None:
    invitation = _invite(client_for(alice))
    url = reverse("couples:join_by_link", args=[invitation.token])
    response = client.get(url)
    assert response.url == f"{reverse('couples:signup')}?next={url}"
    password = "a quiet evening walk 42"
    response = client.post(
        response.url,
        {"email": "bob@example.com", "display_name": "Bob", "role": "partner", "next": url,
         "password1": password, "password2": password},
    )  # fmt: skip
    assert "Check your email" in response.content.decode()
    confirm = re.search(r"http://testserver(/accounts/signup/confirm/\S+)", mail.outbox[0].body)
    response = client.post(confirm.group(1))
    assert response.url == url
    client.post(url)
    assert Couple.objects.get().partners.count() == 2


def _refusal(user: User, **kwargs: str) -> str:
    with pytest.raises(CoupleError) as info:
        invitation_accept(user=user, **kwargs)
    return str(info.value)


def test_own_invitation_is_refused(alice: User) -> None:
    invitation = invitation_create(inviter=alice)
    assert "your own invitation" in _refusal(alice, code=invitation.code)
    assert not Couple.objects.exists()


def test_expired_invitation_is_refused(alice: User, bob: User) -> None:
    invitation = invitation_create(inviter=alice)
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now())
    assert "expired" in _refusal(bob, token=invitation.token)
    assert not Couple.objects.exists()


def test_revoked_invitation_is_refused(client_for: ClientFor, alice: User, bob: User) -> None:
    invitation = _invite(client_for(alice))
    client_for(alice).post(reverse("couples:invitation_revoke", args=[invitation.pk]))
    assert "revoked" in _refusal(bob, code=invitation.code)
    assert not Couple.objects.exists()


def test_used_invitation_is_refused(alice: User, bob: User, mallory: User) -> None:
    invitation = invitation_create(inviter=alice)
    invitation_accept(user=bob, token=invitation.token)
    assert "already been used" in _refusal(mallory, token=invitation.token)
    assert Couple.objects.get().partners.count() == 2


def test_wrong_code_is_refused_with_a_clear_message(client_for: ClientFor, bob: User) -> None:
    response = client_for(bob).post(reverse("couples:join_by_code"), {"code": "ZZZZ-ZZZZ"})
    assert response.status_code == 400
    assert "doesn&#x27;t match any invitation" in response.content.decode()
    assert 'value="ZZZZ-ZZZZ"' in response.content.decode()


def test_guessing_codes_is_stopped_after_ten_tries(alice: User, bob: User) -> None:
    invitation = invitation_create(inviter=alice)
    for attempt in range(10):
        _refusal(bob, code=f"AAAA-AA{attempt:02d}")
    assert "Too many wrong codes" in _refusal(bob, code=invitation.code)
    assert not Couple.objects.exists()


def test_accepting_while_already_in_a_couple_is_refused(
    couple: Couple, bob: User, mallory: User
) -> None:
    invitation = invitation_create(inviter=mallory)
    assert "already in a couple" in _refusal(bob, token=invitation.token)
    assert not Couple.objects.filter(memberships__user=mallory).exists()


def test_an_invitation_from_someone_now_in_a_couple_is_refused(
    alice: User, bob: User, mallory: User
) -> None:
    stale = invitation_create(inviter=alice)
    # Alice pairs with Mallory through Mallory's invitation; her own link must die with it.
    invitation_accept(user=alice, token=invitation_create(inviter=mallory).token)
    stale.refresh_from_db()
    assert stale.status == Invitation.Status.REVOKED
    assert "revoked" in _refusal(bob, token=stale.token)


def test_a_therapist_cannot_join_or_invite_as_a_partner(alice: User, carol: User) -> None:
    invitation = invitation_create(inviter=alice)
    assert "Therapist accounts" in _refusal(carol, token=invitation.token)
    with pytest.raises(CoupleError):
        invitation_create(inviter=carol)


def test_inviting_while_in_a_couple_is_refused(
    client_for: ClientFor, couple: Couple, alice: User
) -> None:
    response = client_for(alice).post(reverse("couples:invitation_create"), follow=True)
    assert "already in a couple" in response.content.decode()
    assert not Invitation.objects.filter(inviter=alice, accepted_at=None).exists()


def test_only_the_inviter_can_revoke(client_for: ClientFor, alice: User, mallory: User) -> None:
    invitation = invitation_create(inviter=alice)
    response = client_for(mallory).post(reverse("couples:invitation_revoke", args=[invitation.pk]))
    assert response.status_code == 404
    invitation.refresh_from_db()
    assert invitation.is_pending


def test_the_database_refuses_a_second_active_couple(couple: Couple, bob: User) -> None:
    other = Couple.objects.create()
    with pytest.raises(IntegrityError):
        Membership.objects.create(couple=other, user=bob)


def test_leaving_needs_confirmation(client_for: ClientFor, couple: Couple, alice: User) -> None:
    client = client_for(alice)
    url = reverse("couples:couple_leave", args=[couple.pk])
    assert "Leave the couple" in client.get(url).content.decode()
    client.post(url)  # no confirmation box
    couple.refresh_from_db()
    assert couple.is_active


def test_leaving_ends_the_couple_for_both_and_keeps_history_readable(
    client_for: ClientFor, couple: Couple, alice: User, bob: User
) -> None:
    client_for(alice).post(reverse("couples:couple_leave", args=[couple.pk]), {"confirm": "yes"})
    couple.refresh_from_db()
    assert not couple.is_active and couple.ended_by == alice
    assert active_couple_for(alice) is None and active_couple_for(bob) is None
    detail = client_for(bob).get(reverse("couples:couple_detail", args=[couple.pk]))
    assert detail.status_code == 200 and "read-only" in detail.content.decode()
    # Both are free to pair again.
    invitation_accept(user=bob, token=invitation_create(inviter=alice).token)


def test_an_outsider_gets_404_on_another_couples_pages(
    client_for: ClientFor, couple: Couple, mallory: User, mallory_couple: Couple
) -> None:
    client = client_for(mallory)
    for name in ("couples:couple_detail", "couples:couple_leave"):
        assert client.get(reverse(name, args=[couple.pk])).status_code == 404
    assert (
        client.post(
            reverse("couples:couple_leave", args=[couple.pk]), {"confirm": "yes"}
        ).status_code
        == 404
    )
    couple.refresh_from_db()
    assert couple.is_active


def test_a_therapist_gets_404_on_a_couple_without_consent(
    client_for: ClientFor, couple: Couple, carol: User
) -> None:
    assert (
        client_for(carol).get(reverse("couples:couple_detail", args=[couple.pk])).status_code == 404
    )


def test_anonymous_users_are_sent_to_login_from_couple_pages(
    client: Client, couple: Couple
) -> None:
    response = client.get(reverse("couples:couple_detail", args=[couple.pk]))
    assert response.status_code == 302 and "/accounts/login/" in response.url


def test_an_unknown_couple_id_shows_a_friendly_404(client_for: ClientFor, alice: User) -> None:
    response = client_for(alice).get("/couple/00000000-0000-0000-0000-000000000000/")
    assert response.status_code == 404
    assert "We couldn't find that page" in response.content.decode()


def test_joining_by_code_through_htmx_loads_the_home_page_once(
    client_for: ClientFor, alice: User, bob: User
) -> None:
    invitation = _invite(client_for(alice))
    bob_client = client_for(bob)
    response = bob_client.post(
        reverse("couples:join_by_code"), {"code": invitation.code}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert response["HX-Redirect"] == "/"
    assert response.content == b""
    page = bob_client.get("/").content.decode()
    assert page.count('<main id="main"') == 1 and "You and Alice" in page


def test_a_wrong_code_through_htmx_returns_only_the_join_card(
    client_for: ClientFor, bob: User
) -> None:
    response = client_for(bob).post(
        reverse("couples:join_by_code"), {"code": "ZZZZ-ZZZZ"}, HTTP_HX_REQUEST="true"
    )
    body = response.content.decode()
    assert body.lstrip().startswith('<section class="card" id="join"')
    assert "<main" not in body and "doesn&#x27;t match any invitation" in body

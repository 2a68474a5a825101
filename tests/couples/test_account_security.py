"""Accounts that reveal nothing about who has one, resets that cannot be used to flood an inbox,
a list of one's sessions with "log out everywhere else", and a record of security events."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.contrib.sessions.models import Session
from django.core import mail
from django.test import Client
from django.urls import reverse

from couples.clients import coarse_network, describe_device
from couples.models import AccountSession, SecurityEvent, User
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

ClientFor = Callable[[User], Client]
PHONE = "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Chrome/131.0 Mobile Safari/537.36"
LAPTOP = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    from django.core.cache import cache

    cache.clear()


def _reset(client: Client, email: str) -> object:
    return client.post(reverse("password_reset"), {"email": email}, follow=True)


def test_password_reset_answers_the_same_for_known_and_unknown_addresses(
    client: Client, alice: User
) -> None:
    known = _reset(Client(), "alice@example.com")
    unknown = _reset(Client(), "nobody@example.com")
    assert known.status_code == unknown.status_code == 200
    assert known.redirect_chain == unknown.redirect_chain
    assert "If an account uses that address" in unknown.content.decode()
    assert [message.to for message in mail.outbox] == [["alice@example.com"]]


def test_password_reset_is_throttled_per_address_whether_or_not_it_has_an_account(
    alice: User,
) -> None:
    for email in ("alice@example.com", "nobody@example.com"):
        answers = [
            Client(REMOTE_ADDR=f"198.51.100.{n}").post(reverse("password_reset"), {"email": email})
            for n in range(4)
        ]
        assert [answer.status_code for answer in answers] == [302, 302, 302, 429]
        assert "Too many reset requests" in answers[-1].content.decode()
    assert len(mail.outbox) == 3
    assert SecurityEvent.objects.filter(kind="password_reset_throttled").count() == 2


def test_password_reset_is_throttled_per_client(alice: User) -> None:
    client = Client(REMOTE_ADDR="203.0.113.9")
    answers = [
        client.post(reverse("password_reset"), {"email": f"person{n}@example.com"})
        for n in range(11)
    ]
    assert [answer.status_code for answer in answers] == [302] * 10 + [429]
    # Another client is not held back by this one.
    other = Client(REMOTE_ADDR="203.0.113.10").post(
        reverse("password_reset"), {"email": "alice@example.com"}
    )
    assert other.status_code == 302


def _log_in(user_agent: str, ip: str) -> Client:
    client = Client(HTTP_USER_AGENT=user_agent, REMOTE_ADDR=ip)
    response = client.post(
        reverse("login"), {"username": "alice@example.com", "password": PASSWORD}
    )
    assert response.status_code == 302
    return client


def test_my_sessions_list_shows_device_and_coarse_network_never_the_full_address(
    alice: User,
) -> None:
    phone = _log_in(PHONE, "198.51.100.23")
    _log_in(LAPTOP, "2001:db8:1234:5678::1")
    body = phone.get(reverse("couples:account")).content.decode()
    assert "Chrome on Android" in body and "(this one)" in body
    assert "Firefox on Linux" in body
    assert "198.51.100.0/24" in body and "2001:db8:1234::/48" in body
    assert "198.51.100.23" not in body and "5678" not in body


def test_logging_out_everywhere_else_ends_every_other_session_and_keeps_this_one(
    alice: User, bob: User
) -> None:
    phone = _log_in(PHONE, "198.51.100.23")
    laptop = _log_in(LAPTOP, "198.51.100.24")
    tablet = _log_in(LAPTOP, "198.51.100.25")
    bobs = Client()
    bobs.force_login(bob)
    bobs.get("/")
    response = phone.post(reverse("couples:account_sessions_end_others"), follow=True)
    assert "Logged out everywhere else (2 sessions ended)." in response.content.decode()
    for other in (laptop, tablet):
        assert other.get("/dialogues/").status_code == 302  # sent to log in
    assert phone.get("/dialogues/").status_code == 200
    assert bobs.get("/dialogues/").status_code == 200
    assert AccountSession.objects.filter(user=alice).count() == 1
    assert SecurityEvent.objects.filter(kind="sessions_ended", user=alice).count() == 1


def test_a_session_list_shows_only_my_own_live_sessions(alice: User, bob: User) -> None:
    mine = _log_in(PHONE, "198.51.100.23")
    bobs = Client(HTTP_USER_AGENT=LAPTOP)
    bobs.force_login(bob)
    bobs.get("/")
    ended = _log_in(LAPTOP, "198.51.100.99")
    ended.post(reverse("logout"))
    body = mine.get(reverse("couples:account")).content.decode()
    assert body.count("<tr><td>") == 1
    assert "198.51.100.0/24" in body and "Firefox" not in body


def test_changing_the_password_ends_the_other_sessions(alice: User) -> None:
    phone = _log_in(PHONE, "198.51.100.23")
    laptop = _log_in(LAPTOP, "198.51.100.24")
    new = "a long walk by the river 7"
    phone.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
    )
    assert phone.get("/dialogues/").status_code == 200
    assert laptop.get("/dialogues/").status_code == 302
    assert Session.objects.count() == 1


def test_logins_and_failed_logins_are_recorded_for_staff(alice: User) -> None:
    client = Client(REMOTE_ADDR="198.51.100.23")
    client.post(reverse("login"), {"username": "alice@example.com", "password": "wrong"})
    client.post(reverse("login"), {"username": "alice@example.com", "password": PASSWORD})
    events = list(SecurityEvent.objects.order_by("at").values_list("kind", "email", "ip_coarse"))
    assert events == [
        ("login_failed", "alice@example.com", "198.51.100.0/24"),
        ("login", "alice@example.com", "198.51.100.0/24"),
    ]
    staff = Client()
    staff.force_login(User.objects.create_superuser("sam@example.com", "pw", display_name="Sam"))
    page = staff.get("/admin/couples/securityevent/").content.decode()
    assert "Failed login" in page and "Logged in" in page


def test_devices_and_networks_are_described_coarsely() -> None:
    assert describe_device(PHONE) == "Chrome on Android"
    assert describe_device(LAPTOP) == "Firefox on Linux"
    assert describe_device("") == "Unknown browser"
    assert coarse_network("198.51.100.23") == "198.51.100.0/24"
    assert coarse_network("2001:db8:1234:5678::1") == "2001:db8:1234::/48"
    assert coarse_network("not an address") == ""


def test_consents_given_and_revoked_are_recorded_for_staff(
    client_for: ClientFor, alice: User, bob: User, carol: User
) -> None:
    from couples.services import (
        therapist_consent_give,
        therapist_link_create,
        therapist_link_revoke,
    )
    from tests.conftest import pair

    couple = pair(alice, bob)
    link = therapist_link_create(couple=couple, therapist=carol, by=alice)
    therapist_consent_give(link=link, partner=bob)
    therapist_link_revoke(link=link, by=bob)
    events = list(SecurityEvent.objects.order_by("at", "pk").values_list("kind", "user__email"))
    assert events == [
        ("consent_given", "alice@example.com"),
        ("consent_given", "bob@example.com"),
        ("consent_revoked", "bob@example.com"),
    ]

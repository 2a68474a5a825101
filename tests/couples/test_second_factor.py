"""Therapists sign in with a second factor (TOTP app + single-use recovery codes, django-otp)
before they can see any client data; partners may turn it on."""

from __future__ import annotations

import re
import time
from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from couples.models import Couple, SecurityEvent, User
from tests.conftest import PASSWORD
from tests.exercises.conftest import create_entry

pytestmark = pytest.mark.django_db

ClientFor = Callable[[User], Client]


def _code(device: TOTPDevice, offset: int = 0) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + offset
    return f"{totp.token():06d}"


def _log_in(user: User) -> Client:
    client = Client()
    response = client.post(reverse("login"), {"username": user.email, "password": PASSWORD})
    assert response.status_code == 302
    return client


def _set_up(client: Client) -> tuple[TOTPDevice, list[str]]:
    page = client.get(reverse("couples:mfa"))
    assert page.status_code == 200
    assert 'src="data:image/svg+xml;base64,' in page.content.decode()  # drawn here, no CDN
    device = TOTPDevice.objects.get(confirmed=False)
    response = client.post(reverse("couples:mfa"), {"token": _code(device)})
    assert response.status_code == 200
    codes = re.findall(r"<li><code>(\w+)</code></li>", response.content.decode())
    assert len(codes) == 10
    return device, codes


def test_a_therapist_without_a_second_factor_sees_no_client_data(
    couple: Couple, alice: User, carol_consented: User
) -> None:
    entry = create_entry(alice, "appreciation", visibility=2)
    client = _log_in(carol_consented)
    for path in ("/", "/dialogues/", "/exercises/", f"/exercises/entry/{entry.pk}/",
                 "/exercises/history/", reverse("couples:account")):  # fmt: skip
        response = client.get(path)
        assert response.status_code == 302, path
        assert response.url.startswith(reverse("couples:mfa")), path
    assert "the way you make tea" not in client.get("/exercises/", follow=True).content.decode()
    assert (
        "Therapist accounts need a second factor"
        in client.get(reverse("couples:mfa")).content.decode()
    )


def test_a_therapist_sets_up_totp_then_sees_client_data(
    couple: Couple, alice: User, carol_consented: User
) -> None:
    create_entry(alice, "appreciation", visibility=2)
    client = _log_in(carol_consented)
    _set_up(client)
    assert client.get("/exercises/").status_code == 200
    assert SecurityEvent.objects.filter(kind="mfa_enabled", user=carol_consented).exists()


def test_a_wrong_code_does_not_turn_the_second_factor_on(carol: User) -> None:
    client = _log_in(carol)
    client.get(reverse("couples:mfa"))
    response = client.post(reverse("couples:mfa"), {"token": "000000"})
    assert response.status_code == 400
    assert "didn&#x27;t match" in response.content.decode()
    assert not TOTPDevice.objects.filter(confirmed=True).exists()
    assert client.get("/").status_code == 302


def test_the_next_login_asks_for_the_code_and_refuses_a_wrong_one(
    couple: Couple, carol_consented: User
) -> None:
    device, _codes = _set_up(_log_in(carol_consented))
    client = _log_in(carol_consented)
    response = client.get("/exercises/")
    assert response.url.startswith(reverse("couples:mfa_verify"))
    wrong = client.post(reverse("couples:mfa_verify"), {"token": "123456"})
    assert wrong.status_code == 400
    assert client.get("/exercises/").status_code == 302
    assert SecurityEvent.objects.filter(kind="mfa_failed", user=carol_consented).count() == 1
    # django-otp refuses any code for a while after a wrong one; let that while pass.
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_count=0)
    right = client.post(
        reverse("couples:mfa_verify") + "?next=/exercises/",
        {"token": _code(device, 30), "next": "/exercises/"},
    )
    assert right.status_code == 302 and right.url == "/exercises/"
    assert client.get("/exercises/").status_code == 200


def test_a_recovery_code_works_once(carol: User) -> None:
    _device, codes = _set_up(_log_in(carol))
    first = _log_in(carol)
    assert first.post(reverse("couples:mfa_verify"), {"token": codes[0]}).status_code == 302
    assert first.get("/").status_code == 200
    second = _log_in(carol)
    assert second.post(reverse("couples:mfa_verify"), {"token": codes[0]}).status_code == 400
    assert second.get("/").status_code == 302
    used = SecurityEvent.objects.get(kind="recovery_code_used")
    assert used.detail == "9 recovery code(s) left"


def test_setting_up_the_second_factor_ends_sessions_opened_without_it(carol: User) -> None:
    earlier = _log_in(carol)
    _set_up(_log_in(carol))
    assert "Create an account" in earlier.get("/").content.decode()


def test_a_partner_may_turn_the_second_factor_on_and_off_a_therapist_may_not_turn_it_off(
    alice: User, carol: User
) -> None:
    client = _log_in(alice)
    assert client.get("/").status_code == 200  # optional for partners
    _set_up(client)
    later = _log_in(alice)
    assert later.get("/").url.startswith(reverse("couples:mfa_verify"))
    assert "Turn the second factor off" in client.get(reverse("couples:mfa")).content.decode()
    client.post(reverse("couples:mfa"), {"action": "disable"})
    assert not TOTPDevice.objects.filter(user=alice).exists()
    assert _log_in(alice).get("/").status_code == 200
    assert SecurityEvent.objects.filter(kind="mfa_disabled", user=alice).count() == 1

    therapist = _log_in(carol)
    _set_up(therapist)
    page = therapist.get(reverse("couples:mfa")).content.decode()
    assert "Turn the second factor off" not in page and "keep their second factor" in page
    therapist.post(reverse("couples:mfa"), {"action": "disable"})
    assert TOTPDevice.objects.filter(user=carol, confirmed=True).exists()


def test_renewing_recovery_codes_replaces_the_old_ones(alice: User) -> None:
    client = _log_in(alice)
    _device, old = _set_up(client)
    response = client.post(reverse("couples:mfa"), {"action": "renew"})
    new = re.findall(r"<li><code>(\w+)</code></li>", response.content.decode())
    assert len(new) == 10 and not set(new) & set(old)
    assert _log_in(alice).post(reverse("couples:mfa_verify"), {"token": old[1]}).status_code == 400
    assert SecurityEvent.objects.filter(kind="recovery_codes", user=alice).count() == 1

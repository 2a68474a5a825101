from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse

from couples.models import Couple, User
from tests.conftest import PASSWORD, make_user

pytestmark = pytest.mark.django_db

ClientFor = Callable[[User], Client]
NEW_PASSWORD = "a quiet evening walk 42"


def _signup(client: Client, **overrides: str) -> object:
    data = {
        "email": "dana@example.com",
        "display_name": "Dana",
        "role": "partner",
        "professional_title": "",
        "password1": NEW_PASSWORD,
        "password2": NEW_PASSWORD,
    }
    data.update(overrides)
    return client.post(reverse("couples:signup"), data)


def _confirm_link(message: object) -> str:
    return re.search(r"http://testserver(/accounts/signup/confirm/\S+)", message.body).group(1)


def test_signup_emails_a_link_that_activates_the_account_and_logs_in(client: Client) -> None:
    response = _signup(client, email="Dana@Example.com")
    assert response.status_code == 200
    assert "Check your email" in response.content.decode()
    user = User.objects.get(email="dana@example.com")
    assert user.display_name == "Dana" and user.role == User.Role.PARTNER
    assert not user.is_active
    assert "Create an account" in client.get("/").content.decode()
    link = _confirm_link(mail.outbox[0])
    assert "Confirm and log in" in client.get(link).content.decode()  # a GET changes nothing
    assert not User.objects.get(pk=user.pk).is_active
    client.post(link)
    assert User.objects.get(pk=user.pk).is_active
    assert "Hello, Dana" in client.get("/").content.decode()
    # The link works once.
    client.post(reverse("logout"))
    assert client.post(link).status_code == 400


def test_an_unconfirmed_account_cannot_log_in(client: Client) -> None:
    _signup(client)
    response = client.post(
        reverse("login"), {"username": "dana@example.com", "password": NEW_PASSWORD}
    )
    assert response.status_code == 200
    assert "Please enter a correct email address and password" in response.content.decode()


def test_signup_as_therapist_requires_a_professional_title(client: Client) -> None:
    response = _signup(client, role="therapist")
    assert response.status_code == 200
    assert "Therapists give their professional title" in response.content.decode()
    assert not User.objects.exists()
    _signup(client, role="therapist", professional_title="Imago therapist")
    assert User.objects.get().is_therapist


def test_signup_refuses_weak_passwords_and_keeps_what_was_typed(client: Client) -> None:
    response = _signup(client, password1="12345678", password2="12345678")
    body = response.content.decode()
    assert response.status_code == 200
    assert "too common" in body
    assert 'value="dana@example.com"' in body and 'value="Dana"' in body
    assert not User.objects.exists()


def test_signup_with_a_taken_email_answers_like_a_new_one_and_tells_the_owner(
    client: Client, alice: User
) -> None:
    taken = _signup(Client(), email="ALICE@example.com", display_name="Someone")
    fresh = _signup(Client(), email="zoe@example.com", display_name="Someone")
    assert taken.status_code == fresh.status_code == 200

    def page(response: object, email: str) -> str:
        body = response.content.decode().replace(email, "EMAIL")
        return re.sub(r'"x-csrftoken": "\w+"', "", body)

    assert page(taken, "alice@example.com") == page(fresh, "zoe@example.com")
    assert "already" not in taken.content.decode()
    assert User.objects.filter(email__iexact="alice@example.com").count() == 1
    alice.refresh_from_db()
    assert alice.display_name == "Alice" and alice.check_password(PASSWORD)
    to_alice = [message for message in mail.outbox if message.to == ["alice@example.com"]]
    assert len(to_alice) == 1
    assert "already has" in to_alice[0].body and "/accounts/password_reset/" in to_alice[0].body
    assert "/accounts/signup/confirm/" not in to_alice[0].body


def test_login_and_logout(client: Client, alice: User) -> None:
    response = client.post(
        reverse("login"), {"username": "alice@example.com", "password": PASSWORD}
    )
    assert response.status_code == 302
    assert "Hello, Alice" in client.get("/").content.decode()
    client.post(reverse("logout"))
    assert "Create an account" in client.get("/").content.decode()


def test_wrong_password_shows_a_clear_error(client: Client, alice: User) -> None:
    response = client.post(reverse("login"), {"username": "alice@example.com", "password": "nope"})
    assert response.status_code == 200
    assert "Please enter a correct email address and password" in response.content.decode()


def test_login_is_locked_after_repeated_failures_even_with_the_right_password(
    client: Client, alice: User
) -> None:
    for _ in range(5):
        client.post(reverse("login"), {"username": "alice@example.com", "password": "guess"})
    response = client.post(
        reverse("login"), {"username": "alice@example.com", "password": PASSWORD}
    )
    assert response.status_code == 429
    assert "Too many failed log-in attempts" in response.content.decode()
    assert "Hello, Alice" not in client.get("/").content.decode()


def test_password_change(client_for: ClientFor, alice: User) -> None:
    client = client_for(alice)
    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.check_password(NEW_PASSWORD)


def test_password_reset_by_email(client: Client, alice: User) -> None:
    client.post(reverse("password_reset"), {"email": "alice@example.com"})
    assert len(mail.outbox) == 1
    assert mail.outbox[0].subject == "Reset your Imago password"
    link = re.search(r"http://testserver(/accounts/reset/\S+)", mail.outbox[0].body).group(1)
    form_url = client.get(link).url  # Django swaps the token for a session-bound URL
    response = client.post(form_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert response.status_code == 302
    alice.refresh_from_db()
    assert alice.check_password(NEW_PASSWORD)
    # The link works once.
    assert "invalid or has already been used" in client.get(link, follow=True).content.decode()


def test_password_reset_does_not_reveal_unknown_addresses(client: Client) -> None:
    response = client.post(reverse("password_reset"), {"email": "nobody@example.com"}, follow=True)
    assert "If an account uses that address" in response.content.decode()
    assert mail.outbox == []


def test_anonymous_visitors_see_the_landing_page(client: Client) -> None:
    assert "Create an account" in client.get("/").content.decode()


@pytest.mark.parametrize("url", ["/dialogues/", "/exercises/", "/accounts/password_change/"])
def test_anonymous_users_are_redirected_to_login_from_private_pages(
    client: Client, url: str
) -> None:
    response = client.get(url)
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")


def test_every_page_has_the_quick_exit_and_safety_link(client: Client) -> None:
    body = client.get(reverse("couples:safety")).content.decode()
    assert 'id="quick-exit"' in body
    assert "Call your local emergency number" in body
    make_user("eve@example.com", "Eve")
    assert 'id="quick-exit"' in client.get(reverse("login")).content.decode()


def test_the_quick_exit_logs_out_and_leaves_for_a_neutral_page(
    client_for: ClientFor, alice: User, couple: Couple
) -> None:
    client = client_for(alice)
    home = client.get("/")
    assert "You and Bob" in home.content.decode()
    assert 'href="/leave/"' in home.content.decode()
    response = client.get(reverse("couples:quick_exit"))
    assert response.status_code == 302
    assert response.url == "https://www.google.com/search?q=weather+today"
    after = client.get("/")
    assert "You and Bob" not in after.content.decode()
    assert client.get(reverse("couples:account")).url.startswith("/accounts/login/")


def test_the_quick_exit_works_before_the_second_factor_and_for_nobody(client: Client) -> None:
    tina = make_user("tina@example.com", "Tina", User.Role.THERAPIST, "Imago therapist")
    client.force_login(tina)  # password given, second factor not yet
    response = client.get(reverse("couples:quick_exit"))
    assert response.url.startswith("https://www.google.com/")
    assert "_auth_user_id" not in client.session
    assert Client().get(reverse("couples:quick_exit")).url.startswith("https://www.google.com/")


def test_private_pages_are_never_stored_by_the_browser(
    client_for: ClientFor, alice: User, client: Client
) -> None:
    for path in ("/", reverse("couples:account"), reverse("exercises:home")):
        assert "no-store" in client_for(alice).get(path)["Cache-Control"], path
    assert "no-store" not in client.get(reverse("couples:safety")).get("Cache-Control", "")

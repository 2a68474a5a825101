from __future__ import annotations

import re

import pytest
from django.contrib.auth.tokens import default_token_generator
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from playwright.sync_api import Page, expect

from couples.models import Couple, User

pytestmark = pytest.mark.browser

PASSWORD = "a quiet evening walk 42"


def _sign_up(page: Page, email: str, name: str) -> None:
    page.goto("/accounts/signup/")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Your name, as your partner knows you").fill(name)
    page.get_by_label("Password:", exact=True).fill(PASSWORD)
    page.get_by_label("Password confirmation").fill(PASSWORD)
    page.get_by_role("button", name="Create my account").click()
    expect(page.get_by_role("heading", name="Check your email")).to_be_visible()
    # The emailed link (the live server's mail is not readable here; the token is the same).
    user = User.objects.get(email=email)
    uid = urlsafe_base64_encode(force_bytes(user.pk))
    page.goto(f"/accounts/signup/confirm/{uid}/{default_token_generator.make_token(user)}/")
    page.get_by_role("button", name="Confirm and log in").click()
    expect(page.get_by_role("heading", name=f"Hello, {name}")).to_be_visible()


def test_two_new_users_sign_up_and_pair_through_the_invite_code(
    browser: object, live_daphne: str
) -> None:
    contexts = [
        browser.new_context(base_url=live_daphne, viewport={"width": 360, "height": 740})
        for _ in range(2)
    ]
    alice, bob = (context.new_page() for context in contexts)
    _sign_up(alice, "alice@example.com", "Alice")
    _sign_up(bob, "bob@example.com", "Bob")

    alice.get_by_role("button", name="Create an invitation").click()
    code = alice.get_by_test_id("invite-code").inner_text()
    assert re.fullmatch(r"[A-Z2-9]{4}-[A-Z2-9]{4}", code)

    bob.get_by_label("Invitation code").fill(code.lower())
    bob.get_by_role("button", name="Join my partner").click()
    expect(bob.get_by_role("heading", name="You and Alice")).to_be_visible()
    # The home page replaced the old one whole: one page, not one inside the join card.
    expect(bob.locator("main")).to_have_count(1)
    expect(bob.get_by_role("heading", name="Got a code from your partner?")).to_have_count(0)

    alice.reload()
    expect(alice.get_by_role("heading", name="You and Bob")).to_be_visible()
    assert Couple.objects.get().partners.count() == 2
    # Nothing overflows sideways on a 360 px phone.
    assert alice.evaluate("document.documentElement.scrollWidth") <= 360


def test_a_wrong_code_shows_an_inline_error_and_keeps_the_input(
    browser: object, live_daphne: str
) -> None:
    page = browser.new_context(base_url=live_daphne).new_page()
    _sign_up(page, "bob@example.com", "Bob")
    page.get_by_label("Invitation code").fill("ABCD-EFGH")
    page.get_by_role("button", name="Join my partner").click()
    expect(page.get_by_text("doesn't match any invitation")).to_be_visible()
    expect(page.get_by_label("Invitation code")).to_have_value("ABCD-EFGH")
    assert not Couple.objects.exists()


def test_the_invitation_link_copies_with_one_button(browser: object, live_daphne: str) -> None:
    context = browser.new_context(
        base_url=live_daphne, permissions=["clipboard-read", "clipboard-write"]
    )
    page = context.new_page()
    _sign_up(page, "alice@example.com", "Alice")
    page.get_by_role("button", name="Create an invitation").click()
    page.get_by_role("button", name="Copy the link").click()
    expect(page.get_by_text("Link copied.")).to_be_visible()
    link = page.get_by_label("Link").input_value()
    assert "/join/" in link
    assert page.evaluate("navigator.clipboard.readText()") == link

"""The Content-Security-Policy allows no inline script or style; the main pages, their htmx swaps
and the live dialogue must run under it without a single violation."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from couples.models import Couple, User
from tests.exercises.conftest import create_entry

pytestmark = pytest.mark.browser

# An init script runs outside the page's CSP and records every violation the page reports.
LISTEN = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__violations.push(event.violatedDirective + " " + (event.blockedURI || "inline"));
});
"""


def _watch(page: Page) -> list[str]:
    errors: list[str] = []
    page.on(
        "console",
        lambda message: (
            errors.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.context.add_init_script(LISTEN)
    return errors


def _violations(page: Page) -> list[str]:
    return page.evaluate("window.__violations || []")


def test_the_main_pages_run_without_a_single_csp_violation(
    logged_in_page, browser, live_daphne: str, couple: Couple, alice: User, carol_consented: User
) -> None:
    create_entry(alice, "appreciation", visibility=2)

    anonymous = browser.new_context(base_url=live_daphne).new_page()
    anonymous_errors = _watch(anonymous)
    for path in ("/", "/accounts/login/", "/accounts/signup/", "/safety/", "/nowhere/"):
        anonymous.goto(path)
        assert _violations(anonymous) == [], path
    assert anonymous_errors == []

    page = logged_in_page(alice)
    errors = _watch(page)
    for path in ("/", f"/couple/{couple.pk}/", "/exercises/", "/exercises/history/",
                 "/exercises/appreciation/new/", "/exercises/caring/new/",
                 "/accounts/password_change/"):  # fmt: skip
        page.goto(path)
        expect(page.locator("main")).to_be_visible()
        assert _violations(page) == [], path

    # The live dialogue: websocket, htmx and room.js all under the policy.
    page.goto("/dialogues/")
    page.get_by_label("What would you like to talk about?").fill("the dishes")
    page.get_by_role("button", name="Start and ask for a time").click()
    expect(page.locator("#connection")).to_have_text("Live")
    page.get_by_role("button", name="Ask to talk now", exact=True).click()
    expect(page.locator("#transcript")).to_contain_text("Is now a good time?")
    assert _violations(page) == []
    assert errors == []

    therapist = logged_in_page(carol_consented)
    therapist_errors = _watch(therapist)
    therapist.goto("/")
    expect(therapist.get_by_text(re.compile("Alice"))).to_be_visible()
    therapist.goto("/exercises/")
    assert _violations(therapist) == []
    assert therapist_errors == []

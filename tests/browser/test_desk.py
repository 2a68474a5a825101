from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from exercises.models import Entry, Homework

pytestmark = pytest.mark.browser


def test_a_therapist_opens_a_client_from_home_assigns_homework_and_the_partner_does_it(
    couple: object, alice: object, bob: object, carol_consented: object, logged_in_page: object
) -> None:
    carol = logged_in_page(carol_consented)
    carol.get_by_role("link", name="Alice & Bob").click()
    expect(carol.get_by_role("heading", name="Overview")).to_be_visible()
    carol.get_by_role("link", name="Homework", exact=True).click()
    expect(carol).to_have_url(re.compile(r"/clients/[0-9a-f-]+/homework/$"))
    expect(carol.get_by_role("link", name="Homework", exact=True)).to_have_attribute(
        "aria-current", "page"
    )
    carol.get_by_label("Exercise", exact=True).select_option(label="Appreciation")
    carol.get_by_label("For", exact=True).select_option(label="Bob")
    carol.get_by_label("Instructions").fill("Tell Alice one thing you appreciate each evening.")
    carol.get_by_role("button", name="Assign").click()
    expect(carol.get_by_text("Homework assigned: Appreciation.")).to_be_visible()
    expect(carol.locator(".homework-list")).to_contain_text("Tell Alice one thing")
    assert carol.evaluate("document.documentElement.scrollWidth") <= 390

    bob_page = logged_in_page(bob)
    card = bob_page.locator(".therapist-card")
    expect(card.get_by_role("heading", name="From your therapist")).to_be_visible()
    expect(card).to_contain_text("Tell Alice one thing you appreciate each evening.")
    card.get_by_role("link", name="Write it").click()
    expect(bob_page.get_by_label("Written for")).to_have_value(str(Homework.objects.get().pk))
    bob_page.get_by_label("One thing I appreciate about you is").fill("your patience")
    bob_page.get_by_label("because").fill("you listen to the end")
    bob_page.get_by_label("and it makes me feel").fill("calm")
    bob_page.get_by_label("Who can see this").select_option(
        label="Shared with my partner and our therapist"
    )
    bob_page.get_by_role("button", name="Save appreciation").click()
    expect(bob_page.get_by_role("status").first).to_contain_text("Saved: I appreciate")

    bob_page.goto("/")
    bob_page.get_by_text("Mark it done, or say it did not fit").click()
    bob_page.get_by_label("I did it").check()
    bob_page.get_by_role("button", name="Send").click()
    expect(bob_page.get_by_text("your therapist will see it's done")).to_be_visible()

    carol.reload()
    assignment = carol.locator(".homework-list li").first
    expect(assignment).to_contain_text("Done")
    entry = Entry.objects.get(homework__isnull=False)
    expect(assignment.get_by_role("link", name=entry.title)).to_be_visible()

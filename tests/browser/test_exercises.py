from __future__ import annotations

import pytest
from playwright.sync_api import expect

from exercises.models import ChangeRequest, FollowThrough, SurpriseGift, SurpriseList

pytestmark = pytest.mark.browser


def test_a_request_sent_by_one_partner_is_answered_by_the_other(
    couple: object, alice: object, bob: object, logged_in_page: object
) -> None:
    alice_page = logged_in_page(alice)
    alice_page.set_viewport_size({"width": 360, "height": 740})
    alice_page.get_by_role("link", name="Exercises", exact=True).click()
    alice_page.get_by_role("link", name="Behavior change request").first.click()

    alice_page.get_by_label("What frustrates me is").fill(
        "When you come home late without a word I feel forgotten."
    )
    alice_page.get_by_label("What I desire underneath is").fill("to feel that I matter to you")
    requests = [
        ("Text me when you leave work", "on weekdays", "14"),
        ("Call me at lunch", "twice a week", "21"),
        ("Tell me your plans each morning", "every day", "7"),
    ]
    for n, (what, when, days) in enumerate(requests, 1):
        group = alice_page.get_by_role("group", name=f"Request {n}")
        group.get_by_label("What I'd like you to do").fill(what)
        group.get_by_label("How often, or when").fill(when)
        group.get_by_label("For how many days").fill(days)
    alice_page.get_by_label("Who can see this").select_option(label="Shared with my partner")
    alice_page.get_by_role("button", name="Save behavior change request").click()

    card = alice_page.locator("#entries article").first
    expect(card.get_by_test_id("request-status")).to_have_text("Waiting for an answer")
    expect(alice_page.get_by_role("status").first).to_contain_text("Saved: Request")
    # The inline form came back empty, ready for the next one.
    expect(alice_page.get_by_label("What frustrates me is")).to_have_value("")
    assert alice_page.evaluate("document.documentElement.scrollWidth") <= 360

    bob_page = logged_in_page(bob)
    bob_page.goto("/exercises/")
    bob_page.get_by_role("link", name="Alice sent you a behavior change request").click()
    lunch = bob_page.locator("li", has_text="Call me at lunch")
    lunch.get_by_role("button", name="Give this one as a gift").click()
    expect(bob_page.get_by_test_id("request-status")).to_have_text("A gift is in progress")
    expect(bob_page.get_by_text("Chosen as a gift")).to_be_visible()
    # The clicked button is gone; keyboard focus lands on what happened, not on <body>.
    expect(bob_page.get_by_text("Thank you. You're giving")).to_be_focused()
    bob_page.get_by_label("How it went (optional)").fill("called from the park")
    bob_page.get_by_role("button", name="Log follow-through").click()
    expect(bob_page.get_by_text("you: called from the park")).to_be_visible()

    alice_page.reload()
    card = alice_page.locator("#entries article").first
    expect(card.get_by_test_id("request-status")).to_have_text("A gift is in progress")
    expect(card.get_by_text("Bob: called from the park")).to_be_visible()
    expect(card.get_by_role("button", name="Give this one as a gift")).to_have_count(0)

    chosen = ChangeRequest.objects.get().chosen_item()
    assert chosen is not None and chosen.what == "Call me at lunch"
    assert FollowThrough.objects.get().author == bob


def test_a_surprises_list_is_shared_and_the_partner_marks_one_given(
    couple: object, alice: object, bob: object, logged_in_page: object
) -> None:
    alice_page = logged_in_page(alice)
    alice_page.set_viewport_size({"width": 360, "height": 740})
    alice_page.get_by_role("link", name="Exercises", exact=True).click()
    alice_page.get_by_role("link", name="Surprises and fun").first.click()

    ideas = [
        ("Surprises that would delight me", "breakfast in the garden"),
        ("High-energy fun to have together", "a salsa class together"),
    ]
    for n, (which, text) in enumerate(ideas, 1):
        group = alice_page.get_by_role("group", name=f"Idea {n}")
        group.get_by_label("Which list").select_option(label=which)
        group.get_by_label("Idea").fill(text)
    # The same idea twice is refused with a message, and nothing typed is lost.
    third = alice_page.get_by_role("group", name="Idea 3")
    third.get_by_label("Idea").fill("Breakfast in the  garden")
    alice_page.get_by_role("button", name="Save surprises and fun list").click()
    expect(alice_page.get_by_text("The same idea appears twice.")).to_be_visible()
    expect(alice_page.get_by_role("group", name="Idea 1").get_by_label("Idea")).to_have_value(
        "breakfast in the garden"
    )
    assert not SurpriseList.objects.exists()

    alice_page.get_by_role("group", name="Idea 3").get_by_label("Idea").fill("")
    alice_page.get_by_label("Who can see this").select_option(label="Shared with my partner")
    alice_page.get_by_role("button", name="Save surprises and fun list").click()
    expect(alice_page.get_by_role("status").first).to_contain_text("Saved: Surprises and fun")
    card = alice_page.locator("#entries article").first
    expect(card.get_by_text("Shared with partner")).to_be_visible()
    assert alice_page.evaluate("document.documentElement.scrollWidth") <= 360

    bob_page = logged_in_page(bob)
    bob_page.goto("/exercises/surprises/")
    salsa = bob_page.locator("li", has_text="a salsa class together")
    salsa.get_by_role("button", name="I gave this one today").click()
    expect(bob_page.get_by_text("Logged — thank you for caring.")).to_be_focused()
    expect(salsa.get_by_text("Given today ✓")).to_be_visible()

    alice_page.reload()
    salsa = alice_page.locator("#entries li", has_text="a salsa class together")
    expect(salsa.get_by_test_id("given")).to_contain_text("given 1 time")
    expect(alice_page.get_by_role("button", name="I gave this one today")).to_have_count(0)
    assert SurpriseGift.objects.get().giver == bob

    # In the shared history, the list reads as kind, author, date and its first words.
    bob_page.goto("/exercises/history/")
    expect(bob_page.locator(".timeline-item").first).to_contain_text("Surprises and fun")
    expect(bob_page.locator(".timeline-item").first).to_contain_text("breakfast in the garden")

"""A remote session: two partners in a live dialogue, each in their own browser, and their
therapist watching in a third. She coaches, calls a time-out for both and lifts it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from couples.models import Couple, User
from dialogue.models import Coaching, Dialogue
from tests.browser.room import act

pytestmark = pytest.mark.browser


def _live(page: Page, url: str) -> None:
    page.goto(url)
    expect(page.locator("#connection")).to_have_text("Live")


def test_the_therapist_coaches_pauses_both_partners_and_the_dialogue_goes_on_at_the_same_step(
    logged_in_page, couple: Couple, alice: User, bob: User, carol_consented: User
) -> None:
    a, b, c = logged_in_page(alice), logged_in_page(bob), logged_in_page(carol_consented)
    a.goto("/dialogues/")
    a.get_by_label("What would you like to talk about?").fill("the dishes")
    a.get_by_role("button", name="Start and ask for a time").click()
    a.get_by_role("button", name="Invite Carol to watch").click()
    url = a.url
    for page in (a, b, c):
        _live(page, url)

    # The partners always see that their therapist is here.
    expect(a.locator("#presence")).to_contain_text("Carol (your therapist) is watching")
    expect(b.locator("#presence")).to_contain_text("Carol (your therapist) is watching")
    # Carol's view is written for her: names, not "your partner".
    expect(c.get_by_test_id("guidance")).to_have_text("Alice is asking Bob for a time to talk.")
    expect(c.locator("#transcript-heading")).to_have_text("What they’ve said so far")

    act(a, "Ask to talk now")
    act(b, "Yes, now is good")
    expect(c.get_by_test_id("guidance")).to_have_text("Alice is sending; Bob is listening.")

    # A coaching prompt: both partners see it inline at once; the flow does not move.
    c.get_by_label("Suggest a starter").check()
    c.get_by_label("Your prompt").fill("When ___ happens, I feel…")
    c.get_by_role("button", name="Post to both").click()
    for page in (a, b, c):
        expect(page.locator("#transcript li.coach")).to_contain_text("When ___ happens, I feel…")
    expect(a.get_by_role("heading", name=re.compile("^Your move"))).to_be_visible()
    # Alice takes up the starter into her own words.
    a.get_by_role("button", name="Use this starter").click()
    expect(a.get_by_label(re.compile("^Your words"))).to_have_value("When ___ happens, I feel…")

    # A time-out for both: neither partner can act, and both see who called it.
    c.get_by_role("button", name="Call a time-out for both").click()
    for page in (a, b):
        expect(page.get_by_role("heading", name="Time-out — called by Carol")).to_be_visible()
        expect(page.locator("#transcript")).to_contain_text(
            "Carol called a time-out for both partners"
        )
    expect(a.get_by_role("button", name="Send my message", exact=True)).to_have_count(0)
    expect(a.get_by_role("button", name="Resume the dialogue")).to_have_count(0)
    assert Dialogue.objects.get().step == "send"

    # Carol lifts it: the flow goes on at the very same step, Alice's words still in her box.
    c.get_by_role("button", name="Lift the time-out").click()
    expect(b.locator("#transcript")).to_contain_text("Carol lifted the time-out")
    expect(a.get_by_label(re.compile("^Your words"))).to_have_value("When ___ happens, I feel…")
    act(a, "Send my message", "When the dishes pile up, I feel alone.")
    expect(b.locator("#transcript")).to_contain_text("When the dishes pile up, I feel alone.")
    expect(c.get_by_test_id("guidance")).to_have_text("Bob is mirroring what Alice said.")

    # Reloaded, every page still shows the prompt and the time-out in their places.
    b.reload()
    expect(b.locator("#transcript li.coach")).to_have_count(3)
    assert list(Coaching.objects.values_list("kind", flat=True)) == ["stem", "hold", "release"]
    assert Dialogue.objects.get().step == "mirror"

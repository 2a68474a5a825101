"""The dialogue variants in two live browsers: container, positive flooding, role reversal and
parent–child, each started from the same form and served by the same room."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from couples.models import Couple, User
from dialogue.models import Dialogue
from tests.browser.room import act

pytestmark = pytest.mark.browser


def _start(page: Page, kind: str, topic: str, **fields: str) -> None:
    page.goto("/dialogues/")
    page.get_by_role("radio", name=re.compile(kind)).check()
    page.get_by_label("What would you like to talk about?").fill(topic)
    for label, value in fields.items():
        page.get_by_label(re.compile(label)).fill(value)
    page.get_by_role("button", name="Start and ask for a time").click()
    expect(page.get_by_role("heading", name=topic)).to_be_visible()
    expect(page.locator("#connection")).to_have_text("Live")


def test_the_start_form_shows_each_field_only_for_its_variant(
    logged_in_page, couple: Couple, alice: User
) -> None:
    page = logged_in_page(alice)
    page.goto("/dialogues/")
    minutes = page.get_by_label(re.compile("For the container"))
    names = page.get_by_label(re.compile("For positive flooding"))
    expect(minutes).to_be_hidden()
    expect(names).to_be_hidden()
    page.get_by_role("radio", name=re.compile("Container")).check()
    expect(minutes).to_be_visible()
    expect(names).to_be_hidden()
    page.get_by_role("radio", name=re.compile("Positive flooding")).check()
    expect(minutes).to_be_hidden()
    expect(names).to_be_visible()


def _join(page: Page, other: Page) -> None:
    page.goto(other.url)
    expect(page.locator("#connection")).to_have_text("Live")


def _box(page: Page) -> object:
    return page.get_by_label(re.compile("^Your words"))


def test_partners_walk_the_container_flooding_reversal_and_parent_child_dialogues(
    logged_in_page, couple: Couple, alice: User, bob: User
) -> None:
    a, b = logged_in_page(alice), logged_in_page(bob)

    # The container: minutes per stage agreed and shown; the receiver stops it at once.
    _start(a, "Container", "the budget", **{"For the container": "5"})
    _join(b, a)
    expect(b.get_by_test_id("stage-time")).to_contain_text("Agreed: 5 minutes per stage")
    # By appointment only: a time is proposed, there is no "Ask to talk now".
    expect(a.get_by_role("button", name="Ask to talk now")).to_have_count(0)
    act(a, "Propose a time", "I'd like to talk about the budget. Could we talk at nine?")
    act(b, "Yes, now is good")
    expect(_box(a)).to_have_value("What I'm concerned about is…")
    act(a, "Send my frustration", "What I'm concerned about is the card bill.")
    act(b, "Send my mirror", "If I got it, you are angry that the card bill came. Did I get it?")
    expect(a.get_by_role("radio", name="Yes — go on to the hurt beneath")).to_be_visible()
    b.get_by_role("button", name="Stop the container now").click()
    expect(a.get_by_role("heading", name="This dialogue has ended")).to_be_visible()
    expect(a.locator("#transcript")).to_contain_text("Bob stopped the container")

    # Positive flooding: the list prepared beforehand fills the box, one item after another.
    _start(a, "Positive flooding", "us", **{"For positive flooding": "Your laugh\nYour patience"})
    _join(b, a)
    act(a, "Ask to talk now")
    act(b, "Yes, now is good")
    expect(b.get_by_test_id("guidance")).to_contain_text("Only listen")
    expect(_box(a)).to_have_value("Your laugh")
    act(a, "Name this")
    expect(b.locator("#transcript")).to_contain_text("Your laugh")
    a.get_by_role("button", name="Your patience").click()
    act(a, "Name this")
    act(a, "That’s my list")
    act(b, "Thank my partner", "Thank you. What touched me most was my patience.")
    act(a, "End the dialogue")
    expect(b.get_by_role("heading", name="This dialogue has ended")).to_be_visible()

    # Role reversal: Alice speaks Bob's view; he corrects it; she mirrors; he confirms.
    _start(a, "Role reversal", "holidays")
    _join(b, a)
    act(a, "Ask to talk now")
    act(b, "Yes, now is good")
    act(a, "Send their view", "As you, I feel tired when we travel at Christmas.")
    act(b, "Not quite — correct my view", "Not quite — my view is that I miss my sister.")
    act(a, "Send my mirror", "So, as you: I miss my sister. Did I get it now?")
    act(b, "Yes, that’s my view")
    expect(b.get_by_role("button", name="Swap now: I speak their view")).to_be_visible()

    # The parent–child dialogue: Bob asks as Alice's parent; she answers as the child.
    _start(a, "Parent–child", "my father")
    _join(b, a)
    expect(b.get_by_test_id("variant")).to_contain_text("Your imago workup")
    act(a, "Ask to talk now")
    act(b, "Yes, now is good")
    expect(_box(b)).to_have_value("I am your mother. What was it like for you to live with me?")
    b.get_by_role(
        "button", name="I am your father. What was it like for you to live with me?"
    ).click()
    act(b, "Ask as the parent")
    expect(a.locator("#transcript")).to_contain_text("Bob asked as the parent")
    act(a, "Send my message", "Living with you was lonely.")
    expect(b.get_by_test_id("guidance")).to_contain_text("Still as the parent")

    assert [d.kind for d in Dialogue.objects.order_by("created_at")] == [
        "container", "flooding", "reversal", "parent_child",
    ]  # fmt: skip

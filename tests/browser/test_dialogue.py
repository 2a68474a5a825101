"""Two partners, each in their own browser context, hold a whole Imago Dialogue round live."""

from __future__ import annotations

import re
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import pytest
from django.db import connection
from playwright.sync_api import Page, expect

from couples.models import Couple, User
from dialogue.models import Dialogue, Turn
from dialogue.services import dialogue_start, turn_submit
from tests.browser.room import act

pytestmark = pytest.mark.browser

T = TypeVar("T")


def _sees(page: Page, text: str) -> None:
    expect(page.locator("#transcript")).to_contain_text(text)


def test_partners_hold_a_whole_round_live_and_a_reload_loses_nothing(
    logged_in_page, couple: Couple, alice: User, bob: User
) -> None:
    a = logged_in_page(alice)
    b = logged_in_page(bob)

    a.goto("/dialogues/")
    a.get_by_label("What would you like to talk about?").fill("the dishes")
    a.get_by_role("button", name="Start and ask for a time").click()
    expect(a.get_by_role("heading", name="the dishes")).to_be_visible()
    expect(a.locator("#connection")).to_have_text("Live")
    # The stem is an editable starter, already in the box.
    expect(a.get_by_label(re.compile("^Your words"))).to_have_value(
        "I'd like to talk about the dishes. Is now a good time?"
    )

    b.goto("/dialogues/")
    b.get_by_role("link", name="the dishes").click()
    expect(b.locator("#connection")).to_have_text("Live")
    expect(b.get_by_test_id("guidance")).to_have_text("Your partner is asking for a time to talk.")
    expect(a.locator("#presence")).to_have_text("Bob here now")

    act(a, "Ask to talk now")  # the starter as it is
    _sees(b, "Is now a good time?")
    expect(b.locator("#announcer")).to_contain_text("Alice asked to talk")
    act(b, "Yes, now is good")
    _sees(a, "Yes, I'm ready to hear you.")
    act(a, "Send my message", "When the dishes pile up, I feel alone.")
    _sees(b, "When the dishes pile up, I feel alone.")
    act(b, "Send my mirror", "If I got it, you feel annoyed. Did I get it?")
    _sees(a, "you feel annoyed")
    act(a, "Not quite — send my correction", "Almost — the part I want you to hear is alone.")
    _sees(b, "the part I want you to hear is alone")

    # Bob starts typing his mirror, and his page reloads: his words and every turn survive.
    b.get_by_label(re.compile("^Your words")).fill("You feel alone when the dishes")
    expect(a.locator("#typing")).to_have_text("Bob is typing…")
    b.reload()
    expect(b.locator("#connection")).to_have_text("Live")
    expect(b.locator("#transcript li.turn")).to_have_count(5)
    expect(b.get_by_label(re.compile("^Your words"))).to_have_value(
        "You feel alone when the dishes"
    )
    act(b, "Send my mirror", "You feel alone when the dishes pile up. Did I get it?")
    _sees(a, "You feel alone when the dishes pile up.")

    act(a, "Yes, that’s it")
    act(b, "Ask “Is there more?”")
    act(a, "That’s all")
    act(b, "Send my summary", "You feel alone with the dishes. Did I get all of that?")
    act(a, "Yes, that’s all of it")
    act(b, "I validate", "You make sense to me, because you grew up doing chores alone.")
    act(a, "I feel understood", "Thank you.")
    act(b, "Send my empathy", "I imagine you might be feeling lonely. Is that how you feel?")
    act(a, "Yes, that’s how I feel")
    expect(a.locator("#progress [aria-current=step]")).to_have_text("Close")
    _sees(b, "confirmed")

    # The receiver may ask to answer, not end: the sender closes the dialogue.
    expect(b.get_by_role("radio", name="End the dialogue")).to_have_count(0)
    expect(b.get_by_label(re.compile("^Your words"))).to_have_value(
        "Thank you for telling me this. May I answer now?"
    )
    act(b, "Swap roles now: I answer")
    expect(b.locator(".you-are")).to_contain_text("You are the sender")
    expect(a.locator(".you-are")).to_contain_text("You are the receiver")
    expect(a.locator("#transcript li.turn")).to_have_count(16)

    dialogue = Dialogue.objects.get()
    assert (dialogue.sender, dialogue.round, dialogue.step) == (bob, 2, "send")
    assert Turn.objects.filter(action="correct").count() == 1
    # Nothing overflows sideways on a 360 px phone.
    b.set_viewport_size({"width": 360, "height": 740})
    assert b.evaluate("document.documentElement.scrollWidth") <= 360


def test_a_time_out_pauses_both_screens_keeps_the_words_and_resumes_by_keyboard(
    logged_in_page, couple: Couple, alice: User, bob: User
) -> None:
    a = logged_in_page(alice)
    b = logged_in_page(bob)
    a.goto("/dialogues/")
    a.get_by_label("What would you like to talk about?").fill("money")
    a.keyboard.press("Enter")
    expect(a.locator("#connection")).to_have_text("Live")
    b.goto(a.url)
    expect(b.locator("#connection")).to_have_text("Live")

    # Alice is writing when Bob calls a time-out: her words wait for her at the same step.
    words = "I'd like to talk about money, and about trust. Is now a good time?"
    a.get_by_label(re.compile("^Your words")).fill(words)
    b.get_by_text("Time-out", exact=True).click()
    b.get_by_role("button", name="Call a time-out").click()
    expect(a.get_by_role("heading", name="Time-out")).to_be_visible()
    expect(a.locator("#transcript")).to_contain_text("Bob called a time-out")
    resume = a.get_by_role("button", name="Resume the dialogue")
    resume.focus()
    a.keyboard.press("Enter")
    expect(b.get_by_role("heading", name="Alice’s move")).to_be_visible()
    expect(a.get_by_role("heading", name=re.compile("^Your move"))).to_be_visible()
    expect(a.get_by_label(re.compile("^Your words"))).to_have_value(words)
    a.get_by_label(re.compile("^Your words")).press("Control+Enter")
    expect(b.locator("#transcript")).to_contain_text("and about trust")


def _in_thread(work: Callable[[], T]) -> T:
    """Run a service in a thread of its own: this one runs Playwright's event loop, where the
    service's after-commit broadcast cannot run."""

    def run() -> T:
        try:
            return work()
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(run).result()


def _take_turns(dialogue: Dialogue, script: list[tuple[User, str]], first: int = 1) -> None:
    def take() -> None:
        for number, (user, action) in enumerate(script, start=first):
            turn_submit(
                dialogue_id=dialogue.pk, user=user, action=action,
                text=f"Words number {number}.", client_msg_id=f"m{number}",
            )  # fmt: skip

    _in_thread(take)


def test_on_a_phone_the_your_move_panel_stays_in_view_under_the_latest_of_100_turns(
    logged_in_page, couple: Couple, alice: User, bob: User
) -> None:
    dialogue = _in_thread(lambda: dialogue_start(couple=couple, user=alice, topic="the dishes"))
    script = [(alice, "request"), (bob, "accept"), (alice, "send"), (bob, "mirror")]
    script += [(alice, "correct"), (bob, "mirror")] * 48
    _take_turns(dialogue, script)
    assert Turn.objects.count() == 100

    a = logged_in_page(alice)
    a.set_viewport_size({"width": 360, "height": 740})
    a.goto(f"/dialogues/{dialogue.pk}/")
    expect(a.locator("#connection")).to_have_text("Live")
    # The latest 30 turns, and the earlier ones a tap away.
    expect(a.locator("#transcript li.turn")).to_have_count(30)
    expect(a.get_by_role("heading", name=re.compile("^Your move"))).to_be_in_viewport()
    expect(a.get_by_label(re.compile("^Your words"))).to_be_in_viewport()
    expect(a.get_by_role("button", name="Yes, that’s it")).to_be_in_viewport(ratio=1)
    latest = a.locator("#turn-100")
    expect(latest).to_be_in_viewport(ratio=1)
    panel_top = a.locator("#panel section.panel").bounding_box()["y"]
    latest_box = latest.bounding_box()
    assert latest_box["y"] + latest_box["height"] <= panel_top
    assert a.evaluate("document.documentElement.scrollWidth") <= 360

    # Bob's next mirror arrives: it too lands in view above the panel.
    _take_turns(dialogue, [(alice, "correct")], first=101)
    b = logged_in_page(bob)
    b.set_viewport_size({"width": 360, "height": 740})
    b.goto(f"/dialogues/{dialogue.pk}/")
    expect(b.locator("#connection")).to_have_text("Live")
    expect(b.locator("#turn-101")).to_be_in_viewport(ratio=1)
    b.get_by_label(re.compile("^Your words")).fill("Words number 102.")
    b.get_by_role("button", name="Send my mirror").click()
    expect(a.locator("#turn-102")).to_be_in_viewport(ratio=1)
    expect(a.get_by_role("button", name="Yes, that’s it")).to_be_in_viewport(ratio=1)

    # Earlier turns load on demand, above the ones shown (by keyboard here: at the very top of
    # a 740 px screen the phone's sticky panel covers the link).
    a.get_by_role("link", name="Load earlier turns").focus()
    a.keyboard.press("Enter")
    expect(a.locator("#transcript li.turn")).to_have_count(62)
    expect(a.locator("#turn-41")).to_contain_text("Words number 41.")
    expect(a.locator("#transcript > li").first).to_have_class(re.compile("earlier"))

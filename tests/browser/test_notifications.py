"""A partner who is not in the room learns at once, on whatever page is open, that the other one
is waiting; in the room, each partner sees the other come and go."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from couples.models import Couple, NotificationKind, User
from couples.notifications import notification_create

pytestmark = pytest.mark.browser


def test_the_partners_open_home_page_shows_the_waiting_notice_live_and_the_tab_title_counts_it(
    logged_in_page, couple: Couple, alice: User, bob: User
) -> None:
    b = logged_in_page(bob)
    expect(b.locator("body")).to_have_attribute("data-notify", "live")
    expect(b).to_have_title("Home · Imago")
    a = logged_in_page(alice)

    a.goto("/dialogues/")
    a.get_by_label("What would you like to talk about?").fill("the dishes")
    a.get_by_role("button", name="Start and ask for a time").click()

    notice = b.get_by_test_id("notice")
    expect(notice).to_contain_text("Alice is waiting for you in a dialogue", timeout=1000)
    expect(b).to_have_title("(1) Home · Imago", timeout=1000)
    expect(b.locator("#notify-count")).to_have_text("1")
    assert "the dishes" not in notice.inner_text()

    notice.get_by_role("link", name="Join").click()
    expect(b.get_by_role("heading", name="the dishes")).to_be_visible()
    expect(b).to_have_title(re.compile(r"^(?!\(\d+\))"))
    expect(b.locator("#notify-count")).to_be_hidden()


def test_in_the_room_each_partner_sees_the_other_join_and_leave(
    logged_in_page, couple: Couple, alice: User, bob: User
) -> None:
    a = logged_in_page(alice)
    a.goto("/dialogues/")
    a.get_by_label("What would you like to talk about?").fill("the dishes")
    a.get_by_role("button", name="Start and ask for a time").click()
    expect(a.locator("#connection")).to_have_text("Live")
    room = a.url

    b = logged_in_page(bob)
    b.goto(room)
    expect(a.locator("#presence-note")).to_have_text("Bob joined")
    b.goto("/")
    expect(a.locator("#presence-note")).to_have_text("Bob left")


def test_on_a_phone_notices_take_one_line_each_fold_beyond_two_and_can_be_dismissed(
    logged_in_page, couple: Couple, alice: User, bob: User
) -> None:
    notification_create(recipient=bob, kind=NotificationKind.APPRECIATION, actor=alice)
    notification_create(recipient=bob, kind=NotificationKind.HOMEWORK, actor=alice)
    b = logged_in_page(bob)
    b.set_viewport_size({"width": 360, "height": 740})
    b.reload()
    notices = b.get_by_test_id("notice")
    expect(notices).to_have_count(2)
    for index in range(2):
        assert notices.nth(index).bounding_box()["height"] < 60
    notices.first.get_by_role("button", name=re.compile("^Dismiss")).click()
    expect(notices).to_have_count(1)
    b.reload()
    expect(notices).to_have_count(1)

    notification_create(recipient=bob, kind=NotificationKind.REQUEST_ANSWERED, actor=alice)
    notification_create(recipient=bob, kind=NotificationKind.THERAPIST_NOTE, actor=alice)
    b.reload()
    summary = b.get_by_text("3 notifications")
    expect(summary).to_be_visible()
    expect(notices.first).to_be_hidden()
    assert b.locator("#notify-live").bounding_box()["height"] < 60

"""The room says "Live updates paused" while Redis is down, keeps trying, and shows what it missed
once Redis is back — in Chromium, against a daphne and a Redis server of the test's own."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from couples.models import Couple, User
from dialogue.services import dialogue_start, turn_submit
from tests.conftest import login_client
from tests.servers import RedisServer, daphne_on

pytestmark = pytest.mark.browser


def test_the_room_shows_live_updates_paused_while_redis_is_down_and_catches_up_after(
    browser: object, couple: Couple, alice: User, bob: User
) -> None:
    dialogue = dialogue_start(couple=couple, user=alice, topic="the dishes")
    redis = RedisServer()
    redis.start()
    try:
        with daphne_on(redis.url) as base:
            http = base.replace("ws://", "http://")
            context = browser.new_context(base_url=http)
            context.add_cookies(
                [{"name": "sessionid", "value": login_client(bob).cookies["sessionid"].value,
                  "url": http}]
            )  # fmt: skip
            page = context.new_page()
            page.goto(f"/dialogues/{dialogue.pk}/")
            status = page.locator("#connection")
            expect(status).to_have_text("Live")
            expect(status).to_have_attribute("role", "status")  # read out when it changes

            redis.stop()
            expect(status).to_contain_text("Live updates paused", timeout=15_000)
            # Alice asks meanwhile (her turn is saved; nobody can be told live).
            turn_submit(dialogue_id=dialogue.pk, user=alice, action="request",
                        text="Is now a good time to talk?", client_msg_id="m1")  # fmt: skip

            redis.start()
            expect(status).to_have_text("Live", timeout=30_000)
            expect(page.locator("#transcript")).to_contain_text("Is now a good time to talk?")
            expect(page.get_by_role("heading", name=re.compile("^Your move"))).to_be_visible()
            context.close()
    finally:
        if redis.process is not None and redis.process.poll() is None:
            redis.stop()

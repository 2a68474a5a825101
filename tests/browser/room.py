"""What a partner does in the dialogue room, as the browser tests drive it."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect


def act(page: Page, button: str, text: str | None = None) -> None:
    """Take this partner's move: pick it if there are several, write, and press the button that
    names it."""
    expect(page.get_by_role("heading", name=re.compile("^Your move"))).to_be_visible()
    radio = page.get_by_role("radio", name=button, exact=True)
    if radio.count():
        radio.check()
    if text is not None:
        page.get_by_label(re.compile("^Your words")).fill(text)
    page.get_by_role("button", name=button, exact=True).click()

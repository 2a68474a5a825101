"""Every page's tab title is short plain text: a template that forgets to close its title block
must not put markup, a form or the CSRF token into the browser's tab and history."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from django.test import Client

from couples.models import User

pytestmark = pytest.mark.django_db

TITLE = re.compile(r"<title>(.*?)</title>", re.DOTALL)


@pytest.mark.parametrize("persona", ["anonymous", "alice", "carol"])
def test_every_page_has_a_short_plain_title(
    every_path: list[str],
    client_for: Callable[[User], Client],
    alice: User,
    carol_consented: User,
    persona: str,
) -> None:
    people = {"alice": alice, "carol": carol_consented}
    client = Client() if persona == "anonymous" else client_for(people[persona])
    pages = 0
    for path in every_path:
        response = client.get(path)
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        found = TITLE.search(response.content.decode())
        if found is None:
            continue  # an htmx fragment, not a page
        pages += 1
        title = found.group(1)
        assert "<" not in title and "csrf" not in title.lower(), path
        assert "\n" not in title.strip() and 0 < len(title.strip()) <= 80, (path, title)
    assert pages >= 5

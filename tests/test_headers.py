"""Security headers on every page: every URL pattern of the project, for every persona, whatever
the answer (200, redirect, 404, 405) carries the same Content-Security-Policy (no inline scripts
or styles), Permissions-Policy and Cross-Origin-Opener-Policy."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client

from couples.models import User

pytestmark = pytest.mark.django_db


def _check(response: object, path: str) -> None:
    csp = response.headers.get("Content-Security-Policy", "")
    directives = dict(
        (part.strip().split(" ", 1) + [""])[:2] for part in csp.split(";") if part.strip()
    )
    assert directives.get("script-src") == "'self'", path
    assert directives.get("style-src") == "'self'", path
    assert directives.get("default-src") == "'self'", path
    assert directives.get("frame-ancestors") == "'none'", path
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, path
    assert "camera=()" in response.headers.get("Permissions-Policy", ""), path
    assert "microphone=()" in response.headers.get("Permissions-Policy", ""), path
    assert response.headers.get("Cross-Origin-Opener-Policy") == "same-origin", path
    assert response.headers.get("X-Frame-Options") == "DENY", path
    assert response.headers.get("X-Content-Type-Options") == "nosniff", path


@pytest.mark.parametrize("persona", ["anonymous", "alice", "carol", "mallory", "staff"])
def test_every_url_pattern_answers_with_the_security_headers_for_every_persona(
    every_path: list[str],
    client_for: Callable[[User], Client],
    alice: User,
    carol_consented: User,
    mallory: User,
    persona: str,
) -> None:
    people = {
        "alice": alice,
        "carol": carol_consented,
        "mallory": mallory,
        "staff": User.objects.create_superuser("sam@example.com", "pw", display_name="Sam"),
    }
    client = Client() if persona == "anonymous" else client_for(people[persona])
    statuses = set()
    for path in every_path:
        response = client.get(path)
        statuses.add(response.status_code)
        assert response.status_code != 500, path
        _check(response, path)
    # The walk reached real pages, not only refusals.
    assert 200 in statuses
    assert len(every_path) > 40


def test_no_template_holds_inline_script_style_or_event_handlers() -> None:
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent / "templates"
    inline = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|<style\b|\sstyle=|\son[a-z]+=|hx-on")
    offenders = [
        f"{path.relative_to(root)}: {match.group(0)}"
        for path in root.rglob("*.html")
        for match in inline.finditer(path.read_text())
    ]
    assert offenders == []

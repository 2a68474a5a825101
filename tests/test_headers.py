"""Security headers on every page: every URL pattern of the project, for every persona, whatever
the answer (200, redirect, 404, 405) carries the same Content-Security-Policy (no inline scripts
or styles), Permissions-Policy and Cross-Origin-Opener-Policy."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver

from couples.models import Couple, Invitation, User
from couples.services import invitation_create
from dialogue.services import dialogue_start
from exercises.models import CaringItem, Entry, Kind, VisionItem
from tests.conftest import make_user
from tests.exercises.conftest import create_entry

pytestmark = pytest.mark.django_db


def _patterns(resolver: URLResolver, prefix: str = "") -> Iterator[tuple[str, URLPattern]]:
    for item in resolver.url_patterns:
        route = prefix + str(item.pattern)
        if isinstance(item, URLResolver):
            yield from _patterns(item, route)
        else:
            yield route, item


def _fill(route: str, values: dict[str, str]) -> str:
    """Turn a route like `couple/<uuid:pk>/` (or an admin regex) into a concrete path."""
    import re

    def value(match: re.Match[str]) -> str:
        converter, name = (match.group(1) or "str"), match.group(2)
        if name in values:
            return values[name]
        return {"uuid": str(uuid.uuid4()), "int": "1", "path": "x"}.get(converter, "x")

    path = re.sub(r"<(?:(\w+):)?(\w+)>", value, route)
    # Admin routes are regexes: ^(?P<app_label>auth|couples)/$ and the like.
    path = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: values.get(m.group(1), "couples"), path)
    return "/" + path.replace("^", "").replace("$", "").replace("\\Z", "").replace("\\", "")


@pytest.fixture
def every_path(
    couple: Couple, alice: User, bob: User, carol_consented: User, mallory_couple: Couple
) -> list[str]:
    dialogue = dialogue_start(couple=couple, user=alice, topic="Evenings")
    for kind in (Kind.APPRECIATION, Kind.CARING, Kind.VISION):
        create_entry(alice, kind, visibility=2)
    invitation = invitation_create(inviter=make_user("ivy@example.com", "Ivy"))
    values = {
        "pk": str(couple.pk),
        "token": invitation.token,
        "kind": "appreciation",
        "item_pk": str(CaringItem.objects.first().pk),
        "uidb64": "MQ",
        "app_label": "couples",
        "model_name": "user",
        "object_id": str(alice.pk),
    }
    paths = set()
    for route, pattern in _patterns(get_resolver()):
        name = pattern.name or ""
        local = dict(values)
        if "dialogue" in pattern.lookup_str:
            local["pk"] = str(dialogue.pk)
        elif "exercises" in pattern.lookup_str and "pk" in route:
            local["pk"] = str(Entry.objects.first().pk)
        elif name == "invitation_revoke":
            local["pk"] = str(Invitation.objects.first().pk)
        if "vision" in name and "item_pk" in route:
            local["item_pk"] = str(VisionItem.objects.first().pk)
        paths.add(_fill(route, local))
    return sorted(paths)


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

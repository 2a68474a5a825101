"""Every URL pattern of the project as a concrete path, with real objects of the personas'
couple filled in: the walk that header, fault and privacy tests take over the whole site."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from couples.models import Couple, Invitation, User
from couples.services import invitation_create
from dialogue.services import dialogue_start
from exercises.models import CaringItem, Entry, Kind, VisionItem


def _patterns(resolver: URLResolver, prefix: str = "") -> Iterator[tuple[str, URLPattern]]:
    for item in resolver.url_patterns:
        route = prefix + str(item.pattern)
        if isinstance(item, URLResolver):
            yield from _patterns(item, route)
        else:
            yield route, item


def _fill(route: str, values: dict[str, str]) -> str:
    """Turn a route like `couple/<uuid:pk>/` (or an admin regex) into a concrete path."""

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
    from tests.conftest import make_user
    from tests.exercises.conftest import create_entry

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
        if name == "quick_exit":
            continue  # it ends the session the walk goes on with; tested on its own
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

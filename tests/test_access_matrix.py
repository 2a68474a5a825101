"""Every route × every persona → the status they get, written out literally.

The world: Alice and Bob are a couple; Alice wrote an appreciation, a request (with a gift
chosen by Bob), a caring list, a vision, a positive traits list, a childhood wound and a surprises
list, Bob a vision, all shared with partner and therapist (and one more childhood wound, private),
and Bob accepted Alice's vision statement; they hold a dialogue their therapist is invited to.
Carol is their therapist with both consents; Rita was their therapist until Bob revoked her;
Olga is a therapist only Alice has consented to (in her world Olga's is the live link, not
Carol's); Uma is a therapist nobody linked; Tom is the consented therapist of Mallory's couple.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from couples.models import Couple, User
from couples.services import (
    therapist_consent_give,
    therapist_link_create,
    therapist_link_revoke,
)
from dialogue.models import Dialogue
from dialogue.services import dialogue_invite_therapist, dialogue_start
from exercises.models import Kind, Visibility, VisionItem
from exercises.services import request_choose_gift, vision_merge
from tests.conftest import login_client, make_user, pair
from tests.exercises.conftest import create_entry

pytestmark = pytest.mark.django_db

PERSONAS = ["anonymous", "alice", "bob", "carol", "olga", "rita", "uma", "tom", "mallory"]
LOGIN = "login"


@dataclass
class World:
    people: dict[str, User]
    couple: Couple
    ids: dict[str, object]


def _world(persona: str) -> World:
    therapist = User.Role.THERAPIST
    people = {
        "alice": make_user("alice@example.com", "Alice"),
        "bob": make_user("bob@example.com", "Bob"),
        "mallory": make_user("mallory@example.com", "Mallory"),
        "carol": make_user("carol@example.com", "Carol", therapist, "Imago therapist"),
        "olga": make_user("olga@example.com", "Olga", therapist, "Imago therapist"),
        "rita": make_user("rita@example.com", "Rita", therapist, "Imago therapist"),
        "uma": make_user("uma@example.com", "Uma", therapist, "Imago therapist"),
        "tom": make_user("tom@example.com", "Tom", therapist, "Imago therapist"),
    }
    alice, bob = people["alice"], people["bob"]
    couple = pair(alice, bob)
    other = pair(people["mallory"], make_user("mike@example.com", "Mike"))
    link = therapist_link_create(couple=other, therapist=people["tom"], by=people["mallory"])
    therapist_consent_give(link=link, partner=other.partner_of(people["mallory"]))
    link = therapist_link_create(couple=couple, therapist=people["rita"], by=alice)
    therapist_consent_give(link=link, partner=bob)
    therapist_link_revoke(link=link, by=bob)
    if persona == "olga":
        therapist_link_create(couple=couple, therapist=people["olga"], by=alice)
    else:
        link = therapist_link_create(couple=couple, therapist=people["carol"], by=alice)
        therapist_consent_give(link=link, partner=bob)

    shared = Visibility.THERAPIST
    appreciation = create_entry(alice, Kind.APPRECIATION, shared)
    request = create_entry(alice, Kind.REQUEST, shared)
    request_choose_gift(entry=request, by=bob, item_id=request.request.items.first().pk)
    caring = create_entry(alice, Kind.CARING, shared)
    vision = create_entry(alice, Kind.VISION, shared)
    create_entry(bob, Kind.VISION, shared)
    traits = create_entry(alice, Kind.TRAITS, shared)
    wound = create_entry(alice, Kind.WOUND, shared)
    private_wound = create_entry(alice, Kind.WOUND)
    surprises = create_entry(alice, Kind.SURPRISES, shared)
    item = VisionItem.objects.filter(vision__entry=vision).first()
    vision_merge(couple=couple, by=bob, decisions={item.pk: (True, 4)})
    dialogue = dialogue_start(couple=couple, user=alice, topic="weekend plans")
    if persona != "olga":
        dialogue_invite_therapist(dialogue_id=dialogue.pk, user=alice, invite=True)
    return World(
        people=people,
        couple=couple,
        ids={
            "appreciation": appreciation.pk,
            "request": request.pk,
            "caring_item": caring.caring.items.first().pk,
            "traits": traits.pk,
            "wound": wound.pk,
            "private_wound": private_wound.pk,
            "surprise_item": surprises.surprises.items.first().pk,
            "vision_item": item.pk,
            "couple": couple.pk,
            "dialogue": Dialogue.objects.get().pk,
        },
    )


# (name, method, URL name, argument key, data, query, expected) — expected names the status of
# alice, bob, carol and, under "others", everyone else logged in; a persona listed by name
# overrides. Anonymous visitors always go to the login page.
A, B, C, O = "alice", "bob", "carol", "others"  # noqa: E741
ROUTES = [
    ("exercises home", "get", "exercises:home", None, None, "", {A: 200, B: 200, C: 200, O: 200}),
    ("history", "get", "exercises:history", None, None, "", {A: 200, B: 200, C: 200, O: 200}),
    ("history of the couple", "get", "exercises:history", None, None, "couple",
     {A: 200, B: 200, C: 200, O: 404}),
    ("kind page", "get", "exercises:kind", "kind", None, "", {A: 200, B: 200, C: 200, O: 200}),
    ("kind page of the couple", "get", "exercises:kind", "kind", None, "couple",
     {A: 200, B: 200, C: 200, O: 404}),
    ("new entry form", "get", "exercises:entry_create", "kind", None, "",
     {A: 200, B: 200, C: 404, O: 404, "mallory": 200}),
    ("entry", "get", "exercises:entry", "appreciation", None, "",
     {A: 200, B: 200, C: 200, O: 404}),
    ("edit form", "get", "exercises:entry_update", "appreciation", None, "",
     {A: 200, B: 404, C: 404, O: 404}),
    ("delete form", "get", "exercises:entry_delete", "appreciation", None, "",
     {A: 200, B: 404, C: 404, O: 404}),
    ("set visibility", "post", "exercises:entry_set_visibility", "appreciation",
     {"visibility": "2"}, "", {A: 302, B: 404, C: 404, O: 404}),
    ("thank", "post", "exercises:appreciation_acknowledge", "appreciation", {}, "",
     {A: 302, B: 302, C: 404, O: 404}),
    ("choose a gift", "post", "exercises:request_choose_gift", "request", {"item": "1"}, "",
     {A: 302, B: 302, C: 404, O: 404}),
    ("decline", "post", "exercises:request_decline_all", "request", {}, "",
     {A: 302, B: 302, C: 404, O: 404}),
    ("log follow-through", "post", "exercises:request_log_followthrough", "request",
     {"done_on": "today"}, "", {A: 302, B: 302, C: 404, O: 404}),
    ("give a caring behavior", "post", "exercises:caring_gift_log", "caring_item",
     {"given_on": "today"}, "", {A: 302, B: 302, C: 404, O: 404}),
    ("set a caring behavior aside", "post", "exercises:caring_item_set_aside", "caring_item",
     {"aside": "1"}, "", {A: 302, B: 302, C: 404, O: 404}),
    ("positive traits page", "get", "exercises:kind", "kind:traits", None, "",
     {A: 200, B: 200, C: 200, O: 200}),
    ("childhood wound page", "get", "exercises:kind", "kind:wound", None, "couple",
     {A: 200, B: 200, C: 200, O: 404}),
    ("surprises page", "get", "exercises:kind", "kind:surprises", None, "",
     {A: 200, B: 200, C: 200, O: 200}),
    ("new surprises list", "get", "exercises:entry_create", "kind:surprises", None, "",
     {A: 200, B: 200, C: 404, O: 404, "mallory": 200}),
    ("shared traits list", "get", "exercises:entry", "traits", None, "",
     {A: 200, B: 200, C: 200, O: 404}),
    ("shared childhood wound", "get", "exercises:entry", "wound", None, "",
     {A: 200, B: 200, C: 200, O: 404}),
    ("private childhood wound", "get", "exercises:entry", "private_wound", None, "",
     {A: 200, B: 404, C: 404, O: 404}),
    ("edit a childhood wound", "get", "exercises:entry_update", "wound", None, "",
     {A: 200, B: 404, C: 404, O: 404}),
    ("give a surprise", "post", "exercises:gift_log", "gift:surprises:surprise_item",
     {"given_on": "today"}, "", {A: 302, B: 302, C: 404, O: 404}),
    ("set a surprise aside", "post", "exercises:gift_item_set_aside",
     "gift:surprises:surprise_item", {"aside": "1"}, "", {A: 302, B: 302, C: 404, O: 404}),
    ("own shared vision", "get", "exercises:vision_shared", None, None, "",
     {A: 200, B: 200, C: 404, O: 404, "mallory": 200}),
    ("the couple's shared vision", "get", "exercises:vision_shared", "couple_kwarg", None, "",
     {A: 200, B: 200, C: 200, O: 404}),
    ("merge visions", "get", "exercises:vision_merge", None, None, "",
     {A: 200, B: 200, C: 404, O: 404, "mallory": 200}),
    ("rate a shared statement", "post", "exercises:vision_rate_truth", "vision_item",
     {"truth": "4"}, "", {A: 302, B: 302, C: 404, O: 404}),
    ("export (JSON)", "get", "exercises:export_json", None, None, "",
     {A: 200, B: 200, C: 200, O: 200}),
    ("export (CSV)", "get", "exercises:export_csv", None, None, "",
     {A: 200, B: 200, C: 200, O: 200}),
    ("couple page", "get", "couples:couple_detail", "couple", None, "",
     {A: 200, B: 200, C: 404, O: 404}),
    ("leave page", "get", "couples:couple_leave", "couple", None, "",
     {A: 200, B: 200, C: 404, O: 404}),
    ("dialogue list", "get", "dialogue:list", None, None, "", {A: 200, B: 200, C: 200, O: 200}),
    ("dialogue room", "get", "dialogue:room", "dialogue", None, "",
     {A: 200, B: 200, C: 200, O: 404}),
    ("dialogue transcript", "get", "dialogue:transcript", "dialogue", None, "",
     {A: 200, B: 200, C: 200, O: 404}),
]  # fmt: skip


def _url(world: World, name: str, key: str | None, query: str) -> str:
    if key is None:
        url = reverse(name)
    elif key == "kind":
        url = reverse(name, args=[Kind.APPRECIATION])
    elif key.startswith("kind:"):
        url = reverse(name, args=[key.split(":")[1]])
    elif key.startswith("gift:"):
        _, kind, item = key.split(":")
        url = reverse(name, args=[kind, world.ids[item]])
    elif key == "couple_kwarg":
        url = reverse(name, kwargs={"couple": world.ids["couple"]})
    else:
        url = reverse(name, args=[world.ids[key]])
    return f"{url}?couple={world.ids['couple']}" if query else url


def _expected(persona: str, expected: dict[str, int]) -> int | str:
    if persona == "anonymous":
        return LOGIN
    return expected.get(persona, expected[O])


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_route_answers_each_persona_as_the_matrix_says(persona: str) -> None:
    world = _world(persona)
    # A therapist's session has entered its second factor, as every therapist's must.
    client = Client() if persona == "anonymous" else login_client(world.people[persona])
    today = timezone.localdate().isoformat()
    got, want = {}, {}
    for label, method, name, key, data, query, expected in ROUTES:
        url = _url(world, name, key, query)
        payload = {k: today if v == "today" else v for k, v in (data or {}).items()}
        response = getattr(client, method)(url, payload) if method == "post" else client.get(url)
        status: int | str = response.status_code
        if status == 302 and response["Location"].startswith(reverse("login")):
            status = LOGIN
        got[label] = status
        want[label] = _expected(persona, expected)
    assert got == want


def test_a_malformed_couple_in_the_query_is_a_404_not_an_error(
    client_for: object, alice: User
) -> None:
    response = client_for(alice).get(reverse("exercises:history"), {"couple": "not-a-couple"})
    assert response.status_code == 404


# The live dialogue's socket: who may connect, and what an action gets them.
SOCKET = {
    "anonymous": "refused",
    "alice": "acts",
    "bob": "refused by the flow",  # it is Alice's move: Bob is heard and told so
    "carol": "observes",
    "olga": "refused",
    "rita": "refused",
    "uma": "refused",
    "tom": "refused",
    "mallory": "refused",
}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("persona", PERSONAS)
async def test_the_dialogue_socket_answers_each_persona_as_the_matrix_says(persona: str) -> None:
    from asgiref.sync import sync_to_async
    from django.db import connections

    from tests.dialogue.conftest import open_socket

    world = await sync_to_async(_world)(persona)
    user = None if persona == "anonymous" else world.people[persona]
    connected, party, ws = await open_socket(user, world.ids["dialogue"])
    if not connected:
        outcome = "refused"
    else:
        await party.frame("state")
        await party.act("propose", "Now?")
        frame = await party.frame("turn", "error")
        outcome = {
            ("turn", None): "acts",
            ("error", "observer"): "observes",
            ("error", "not_your_turn"): "refused by the flow",
        }[(frame["type"], frame.get("code"))]
        await party.close()
    await sync_to_async(connections.close_all)()
    assert outcome == SOCKET[persona]

"""An open socket never outlives its session: every way a session or a person's standing ends
closes that person's live sockets at once, with the close code of docs/protocol.md."""

from __future__ import annotations

import re

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.core import mail
from django.db import connections
from django.test import Client

from couples.models import Couple, User
from couples.services import SOCKET_RECONNECT, SOCKET_SIGNED_OUT, user_sockets_close
from dialogue.models import Dialogue
from imago_site.asgi import application
from tests.conftest import PASSWORD, login_client

from .conftest import ORIGIN, Party

pytestmark = pytest.mark.django_db(transaction=True)


async def _signed_in(user: User) -> Client:
    return await sync_to_async(login_client)(user)


async def _socket(client: Client, dialogue: Dialogue) -> Party:
    """A live socket opened with `client`'s session, as its browser tab would."""
    cookie = client.cookies["sessionid"].value
    communicator = WebsocketCommunicator(
        application,
        f"/ws/dialogue/{dialogue.pk}/",
        [ORIGIN, (b"cookie", f"sessionid={cookie}".encode())],
    )
    connected, _ = await communicator.connect(timeout=10)
    assert connected
    party = Party(None, communicator)  # type: ignore[arg-type]
    await party.frame("state")
    return party


async def _closed_with(party: Party) -> int:
    while True:
        output = await party.ws.receive_output(timeout=5)
        if output["type"] == "websocket.close":
            party.closed = True
            return output["code"]


async def _still_open(party: Party) -> bool:
    await party.send({"type": "sync"})
    return (await party.frame("state"))["type"] == "state"


@pytest.fixture
async def cleanup() -> object:
    parties: list[Party] = []
    yield parties
    for party in parties:
        await party.close()
    await sync_to_async(connections.close_all)()


async def test_logging_out_closes_that_sessions_sockets_and_leaves_another_devices_open(
    dialogue: Dialogue, alice: User, cleanup: list[Party]
) -> None:
    laptop, phone = await _signed_in(alice), await _signed_in(alice)
    on_laptop, on_phone = await _socket(laptop, dialogue), await _socket(phone, dialogue)
    cleanup += [on_laptop, on_phone]
    response = await sync_to_async(laptop.post)("/accounts/logout/")
    assert response.status_code == 302
    assert await _closed_with(on_laptop) == SOCKET_SIGNED_OUT
    assert await _still_open(on_phone)


async def test_changing_the_password_closes_the_other_sessions_sockets_and_keeps_this_one(
    dialogue: Dialogue, alice: User, cleanup: list[Party]
) -> None:
    here, elsewhere = await _signed_in(alice), await _signed_in(alice)
    on_here, on_elsewhere = await _socket(here, dialogue), await _socket(elsewhere, dialogue)
    cleanup += [on_here, on_elsewhere]
    response = await sync_to_async(here.post)(
        "/accounts/password_change/",
        {
            "old_password": PASSWORD,
            "new_password1": "a brand new passphrase 42",
            "new_password2": "a brand new passphrase 42",
        },
    )
    assert response.status_code == 302
    assert await _closed_with(on_elsewhere) == SOCKET_SIGNED_OUT
    assert await _still_open(on_here)


async def test_a_wrong_old_password_changes_nothing_and_closes_nothing(
    dialogue: Dialogue, alice: User, cleanup: list[Party]
) -> None:
    here, elsewhere = await _signed_in(alice), await _signed_in(alice)
    on_elsewhere = await _socket(elsewhere, dialogue)
    cleanup.append(on_elsewhere)
    response = await sync_to_async(here.post)(
        "/accounts/password_change/",
        {"old_password": "wrong", "new_password1": "x yz 12345 abc", "new_password2": "x yz"},
    )
    assert response.status_code == 200
    assert await _still_open(on_elsewhere)


async def test_resetting_the_password_closes_every_socket_of_that_person(
    dialogue: Dialogue, alice: User, bob: User, cleanup: list[Party]
) -> None:
    on_alice = await _socket(await _signed_in(alice), dialogue)
    on_bob = await _socket(await _signed_in(bob), dialogue)
    cleanup += [on_alice, on_bob]
    stranger = Client()
    await sync_to_async(stranger.post)("/accounts/password_reset/", {"email": alice.email})
    link = re.search(r"/accounts/reset/\S+/\S+/", mail.outbox[-1].body).group(0)
    form_page = await sync_to_async(stranger.get)(link, follow=True)
    response = await sync_to_async(stranger.post)(
        form_page.redirect_chain[-1][0],
        {
            "new_password1": "a brand new passphrase 42",
            "new_password2": "a brand new passphrase 42",
        },
    )
    assert response.status_code == 302
    assert await _closed_with(on_alice) == SOCKET_SIGNED_OUT
    assert await _still_open(on_bob)


async def test_logging_out_everywhere_else_closes_the_other_sessions_sockets_and_keeps_this_one(
    dialogue: Dialogue, alice: User, bob: User, cleanup: list[Party]
) -> None:
    here, elsewhere = await _signed_in(alice), await _signed_in(alice)
    on_here, on_elsewhere = await _socket(here, dialogue), await _socket(elsewhere, dialogue)
    on_bob = await _socket(await _signed_in(bob), dialogue)
    cleanup += [on_here, on_elsewhere, on_bob]
    await sync_to_async(here.get)("/")  # each device appears in the session list
    await sync_to_async(elsewhere.get)("/")
    response = await sync_to_async(here.post)("/accounts/sessions/end-others/")
    assert response.status_code == 302
    assert await _closed_with(on_elsewhere) == SOCKET_SIGNED_OUT
    assert await _still_open(on_here)
    assert await _still_open(on_bob)


async def test_deleting_the_account_closes_every_socket_of_that_person(
    dialogue: Dialogue, alice: User, bob: User, cleanup: list[Party]
) -> None:
    laptop, phone = await _signed_in(alice), await _signed_in(alice)
    on_laptop, on_phone = await _socket(laptop, dialogue), await _socket(phone, dialogue)
    on_bob = await _socket(await _signed_in(bob), dialogue)
    cleanup += [on_laptop, on_phone, on_bob]
    response = await sync_to_async(laptop.post)(
        "/accounts/delete/", {"shared": "keep", "password": PASSWORD, "confirm": "on"}
    )
    assert response.status_code == 302
    # Deleting ends the couple first (4409), then the sessions (4401): whichever comes first
    # closes each socket, and a reconnect has no session to come back with.
    assert await _closed_with(on_laptop) in {SOCKET_RECONNECT, SOCKET_SIGNED_OUT}
    assert await _closed_with(on_phone) in {SOCKET_RECONNECT, SOCKET_SIGNED_OUT}
    assert not await sync_to_async(User.objects.filter(pk=alice.pk).exists)()


async def test_leaving_the_couple_closes_the_leavers_sockets_and_a_reconnect_is_read_only(
    dialogue: Dialogue, couple: Couple, alice: User, cleanup: list[Party]
) -> None:
    client = await _signed_in(alice)
    before = await _socket(client, dialogue)
    cleanup.append(before)
    response = await sync_to_async(client.post)(f"/couple/{couple.pk}/leave/", {"confirm": "yes"})
    assert response.status_code == 302
    assert await _closed_with(before) == SOCKET_RECONNECT
    after = await _socket(client, dialogue)
    cleanup.append(after)
    await after.act("request", "Still there?")
    assert (await after.frame("error"))["code"] == "read_only"


async def test_revoking_the_therapist_closes_their_watching_socket_at_once(
    dialogue: Dialogue, couple: Couple, bob: User, carol_invited: User, cleanup: list[Party]
) -> None:
    watching = await _socket(await _signed_in(carol_invited), dialogue)
    cleanup.append(watching)
    response = await sync_to_async((await _signed_in(bob)).post)(
        f"/couple/{couple.pk}/therapist/revoke/"
    )
    assert response.status_code == 302
    assert await _closed_with(watching) == 4403


async def test_ending_a_persons_sockets_closes_each_of_theirs_and_nobody_elses(
    dialogue: Dialogue, alice: User, bob: User, cleanup: list[Party]
) -> None:
    """The hook for sessions ended elsewhere and for deleted accounts."""
    alices = [await _socket(await _signed_in(alice), dialogue) for _ in range(2)]
    on_bob = await _socket(await _signed_in(bob), dialogue)
    cleanup += [*alices, on_bob]
    await sync_to_async(user_sockets_close)(user=alice)
    assert [await _closed_with(party) for party in alices] == [SOCKET_SIGNED_OUT] * 2
    assert await _still_open(on_bob)


async def test_ending_all_but_one_session_keeps_that_sessions_socket(
    dialogue: Dialogue, alice: User, cleanup: list[Party]
) -> None:
    """ "Log out everywhere else"."""
    here, elsewhere = await _signed_in(alice), await _signed_in(alice)
    on_here, on_elsewhere = await _socket(here, dialogue), await _socket(elsewhere, dialogue)
    cleanup += [on_here, on_elsewhere]
    await sync_to_async(user_sockets_close)(user=alice, except_session_key=here.session.session_key)
    assert await _closed_with(on_elsewhere) == SOCKET_SIGNED_OUT
    assert await _still_open(on_here)


async def test_a_notification_for_the_person_leaves_their_dialogue_socket_alone(
    dialogue: Dialogue, alice: User, cleanup: list[Party]
) -> None:
    """The notifications socket shares the person's group; its events are not the room's."""
    from channels.layers import get_channel_layer

    on_alice = await _socket(await _signed_in(alice), dialogue)
    cleanup.append(on_alice)
    await get_channel_layer().group_send(alice.group_name, {"type": "notify.changed"})
    assert await _still_open(on_alice)


async def test_logging_out_closes_that_sessions_notifications_socket_too(alice: User) -> None:
    client = await _signed_in(alice)
    cookie = client.cookies["sessionid"].value
    notify = WebsocketCommunicator(
        application, "/ws/me/", [ORIGIN, (b"cookie", f"sessionid={cookie}".encode())]
    )
    connected, _ = await notify.connect(timeout=10)
    assert connected
    assert (await notify.receive_json_from(timeout=10))["type"] == "notifications"
    await sync_to_async(client.post)("/accounts/logout/")
    while True:
        output = await notify.receive_output(timeout=10)
        if output["type"] == "websocket.close":
            break
    assert output["code"] == SOCKET_SIGNED_OUT
    await sync_to_async(connections.close_all)()

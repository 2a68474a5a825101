"""A therapist's socket, like their pages, needs a session that entered the second factor."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import connections
from django.test import Client

from couples.models import User
from dialogue.models import Dialogue
from imago_site.asgi import application
from tests.dialogue.conftest import ORIGIN, open_socket

pytestmark = pytest.mark.django_db(transaction=True)


def _password_only_cookie(user: User) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


async def test_an_invited_therapist_without_the_second_factor_cannot_open_the_socket(
    dialogue: Dialogue, carol_invited: User
) -> None:
    cookie = await sync_to_async(_password_only_cookie)(carol_invited)
    headers = [ORIGIN, (b"cookie", f"sessionid={cookie}".encode())]
    communicator = WebsocketCommunicator(application, f"/ws/dialogue/{dialogue.pk}/", headers)
    connected, _ = await communicator.connect()
    assert not connected
    # The same therapist, second factor entered, is let in.
    ok, party, _ = await open_socket(carol_invited, dialogue.pk)
    assert ok
    await party.close()
    await sync_to_async(connections.close_all)()

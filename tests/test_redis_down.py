"""Redis unavailable: every HTTP page still answers (no 500), a no-JavaScript dialogue turn is
saved and answered as saved, and everything works again once Redis is back. A Redis server of
the test's own, on a free port, is stopped and started for real."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from couples.models import User
from dialogue.models import Dialogue, Turn
from tests.servers import RedisServer

pytestmark = pytest.mark.django_db


@pytest.fixture
def own_redis(settings: object) -> Iterator[RedisServer]:
    server = RedisServer()
    server.start()
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": server.url,
        }
    }
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.pubsub.RedisPubSubChannelLayer",
            "CONFIG": {"hosts": [server.url]},
        }
    }
    yield server
    if server.process is not None and server.process.poll() is None:
        server.stop()


def _turn(client: Client, dialogue: Dialogue, text: str, action: str = "request") -> object:
    return client.post(
        reverse("dialogue:act", args=[dialogue.pk]),
        {"action": action, "text": text, "msg_id": uuid.uuid4().hex},
    )


def test_with_redis_down_every_page_answers_and_a_form_turn_is_saved_and_said_saved(
    own_redis: RedisServer,
    every_path: list[str],
    client_for: Callable[[User], Client],
    alice: User,
    bob: User,
    carol_consented: User,
    mallory: User,
) -> None:
    dialogue = Dialogue.objects.get()
    cache.set("probe", 1)
    assert cache.get("probe") == 1  # the test's Redis is really in use

    own_redis.stop()
    with pytest.raises(Exception):  # noqa: B017 - the cache really is unreachable now
        cache.get("probe")
    people = [Client(), client_for(alice), client_for(carol_consented), client_for(mallory)]
    for client in people:
        for path in every_path:
            assert client.get(path).status_code != 500, path

    response = _turn(client_for(alice), dialogue, "Is now a good time?")
    assert response.status_code == 302
    assert response["Location"] == reverse("dialogue:room", args=[dialogue.pk])
    assert Turn.objects.filter(dialogue=dialogue, text="Is now a good time?").count() == 1

    # Pages that count attempts in the cache still answer.
    wrong_code = client_for(bob).post(reverse("couples:join_by_code"), {"code": "ZZZZ-ZZZZ"})
    assert wrong_code.status_code == 400
    reset = Client().post(reverse("password_reset"), {"email": "alice@example.com"})
    assert reset.status_code == 302
    login = Client().post(reverse("login"), {"username": "bob@example.com", "password": "x"})
    assert login.status_code == 200

    own_redis.start()  # back, on the same port
    cache.set("probe", 2)
    assert cache.get("probe") == 2
    response = _turn(client_for(bob), dialogue, "Yes, I'm ready to hear you.", "accept")
    assert response.status_code == 302
    assert Turn.objects.filter(dialogue=dialogue).count() == 2
    assert client_for(alice).get(reverse("dialogue:room", args=[dialogue.pk])).status_code == 200

"""In-app notifications: a partner waiting, the list, the count in the header and tab title,
mark read, the live socket, and settings (pause, off)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import connections
from django.test import Client
from django.urls import reverse

from couples.models import Couple, Notification, NotificationKind, NotificationSettings, User
from couples.notifications import (
    notification_create,
    notification_settings_update,
)
from dialogue.services import dialogue_start
from imago_site.asgi import application
from tests.dialogue.conftest import ORIGIN, session_cookie

ClientFor = Callable[[User], Client]


def test_starting_a_dialogue_tells_the_partner_who_waits_and_links_to_the_room(
    couple: Couple, alice: User, bob: User, client_for: ClientFor
) -> None:
    dialogue = dialogue_start(couple=couple, user=alice, topic="the dishes")

    page = client_for(bob).get("/").content.decode()

    assert "Alice is waiting for you in a dialogue" in page
    assert "the dishes" not in page
    notification = Notification.objects.get(recipient=bob)
    assert notification.kind == NotificationKind.PARTNER_WAITING
    assert notification.url == f"/dialogues/{dialogue.pk}/"
    assert not Notification.objects.filter(recipient=alice).exists()


def test_the_unread_count_shows_in_the_header_and_the_tab_title(
    couple: Couple, alice: User, bob: User, client_for: ClientFor
) -> None:
    dialogue_start(couple=couple, user=alice, topic="one")
    dialogue_start(couple=couple, user=alice, topic="two")

    page = client_for(bob).get("/exercises/").content.decode()

    assert "<title>(2) " in page
    assert '<span id="notify-count" class="badge">2</span>' in page


def test_without_unread_notifications_the_title_has_no_count(
    couple: Couple, bob: User, client_for: ClientFor
) -> None:
    page = client_for(bob).get("/").content.decode()

    assert "<title>Home · Imago</title>" in page
    assert 'id="notify-count" class="badge" hidden' in page


def test_opening_the_room_marks_the_waiting_notice_read(
    couple: Couple, alice: User, bob: User, client_for: ClientFor
) -> None:
    dialogue = dialogue_start(couple=couple, user=alice, topic="the dishes")

    client_for(bob).get(f"/dialogues/{dialogue.pk}/")

    assert Notification.objects.get(recipient=bob).read_at is not None


def test_following_a_notification_marks_it_read_and_leads_to_the_thing_itself(
    couple: Couple, alice: User, bob: User, client_for: ClientFor
) -> None:
    dialogue = dialogue_start(couple=couple, user=alice, topic="the dishes")
    notification = Notification.objects.get(recipient=bob)

    response = client_for(bob).get(f"/notifications/{notification.pk}/")

    assert response.status_code == 302
    assert response["Location"] == f"/dialogues/{dialogue.pk}/"
    notification.refresh_from_db()
    assert notification.read_at is not None


def test_someone_elses_notification_is_a_404_and_stays_unread(
    couple: Couple, alice: User, bob: User, mallory: User, client_for: ClientFor
) -> None:
    dialogue_start(couple=couple, user=alice, topic="the dishes")
    notification = Notification.objects.get(recipient=bob)
    mallory_client = client_for(mallory)

    assert mallory_client.get(f"/notifications/{notification.pk}/").status_code == 404
    assert mallory_client.post(f"/notifications/{notification.pk}/read/").status_code == 404
    assert client_for(alice).get(f"/notifications/{notification.pk}/").status_code == 404
    notification.refresh_from_db()
    assert notification.read_at is None


def test_the_list_page_shows_each_notification_and_marks_them_all_read(
    couple: Couple, alice: User, bob: User, client_for: ClientFor
) -> None:
    dialogue_start(couple=couple, user=alice, topic="one")
    dialogue_start(couple=couple, user=alice, topic="two")
    bob_client = client_for(bob)

    page = bob_client.get("/notifications/").content.decode()
    assert page.count("Alice is waiting for you in a dialogue") >= 2
    response = bob_client.post("/notifications/read/")

    assert response.status_code == 302
    assert not Notification.objects.filter(recipient=bob, read_at__isnull=True).exists()
    assert (
        "<title>Notifications · Imago</title>" in bob_client.get("/notifications/").content.decode()
    )


def test_marking_one_read_leaves_the_others_unread(
    couple: Couple, alice: User, bob: User, client_for: ClientFor
) -> None:
    dialogue_start(couple=couple, user=alice, topic="one")
    dialogue_start(couple=couple, user=alice, topic="two")
    first, second = Notification.objects.filter(recipient=bob).order_by("pk")

    client_for(bob).post(f"/notifications/{first.pk}/read/")

    first.refresh_from_db()
    second.refresh_from_db()
    assert first.read_at is not None
    assert second.read_at is None


def test_a_kind_turned_off_creates_nothing(couple: Couple, alice: User, bob: User) -> None:
    notification_settings_update(user=bob, channels={NotificationKind.PARTNER_WAITING: "off"})

    dialogue_start(couple=couple, user=alice, topic="the dishes")

    assert not Notification.objects.filter(recipient=bob).exists()


def test_a_paused_partner_gets_nothing_and_the_other_sees_only_that_notifications_are_paused(
    couple: Couple, alice: User, bob: User, client_for: ClientFor
) -> None:
    client_for(bob).post(
        "/notifications/settings/",
        {
            "time_zone": "Europe/Berlin",
            "paused": "on",
            "daily_cap": 6,
            "daily_at": "19:00",
            **{f"channel_{kind.value}": "app" for kind in NotificationKind},
        },
    )

    dialogue_start(couple=couple, user=alice, topic="the dishes")

    assert not Notification.objects.filter(recipient=bob).exists()
    alice_home = client_for(alice).get("/").content.decode()
    assert "Bob: notifications paused." in alice_home
    bob.refresh_from_db()
    assert bob.time_zone == "Europe/Berlin"


def test_settings_refuse_half_quiet_hours_and_change_nothing(
    bob: User, client_for: ClientFor
) -> None:
    response = client_for(bob).post(
        "/notifications/settings/",
        {
            "time_zone": "UTC",
            "quiet_start": "22:00",
            "paused": "on",
            "daily_cap": 6,
            "daily_at": "19:00",
            **{f"channel_{kind.value}": "app" for kind in NotificationKind},
        },
    )

    assert response.status_code == 400
    assert "both a start and an end" in response.content.decode()
    assert not NotificationSettings.objects.filter(user=bob, paused=True).exists()


def test_settings_refuse_an_unknown_time_zone(bob: User, client_for: ClientFor) -> None:
    response = client_for(bob).post(
        "/notifications/settings/",
        {
            "time_zone": "Mars/Olympus",
            "daily_cap": 6,
            "daily_at": "19:00",
            **{f"channel_{kind.value}": "app" for kind in NotificationKind},
        },
    )

    assert response.status_code == 400
    bob.refresh_from_db()
    assert bob.time_zone == "UTC"


def test_an_unknown_kind_or_variant_is_refused(bob: User) -> None:
    with pytest.raises(ValueError):
        notification_create(recipient=bob, kind="gossip")
    with pytest.raises(ValueError):
        notification_create(recipient=bob, kind=NotificationKind.APPOINTMENT, variant="whenever")


# --- The live socket -----------------------------------------------------------------------------


async def _socket(user: User | None) -> WebsocketCommunicator:
    headers = [ORIGIN]
    if user is not None:
        cookie = await sync_to_async(session_cookie)(user)
        headers.append((b"cookie", f"sessionid={cookie}".encode()))
    return WebsocketCommunicator(application, "/ws/me/", headers)


@pytest.mark.django_db(transaction=True)
async def test_the_socket_sends_the_count_on_connect_and_again_when_the_partner_starts_a_dialogue(
    couple: Couple, alice: User, bob: User
) -> None:
    ws = await _socket(bob)
    connected, _ = await ws.connect()
    assert connected
    first = await ws.receive_json_from(timeout=5)
    assert first == {"type": "notifications", "unread": 0, "html": ""}

    await sync_to_async(dialogue_start)(couple=couple, user=alice, topic="the dishes")

    frame = await ws.receive_json_from(timeout=5)
    assert frame["unread"] == 1
    assert "Alice is waiting for you in a dialogue" in frame["html"]
    assert "the dishes" not in frame["html"]
    await ws.disconnect()
    await sync_to_async(connections.close_all)()


@pytest.mark.django_db(transaction=True)
async def test_the_socket_tells_only_its_own_person(
    couple: Couple, alice: User, bob: User, mallory: User
) -> None:
    ws = await _socket(mallory)
    assert (await ws.connect())[0]
    await ws.receive_json_from(timeout=5)

    await sync_to_async(dialogue_start)(couple=couple, user=alice, topic="the dishes")

    assert await ws.receive_nothing(timeout=0.3)
    await ws.disconnect()
    await sync_to_async(connections.close_all)()


@pytest.mark.django_db(transaction=True)
async def test_an_anonymous_socket_is_refused() -> None:
    ws = await _socket(None)
    connected, _ = await ws.connect()
    assert not connected


def test_a_notice_is_dismissed_where_it_shows_and_the_page_comes_back(
    client_for: Callable[[User], Client], alice: User, bob: User, couple: Couple
) -> None:
    notice = notification_create(recipient=bob, kind=NotificationKind.APPRECIATION, actor=alice)
    client = client_for(bob)
    page = client.get("/exercises/").content.decode()
    assert "Alice wrote you an appreciation" in page and "Dismiss" in page
    # Without JavaScript: a form, back to the page it was on.
    response = client.post(
        reverse("couples:notification_read", args=[notice.pk]), {"next": "/exercises/"}
    )
    assert response.status_code == 302 and response.url == "/exercises/"
    notice.refresh_from_db()
    assert notice.read_at is not None
    assert "Alice wrote you an appreciation" not in client.get("/exercises/").content.decode()
    # With htmx: the notice is swapped out for nothing.
    other = notification_create(recipient=bob, kind=NotificationKind.HOMEWORK, actor=alice)
    response = client.post(
        reverse("couples:notification_read", args=[other.pk]), HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200 and response.content == b""
    # Another person's notice is not theirs to dismiss.
    mine = notification_create(recipient=alice, kind=NotificationKind.HOMEWORK, actor=bob)
    assert client.post(reverse("couples:notification_read", args=[mine.pk])).status_code == 404
    assert client.post(
        reverse("couples:notification_read", args=[notice.pk]), {"next": "https://evil.example/"}
    ).url == reverse("couples:notification_list")


def test_more_than_two_notices_fold_into_one_line(
    client_for: Callable[[User], Client], alice: User, bob: User, couple: Couple
) -> None:
    client = client_for(bob)
    notification_create(recipient=bob, kind=NotificationKind.APPRECIATION, actor=alice)
    notification_create(recipient=bob, kind=NotificationKind.REQUEST_ANSWERED, actor=alice)
    assert "<summary>" not in client.get("/").content.decode()
    notification_create(recipient=bob, kind=NotificationKind.HOMEWORK, actor=alice)
    page = client.get("/").content.decode()
    assert "<summary>3 notifications</summary>" in page

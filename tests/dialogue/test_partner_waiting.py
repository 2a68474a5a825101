"""A partner who enters the room of an open dialogue and finds the other absent tells them they
are waiting — on starting it, and on coming back to it later — but never while the other is
there, and not twice for one wait."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from django.utils import timezone

from couples.models import Notification, NotificationKind, User
from dialogue import consumers
from dialogue.models import Dialogue

from .conftest import Join

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _alone_quickly(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(consumers, "ALONE_AFTER", 0.2)


def _waiting_notices(user: User, dialogue: Dialogue) -> list[Notification]:
    return list(
        Notification.objects.filter(
            recipient=user, kind=NotificationKind.PARTNER_WAITING, target=dialogue.group_name
        ).order_by("created_at")
    )


@sync_to_async
def _seen_long_ago(user: User, dialogue: Dialogue) -> None:
    """The notice of the start was read, and the dialogue was left for a while."""
    Notification.objects.filter(recipient=user, target=dialogue.group_name).update(
        read_at=timezone.now(), created_at=timezone.now() - timedelta(hours=2)
    )


async def _notices_after_a_while(user: User, dialogue: Dialogue) -> list[Notification]:
    await asyncio.sleep(1.0)  # well past ALONE_AFTER
    return await sync_to_async(_waiting_notices)(user, dialogue)


async def test_coming_back_to_the_room_alone_tells_the_partner_again(
    join: Join, dialogue: Dialogue, alice: User, bob: User
) -> None:
    await _seen_long_ago(bob, dialogue)
    await join(alice)
    notices = await _notices_after_a_while(bob, dialogue)
    assert len(notices) == 2
    latest = notices[-1]
    assert latest.actor_id == alice.pk and latest.read_at is None
    assert latest.url == f"/dialogues/{dialogue.pk}/"


async def test_nobody_is_told_while_the_partner_is_in_the_room(
    join: Join, dialogue: Dialogue, alice: User, bob: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(consumers, "ALONE_AFTER", 2.0)  # time enough to open both sockets
    await _seen_long_ago(bob, dialogue)
    await _seen_long_ago(alice, dialogue)
    await join(bob)
    await join(alice)
    await asyncio.sleep(2.0)
    assert len(await _notices_after_a_while(bob, dialogue)) == 1  # the start's, nothing new
    assert len(await _notices_after_a_while(alice, dialogue)) == 0


async def test_an_unseen_notice_is_not_repeated_however_often_the_room_is_entered(
    join: Join, dialogue: Dialogue, alice: User, bob: User
) -> None:
    first = await join(alice)
    await first.close()
    await join(alice)
    await join(alice)
    assert len(await _notices_after_a_while(bob, dialogue)) == 1  # the start's, still unseen


async def test_the_watching_therapist_tells_nobody(
    join: Join, dialogue: Dialogue, alice: User, bob: User, carol_invited: User
) -> None:
    await _seen_long_ago(bob, dialogue)
    await _seen_long_ago(alice, dialogue)
    await join(carol_invited)
    assert len(await _notices_after_a_while(bob, dialogue)) == 1
    assert len(await _notices_after_a_while(alice, dialogue)) == 0

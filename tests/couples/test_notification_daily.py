"""Daily items with a fake clock, at the time each person chose on their own clock: the
optional temperature-reading prompt and the optional digest email of what stayed unread."""

from __future__ import annotations

import zoneinfo
from datetime import datetime, time, timedelta

from django.core import mail
from django.test import Client
from django.utils import timezone

from couples.models import Couple, Notification, User
from couples.notifications import (
    notification_daily_due,
    notification_settings_update,
    unsubscribe_token,
)
from dialogue.services import dialogue_start

BERLIN = zoneinfo.ZoneInfo("Europe/Berlin")


def _berlin(day_offset: int, at: time) -> datetime:
    day = timezone.now().astimezone(BERLIN).date() + timedelta(days=day_offset)
    return datetime.combine(day, at, tzinfo=BERLIN)


def test_the_temperature_prompt_comes_once_a_day_at_the_chosen_local_time(bob: User) -> None:
    notification_settings_update(
        user=bob, time_zone="Europe/Berlin", temperature_prompt=True, daily_at=time(20, 0)
    )

    assert notification_daily_due(now=_berlin(1, time(19, 59))) == 0
    assert notification_daily_due(now=_berlin(1, time(20, 1))) == 1
    assert notification_daily_due(now=_berlin(1, time(22, 0))) == 0
    assert notification_daily_due(now=_berlin(2, time(20, 0))) == 1

    prompts = Notification.objects.filter(recipient=bob, kind="reminder", variant="temperature")
    assert prompts.count() == 2
    assert prompts.first().url == "/exercises/temperature/"


def test_no_prompt_for_someone_who_did_not_ask_or_paused(alice: User, bob: User) -> None:
    notification_settings_update(user=bob, temperature_prompt=True, paused=True)
    notification_settings_update(user=alice, temperature_prompt=False)

    assert notification_daily_due(now=_berlin(1, time(23, 0))) == 0

    assert not Notification.objects.exists()


def test_the_digest_gathers_what_stayed_unread_and_its_link_stops_it(
    couple: Couple, alice: User, bob: User
) -> None:
    notification_settings_update(user=bob, digest=True, daily_at=time(0, 0))
    dialogue_start(couple=couple, user=alice, topic="the dishes")

    notification_daily_due(now=timezone.now() + timedelta(minutes=1))

    [digest] = mail.outbox
    assert digest.to == ["bob@example.com"]
    assert digest.subject == "What's new for you today"
    assert "Alice is waiting for you in a dialogue" in digest.body
    assert "the dishes" not in digest.body
    assert digest.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    token = unsubscribe_token(user=bob, kind="digest")
    assert Client().post(f"/notifications/unsubscribe/{token}/").status_code == 200
    bob.notification_settings.refresh_from_db()
    assert bob.notification_settings.digest is False

"""A partner who gives a requested gift can ask for a daily reminder at a time of their own
choosing, while the gift runs (fake clock: the scheduler's entry point takes `now`)."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.utils import timezone

from couples.models import Couple, Notification, User
from couples.notifications import notification_settings_update
from exercises.models import Visibility
from exercises.services import request_choose_gift, request_reminders_due

from .conftest import create_entry


def _today_at(at: time) -> datetime:
    return datetime.combine(timezone.localdate(), at, tzinfo=timezone.get_current_timezone())


def test_the_giver_who_asked_is_reminded_once_a_day_at_their_time(
    couple: Couple, alice: User, bob: User
) -> None:
    notification_settings_update(user=bob, request_reminder=True, daily_at=time(19, 0))
    entry = create_entry(alice, "request", Visibility.PARTNER)
    item = entry.request.items.first()
    request_choose_gift(entry=entry, by=bob, item_id=item.pk)

    assert request_reminders_due(now=_today_at(time(18, 59))) == 0
    assert request_reminders_due(now=_today_at(time(19, 1))) == 1
    assert request_reminders_due(now=_today_at(time(21, 0))) == 0
    assert request_reminders_due(now=_today_at(time(19, 1)) + timedelta(days=1)) == 1

    reminders = Notification.objects.filter(kind="reminder", variant="request")
    assert set(reminders.values_list("recipient__display_name", flat=True)) == {"Bob"}
    assert reminders.first().url == f"/exercises/entry/{entry.pk}/"


def test_no_reminder_unless_asked_for_or_after_the_gift_ends(
    couple: Couple, alice: User, bob: User
) -> None:
    entry = create_entry(alice, "request", Visibility.PARTNER)
    item = entry.request.items.first()
    request_choose_gift(entry=entry, by=bob, item_id=item.pk)
    item.refresh_from_db()

    assert request_reminders_due(now=_today_at(time(23, 0))) == 0
    notification_settings_update(user=bob, request_reminder=True, daily_at=time(0, 0))
    after_the_end = datetime.combine(
        item.ends_on + timedelta(days=1), time(12, 0), tzinfo=timezone.get_current_timezone()
    )
    assert request_reminders_due(now=after_the_end) == 0
    assert not Notification.objects.filter(kind="reminder").exists()

"""Email delivery with a fake clock: the scheduler's entry point is called with an explicit
`now` instead of waiting. Partner waiting (delayed, skipped once seen), quiet hours in the
person's own time zone, the daily cap, and the one-click unsubscribe link (RFC 8058)."""

from __future__ import annotations

import zoneinfo
from datetime import datetime, time, timedelta

from django.core import mail
from django.test import Client
from django.utils import timezone

from couples.models import Couple, Delivery, NotificationKind, User
from couples.notifications import (
    notification_dispatch_due,
    notification_read_target,
    notification_settings_update,
    unsubscribe_token,
)
from dialogue.services import dialogue_start

DELAY = timedelta(seconds=180)  # settings.NOTIFY_PARTNER_WAITING_DELAY


def test_partner_waiting_is_emailed_only_once_the_delay_has_passed_unseen(
    couple: Couple, alice: User, bob: User
) -> None:
    dialogue_start(couple=couple, user=alice, topic="the dishes")
    start = timezone.now()

    assert notification_dispatch_due(now=start + timedelta(minutes=1)) == 0
    assert mail.outbox == []
    assert notification_dispatch_due(now=start + DELAY + timedelta(seconds=1)) == 1

    [message] = mail.outbox
    assert message.to == ["bob@example.com"]
    assert message.subject == "Alice is waiting for you in a dialogue"
    assert "the dishes" not in message.body
    assert "/dialogues/" in message.body
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message.extra_headers["List-Unsubscribe"].startswith(
        "<http://127.0.0.1:8000/notifications/unsubscribe/"
    )
    [(html, mimetype)] = message.alternatives
    assert mimetype == "text/html"
    assert "Alice is waiting for you in a dialogue" in html
    # Sent once: a second run finds nothing due.
    assert notification_dispatch_due(now=start + DELAY * 2) == 0
    assert len(mail.outbox) == 1


def test_partner_waiting_seen_in_the_app_is_never_emailed(
    couple: Couple, alice: User, bob: User
) -> None:
    dialogue = dialogue_start(couple=couple, user=alice, topic="the dishes")
    notification_read_target(user=bob, target=dialogue.group_name)

    assert notification_dispatch_due(now=timezone.now() + DELAY * 2) == 0

    assert mail.outbox == []
    assert Delivery.objects.get().outcome == Delivery.Outcome.SEEN


def test_quiet_hours_hold_the_email_until_they_end_in_the_persons_own_time_zone(
    couple: Couple, alice: User, bob: User
) -> None:
    berlin = zoneinfo.ZoneInfo("Europe/Berlin")
    due = timezone.now() + DELAY + timedelta(seconds=1)
    local = due.astimezone(berlin)
    # Quiet from an hour before the email is due until two hours after, on Bob's own clock.
    start = (local - timedelta(hours=1)).time().replace(second=0, microsecond=0)
    end = (local + timedelta(hours=2)).time().replace(second=0, microsecond=0)
    notification_settings_update(
        user=bob, time_zone="Europe/Berlin", quiet_start=start, quiet_end=end
    )
    dialogue_start(couple=couple, user=alice, topic="the dishes")

    assert notification_dispatch_due(now=due) == 0
    assert notification_dispatch_due(now=due + timedelta(hours=1)) == 0
    assert mail.outbox == []
    held = Delivery.objects.get()
    quiet_end = held.due_at.astimezone(berlin)
    assert quiet_end.time() == end
    assert quiet_end > local

    assert notification_dispatch_due(now=held.due_at) == 1
    assert [m.to for m in mail.outbox] == [["bob@example.com"]]


def test_quiet_hours_over_midnight_end_the_next_morning(bob: User) -> None:
    from couples.notifications import notification_settings_for, quiet_until

    notification_settings_update(user=bob, quiet_start=time(22, 0), quiet_end=time(7, 0))
    prefs = notification_settings_for(bob)
    utc = zoneinfo.ZoneInfo("UTC")

    assert quiet_until(user=bob, prefs=prefs, now=datetime(2026, 5, 1, 23, 30, tzinfo=utc)) == (
        datetime(2026, 5, 2, 7, 0, tzinfo=utc)
    )
    assert quiet_until(user=bob, prefs=prefs, now=datetime(2026, 5, 2, 6, 59, tzinfo=utc)) == (
        datetime(2026, 5, 2, 7, 0, tzinfo=utc)
    )
    assert quiet_until(user=bob, prefs=prefs, now=datetime(2026, 5, 2, 12, 0, tzinfo=utc)) is None


def test_a_pause_stops_emails_already_on_their_way(couple: Couple, alice: User, bob: User) -> None:
    dialogue_start(couple=couple, user=alice, topic="the dishes")
    notification_settings_update(user=bob, paused=True)

    assert notification_dispatch_due(now=timezone.now() + DELAY * 2) == 0

    assert mail.outbox == []
    assert Delivery.objects.get().outcome == Delivery.Outcome.PAUSED


def test_the_daily_cap_holds_back_emails_beyond_it(couple: Couple, alice: User, bob: User) -> None:
    notification_settings_update(user=bob, daily_cap=2)
    for topic in ("one", "two", "three"):
        dialogue_start(couple=couple, user=alice, topic=topic)

    assert notification_dispatch_due(now=timezone.now() + DELAY * 2) == 2

    assert len(mail.outbox) == 2
    assert sorted(Delivery.objects.values_list("outcome", flat=True)) == [
        Delivery.Outcome.CAPPED,
        Delivery.Outcome.SENT,
        Delivery.Outcome.SENT,
    ]


def test_discreet_mode_emails_name_neither_the_partner_nor_the_apps_purpose(
    couple: Couple, alice: User, bob: User
) -> None:
    notification_settings_update(user=bob, discreet=True)
    dialogue_start(couple=couple, user=alice, topic="the dishes")

    notification_dispatch_due(now=timezone.now() + DELAY * 2)

    [message] = mail.outbox
    assert message.subject == "You have a new message"
    for text in (message.subject, message.body, message.alternatives[0][0]):
        assert "Alice" not in text
        assert "dialogue" not in text.replace("/dialogues/", "")
        assert "therap" not in text.lower()


# --- Unsubscribe --------------------------------------------------------------------------------


def test_the_unsubscribe_link_works_once_with_one_click(bob: User) -> None:
    token = unsubscribe_token(user=bob, kind=NotificationKind.PARTNER_WAITING)
    anonymous = Client()

    assert (
        "Stop getting emails"
        in anonymous.get(f"/notifications/unsubscribe/{token}/").content.decode()
    )
    first = anonymous.post(
        f"/notifications/unsubscribe/{token}/", {"List-Unsubscribe": "One-Click"}
    )
    second = anonymous.post(f"/notifications/unsubscribe/{token}/")

    assert first.status_code == 200
    assert "no more of these emails" in first.content.decode()
    assert second.status_code == 400
    assert "already been used" in second.content.decode()
    bob.notification_settings.refresh_from_db()
    assert bob.notification_settings.channels[NotificationKind.PARTNER_WAITING] == "app"
    # Other kinds keep their email.
    assert bob.notification_settings.channels[NotificationKind.APPOINTMENT] == "email"


def test_an_unsubscribe_link_changes_only_its_owners_settings(alice: User, bob: User) -> None:
    token = unsubscribe_token(user=bob, kind=NotificationKind.PARTNER_WAITING)
    alice_token = unsubscribe_token(user=alice, kind=NotificationKind.PARTNER_WAITING)
    # Swapping the payload for Alice's breaks the signature.
    forged = alice_token.split(":")[0] + ":" + ":".join(token.split(":")[1:])
    alice_client = Client()
    alice_client.force_login(alice)

    assert alice_client.post(f"/notifications/unsubscribe/{forged}/").status_code == 400
    assert alice_client.post(f"/notifications/unsubscribe/{token}/").status_code == 200

    alice.notification_settings.refresh_from_db()
    bob.notification_settings.refresh_from_db()
    assert alice.notification_settings.channels[NotificationKind.PARTNER_WAITING] == "email"
    assert bob.notification_settings.channels[NotificationKind.PARTNER_WAITING] == "app"


def test_a_garbled_unsubscribe_link_gets_a_clear_message(bob: User) -> None:
    response = Client().post("/notifications/unsubscribe/not-a-token/")

    assert response.status_code == 400
    assert "not valid" in response.content.decode()


# --- The scheduler -------------------------------------------------------------------------------


def test_a_due_email_wakes_the_dispatcher_at_its_time_and_the_minute_task_backs_it_up(
    couple: Couple, alice: User, bob: User, django_capture_on_commit_callbacks: object
) -> None:
    from huey.contrib.djhuey import HUEY

    from couples.tasks import notifications_every_minute

    HUEY.flush()
    with django_capture_on_commit_callbacks(execute=True):
        dialogue_start(couple=couple, user=alice, topic="the dishes")

    [wake_up] = HUEY.scheduled()
    assert wake_up.name.endswith("notifications_dispatch")
    due = Delivery.objects.get().due_at
    assert abs(wake_up.eta.replace(tzinfo=zoneinfo.ZoneInfo("UTC")) - due) < timedelta(seconds=1)
    # The periodic task runs the same dispatcher: nothing is due yet.
    assert notifications_every_minute.call_local() == 0
    assert mail.outbox == []

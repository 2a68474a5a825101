"""Appointments with a fake clock: "Not now — at 8 pm" becomes one; both partners are reminded
at the time (and 15 minutes before); a moved one reminds at the new time only; a cancelled one
never; an .ics for a calendar; another couple's appointment is a 404."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone
from icalendar import Calendar

from couples.models import Couple, Notification, User
from couples.notifications import notification_dispatch_due, notification_settings_update
from dialogue.appointments import (
    AppointmentError,
    appointment_cancel,
    appointment_move,
    appointment_set,
)
from dialogue.models import Appointment
from dialogue.services import dialogue_start, turn_submit

ClientFor = Callable[[User], Client]


def _shown(user: User) -> list[str]:
    return list(
        Notification.objects.for_recipient(user)
        .filter(kind="appointment")
        .order_by("show_at")
        .values_list("variant", flat=True)
    )


def _dispatch(at: object) -> None:
    """Run the scheduler at `at`: show what is due, and make the reads below see it as now."""
    notification_dispatch_due(now=at)


def test_not_now_at_a_time_becomes_an_appointment_for_that_dialogue(
    couple: Couple, alice: User, bob: User
) -> None:
    dialogue = dialogue_start(couple=couple, user=alice, topic="the dishes")
    turn_submit(
        dialogue_id=dialogue.pk, user=alice, action="request", client_msg_id="1", text="Now?"
    )
    at = (timezone.now() + timedelta(hours=3)).replace(microsecond=0)

    turn_submit(
        dialogue_id=dialogue.pk,
        user=bob,
        action="decline",
        client_msg_id="2",
        text="Not now",
        at=at,
    )

    appointment = Appointment.objects.get()
    assert appointment.dialogue == dialogue
    assert appointment.at == at
    assert appointment.created_by == bob


def test_both_partners_are_reminded_at_the_time_and_fifteen_minutes_before(
    couple: Couple, alice: User, bob: User
) -> None:
    at = timezone.now() + timedelta(hours=2)
    appointment_set(couple=couple, by=alice, at=at)
    mail.outbox.clear()

    _dispatch(at - timedelta(hours=1))
    assert Notification.objects.filter(shown_at__isnull=False, kind="appointment").count() == 0
    assert mail.outbox == []

    _dispatch(at - timedelta(minutes=15))
    assert sorted(m.to[0] for m in mail.outbox) == ["alice@example.com", "bob@example.com"]
    assert {m.subject for m in mail.outbox} == {
        "Your dialogue with Alice starts in 15 minutes",
        "Your dialogue with Bob starts in 15 minutes",
    }

    _dispatch(at)
    assert len(mail.outbox) == 4
    assert "It's time for your dialogue with Alice" in {m.subject for m in mail.outbox}
    shown = Notification.objects.filter(recipient=bob, shown_at__isnull=False)
    assert sorted(shown.values_list("variant", flat=True)) == ["now", "soon"]


def test_someone_who_wants_no_early_reminder_gets_only_the_one_at_the_time(
    couple: Couple, alice: User, bob: User
) -> None:
    notification_settings_update(user=bob, remind_before=False)
    at = timezone.now() + timedelta(hours=2)
    appointment_set(couple=couple, by=alice, at=at)

    _dispatch(at)

    assert sorted(m.subject for m in mail.outbox if m.to == ["bob@example.com"]) == [
        "It's time for your dialogue with Alice"
    ]


def test_a_moved_appointment_reminds_at_the_new_time_only(
    couple: Couple, alice: User, bob: User
) -> None:
    old = timezone.now() + timedelta(hours=2)
    new = timezone.now() + timedelta(hours=5)
    appointment = appointment_set(couple=couple, by=alice, at=old)

    appointment_move(appointment=appointment, by=bob, at=new)
    _dispatch(old + timedelta(minutes=1))

    assert mail.outbox == []
    assert not Notification.objects.filter(shown_at__isnull=False).exists()

    _dispatch(new)
    assert len(mail.outbox) == 4
    assert Notification.objects.filter(shown_at__isnull=False, kind="appointment").count() == 4


def test_a_cancelled_appointment_never_reminds(couple: Couple, alice: User, bob: User) -> None:
    at = timezone.now() + timedelta(hours=2)
    appointment = appointment_set(couple=couple, by=alice, at=at)

    appointment_cancel(appointment=appointment, by=bob)
    _dispatch(at + timedelta(minutes=1))

    assert mail.outbox == []
    assert not Notification.objects.filter(shown_at__isnull=False).exists()


def test_a_time_in_the_past_or_too_far_ahead_is_refused_and_nothing_is_planned(
    couple: Couple, alice: User
) -> None:
    with pytest.raises(AppointmentError, match="already passed"):
        appointment_set(couple=couple, by=alice, at=timezone.now() - timedelta(hours=1))
    with pytest.raises(AppointmentError, match="60 days"):
        appointment_set(couple=couple, by=alice, at=timezone.now() + timedelta(days=90))

    assert not Appointment.objects.exists()
    assert not Notification.objects.exists()


def test_an_outsider_cannot_plan_for_a_couple(couple: Couple, mallory: User) -> None:
    with pytest.raises(AppointmentError):
        appointment_set(couple=couple, by=mallory, at=timezone.now() + timedelta(hours=1))


# --- Pages ---------------------------------------------------------------------------------------


def test_planning_on_the_page_reads_the_time_in_the_persons_own_time_zone(
    couple: Couple, alice: User, client_for: ClientFor
) -> None:
    notification_settings_update(user=alice, time_zone="America/New_York")
    local = (timezone.now() + timedelta(days=2)).astimezone(
        __import__("zoneinfo").ZoneInfo("America/New_York")
    )
    typed = local.strftime("%Y-%m-%dT20:00")

    response = client_for(alice).post("/dialogues/appointments/new/", {"at": typed})

    assert response.status_code == 302
    at = Appointment.objects.get().at.astimezone(local.tzinfo)
    assert (at.hour, at.minute) == (20, 0)


def test_moving_and_cancelling_on_the_page(
    couple: Couple, alice: User, bob: User, client_for: ClientFor
) -> None:
    appointment = appointment_set(couple=couple, by=alice, at=timezone.now() + timedelta(hours=2))
    later = (timezone.now() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    bob_client = client_for(bob)

    page = bob_client.get("/dialogues/appointments/").content.decode()
    assert "Add to my calendar (.ics)" in page
    assert (
        bob_client.post(
            f"/dialogues/appointments/{appointment.pk}/move/", {"at": later}
        ).status_code
        == 302
    )
    appointment.refresh_from_db()
    assert appointment.at.strftime("%Y-%m-%dT%H:%M") == later
    assert appointment.sequence == 1
    assert bob_client.post(f"/dialogues/appointments/{appointment.pk}/cancel/").status_code == 302
    appointment.refresh_from_db()
    assert appointment.cancelled_at is not None


def test_a_bad_time_on_the_page_gets_a_clear_message_and_changes_nothing(
    couple: Couple, alice: User, client_for: ClientFor
) -> None:
    response = client_for(alice).post("/dialogues/appointments/new/", {"at": "tomorrow-ish"})

    assert response.status_code == 400
    assert "Enter a valid date/time" in response.content.decode()
    assert not Appointment.objects.exists()


def test_the_ics_holds_the_time_and_the_partner_but_not_in_discreet_mode(
    couple: Couple, alice: User, bob: User, client_for: ClientFor
) -> None:
    at = (timezone.now() + timedelta(hours=2)).replace(microsecond=0)
    appointment = appointment_set(couple=couple, by=alice, at=at)

    response = client_for(bob).get(f"/dialogues/appointments/{appointment.pk}/ics/")
    event = Calendar.from_ical(response.content).walk("VEVENT")[0]

    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert event.decoded("dtstart") == at
    assert str(event["summary"]) == "Dialogue with Alice"
    assert str(event["uid"]) == f"{appointment.pk}@imago"

    notification_settings_update(user=bob, discreet=True)
    discreet = Calendar.from_ical(
        client_for(bob).get(f"/dialogues/appointments/{appointment.pk}/ics/").content
    ).walk("VEVENT")[0]
    assert str(discreet["summary"]) == "Appointment"
    assert (
        b"Alice"
        not in client_for(bob).get(f"/dialogues/appointments/{appointment.pk}/ics/").content
    )


def test_another_couples_appointment_is_a_404_everywhere(
    couple: Couple, alice: User, mallory: User, mallory_couple: Couple, client_for: ClientFor
) -> None:
    appointment = appointment_set(couple=couple, by=alice, at=timezone.now() + timedelta(hours=2))
    mallory_client = client_for(mallory)
    later = (timezone.now() + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")

    assert mallory_client.get(f"/dialogues/appointments/{appointment.pk}/ics/").status_code == 404
    assert (
        mallory_client.post(
            f"/dialogues/appointments/{appointment.pk}/move/", {"at": later}
        ).status_code
        == 404
    )
    assert (
        mallory_client.post(f"/dialogues/appointments/{appointment.pk}/cancel/").status_code == 404
    )
    assert (
        "Add to my calendar" not in mallory_client.get("/dialogues/appointments/").content.decode()
    )
    appointment.refresh_from_db()
    assert appointment.cancelled_at is None

"""Appointments: a time the partners agreed to hold a dialogue. Setting, moving and cancelling
one schedules (or withdraws) both partners' reminders through `couples.notifications`; the
scheduler shows and sends them when their time comes. An `.ics` puts it in a calendar."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from icalendar import Alarm, Calendar, Event

from couples.access import is_active_member
from couples.models import Couple, NotificationKind, User
from couples.notifications import (
    REMIND_BEFORE,
    notification_create,
    notification_settings_for,
    notification_withdraw,
)
from imago_site.errors import ImagoError

from . import flow
from .models import Appointment, Dialogue

# Actions whose time is an agreed time to talk (a time-out's return time is not).
TIME_ACTIONS = frozenset({flow.Action.PROPOSE, flow.Action.DECLINE})

# How far ahead a dialogue can be planned, and how long a calendar entry lasts.
PLAN_WITHIN = timedelta(days=60)
LENGTH = timedelta(minutes=45)
# A browser's "now" rounded to the minute is a little in the past; accept that much.
SLACK = timedelta(minutes=5)


class AppointmentError(ImagoError):
    """A refused appointment change; nothing was changed."""


def appointment_for(*, user: User, pk: object) -> Appointment | None:
    """The appointment if `user` is (or was) a partner of its couple; None for anyone else."""
    return (
        Appointment.objects.for_member(user)
        .select_related("couple", "dialogue")
        .prefetch_related("couple__partners")
        .filter(pk=pk)
        .first()
    )


def appointments_upcoming(*, user: User) -> list[Appointment]:
    return list(
        Appointment.objects.for_member(user)
        .upcoming()
        .select_related("dialogue")
        .prefetch_related("couple__partners")
    )


def _check_time(at: datetime) -> None:
    now = timezone.now()
    if at < now - SLACK:
        raise AppointmentError("bad_time", "That time has already passed. Choose a later one.")
    if at > now + PLAN_WITHIN:
        raise AppointmentError("bad_time", "Choose a time within the next 60 days.")


def _require_partner(couple: Couple, user: User) -> None:
    if not is_active_member(couple=couple, user=user):
        raise AppointmentError("read_only", "Only a partner in an active couple can do that.")


def _remind(appointment: Appointment) -> None:
    """Schedule both partners' reminders: at the time, and 15 minutes before if they like."""
    partners = list(appointment.couple.partners.all())
    url = (
        reverse("dialogue:room", args=[appointment.dialogue_id])
        if appointment.dialogue_id
        else reverse("dialogue:appointments")
    )
    now = timezone.now()
    for partner in partners:
        other = next((p for p in partners if p.pk != partner.pk), None)
        common = {
            "recipient": partner,
            "kind": NotificationKind.APPOINTMENT,
            "actor": other,
            "url": url,
            "target": appointment.target,
        }
        soon = appointment.at - REMIND_BEFORE
        if notification_settings_for(partner).remind_before and soon > now:
            notification_create(variant="soon", at=soon, **common)
        notification_create(variant="now", at=appointment.at, **common)


def appointment_set(
    *, couple: Couple, by: User, at: datetime, dialogue: Dialogue | None = None
) -> Appointment:
    """Plan a dialogue at `at`. For a dialogue that already has an upcoming appointment (a second
    "not now — at …"), that one moves instead: one dialogue, one agreed time."""
    _check_time(at)
    with transaction.atomic():
        _require_partner(couple, by)
        if dialogue is not None:
            existing = dialogue.appointments.upcoming().select_for_update().first()
            if existing is not None:
                return _move(existing, at)
        appointment = Appointment.objects.create(
            couple=couple, dialogue=dialogue, at=at, created_by=by
        )
        _remind(appointment)
        return appointment


def _move(appointment: Appointment, at: datetime) -> Appointment:
    notification_withdraw(target=appointment.target)
    appointment.at = at
    appointment.sequence += 1
    appointment.save(update_fields=["at", "sequence"])
    _remind(appointment)
    return appointment


def appointment_move(*, appointment: Appointment, by: User, at: datetime) -> Appointment:
    """Move it: reminders for the old time are withdrawn; only the new time reminds."""
    _check_time(at)
    with transaction.atomic():
        appointment = Appointment.objects.select_for_update().get(pk=appointment.pk)
        _require_partner(appointment.couple, by)
        if appointment.cancelled_at is not None:
            raise AppointmentError("cancelled", "This appointment was cancelled.")
        return _move(appointment, at)


def appointment_cancel(*, appointment: Appointment, by: User) -> None:
    with transaction.atomic():
        appointment = Appointment.objects.select_for_update().get(pk=appointment.pk)
        _require_partner(appointment.couple, by)
        if appointment.cancelled_at is not None:
            return
        appointment.cancelled_at = timezone.now()
        appointment.save(update_fields=["cancelled_at"])
        notification_withdraw(target=appointment.target)


def appointment_ics(*, appointment: Appointment, user: User, site_url: str) -> bytes:
    """A calendar file for `user`. Discreet mode names neither the partner nor the app's use."""
    discreet = notification_settings_for(user).discreet
    partner = appointment.couple.partner_of(user)
    calendar = Calendar()
    calendar.add("prodid", "-//Imago//Appointments//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "CANCEL" if appointment.cancelled_at else "PUBLISH")
    event = Event()
    event.add("uid", f"{appointment.pk}@imago")
    event.add("sequence", appointment.sequence)
    event.add("dtstamp", timezone.now())
    event.add("dtstart", appointment.at)
    event.add("dtend", appointment.at + LENGTH)
    if discreet or partner is None:
        event.add("summary", "Appointment")
    else:
        event.add("summary", f"Dialogue with {partner.display_name}")
        event.add("url", site_url.rstrip("/") + reverse("dialogue:appointments"))
    if appointment.cancelled_at:
        event.add("status", "CANCELLED")
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", "Appointment" if discreet else "Your dialogue starts soon")
    alarm.add("trigger", -REMIND_BEFORE)
    event.add_component(alarm)
    calendar.add_component(event)
    return calendar.to_ical()


def dialogue_appointment_follow(
    *, dialogue: Dialogue, by: User, action: str, at: datetime | None
) -> None:
    """Called by `turn_submit` inside its transaction: a proposed or offered time ("Not now —
    at 8 pm") becomes the dialogue's appointment; an ended dialogue's appointment is cancelled."""
    if at is not None and action in TIME_ACTIONS:
        appointment_set(couple=dialogue.couple, by=by, at=at, dialogue=dialogue)
    if dialogue.ended_at is not None:
        for appointment in dialogue.appointments.upcoming():
            appointment_cancel(appointment=appointment, by=by)

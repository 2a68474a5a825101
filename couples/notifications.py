"""Notifications: what concerns one person, shown live in the app and, as each person chooses,
sent by email or push. Other apps call `notification_create` / `notification_withdraw` /
`notification_read_target`; the scheduler calls `notification_dispatch_due`.

Discretion is structural: no function here takes text. What a notification says comes from its
kind and variant (`TEXTS`), with the actor's display name at most, so nothing a partner wrote can
reach a notification, an email subject or a push. See docs/notifications.md.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.db import models, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from imago_site.errors import ImagoError
from imago_site.events import send_event_on_commit

from .models import (
    Delivery,
    Notification,
    NotificationChannel,
    NotificationKind,
    NotificationSettings,
    User,
)
from .push import push_send

Kind = NotificationKind
Channel = NotificationChannel

# What each (kind, variant) says; "{actor}" is the only thing filled in.
TEXTS: dict[tuple[str, str], str] = {
    (Kind.PARTNER_WAITING, ""): "{actor} is waiting for you in a dialogue",
    (Kind.APPOINTMENT, "soon"): "Your dialogue with {actor} starts in 15 minutes",
    (Kind.APPOINTMENT, "now"): "It's time for your dialogue with {actor}",
    (Kind.APPRECIATION, ""): "{actor} wrote you an appreciation",
    (Kind.REQUEST_ANSWERED, ""): "{actor} answered your request",
    (Kind.HOMEWORK, ""): "{actor} gave you homework",
    (Kind.THERAPIST_NOTE, ""): "{actor} left you a note",
    (Kind.REMINDER, "temperature"): "A moment for your daily temperature reading",
    (Kind.REMINDER, "request"): "A reminder of the request you chose to give",
    (Kind.REMINDER, "homework"): "A reminder: your homework is due",
}
# Discreet mode names neither the partner, nor therapy, nor what the app is for.
DISCREET_TEXTS: dict[str, str] = {
    Kind.APPOINTMENT: "You have a reminder",
    Kind.REMINDER: "You have a reminder",
}
DISCREET_DEFAULT = "You have a new message"
# What the link of each kind says, next to the text.
ACTIONS: dict[str, str] = {Kind.PARTNER_WAITING: "Join", Kind.APPOINTMENT: "Open"}

REMIND_BEFORE = timedelta(minutes=15)
UNSUBSCRIBE_SALT = "imago.notifications.unsubscribe"
UNSUBSCRIBE_MAX_AGE = timedelta(days=60)
LIVE_NOTICES = 3  # unread notices shown on every page


class NotificationError(ImagoError):
    """A refused notification request; nothing was changed."""


# --- Reads -------------------------------------------------------------------------------------


def notification_settings_for(user: User) -> NotificationSettings:
    prefs, _created = NotificationSettings.objects.get_or_create(user=user)
    return prefs


def notification_channel(prefs: NotificationSettings, kind: str) -> str:
    return prefs.channels.get(kind, Channel.APP)


def notification_text(notification: Notification, *, discreet: bool = False) -> str:
    """The one sentence a notification says, in the app, an email subject or a push."""
    if discreet:
        return DISCREET_TEXTS.get(notification.kind, DISCREET_DEFAULT)
    actor = notification.actor.display_name if notification.actor else "Your partner"
    return TEXTS[(notification.kind, notification.variant)].format(actor=actor)


@dataclass(frozen=True)
class Notice:
    pk: int
    text: str
    url: str
    action: str
    show_at: datetime
    unread: bool


def _notices(user: User, notifications: list[Notification], discreet: bool) -> list[Notice]:
    return [
        Notice(
            pk=n.pk,
            text=notification_text(n, discreet=discreet),
            url=n.url,
            action=ACTIONS.get(n.kind, "Open"),
            show_at=n.show_at,
            unread=n.read_at is None,
        )
        for n in notifications
    ]


def _is_discreet(notifications: list[Notification]) -> bool:
    # Read through the recipient already joined in (see `_with_people`): no query of its own.
    if not notifications:
        return False
    prefs = getattr(notifications[0].recipient, "notification_settings", None)
    return bool(prefs and prefs.discreet)


def _with_people(queryset: models.QuerySet[Notification]) -> models.QuerySet[Notification]:
    return queryset.select_related("actor", "recipient__notification_settings")


def notification_summary(*, user: User) -> dict[str, object]:
    """The unread count and the latest unread notices: what every signed-in page shows, in one
    query."""
    unread = Notification.objects.for_recipient(user).unread()
    # The total rides along as a window count: one query however many are unread.
    latest = list(
        _with_people(unread).annotate(total=models.Window(models.Count("pk")))[:LIVE_NOTICES]
    )
    return {
        "unread": latest[0].total if latest else 0,
        "notices": _notices(user, latest, _is_discreet(latest)),
    }


def notification_list(*, user: User, limit: int = 100) -> list[Notice]:
    latest = list(_with_people(Notification.objects.for_recipient(user))[:limit])
    return _notices(user, latest, _is_discreet(latest))


def partner_paused(*, partner: User | None) -> bool:
    """All a partner learns of the other's pause: that notifications are paused."""
    if partner is None:
        return False
    return NotificationSettings.objects.filter(user=partner, paused=True).exists()


# --- Writes ------------------------------------------------------------------------------------


def _announce(user: User) -> None:
    send_event_on_commit(user.group_name, {"type": "notify.changed"})


def _wake_at(when: datetime) -> None:
    """Ask the scheduler to run the dispatcher at `when` (the periodic sweep is the backstop)."""
    from .tasks import notifications_dispatch

    transaction.on_commit(lambda: notifications_dispatch.schedule(eta=when))


def _delay(kind: str) -> timedelta:
    # A partner who is waiting first gets a chance to be seen in the app.
    if kind == Kind.PARTNER_WAITING:
        return timedelta(seconds=settings.NOTIFY_PARTNER_WAITING_DELAY)
    return timedelta(0)


def notification_create(
    *,
    recipient: User,
    kind: str,
    actor: User | None = None,
    variant: str = "",
    url: str = "",
    target: str = "",
    at: datetime | None = None,
) -> Notification | None:
    """Tell `recipient` about something, now or at `at`, as their settings allow; None when
    they turned this kind off or (for a notification due now) paused notifications."""
    if (kind, variant) not in TEXTS:
        raise ValueError(f"Unknown notification {kind!r}/{variant!r}.")
    with transaction.atomic():
        prefs = notification_settings_for(recipient)
        channel = notification_channel(prefs, kind)
        now = timezone.now()
        show_at = max(at or now, now)
        if channel == Channel.OFF or (prefs.paused and show_at <= now):
            return None
        notification = Notification.objects.create(
            recipient=recipient,
            kind=kind,
            variant=variant,
            actor=actor,
            url=url,
            target=target,
            created_at=now,
            show_at=show_at,
            shown_at=now if show_at <= now else None,
        )
        if channel in (Channel.EMAIL, Channel.PUSH):
            delivery = Delivery.objects.create(
                notification=notification, channel=channel, due_at=show_at + _delay(kind)
            )
            _wake_at(delivery.due_at)
        if notification.shown_at:
            _announce(recipient)
        else:
            _wake_at(show_at)
        return notification


def notification_withdraw(
    *,
    target: str,
    shown_too: bool = False,
    now: datetime | None = None,
    recipient: User | None = None,
) -> int:
    """Withdraw what has not been shown yet about `target` (a moved or cancelled appointment),
    and every email still waiting to go out about it; with `shown_too`, also what was shown (an
    entry deleted or made private again: nothing should point to it); with `recipient`, only
    what was meant for them. Returns how many."""
    now = now or timezone.now()
    whose = {"recipient": recipient} if recipient is not None else {}
    with transaction.atomic():
        Delivery.objects.filter(
            notification__target=target,
            done_at__isnull=True,
            **{f"notification__{k}": v for k, v in whose.items()},
        ).update(done_at=now, outcome=Delivery.Outcome.CANCELLED)
        withdrawn = Notification.objects.filter(target=target, cancelled_at__isnull=True, **whose)
        if not shown_too:
            withdrawn = withdrawn.filter(shown_at__isnull=True)
        recipients = set(withdrawn.values_list("recipient_id", flat=True)) if shown_too else set()
        count = withdrawn.update(cancelled_at=now)
        for pk in recipients:
            _announce(User(pk=pk))
        return count


def notification_read(*, user: User, pk: object) -> str:
    """Mark one of `user`'s notifications read and return where it leads; someone else's id is
    refused exactly like a missing one."""
    with transaction.atomic():
        notification = Notification.objects.for_recipient(user).filter(pk=pk).first()
        if notification is None:
            raise NotificationError("not_found", "That notification does not exist.")
        if notification.read_at is None:
            notification.read_at = timezone.now()
            notification.save(update_fields=["read_at"])
            _announce(user)
        return notification.url


def notification_read_all(*, user: User) -> None:
    with transaction.atomic():
        Notification.objects.for_recipient(user).unread().update(read_at=timezone.now())
        _announce(user)


def notification_read_target(*, user: User, target: str) -> None:
    """`user` opened the thing itself: what told them about it has been seen."""
    with transaction.atomic():
        if (
            Notification.objects.for_recipient(user)
            .unread()
            .filter(target=target)
            .update(read_at=timezone.now())
        ):
            _announce(user)


SETTINGS_FIELDS = frozenset(
    {
        "channels", "quiet_start", "quiet_end", "paused", "discreet", "remind_before",
        "daily_cap", "daily_at", "temperature_prompt", "request_reminder", "digest",
    }
)  # fmt: skip


def notification_settings_update(
    *, user: User, time_zone: str | None = None, **fields: object
) -> NotificationSettings:
    """Save `user`'s choices (validated by NotificationSettingsForm); `time_zone` is the
    person's own, kept on the user."""
    unknown = set(fields) - SETTINGS_FIELDS
    if unknown:
        raise ValueError(f"Unknown notification settings: {sorted(unknown)}")
    with transaction.atomic():
        prefs = NotificationSettings.objects.select_for_update().get(
            pk=notification_settings_for(user).pk
        )
        for name, value in fields.items():
            setattr(prefs, name, value)
        prefs.save()
        if time_zone is not None and time_zone != user.time_zone:
            user.time_zone = time_zone
            user.save(update_fields=["time_zone"])
        _announce(user)
        return prefs


# --- Time: quiet hours in the person's own time zone ------------------------------------------


def user_zone(user: User) -> zoneinfo.ZoneInfo:
    """The person's own time zone: what a time they type, or read, means."""
    try:
        return zoneinfo.ZoneInfo(user.time_zone or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def _in_window(moment: time, start: time, end: time) -> bool:
    if start <= end:
        return start <= moment < end
    return moment >= start or moment < end  # over midnight, e.g. 22:00–07:00


def notification_daily_time(*, user: User, day: date) -> datetime:
    """`day` at the time `user` chose for daily reminders, in their own time zone."""
    prefs = notification_settings_for(user)
    return datetime.combine(day, prefs.daily_at, tzinfo=user_zone(user))


def quiet_until(*, user: User, prefs: NotificationSettings, now: datetime) -> datetime | None:
    """When this person's quiet hours end, if `now` falls within them; else None."""
    if prefs.quiet_start is None or prefs.quiet_end is None or prefs.quiet_start == prefs.quiet_end:
        return None
    local = now.astimezone(user_zone(user))
    if not _in_window(local.time(), prefs.quiet_start, prefs.quiet_end):
        return None
    end = local.replace(
        hour=prefs.quiet_end.hour, minute=prefs.quiet_end.minute, second=0, microsecond=0
    )
    if end <= local:
        end += timedelta(days=1)
    return end


# --- The dispatcher: what the scheduler runs -----------------------------------------------------


def notification_dispatch_due(*, now: datetime | None = None) -> int:
    """Show notifications whose time has come and send emails and pushes that are due. Safe to
    run at any moment and more than once: each step is recorded. Returns how many were sent."""
    now = now or timezone.now()
    due = Notification.objects.filter(
        shown_at__isnull=True, cancelled_at__isnull=True, show_at__lte=now
    ).select_related("recipient")
    for notification in due:
        with transaction.atomic():
            prefs = notification_settings_for(notification.recipient)
            if prefs.paused:
                notification.cancelled_at = now
            else:
                notification.shown_at = now
                _announce(notification.recipient)
            notification.save(update_fields=["cancelled_at", "shown_at"])
    sent = 0
    pending = Delivery.objects.filter(done_at__isnull=True, due_at__lte=now).values_list(
        "pk", flat=True
    )
    for pk in list(pending):
        sent += _deliver(pk, now)
    return sent


def _deliver(pk: int, now: datetime) -> int:
    with transaction.atomic():
        delivery = (
            Delivery.objects.select_for_update(of=("self",))
            .select_related("notification__recipient", "notification__actor")
            .filter(pk=pk, done_at__isnull=True)
            .first()
        )
        if delivery is None:  # another worker got there first
            return 0
        notification = delivery.notification
        recipient = notification.recipient
        prefs = notification_settings_for(recipient)
        outcome = None
        if notification.cancelled_at:
            outcome = Delivery.Outcome.CANCELLED
        elif notification.read_at:
            outcome = Delivery.Outcome.SEEN
        elif prefs.paused:
            outcome = Delivery.Outcome.PAUSED
        else:
            quiet_end = quiet_until(user=recipient, prefs=prefs, now=now)
            if quiet_end is not None:
                delivery.due_at = quiet_end
                delivery.save(update_fields=["due_at"])
                _wake_at(quiet_end)
                return 0
            sent_today = Delivery.objects.filter(
                notification__recipient=recipient,
                outcome=Delivery.Outcome.SENT,
                done_at__gt=now - timedelta(days=1),
            ).count()
            if sent_today >= prefs.daily_cap:
                outcome = Delivery.Outcome.CAPPED
        if outcome is None:
            if delivery.channel == Channel.EMAIL:
                notification_email_send(notification=notification, prefs=prefs)
                outcome = Delivery.Outcome.SENT
            else:
                text = notification_text(notification, discreet=prefs.discreet)
                outcome = push_send(notification=notification, prefs=prefs, text=text)
        delivery.done_at = now
        delivery.outcome = outcome
        delivery.save(update_fields=["done_at", "outcome"])
        return int(outcome == Delivery.Outcome.SENT)


# --- Email and one-click unsubscribe (RFC 8058) -------------------------------------------------


def unsubscribe_token(*, user: User, kind: str) -> str:
    prefs = notification_settings_for(user)
    version = prefs.unsubscribe_versions.get(kind, 0)
    return signing.dumps({"u": user.pk, "k": kind, "v": version}, salt=UNSUBSCRIBE_SALT)


def notification_unsubscribe(*, token: str) -> tuple[User, str]:
    """Stop emails of one kind for the person the link was made for. The link works once."""
    try:
        data = signing.loads(
            token, salt=UNSUBSCRIBE_SALT, max_age=UNSUBSCRIBE_MAX_AGE.total_seconds()
        )
    except signing.BadSignature:
        raise NotificationError(
            "bad_link",
            "This unsubscribe link is not valid. Change what you get on your "
            "notification settings page instead.",
        ) from None
    with transaction.atomic():
        prefs = (
            NotificationSettings.objects.select_for_update()
            .select_related("user")
            .filter(user_id=data.get("u"))
            .first()
        )
        kind = data.get("k")
        if prefs is None or (kind not in Kind.values and kind != DIGEST):
            raise NotificationError("bad_link", "This unsubscribe link is not valid.")
        if prefs.unsubscribe_versions.get(kind, 0) != data.get("v"):
            raise NotificationError("used", "This unsubscribe link has already been used.")
        prefs.unsubscribe_versions[kind] = data["v"] + 1
        if kind == DIGEST:
            prefs.digest = False
        elif notification_channel(prefs, kind) != Channel.OFF:
            prefs.channels[kind] = Channel.APP  # still in the app, no more email
        prefs.save(update_fields=["unsubscribe_versions", "channels", "digest"])
        return prefs.user, kind


def _absolute(path: str) -> str:
    return settings.SITE_URL.rstrip("/") + path


def notification_email_send(*, notification: Notification, prefs: NotificationSettings) -> None:
    recipient = notification.recipient
    text = notification_text(notification, discreet=prefs.discreet)
    unsubscribe = _absolute(
        reverse(
            "couples:notification_unsubscribe",
            args=[unsubscribe_token(user=recipient, kind=notification.kind)],
        )
    )
    context = {
        "name": recipient.display_name,
        "text": text,
        "link": _absolute(notification.url or reverse("couples:notification_list")),
        "action": ACTIONS.get(notification.kind, "Open"),
        "unsubscribe": unsubscribe,
        "settings_link": _absolute(reverse("couples:notification_settings")),
        "discreet": prefs.discreet,
    }
    message = EmailMultiAlternatives(
        subject=text,
        body=render_to_string("couples/email/notification.txt", context),
        to=[recipient.email],
        headers={
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    message.attach_alternative(
        render_to_string("couples/email/notification.html", context), "text/html"
    )
    message.send()


# --- Daily: the temperature-reading prompt and the digest ---------------------------------------

DIGEST = "digest"  # the unsubscribe "kind" of the daily digest


def notification_daily_due(*, now: datetime | None = None) -> int:
    """At each person's chosen local time, once a day: the temperature-reading prompt (if they
    asked for it) and the digest of what stayed unread in the app (if they asked for it)."""
    now = now or timezone.now()
    done = 0
    candidates = NotificationSettings.objects.filter(paused=False).filter(
        models.Q(temperature_prompt=True) | models.Q(digest=True)
    )
    for prefs in candidates.select_related("user"):
        local = now.astimezone(user_zone(prefs.user))
        if local.time() < prefs.daily_at or prefs.last_daily_on == local.date():
            continue
        with transaction.atomic():
            if prefs.temperature_prompt:
                notification_create(
                    recipient=prefs.user,
                    kind=Kind.REMINDER,
                    variant="temperature",
                    url=reverse("exercises:kind", args=["temperature"]),
                )
            if prefs.digest:
                _digest_send(prefs=prefs, since=now - timedelta(days=1))
            NotificationSettings.objects.filter(pk=prefs.pk).update(last_daily_on=local.date())
            done += 1
    return done


def _digest_send(*, prefs: NotificationSettings, since: datetime) -> None:
    # Only what was not emailed already and is still unread.
    waiting = (
        Notification.objects.for_recipient(prefs.user)
        .unread()
        .filter(show_at__gt=since)
        .exclude(deliveries__outcome=Delivery.Outcome.SENT)
        .select_related("actor")
    )
    notices = _notices(prefs.user, list(waiting[:20]), prefs.discreet)
    if not notices:
        return
    user = prefs.user
    unsubscribe = _absolute(
        reverse(
            "couples:notification_unsubscribe", args=[unsubscribe_token(user=user, kind=DIGEST)]
        )
    )
    context = {
        "name": user.display_name,
        "notices": notices,
        "link": _absolute(reverse("couples:notification_list")),
        "unsubscribe": unsubscribe,
        "settings_link": _absolute(reverse("couples:notification_settings")),
    }
    message = EmailMultiAlternatives(
        subject="What's new for you today",
        body=render_to_string("couples/email/digest.txt", context),
        to=[user.email],
        headers={
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    message.attach_alternative(render_to_string("couples/email/digest.html", context), "text/html")
    message.send()

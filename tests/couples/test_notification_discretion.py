"""Discretion, as a property: whatever a partner writes — a dialogue topic, a turn, a private
entry — no notification of any kind says it, in the app, in an email subject or body, or on the
live socket; and a private entry does not even announce that it exists."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.core import mail
from django.template.loader import render_to_string
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from couples.models import Couple, Notification, NotificationChannel, NotificationKind, User
from couples.notifications import (
    TEXTS,
    notification_create,
    notification_dispatch_due,
    notification_list,
    notification_settings_update,
    notification_summary,
    notification_text,
)
from dialogue.appointments import appointment_set
from dialogue.services import dialogue_start, turn_submit
from exercises.models import Visibility
from tests.exercises.conftest import create_entry

# Words unlikely to occur in any template: if one shows up, it came from what a partner wrote.
SECRET = st.text(alphabet="bcdfghjklmnpqrstvwxz", min_size=10, max_size=40).map(
    lambda word: f"Secret{word}"
)


@pytest.mark.django_db
@settings(
    max_examples=10,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(secret=SECRET, discreet=st.booleans())
def test_no_notification_of_any_kind_carries_what_a_partner_wrote(
    couple: Couple, alice: User, bob: User, secret: str, discreet: bool
) -> None:
    # Examples share the database: start each from an empty inbox and an unspent daily cap.
    mail.outbox.clear()
    Notification.objects.filter(recipient=bob).delete()
    notification_settings_update(
        user=bob,
        discreet=discreet,
        daily_cap=50,
        channels={kind.value: NotificationChannel.EMAIL for kind in NotificationKind},
    )
    notified_before = Notification.objects.filter(recipient=bob).count()
    # A private entry: no notification may even say that it exists.
    create_entry(alice, "appreciation", Visibility.PRIVATE, appreciate=secret, feeling=secret)
    assert Notification.objects.filter(recipient=bob).count() == notified_before

    dialogue = dialogue_start(couple=couple, user=alice, topic=secret)
    turn_submit(
        dialogue_id=dialogue.pk,
        user=alice,
        action="request",
        client_msg_id=uuid.uuid4().hex,
        text=secret,
    )
    for kind, variant in TEXTS:
        notification_create(
            recipient=bob,
            kind=kind,
            variant=variant,
            actor=alice,
            url=f"/dialogues/{dialogue.pk}/",
            target=dialogue.group_name,
        )
    appointment_set(couple=couple, by=alice, at=timezone.now() + timedelta(hours=1))
    notification_dispatch_due(now=timezone.now() + timedelta(hours=2))

    mine = Notification.objects.filter(recipient=bob)
    said = [notification_text(n, discreet=discreet) for n in mine]
    said += [notice.text for notice in notification_list(user=bob)]
    live = {"notify": notification_summary(user=bob)}
    said.append(render_to_string("couples/notifications.html#live", live))
    to_bob = [message for message in mail.outbox if message.to == [bob.email]]
    for message in to_bob:
        said += [message.subject, message.body, *(body for body, _type in message.alternatives)]
    assert len(to_bob) >= len(TEXTS)
    for text in said:
        assert secret not in text
        if discreet:
            assert "Alice" not in text
            assert "therap" not in text.lower()

"""The therapist's homework and notes to the couple reach the partners as notifications —
never the instructions or the note itself; a session note reaches no one; a due date reminds
on that day at the time each partner chose, unless the homework was answered first."""

from __future__ import annotations

from datetime import time, timedelta

from django.utils import timezone

from couples.models import Couple, Notification, User
from couples.notifications import (
    notification_dispatch_due,
    notification_settings_update,
    notification_text,
)
from exercises.services import homework_answer, homework_assign, note_create


def _said(user: User) -> list[str]:
    return sorted(notification_text(n) for n in Notification.objects.for_recipient(user))


def test_homework_for_both_tells_both_partners_without_the_instructions(
    couple: Couple, alice: User, bob: User, carol_consented: User
) -> None:
    homework_assign(
        couple=couple, by=carol_consented, kind="appreciation", instructions="Three a day"
    )

    assert _said(alice) == ["Carol gave you homework"]
    assert _said(bob) == ["Carol gave you homework"]
    assert not any("Three a day" in text for text in _said(alice) + _said(bob))


def test_homework_for_one_partner_tells_only_that_partner(
    couple: Couple, alice: User, bob: User, carol_consented: User
) -> None:
    homework_assign(
        couple=couple, by=carol_consented, kind="appreciation", instructions="x", assignee=bob
    )

    assert _said(alice) == []
    assert _said(bob) == ["Carol gave you homework"]


def test_a_due_date_reminds_that_day_at_the_chosen_time_unless_answered(
    couple: Couple, alice: User, bob: User, carol_consented: User
) -> None:
    notification_settings_update(user=bob, daily_at=time(9, 0))
    notification_settings_update(user=alice, daily_at=time(9, 0))
    due = timezone.localdate() + timedelta(days=2)
    homework = homework_assign(
        couple=couple, by=carol_consented, kind="appreciation", instructions="x", due_on=due
    )
    homework_answer(homework_id=homework.pk, by=alice, state="done")

    notification_dispatch_due(now=timezone.now() + timedelta(days=3))

    # Alice answered her part, so her reminder was withdrawn and never shows; Bob's part is
    # still to do, so his shows.
    shown = Notification.objects.filter(variant="homework", shown_at__isnull=False)
    assert list(shown.values_list("recipient", flat=True)) == [bob.pk]
    other = homework_assign(
        couple=couple, by=carol_consented, kind="appreciation", instructions="y", due_on=due
    )
    reminder = Notification.objects.get(
        recipient=bob, variant="homework", cancelled_at=None, target=f"homework-{other.pk}"
    )
    assert reminder.show_at.astimezone(timezone.get_current_timezone()).time() == time(9, 0)
    assert reminder.show_at.date() == due
    notification_dispatch_due(now=reminder.show_at)
    reminder.refresh_from_db()
    assert reminder.shown_at is not None
    assert notification_text(reminder) == "A reminder: your homework is due"
    assert other.pk


def test_a_note_to_the_couple_tells_both_and_a_session_note_tells_no_one(
    couple: Couple, alice: User, bob: User, carol_consented: User
) -> None:
    note_create(couple=couple, by=carol_consented, text="My private thoughts")
    assert _said(alice) == _said(bob) == []

    note_create(couple=couple, by=carol_consented, text="See you Tuesday", to_couple=True)

    assert _said(alice) == _said(bob) == ["Carol left you a note"]

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone

from couples.models import Couple, TherapistLink, User

from . import flow


class DialogueQuerySet(models.QuerySet["Dialogue"]):
    def visible_to(self, user: User) -> DialogueQuerySet:
        """Dialogues of couples `user` is (or was) a partner in, or — as their consented
        therapist — dialogues a partner invited them to: the one access rule for dialogues,
        used by views and the consumer alike."""
        if not user.is_authenticated:
            return self.none()
        # An invitation counts only for the therapist it names, and only if it was made under
        # the link in force now: revoking and re-linking does not revive old invitations.
        live_link_since = (
            TherapistLink.objects.in_force()
            .filter(couple=OuterRef("couple"), therapist=user)
            .values("created_at")[:1]
        )
        return self.filter(
            Q(couple__in=Couple.objects.for_member(user).values("pk"))
            | Q(
                couple__in=Couple.objects.for_therapist(user).values("pk"),
                invited_therapist=user,
                therapist_invited_at__gte=Subquery(live_link_since),
            )
        )

    def open(self) -> DialogueQuerySet:
        return self.filter(ended_at__isnull=True)

    def finished(self) -> DialogueQuerySet:
        return self.filter(ended_at__isnull=False)


class Dialogue(models.Model):
    STEP_CHOICES = [(step.value, step.value) for step in flow.Step]

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    couple = models.ForeignKey(Couple, on_delete=models.CASCADE, related_name="dialogues")
    topic = models.CharField(max_length=200)
    # Which dialogue this is, a key of flow.VARIANTS: its rules, steps and words all follow from
    # it. No `choices` here: the variants live in flow.py, and adding one needs no migration.
    kind = models.CharField(max_length=20, default=flow.DEFAULT_VARIANT)
    # The container's agreed minutes per stage (variants with `timed`), shown at every step.
    stage_minutes = models.PositiveSmallIntegerField(null=True, blank=True)
    # A list prepared beforehand, one item a line (variants with a `prepared_step`).
    prepared = models.TextField(blank=True)
    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    sender = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    receiver = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    step = models.CharField(
        max_length=20, choices=STEP_CHOICES, default=flow.Step.APPOINTMENT.value
    )
    paused = models.BooleanField(default=False)
    paused_until = models.DateTimeField(null=True, blank=True)
    round = models.PositiveIntegerField(default=1)
    # The sequence number of the latest turn; the next turn takes last_seq + 1 under the row lock.
    last_seq = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    ended_at = models.DateTimeField(null=True, blank=True)
    # A consented therapist sees a dialogue only once a partner invites them to it.
    invited_therapist = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    therapist_invited_at = models.DateTimeField(null=True, blank=True)
    therapist_invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Live facilitation (see Coaching): a time-out the watching therapist called for both
    # partners, apart from the partners' own (`paused`), and a timer for one step — a display.
    held_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    held_at = models.DateTimeField(null=True, blank=True)
    timer_step = models.CharField(max_length=20, blank=True)
    timer_round = models.PositiveIntegerField(null=True, blank=True)
    timer_seconds = models.PositiveIntegerField(null=True, blank=True)
    timer_ends_at = models.DateTimeField(null=True, blank=True)

    objects = DialogueQuerySet.as_manager()

    class Meta:
        ordering = ["-updated_at"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(sender=models.F("receiver")), name="dialogue_two_different_people"
            )
        ]

    def __str__(self) -> str:
        return self.topic

    @property
    def group_name(self) -> str:
        return f"dialogue-{self.pk}"

    @property
    def variant(self) -> flow.Variant:
        return flow.VARIANTS[self.kind]

    @property
    def prepared_items(self) -> list[str]:
        return [line.strip() for line in self.prepared.splitlines() if line.strip()]

    def prepared_left(self) -> list[str]:
        """The prepared items not yet named in this round, in order. An item counts as named once
        a turn at the prepared step contains it (the sender may have added words around it)."""
        items = self.prepared_items
        if not items or self.step != self.variant.prepared_step:
            return items
        named = [
            text.casefold()
            for text in self.turns.filter(
                round=self.round, step=self.step, action=flow.Action.SEND
            ).values_list("text", flat=True)
        ]
        return [item for item in items if not any(item.casefold() in text for text in named)]

    @property
    def state(self) -> flow.State:
        return flow.State(flow.Step(self.step), paused=self.paused)

    @property
    def step_label(self) -> str:
        return self.variant.step_labels[flow.Step(self.step)]

    @property
    def is_ended(self) -> bool:
        return self.step == flow.Step.ENDED

    def stopped_at(self) -> str | None:
        """The step at which a stop ended this dialogue early, or None (not ended, or closed)."""
        if not self.is_ended:
            return None
        last = self.turns.order_by("-seq").values_list("step", "action").first()
        return last[0] if last and last[1] == flow.Action.STOP else None

    def role_of(self, user: User) -> flow.Role:
        if user.pk == self.sender_id:
            return flow.Role.SENDER
        if user.pk == self.receiver_id:
            return flow.Role.RECEIVER
        return flow.Role.OBSERVER


class Turn(models.Model):
    ROLE_CHOICES = [(role.value, role.value) for role in flow.PARTNER_ROLES]
    ACTION_CHOICES = [(action.value, action.value) for action in flow.Action]

    dialogue = models.ForeignKey(Dialogue, on_delete=models.CASCADE, related_name="turns")
    seq = models.PositiveIntegerField("sequence number")
    round = models.PositiveIntegerField()
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    role = models.CharField(max_length=10, choices=ROLE_CHOICES)
    step = models.CharField(max_length=20, choices=Dialogue.STEP_CHOICES)
    action = models.CharField(max_length=20, choices=ACTION_CHOICES)
    text = models.TextField(blank=True)
    at = models.DateTimeField(null=True, blank=True, help_text="A proposed or return time.")
    client_msg_id = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["dialogue", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["dialogue", "seq"], name="turn_seq_once"),
            # A resent message must never become a second turn.
            models.UniqueConstraint(
                fields=["dialogue", "author", "client_msg_id"], name="turn_client_msg_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.dialogue_id} #{self.seq} {self.action}"


class AppointmentQuerySet(models.QuerySet["Appointment"]):
    def for_member(self, user: User) -> AppointmentQuerySet:
        """Appointments of couples `user` is (or was) a partner in."""
        return self.filter(couple__in=Couple.objects.for_member(user).values("pk"))

    def upcoming(self) -> AppointmentQuerySet:
        return self.filter(cancelled_at__isnull=True, at__gt=timezone.now())


class Appointment(models.Model):
    """A time the partners agreed to talk: from "Not now — at 8 pm" in a dialogue, or planned
    ahead. Both are reminded at the time (and, if they like, 15 minutes before)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    couple = models.ForeignKey(Couple, on_delete=models.CASCADE, related_name="appointments")
    dialogue = models.ForeignKey(
        Dialogue, null=True, blank=True, on_delete=models.SET_NULL, related_name="appointments"
    )
    at = models.DateTimeField()
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    # Calendar SEQUENCE: a moved appointment's .ics replaces the earlier one.
    sequence = models.PositiveIntegerField(default=0)

    objects = AppointmentQuerySet.as_manager()

    class Meta:
        ordering = ["at"]

    def __str__(self) -> str:
        return f"Appointment {self.at:%Y-%m-%d %H:%M}"

    @property
    def target(self) -> str:
        """What its reminders are about (see couples.notifications)."""
        return f"appointment-{self.pk}"


class Coaching(models.Model):
    """What the watching therapist does in a live dialogue: a coaching prompt (a suggested stem
    or a short note), a time-out for both partners and its lifting, a timer for a step. It is
    not a turn and never moves the flow; it sits in the transcript after turn `after_seq`."""

    class Kind(models.TextChoices):
        STEM = "stem", "suggested starter"
        NOTE = "note", "note"
        HOLD = "hold", "time-out for both"
        RELEASE = "release", "time-out lifted"
        TIMER = "timer", "timer"

    dialogue = models.ForeignKey(Dialogue, on_delete=models.CASCADE, related_name="coaching")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    text = models.TextField(blank=True)
    seconds = models.PositiveIntegerField(null=True, blank=True, help_text="Timers: 0 clears.")
    step = models.CharField(max_length=20, choices=Dialogue.STEP_CHOICES)
    round = models.PositiveIntegerField()
    after_seq = models.PositiveIntegerField()
    client_msg_id = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["dialogue", "created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["dialogue", "author", "client_msg_id"], name="coaching_client_msg_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.dialogue_id} {self.kind} after #{self.after_seq}"

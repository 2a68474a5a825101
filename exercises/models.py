from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone

from couples.models import Couple, User

RATING = [MinValueValidator(1), MaxValueValidator(5)]
RATING_CHOICES = [(n, str(n)) for n in range(1, 6)]


class Visibility(models.IntegerChoices):
    """Who may read an entry. The levels are ordered and each includes the ones below it:

    - PRIVATE: the author only. The default for every entry.
    - PARTNER: the author and their partner in the entry's couple.
    - THERAPIST: the partner too, and the couple's therapist while both partners' consent to
      that therapist is in force ("partner and therapist").

    Sharing with the therapist but hiding from the partner is deliberately not offered: the
    therapist works with the couple, and a secret kept from one partner has no place there.
    The ordering lets one `>=` comparison answer "is this shared at least with X".
    """

    PRIVATE = 0, "Private — only me"
    PARTNER = 1, "Shared with my partner"
    THERAPIST = 2, "Shared with my partner and our therapist"


class Kind(models.TextChoices):
    APPRECIATION = "appreciation", "Appreciation"
    CARING = "caring", "Caring behaviors"
    REQUEST = "request", "Behavior change request"
    VISION = "vision", "Relationship vision"
    TEMPERATURE = "temperature", "Daily temperature reading"
    WORKUP = "workup", "Imago workup"
    TRAITS = "traits", "Positive traits"
    WOUND = "wound", "Childhood wound"
    SURPRISES = "surprises", "Surprises and fun"


class EntryQuerySet(models.QuerySet["Entry"]):
    def visible_to(self, user: User) -> EntryQuerySet:
        """The one access rule for exercise entries: the author always; the author's partner in
        the entry's couple (also after the couple ended) when shared with the partner or more;
        the couple's therapist only when shared with the therapist and their access is in force
        (`Couple.objects.for_therapist`). Every read in the app starts here."""
        if not user.is_authenticated:
            return self.none()
        rule = Q(author=user) | Q(
            visibility__gte=Visibility.PARTNER,
            couple__in=Couple.objects.for_member(user).values("pk"),
        )
        if user.is_therapist:
            rule |= Q(
                visibility=Visibility.THERAPIST,
                couple__in=Couple.objects.for_therapist(user).values("pk"),
            )
        return self.filter(rule)

    def shared_in(self, couple: Couple) -> EntryQuerySet:
        """What the two partners share with each other in `couple`."""
        return self.filter(couple=couple, visibility__gte=Visibility.PARTNER)


class Entry(models.Model):
    """One exercise entry. Timeline, export and visibility queries all run on this table; the
    exercise's own fields live on a one-to-one detail row, declared in the kind's module
    (`exercises/kinds/`)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="exercise_entries"
    )
    # The author's active couple when the entry was written; None for someone not in a couple.
    couple = models.ForeignKey(
        Couple,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="exercise_entries",
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    visibility = models.PositiveSmallIntegerField(
        choices=Visibility.choices, default=Visibility.PRIVATE
    )
    title = models.CharField(max_length=160, help_text="Computed by the server from the entry.")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    # The homework this entry was written for, if any.
    homework = models.ForeignKey(
        "Homework", null=True, blank=True, on_delete=models.SET_NULL, related_name="entries"
    )

    objects = EntryQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "entries"
        indexes = [
            models.Index(fields=["couple", "visibility", "-created_at"], name="entry_shared_idx"),
            models.Index(fields=["author", "kind", "-created_at"], name="entry_author_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def detail(self) -> models.Model:
        return getattr(self, self.kind)

    @property
    def visibility_badge(self) -> str:
        return {0: "Private", 1: "Shared with partner", 2: "Partner + therapist"}[self.visibility]

    @property
    def is_shared(self) -> bool:
        return self.visibility >= Visibility.PARTNER

    @property
    def couple_is_active(self) -> bool:
        return self.couple is not None and self.couple.ended_at is None


# --- The therapist's desk: homework and notes --------------------------------------------------


class HomeworkQuerySet(models.QuerySet["Homework"]):
    def visible_to(self, user: User) -> HomeworkQuerySet:
        """The partners of the couple (also after it ended) see all its homework; a therapist
        sees what they assigned, while their access to the couple is in force."""
        if not user.is_authenticated:
            return self.none()
        rule = Q(couple__in=Couple.objects.for_member(user).values("pk"))
        if user.is_therapist:
            rule |= Q(assigned_by=user, couple__in=Couple.objects.for_therapist(user).values("pk"))
        return self.filter(rule)


class HomeworkState(models.TextChoices):
    OPEN = "open", "To do"
    DONE = "done", "Done"
    DID_NOT_FIT = "did_not_fit", "Did not fit"


class Homework(models.Model):
    """An exercise a therapist asks a couple (or one partner of it) to do before the next
    session. What a partner writes for it points back here (`Entry.homework`); each partner it
    is for answers their own part (`HomeworkAnswer`)."""

    State = HomeworkState

    couple = models.ForeignKey(Couple, on_delete=models.CASCADE, related_name="homework")
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    # None: both partners.
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField("Exercise", max_length=20, choices=Kind.choices)
    instructions = models.CharField(max_length=2000)
    due_on = models.DateField("Due (optional)", null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    objects = HomeworkQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["couple", "-created_at"], name="homework_by_couple")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.assignee or 'both partners'}"

    def is_for(self, user: User) -> bool:
        return self.assignee_id is None or self.assignee_id == user.pk

    def parts(self) -> list[HomeworkPart]:
        """Each partner it is for, with their answer (None while still to do). Reads
        `couple.partners` and `answers`: prefetch both."""
        answers = {answer.partner_id: answer for answer in self.answers.all()}
        partners = sorted(
            (p for p in self.couple.partners.all() if self.is_for(p)), key=lambda p: p.display_name
        )
        return [HomeworkPart(partner=p, answer=answers.get(p.pk)) for p in partners]

    @property
    def progress(self) -> str:
        """One word for the whole homework: to do, partly answered, answered."""
        parts = self.parts()
        answered = sum(1 for part in parts if part.answer is not None)
        if not answered:
            return HomeworkState.OPEN.label
        return "Answered" if answered == len(parts) else "Partly answered"


class HomeworkAnswer(models.Model):
    """One partner's answer to their part of a homework: done, or it did not fit (and why)."""

    homework = models.ForeignKey(Homework, on_delete=models.CASCADE, related_name="answers")
    partner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    state = models.CharField(
        max_length=12, choices=[(s.value, s.label) for s in HomeworkState if s != "open"]
    )
    comment = models.CharField(max_length=1000, blank=True)
    answered_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["answered_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["homework", "partner"], name="homework_answer_once")
        ]

    def __str__(self) -> str:
        return f"{self.partner} on homework {self.homework_id}: {self.state}"


@dataclass(frozen=True)
class HomeworkPart:
    partner: User
    answer: HomeworkAnswer | None

    @property
    def state(self) -> str:
        return self.answer.state if self.answer else HomeworkState.OPEN

    @property
    def state_label(self) -> str:
        return HomeworkState(self.state).label


class NoteQuerySet(models.QuerySet["Note"]):
    def visible_to(self, user: User) -> NoteQuerySet:
        """A therapist reads their own notes on couples they may see now; partners read the
        notes addressed to their couple, and nothing else."""
        if not user.is_authenticated:
            return self.none()
        rule = Q(to_couple=True, couple__in=Couple.objects.for_member(user).values("pk"))
        if user.is_therapist:
            rule |= Q(author=user, couple__in=Couple.objects.for_therapist(user).values("pk"))
        return self.filter(rule)


class Note(models.Model):
    """A therapist's note on a couple. A session note (`to_couple` False) is read by its author
    only — never by the partners, never exported to them. A note to the couple is read by its
    author and by both partners, on their home page."""

    couple = models.ForeignKey(Couple, on_delete=models.CASCADE, related_name="therapist_notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    text = models.CharField(max_length=4000)
    to_couple = models.BooleanField(default=False)
    # A session note may be pinned to one turn of a dialogue shared with the therapist.
    turn = models.ForeignKey(
        "dialogue.Turn", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    objects = NoteQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["couple", "author", "-created_at"], name="note_by_couple")]

    def __str__(self) -> str:
        return f"Note {self.pk} on {self.couple_id}"


class DeskVisit(models.Model):
    """When a therapist last opened a couple's desk: "new since you last looked" counts from
    there."""

    couple = models.ForeignKey(Couple, on_delete=models.CASCADE, related_name="+")
    therapist = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    seen_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["couple", "therapist"], name="desk_visit_once")
        ]

    def __str__(self) -> str:
        return f"{self.therapist} saw {self.couple_id} at {self.seen_at}"


# Each kind's own tables live in its module (exercises/kinds/<kind>.py); importing them here
# registers them with Django and keeps `exercises.models` the one place to import a model from.
from .kinds.appreciation import Appreciation  # noqa: E402
from .kinds.caring import CaringGift, CaringItem, CaringList  # noqa: E402
from .kinds.request import ChangeRequest, FollowThrough, RequestItem  # noqa: E402
from .kinds.surprises import SurpriseGift, SurpriseItem, SurpriseList  # noqa: E402
from .kinds.temperature import TemperatureReading  # noqa: E402
from .kinds.traits import Trait, TraitList  # noqa: E402
from .kinds.vision import Vision, VisionItem, VisionResponse  # noqa: E402
from .kinds.workup import Caretaker, Workup  # noqa: E402
from .kinds.wound import ChildhoodWound  # noqa: E402

__all__ = [
    "RATING",
    "RATING_CHOICES",
    "Appreciation",
    "Caretaker",
    "CaringGift",
    "CaringItem",
    "CaringList",
    "ChangeRequest",
    "ChildhoodWound",
    "DeskVisit",
    "Entry",
    "EntryQuerySet",
    "FollowThrough",
    "Homework",
    "HomeworkAnswer",
    "HomeworkPart",
    "HomeworkState",
    "Kind",
    "Note",
    "RequestItem",
    "SurpriseGift",
    "SurpriseItem",
    "SurpriseList",
    "TemperatureReading",
    "Trait",
    "TraitList",
    "Visibility",
    "Vision",
    "VisionItem",
    "VisionResponse",
    "Workup",
]

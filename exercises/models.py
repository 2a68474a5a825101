from __future__ import annotations

import uuid

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
    exercise's own fields live on a one-to-one detail row named after the kind."""

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


# --- 1. Appreciations --------------------------------------------------------------------------


class Appreciation(models.Model):
    entry = models.OneToOneField(
        Entry, on_delete=models.CASCADE, primary_key=True, related_name="appreciation"
    )
    appreciate = models.CharField("One thing I appreciate about you is…", max_length=500)
    because = models.CharField("…because…", max_length=500)
    feeling = models.CharField("…and it makes me feel…", max_length=300)
    acknowledged_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Appreciation {self.entry_id}"


# --- 2. Caring behaviors -----------------------------------------------------------------------


class CaringList(models.Model):
    entry = models.OneToOneField(
        Entry, on_delete=models.CASCADE, primary_key=True, related_name="caring"
    )
    note = models.CharField("A note for your partner (optional)", max_length=500, blank=True)

    def __str__(self) -> str:
        return f"Caring list {self.entry_id}"


class CaringItem(models.Model):
    class Category(models.TextChoices):
        NOW = "now", "I feel loved and cared about when you…"
        PAST = "past", "I used to feel loved when you…"
        FUTURE = "future", "I would feel loved if you…"

    caring_list = models.ForeignKey(CaringList, on_delete=models.CASCADE, related_name="items")
    category = models.CharField(max_length=10, choices=Category.choices, default=Category.NOW)
    text = models.CharField("Caring behavior", max_length=200)
    rating = models.PositiveSmallIntegerField(
        "Importance (1–5)", validators=RATING, choices=RATING_CHOICES, default=3
    )
    set_aside_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["category", "-rating", "id"]

    def __str__(self) -> str:
        return self.text


class CaringGift(models.Model):
    """A caring behavior from a partner's list, given on one day by the other partner."""

    item = models.ForeignKey(CaringItem, on_delete=models.CASCADE, related_name="gifts")
    giver = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    given_on = models.DateField(default=timezone.localdate)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["given_on", "id"]
        constraints = [
            models.UniqueConstraint(fields=["item", "giver", "given_on"], name="gift_once_a_day")
        ]

    def __str__(self) -> str:
        return f"{self.item} given on {self.given_on}"


# --- 3. Behavior change request ----------------------------------------------------------------


class ChangeRequest(models.Model):
    entry = models.OneToOneField(
        Entry, on_delete=models.CASCADE, primary_key=True, related_name="request"
    )
    frustration = models.CharField("What frustrates me is…", max_length=600)
    desire = models.CharField("What I desire underneath is…", max_length=600)
    declined_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Request {self.entry_id}"

    class Status(models.TextChoices):
        DRAFT = "draft", "Not sent yet"
        WAITING = "waiting", "Waiting for an answer"
        GIFTED = "gifted", "A gift is in progress"
        COMPLETED = "completed", "Completed"
        DECLINED = "declined", "Declined, for now"

    def chosen_item(self) -> RequestItem | None:
        return next((item for item in self.items.all() if item.chosen_at), None)

    @property
    def is_answered(self) -> bool:
        return self.declined_at is not None or self.chosen_item() is not None

    def status(self) -> str:
        if self.declined_at:
            return self.Status.DECLINED
        chosen = self.chosen_item()
        if chosen:
            return (
                self.Status.COMPLETED
                if chosen.ends_on < timezone.localdate()
                else self.Status.GIFTED
            )
        if self.entry.visibility == Visibility.PRIVATE:
            return self.Status.DRAFT
        return self.Status.WAITING

    def get_status_display(self) -> str:
        return self.Status(self.status()).label


class RequestItem(models.Model):
    request = models.ForeignKey(ChangeRequest, on_delete=models.CASCADE, related_name="items")
    what = models.CharField("What I'd like you to do", max_length=200)
    when = models.CharField("How often, or when", max_length=200)
    duration_days = models.PositiveSmallIntegerField(
        "For how many days", validators=[MinValueValidator(1), MaxValueValidator(90)]
    )
    chosen_at = models.DateTimeField(null=True, blank=True)
    ends_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.what


class FollowThrough(models.Model):
    item = models.ForeignKey(RequestItem, on_delete=models.CASCADE, related_name="logs")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    done_on = models.DateField()
    note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-done_on", "-id"]

    def __str__(self) -> str:
        return f"{self.item} done on {self.done_on}"


# --- 4. Relationship vision --------------------------------------------------------------------


class Vision(models.Model):
    entry = models.OneToOneField(
        Entry, on_delete=models.CASCADE, primary_key=True, related_name="vision"
    )
    note = models.CharField("A note (optional)", max_length=500, blank=True)

    def __str__(self) -> str:
        return f"Vision {self.entry_id}"


class VisionItem(models.Model):
    vision = models.ForeignKey(Vision, on_delete=models.CASCADE, related_name="items")
    statement = models.CharField("We…", max_length=200)
    importance = models.PositiveSmallIntegerField(
        "Importance (1–5)", validators=RATING, choices=RATING_CHOICES, default=3
    )
    hard = models.BooleanField("This one is hard for us", default=False)

    class Meta:
        ordering = ["-importance", "id"]

    def __str__(self) -> str:
        return self.statement


class VisionResponse(models.Model):
    """One partner's stance on one vision statement: the other partner's acceptance (with their
    own importance rating) when merging, and later either partner's "how true is it now"."""

    item = models.ForeignKey(VisionItem, on_delete=models.CASCADE, related_name="responses")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    accepted = models.BooleanField(default=False)
    importance = models.PositiveSmallIntegerField(null=True, blank=True, validators=RATING)
    truth = models.PositiveSmallIntegerField(null=True, blank=True, validators=RATING)
    truth_rated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["item", "user"], name="vision_response_once")
        ]

    def __str__(self) -> str:
        return f"Response to {self.item_id}"


# --- 5. Daily temperature reading --------------------------------------------------------------


class TemperatureReading(models.Model):
    entry = models.OneToOneField(
        Entry, on_delete=models.CASCADE, primary_key=True, related_name="temperature"
    )
    reading_on = models.DateField("Date", default=timezone.localdate)
    together = models.BooleanField("We did this one together", default=False)
    appreciations = models.CharField("Appreciations", max_length=1000, blank=True)
    new_information = models.CharField("New information", max_length=1000, blank=True)
    puzzles = models.CharField("Puzzles", max_length=1000, blank=True)
    complaint = models.CharField("A complaint…", max_length=1000, blank=True)
    complaint_request = models.CharField("…with a request for change", max_length=1000, blank=True)
    wishes = models.CharField("Wishes, hopes and dreams", max_length=1000, blank=True)

    SECTIONS = (
        "appreciations",
        "new_information",
        "puzzles",
        "complaint",
        "complaint_request",
        "wishes",
    )

    def __str__(self) -> str:
        return f"Temperature reading {self.reading_on}"


# --- 6. Imago workup ---------------------------------------------------------------------------


class Workup(models.Model):
    entry = models.OneToOneField(
        Entry, on_delete=models.CASCADE, primary_key=True, related_name="workup"
    )
    note = models.CharField("A note to yourself (optional)", max_length=500, blank=True)

    def __str__(self) -> str:
        return f"Workup {self.entry_id}"

    def imago_statement(self) -> str:
        """Compose the imago from the caretakers marked most influential (all of them when none
        is marked): the traits I am drawn to, and what I still long for."""
        chosen = [c for c in self.caretakers.all() if c.most_influential] or list(
            self.caretakers.all()
        )
        positive = _traits(c.positive_traits for c in chosen)
        negative = _traits(c.negative_traits for c in chosen)
        parts = []
        if positive and negative:
            parts.append(
                f"I am drawn to someone who is {_join(positive)}, and also {_join(negative)}."
            )
        elif positive or negative:
            parts.append(f"I am drawn to someone who is {_join(positive or negative)}.")
        wanted = [c.wanted.strip().rstrip(".") for c in chosen if c.wanted.strip()]
        if wanted:
            parts.append(f"What I long for from them is {_join(wanted)}.")
        disliked = [c.disliked.strip().rstrip(".") for c in chosen if c.disliked.strip()]
        if disliked:
            parts.append(f"What I react to most is {_join(disliked)}.")
        return " ".join(parts)


class Caretaker(models.Model):
    workup = models.ForeignKey(Workup, on_delete=models.CASCADE, related_name="caretakers")
    name = models.CharField("Who (e.g. Mother, Grandfather)", max_length=60)
    positive_traits = models.CharField(
        "Positive traits", max_length=300, help_text="Separate traits with commas."
    )
    negative_traits = models.CharField(
        "Negative traits", max_length=300, help_text="Separate traits with commas."
    )
    enjoyed = models.CharField("What I enjoyed with them", max_length=500, blank=True)
    disliked = models.CharField("What I disliked", max_length=500, blank=True)
    wanted = models.CharField("What I wanted and did not get", max_length=500, blank=True)
    most_influential = models.BooleanField("Most influential", default=False)

    class Meta:
        ordering = ["-most_influential", "id"]

    def __str__(self) -> str:
        return self.name


def _traits(values: object) -> list[str]:
    seen: dict[str, str] = {}
    for value in values:
        for trait in value.split(","):
            trait = trait.strip().rstrip(".")
            if trait and trait.lower() not in seen:
                seen[trait.lower()] = trait
    return list(seen.values())


def _join(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


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


class Homework(models.Model):
    """An exercise a therapist asks a couple (or one partner of it) to do before the next
    session. What a partner writes for it points back here (`Entry.homework`)."""

    class State(models.TextChoices):
        OPEN = "open", "To do"
        DONE = "done", "Done"
        DID_NOT_FIT = "did_not_fit", "Did not fit"

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
    state = models.CharField(max_length=12, choices=State.choices, default=State.OPEN)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    answered_at = models.DateTimeField(null=True, blank=True)
    comment = models.CharField(max_length=1000, blank=True)

    objects = HomeworkQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["couple", "-created_at"], name="homework_by_couple")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.assignee or 'both partners'}"

    @property
    def is_open(self) -> bool:
        return self.state == self.State.OPEN

    def is_for(self, user: User) -> bool:
        return self.assignee_id is None or self.assignee_id == user.pk


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

"""Workflows on exercise entries. Views call these; they decide who may do what.

Every function re-reads what it acts on through `Entry.objects.visible_to(by)` inside its
transaction, so an id the caller may not see is refused exactly like one that does not exist."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from django.db import models, transaction
from django.db.models import Exists, OuterRef
from django.forms import BaseInlineFormSet, ModelForm
from django.urls import reverse
from django.utils import timezone

from couples.access import AccessRole, active_couple_for, couple_access_role, is_member, look_record
from couples.models import Couple, Notification, NotificationKind, User
from couples.notifications import (
    notification_create,
    notification_daily_time,
    notification_settings_for,
    notification_withdraw,
    user_zone,
)
from imago_site.errors import ImagoError

from .models import (
    DeskVisit,
    Entry,
    FollowThrough,
    Homework,
    HomeworkAnswer,
    Kind,
    Note,
    RequestItem,
    Visibility,
    VisionItem,
    VisionResponse,
)
from .registry import GIFT_KINDS, KINDS

if TYPE_CHECKING:
    from dialogue.models import Turn

NOT_FOUND = "That entry doesn't exist, or it isn't shared with you."
ENDED = (
    "Your couple has ended: what you shared stays readable, but it can't be answered or added to."
)


NOTE_LIMIT = Note._meta.get_field("text").max_length
HOMEWORK_INSTRUCTIONS_LIMIT = Homework._meta.get_field("instructions").max_length
HOMEWORK_COMMENT_LIMIT = HomeworkAnswer._meta.get_field("comment").max_length


class ExerciseError(ImagoError):
    """A refused exercise request (`code`, `message`)."""


def _visible_entry(*, pk: object, by: User, kind: str | None = None) -> Entry:
    entries = Entry.objects.visible_to(by)
    if kind:
        entries = entries.filter(kind=kind)
    if not entries.filter(pk=pk).exists():
        raise ExerciseError("not_found", NOT_FOUND)
    # Lock the row so two clicks (or two partners) can't both pass the checks below.
    return Entry.objects.select_for_update(of=("self",)).select_related("couple").get(pk=pk)


def _own_entry(*, pk: object, by: User) -> Entry:
    entry = _visible_entry(pk=pk, by=by)
    if entry.author_id != by.pk:
        raise ExerciseError("not_author", "Only the person who wrote this can change it.")
    return entry


def _require_partner_in_active_couple(entry: Entry, by: User) -> None:
    """`by` answers their partner's entry: not their own, in a couple that is still together."""
    if entry.author_id == by.pk:
        raise ExerciseError(
            "own_entry", "This is your own entry — your partner is the one to answer it."
        )
    _require_member_of_active_couple(entry, by)


def _require_member_of_active_couple(entry: Entry, by: User) -> None:
    couple = entry.couple
    if couple is None or not is_member(couple=couple, user=by):
        raise ExerciseError("not_found", NOT_FOUND)
    if not couple.is_active:
        raise ExerciseError("ended", ENDED)


def _retitle(entry: Entry, detail: object) -> None:
    entry.title = KINDS[entry.kind].summary(detail)[:160]


# --- Shared by all six exercises ---------------------------------------------------------------


def entry_create(
    *,
    author: User,
    kind: str,
    visibility: int,
    form: ModelForm,
    formset: BaseInlineFormSet | None = None,
    homework: Homework | None = None,
) -> Entry:
    """Save a validated exercise form (and its list of rows) as a new entry by `author`, written
    for `homework` if given (homework of the author's couple, of this kind, for them)."""
    if author.is_therapist:
        raise ExerciseError(
            "therapist_account",
            "Exercises are written by partners; therapist accounts can't add them.",
        )
    with transaction.atomic():
        couple = active_couple_for(author)
        if visibility > Visibility.PRIVATE and couple is None:
            raise ExerciseError(
                "not_paired", "You're not in an active couple, so this can only be private."
            )
        if homework is not None and (
            couple is None
            or homework.couple_id != couple.pk
            or homework.kind != kind
            or not homework.is_for(author)
        ):
            raise ExerciseError(
                "bad_homework", "That homework isn't yours, or it is for another exercise."
            )
        now = timezone.now()
        entry = Entry.objects.create(
            author=author,
            couple=couple,
            kind=kind,
            visibility=visibility,
            title="",
            created_at=now,
            updated_at=now,
            homework=homework,
        )
        detail = form.save(commit=False)
        detail.entry = entry
        detail.save()
        if formset is not None:
            formset.instance = detail
            formset.save()
        _retitle(entry, detail)
        entry.save(update_fields=["title"])
        _notify_shared(entry, was=Visibility.PRIVATE)
        return entry


def entry_update(
    *, entry: Entry, by: User, form: ModelForm, formset: BaseInlineFormSet | None = None
) -> Entry:
    with transaction.atomic():
        entry = _own_entry(pk=entry.pk, by=by)
        if entry.is_shared and entry.couple and not entry.couple.is_active:
            raise ExerciseError("ended", ENDED)
        spec = KINDS[entry.kind]
        if spec.locked(entry):
            raise ExerciseError(
                "answered", f"Your partner has answered this {spec.noun}, so it can't be changed."
            )
        detail = form.save()
        if formset is not None:
            formset.save()
            if spec.after_update is not None:
                spec.after_update(entry, formset, by)
            # The title counts the rows as saved now, not as they were read before the edit.
            getattr(detail, "_prefetched_objects_cache", {}).clear()
        _retitle(entry, detail)
        entry.updated_at = timezone.now()
        entry.save(update_fields=["title", "updated_at"])
        return entry


def entry_delete(*, entry: Entry, by: User) -> None:
    """Authors may always delete what they wrote: it is their data."""
    with transaction.atomic():
        entry = _own_entry(pk=entry.pk, by=by)
        notification_withdraw(target=entry_target(entry), shown_too=True)
        entry.delete()


def entry_set_visibility(*, entry: Entry, by: User, visibility: int) -> Entry:
    if visibility not in Visibility.values:
        raise ExerciseError("bad_visibility", "Choose who can see this entry.")
    with transaction.atomic():
        entry = _own_entry(pk=entry.pk, by=by)
        if visibility > entry.visibility:
            if entry.couple is None:
                # Written while single: it can be shared with the couple the author is in now.
                entry.couple = active_couple_for(by)
                if entry.couple is None:
                    raise ExerciseError(
                        "not_paired", "You're not in an active couple, so this can only be private."
                    )
            elif not entry.couple.is_active:
                raise ExerciseError(
                    "ended",
                    "Your couple has ended: this entry can be made more private, "
                    "but not shared further.",
                )
        was = entry.visibility
        entry.visibility = visibility
        entry.updated_at = timezone.now()
        entry.save(update_fields=["visibility", "couple", "updated_at"])
        if visibility == Visibility.PRIVATE:
            # Made private again: what told the partner about it goes too.
            notification_withdraw(target=entry_target(entry), shown_too=True)
        _notify_shared(entry, was=was)
        return entry


# --- Notifications: that something happened, never what anyone wrote ---------------------------


def entry_target(entry: Entry) -> str:
    """What notifications about `entry` are about; opening the entry marks them read."""
    return f"entry-{entry.pk}"


def _notify(entry: Entry, *, kind: str, recipient: User | None, actor: User) -> None:
    if recipient is not None and recipient.pk != actor.pk:
        notification_create(
            recipient=recipient,
            kind=kind,
            actor=actor,
            url=reverse("exercises:entry", args=[entry.pk]),
            target=entry_target(entry),
        )


def _notify_shared(entry: Entry, *, was: int) -> None:
    """An entry the partner could not see before now reaches them, if its kind says so (an
    appreciation does)."""
    newly_shared = was < Visibility.PARTNER <= entry.visibility
    notify = KINDS[entry.kind].notify_on_share
    if notify and newly_shared and entry.couple is not None:
        partner = entry.couple.partner_of(entry.author)
        _notify(entry, kind=notify, recipient=partner, actor=entry.author)


# --- 1. Appreciations --------------------------------------------------------------------------


def appreciation_acknowledge(*, entry: Entry, by: User) -> Entry:
    """The partner says "thank you"; both of them see it."""
    with transaction.atomic():
        entry = _visible_entry(pk=entry.pk, by=by, kind=Kind.APPRECIATION)
        _require_partner_in_active_couple(entry, by)
        appreciation = entry.appreciation
        if appreciation.acknowledged_at:
            raise ExerciseError("already_done", "You've already thanked your partner for this one.")
        appreciation.acknowledged_at = timezone.now()
        appreciation.save(update_fields=["acknowledged_at"])
        return entry


# --- 2. Lists whose items the partner gives: caring behaviors, surprises and fun ---------------


def _partner_gift_item(*, kind: str, item_id: object, by: User) -> models.Model:
    """An item of a list of `kind` shared with `by`, written by their partner, in their active
    couple; refused (as not found) otherwise."""
    gifts = GIFT_KINDS[kind].gifts
    raw = str(item_id)
    item = (
        gifts.item_model.objects.filter(
            pk=raw, **{f"{gifts.entry_path}__in": Entry.objects.visible_to(by).values("pk")}
        )
        .values_list("pk", gifts.entry_path)
        .first()
        if raw.isascii() and raw.isdigit()
        else None
    )
    if item is None:
        raise ExerciseError(
            "not_found", f"That {gifts.noun} doesn't exist, or it isn't shared with you."
        )
    entry = _visible_entry(pk=item[1], by=by, kind=kind)
    _require_partner_in_active_couple(entry, by)
    return gifts.item_model.objects.select_for_update().get(pk=item[0])


def gift_item_set_aside(*, kind: str, item_id: object, by: User, aside: bool) -> models.Model:
    """The receiver of a list marks an item "not for now" (or takes it back up)."""
    with transaction.atomic():
        item = _partner_gift_item(kind=kind, item_id=item_id, by=by)
        item.set_aside_at = timezone.now() if aside else None
        item.save(update_fields=["set_aside_at"])
        return item


def gift_log(*, kind: str, item_id: object, by: User, given_on: date) -> models.Model:
    """Log that `by` gave one of the items of their partner's list of `kind` on `given_on`."""
    with transaction.atomic():
        item = _partner_gift_item(kind=kind, item_id=item_id, by=by)
        gift_model = GIFT_KINDS[kind].gifts.gift_model
        if item.set_aside_at:
            raise ExerciseError(
                "set_aside", "You set this one aside for now. Take it back up to log it."
            )
        if given_on > timezone.localdate():
            raise ExerciseError("future_date", "That date is in the future.")
        if gift_model.objects.filter(item=item, giver=by, given_on=given_on).exists():
            raise ExerciseError("already_done", "You've already logged this one for that day.")
        return gift_model.objects.create(item=item, giver=by, given_on=given_on)


# --- 3. Behavior change request ----------------------------------------------------------------


def _open_request(*, entry: Entry, by: User) -> Entry:
    entry = _visible_entry(pk=entry.pk, by=by, kind=Kind.REQUEST)
    _require_partner_in_active_couple(entry, by)
    if entry.request.declined_at or entry.request.items.filter(chosen_at__isnull=False).exists():
        raise ExerciseError("answered", "This request has already been answered.")
    return entry


def request_choose_gift(*, entry: Entry, by: User, item_id: object) -> RequestItem:
    """The receiving partner chooses one of the three requests to give as a gift."""
    with transaction.atomic():
        entry = _open_request(entry=entry, by=by)
        raw = str(item_id)
        # isdigit() alone accepts "²" and other digits int() refuses.
        item = (
            entry.request.items.filter(pk=raw).first() if raw.isascii() and raw.isdigit() else None
        )
        if item is None:
            raise ExerciseError("bad_choice", "Choose one of the three requests.")
        now = timezone.now()
        item.chosen_at = now
        item.ends_on = timezone.localdate(now) + timedelta(days=item.duration_days - 1)
        item.save(update_fields=["chosen_at", "ends_on"])
        _notify(entry, kind=NotificationKind.REQUEST_ANSWERED, recipient=entry.author, actor=by)
        return item


def request_decline_all(*, entry: Entry, by: User) -> Entry:
    """Declining is allowed: a request is never a demand."""
    with transaction.atomic():
        entry = _open_request(entry=entry, by=by)
        entry.request.declined_at = timezone.now()
        entry.request.save(update_fields=["declined_at"])
        _notify(entry, kind=NotificationKind.REQUEST_ANSWERED, recipient=entry.author, actor=by)
        return entry


def request_log_followthrough(
    *, entry: Entry, by: User, done_on: date, note: str = ""
) -> FollowThrough:
    """Either partner records a day the chosen gift was given, until its end date."""
    with transaction.atomic():
        entry = _visible_entry(pk=entry.pk, by=by, kind=Kind.REQUEST)
        _require_member_of_active_couple(entry, by)
        item = entry.request.items.filter(chosen_at__isnull=False).first()
        if item is None:
            raise ExerciseError("no_gift", "No gift has been chosen from this request yet.")
        started = timezone.localdate(item.chosen_at)
        if done_on < started or done_on > item.ends_on:
            raise ExerciseError(
                "bad_date",
                f"Log days between {started:%d %b} and {item.ends_on:%d %b %Y}, "
                "while the gift is in progress.",
            )
        if done_on > timezone.localdate():
            raise ExerciseError("future_date", "That date is in the future.")
        if FollowThrough.objects.filter(item=item, author=by, done_on=done_on).exists():
            raise ExerciseError("already_done", "You've already logged that day.")
        return FollowThrough.objects.create(item=item, author=by, done_on=done_on, note=note)


# --- 4. Relationship vision --------------------------------------------------------------------


def vision_entries(*, couple: Couple, user: User) -> tuple[list[Entry], list[Entry]]:
    """(mine, my partner's) vision entries shared with each other in `couple`."""
    entries = list(
        Entry.objects.visible_to(user)
        .shared_in(couple)
        .filter(kind=Kind.VISION)
        .select_related("author")
    )
    return (
        [e for e in entries if e.author_id == user.pk],
        [e for e in entries if e.author_id != user.pk],
    )


def vision_merge(*, couple: Couple, by: User, decisions: dict[int, tuple[bool, int | None]]) -> int:
    """Record which of the partner's statements `by` accepts into the shared vision: item id →
    (accepted, their own importance rating 1–5 or None while unrated). Returns how many are
    accepted."""
    with transaction.atomic():
        couple = Couple.objects.select_for_update().get(pk=couple.pk)
        if not is_member(couple=couple, user=by):
            raise ExerciseError("not_found", NOT_FOUND)
        if not couple.is_active:
            raise ExerciseError("ended", ENDED)
        mine, theirs = vision_entries(couple=couple, user=by)
        if not mine or not theirs:
            raise ExerciseError(
                "not_ready",
                "The shared vision is built once you have both written and shared a vision.",
            )
        items = {item.pk: item for item in VisionItem.objects.filter(vision__entry__in=theirs)}
        if set(decisions) - set(items):
            raise ExerciseError(
                "bad_choice", "Some of those statements aren't part of your partner's vision."
            )
        if any(
            rating is not None and rating not in range(1, 6) for _, rating in decisions.values()
        ):
            raise ExerciseError("bad_rating", "Importance is a number from 1 to 5.")
        for item_id, (accepted, importance) in decisions.items():
            VisionResponse.objects.update_or_create(
                item=items[item_id],
                user=by,
                defaults={"accepted": accepted, "importance": importance if accepted else None},
            )
        return sum(1 for accepted, _ in decisions.values() if accepted)


def shared_vision_items(*, couple: Couple, user: User) -> list[VisionItem]:
    """Statements from either list that both partners accept: written by one, accepted by the
    other. Each carries `partner_importance` and `truths` (user → 1–5) for display."""
    entries = Entry.objects.visible_to(user).shared_in(couple).filter(kind=Kind.VISION)
    accepted_by_other = VisionResponse.objects.filter(item=OuterRef("pk"), accepted=True).exclude(
        user=OuterRef("vision__entry__author")
    )
    items = list(
        VisionItem.objects.filter(vision__entry__in=entries.values("pk"))
        .filter(Exists(accepted_by_other))
        .select_related("vision__entry__author")
        .prefetch_related("responses__user")
        .order_by("-importance", "id")
    )
    for item in items:
        author = item.vision.entry.author
        item.author = author
        item.partner_response = next(
            (r for r in item.responses.all() if r.user_id != author.pk and r.accepted), None
        )
        item.truths = [(r.user, r.truth) for r in item.responses.all() if r.truth]
        item.my_truth = next(
            (r.truth for r in item.responses.all() if r.user_id == user.pk and r.truth), None
        )
    return items


def vision_rate_truth(*, item_id: object, by: User, truth: int) -> VisionResponse:
    """Later, either partner rates how true a shared-vision statement is now."""
    if truth not in range(1, 6):
        raise ExerciseError("bad_rating", "Rate it from 1 to 5.")
    with transaction.atomic():
        couple = active_couple_for(by)
        if couple is None:
            raise ExerciseError("ended", ENDED)
        shared = {item.pk: item for item in shared_vision_items(couple=couple, user=by)}
        try:
            item = shared[int(item_id)]
        except (KeyError, TypeError, ValueError):
            raise ExerciseError(
                "bad_choice", "That statement isn't part of your shared vision."
            ) from None
        response, _ = VisionResponse.objects.update_or_create(
            item=item,
            user=by,
            defaults={"truth": truth, "truth_rated_at": timezone.now()},
        )
        return response


# --- The therapist's desk: homework, notes, looks ----------------------------------------------

HOMEWORK_NOT_FOUND = "That homework doesn't exist, or it isn't yours to answer."
NOTE_NOT_FOUND = "That note doesn't exist, or it isn't yours."


def _require_therapist_of(couple: Couple, by: User) -> Couple:
    """`couple`, re-read under lock, if `by` is its therapist with both partners' consent."""
    couple = Couple.objects.select_for_update().get(pk=couple.pk)
    if couple_access_role(couple=couple, user=by) != AccessRole.THERAPIST:
        raise ExerciseError(
            "not_therapist",
            "Only the couple's therapist, with both partners' consent, can do that.",
        )
    return couple


def homework_assign(
    *,
    couple: Couple,
    by: User,
    kind: str,
    instructions: str,
    due_on: date | None = None,
    assignee: User | None = None,
) -> Homework:
    """The couple's therapist asks both partners (`assignee` None) or one of them to do an
    exercise, with instructions and an optional due date."""
    instructions = (instructions or "").strip()
    if kind not in KINDS:
        raise ExerciseError("bad_kind", "Choose one of the exercises.")
    if not instructions:
        raise ExerciseError("text_required", "Write a few words of instructions.")
    if len(instructions) > HOMEWORK_INSTRUCTIONS_LIMIT:
        raise ExerciseError(
            "text_too_long",
            f"Keep the instructions to {HOMEWORK_INSTRUCTIONS_LIMIT:,} characters or fewer.",
        )
    if due_on is not None and due_on < timezone.localdate():
        raise ExerciseError("past_date", "The due date has already passed. Choose a later one.")
    with transaction.atomic():
        couple = _require_therapist_of(couple, by)
        if (
            assignee is not None
            and not couple.memberships.filter(user=assignee, active=True).exists()
        ):
            raise ExerciseError("bad_assignee", "Choose one of the two partners, or both.")
        homework = Homework.objects.create(
            couple=couple,
            assigned_by=by,
            assignee=assignee,
            kind=kind,
            instructions=instructions,
            due_on=due_on,
        )
        _notify_homework(homework)
        return homework


def homework_answer(
    *, homework_id: object, by: User, state: str, comment: str = ""
) -> HomeworkAnswer:
    """A partner the homework is for marks their own part done, or says it did not fit (and
    why); answering again replaces their answer. Their partner's part is theirs to answer."""
    comment = (comment or "").strip()
    if state not in (Homework.State.DONE, Homework.State.DID_NOT_FIT):
        raise ExerciseError("bad_state", "Say whether you did it, or whether it did not fit.")
    if state == Homework.State.DID_NOT_FIT and not comment:
        raise ExerciseError(
            "comment_required", "Tell your therapist in a few words why it did not fit."
        )
    if len(comment) > HOMEWORK_COMMENT_LIMIT:
        raise ExerciseError(
            "text_too_long",
            f"Keep the comment to {HOMEWORK_COMMENT_LIMIT:,} characters or fewer.",
        )
    with transaction.atomic():
        raw = str(homework_id)
        homework = (
            Homework.objects.visible_to(by)
            .select_for_update(of=("self",))
            .select_related("couple")
            .filter(pk=raw)
            .first()
            if raw.isascii() and raw.isdigit()
            else None
        )
        if homework is None or by.is_therapist or not homework.is_for(by):
            raise ExerciseError("not_found", HOMEWORK_NOT_FOUND)
        if not homework.couple.is_active:
            raise ExerciseError("ended", ENDED)
        answer, _ = HomeworkAnswer.objects.update_or_create(
            homework=homework,
            partner=by,
            defaults={"state": state, "comment": comment, "answered_at": timezone.now()},
        )
        # No due-date reminder for them now; their partner's stands while their part is open.
        notification_withdraw(target=_homework_target(homework), recipient=by)
        return answer


def note_create(
    *, couple: Couple, by: User, text: str, to_couple: bool = False, turn: Turn | None = None
) -> Note:
    """The couple's therapist writes a session note (read by them alone), possibly pinned to a
    turn of a dialogue they may read, or a note to the couple (read by both partners too)."""
    text = _note_text(text)
    with transaction.atomic():
        couple = _require_therapist_of(couple, by)
        if turn is not None and (to_couple or turn.dialogue.couple_id != couple.pk):
            raise ExerciseError(
                "bad_turn", "A session note can be pinned to a turn of this couple's dialogue."
            )
        now = timezone.now()
        note = Note.objects.create(
            couple=couple,
            author=by,
            text=text,
            to_couple=to_couple,
            turn=turn,
            created_at=now,
            updated_at=now,
        )
        if to_couple:  # a session note is the therapist's alone: no one hears of it
            for partner in couple.partners.all():
                notification_create(
                    recipient=partner,
                    kind=NotificationKind.THERAPIST_NOTE,
                    actor=by,
                    url=reverse("couples:home"),
                    target=_note_target(note),
                )
        return note


def _homework_target(homework: Homework) -> str:
    return f"homework-{homework.pk}"


def _notify_homework(homework: Homework) -> None:
    """Tell the partner(s) it is for; with a due date, remind them that day at the time each
    chose for daily reminders."""
    for partner in homework.couple.partners.all():
        if not homework.is_for(partner):
            continue
        common = {"recipient": partner, "url": reverse("couples:home")}
        notification_create(
            kind=NotificationKind.HOMEWORK,
            actor=homework.assigned_by,
            target=_homework_target(homework),
            **common,
        )
        if homework.due_on is not None:
            at = notification_daily_time(user=partner, day=homework.due_on)
            if at > timezone.now():
                notification_create(
                    kind=NotificationKind.REMINDER,
                    variant="homework",
                    at=at,
                    target=_homework_target(homework),
                    **common,
                )


def note_update(*, note_id: object, by: User, text: str) -> Note:
    """Only the author edits a note, while their access to the couple is in force."""
    text = _note_text(text)
    with transaction.atomic():
        raw = str(note_id)
        note = (
            Note.objects.visible_to(by).filter(author=by, pk=raw).first()
            if raw.isascii() and raw.isdigit()
            else None
        )
        if note is None:
            raise ExerciseError("not_found", NOTE_NOT_FOUND)
        note.text = text
        note.updated_at = timezone.now()
        note.save(update_fields=["text", "updated_at"])
        return note


def note_delete(*, note_id: object, by: User) -> None:
    """Only the author deletes a note, while their access to the couple is in force; a note to
    the couple goes from the partners' home pages too, and so does what told them of it."""
    with transaction.atomic():
        raw = str(note_id)
        note = (
            Note.objects.visible_to(by)
            .select_for_update(of=("self",))
            .filter(author=by, pk=raw)
            .first()
            if raw.isascii() and raw.isdigit()
            else None
        )
        if note is None:
            raise ExerciseError("not_found", NOTE_NOT_FOUND)
        notification_withdraw(target=_note_target(note), shown_too=True)
        note.delete()


def _note_target(note: Note) -> str:
    return f"note-{note.pk}"


def _note_text(text: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ExerciseError("text_required", "Write something first.")
    if len(text) > NOTE_LIMIT:
        raise ExerciseError(
            "text_too_long",
            f"Keep a note to {NOTE_LIMIT:,} characters or fewer ({len(text):,} now).",
        )
    return text


def desk_visit_record(*, couple: Couple, therapist: User, what: str, path: str = "") -> None:
    """A therapist's look at a couple's desk: recorded in the record partners read, and kept as
    the moment "new since you last looked" counts from."""
    look_record(viewer=therapist, couples=couple, what=what, path=path)
    # One upsert: a look costs the same whether or not it is the first.
    DeskVisit.objects.bulk_create(
        [DeskVisit(couple=couple, therapist=therapist, seen_at=timezone.now())],
        update_conflicts=True,
        unique_fields=["couple", "therapist"],
        update_fields=["seen_at"],
    )


def request_reminders_due(*, now: datetime | None = None) -> int:
    """Once a day, at the time they chose, remind a partner who gives a requested gift — while
    it runs, and only if they asked for it. The scheduler runs this (exercises/tasks.py)."""
    now = now or timezone.now()
    running = (
        RequestItem.objects.filter(
            chosen_at__isnull=False,
            ends_on__gte=(now - timedelta(days=1)).date(),
            request__entry__couple__ended_at__isnull=True,
        )
        .select_related("request__entry__author", "request__entry__couple")
        .prefetch_related("request__entry__couple__partners")
    )
    reminded = 0
    for item in running:
        entry = item.request.entry
        giver = entry.couple.partner_of(entry.author)
        if giver is None:
            continue
        prefs = notification_settings_for(giver)
        local = now.astimezone(user_zone(giver))
        if not prefs.request_reminder or local.time() < prefs.daily_at:
            continue
        if local.date() > item.ends_on:
            continue
        target = f"gift-{item.pk}-{local.date().isoformat()}"  # once a day
        if Notification.objects.filter(recipient=giver, target=target).exists():
            continue
        notification_create(
            recipient=giver,
            kind=NotificationKind.REMINDER,
            variant="request",
            url=reverse("exercises:entry", args=[entry.pk]),
            target=target,
        )
        reminded += 1
    return reminded

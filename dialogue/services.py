"""Workflows of the live dialogue. Views and the websocket consumer both call these; the step
rules live in `flow.py`, and this module persists what it decides."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import DatabaseError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from couples.access import couple_access_role, is_active_member
from couples.models import Couple, Notification, NotificationKind, TherapistLink, User
from couples.notifications import notification_create
from imago_site.errors import ImagoError
from imago_site.events import send_event_on_commit

from . import flow
from .access import dialogue_access
from .appointments import dialogue_appointment_follow
from .models import Coaching, Dialogue, Turn
from .rows import dialogue_row, sent_before, turn_write

TEXT_LIMIT = 4000
TOPIC_LIMIT = 200
STAGE_MINUTES = (1, 30)
PREPARED_ITEMS = 40
# A browser's "now" rounded to the minute is a little in the past; accept that much.
TIME_SLACK = timedelta(minutes=5)
APPOINTMENT_WITHIN = timedelta(hours=24)
TIMEOUT_WITHIN = timedelta(days=7)
PROMPT_LIMIT = 500  # a coaching prompt is a starter or a short note
TIMER_LIMIT = 60 * 60  # seconds; a timer is set for one step
TURNS_PAGE = 30  # turns the room shows at first, and loads each time earlier ones are asked for
TRANSCRIPT_PAGE = 100  # turns a page of the printable transcript shows
# A client further behind than this gets the latest page again rather than every missed turn.
CATCH_UP_LIMIT = 200


class DialogueError(ImagoError):
    """A refused dialogue request (`code`, `message`)."""


@dataclass(frozen=True)
class TurnResult:
    turn: dict[str, Any]
    dialogue: dict[str, Any]
    replayed: bool = False


# --- Reads (who may see what: dialogue/access.py) ------------------------------------------


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _person(user: User) -> dict[str, Any]:
    return {"id": user.pk, "name": user.display_name or user.email}


def dialogue_snapshot(*, dialogue: Dialogue) -> dict[str, Any]:
    """The dialogue's state as plain JSON data: what every frame and page renders from."""
    prepared_left = dialogue.prepared_left()
    return {
        "id": str(dialogue.pk),
        "topic": dialogue.topic,
        "kind": dialogue.kind,
        "step": dialogue.step,
        "paused": dialogue.paused,
        "paused_until": _iso(dialogue.paused_until),
        "stage_minutes": dialogue.stage_minutes,
        # The prepared items still to name, and whether every one of them has been named.
        "prepared": prepared_left,
        "prepared_all_named": bool(dialogue.prepared) and not prepared_left,
        "updated": _iso(dialogue.updated_at),
        "round": dialogue.round,
        "last_seq": dialogue.last_seq,
        "sender": _person(dialogue.sender),
        "receiver": _person(dialogue.receiver),
        "ended": dialogue.is_ended,
        "stopped_at": dialogue.stopped_at(),
        "read_only": dialogue.couple.ended_at is not None,
        "held": (
            {"by": _person(dialogue.held_by), "since": _iso(dialogue.held_at)}
            if dialogue.held_by_id and not _hold_lapsed(dialogue)
            else None
        ),
        "timer": (
            {
                "seconds": dialogue.timer_seconds,
                "ends_at": _iso(dialogue.timer_ends_at),
                "step": dialogue.timer_step,
                "round": dialogue.timer_round,
            }
            if dialogue.timer_ends_at
            and (dialogue.timer_step, dialogue.timer_round) == (dialogue.step, dialogue.round)
            else None
        ),
    }


def turn_as_dict(turn: Turn) -> dict[str, Any]:
    return {
        "seq": turn.seq,
        "round": turn.round,
        "author": _person(turn.author),
        "role": turn.role,
        "step": turn.step,
        "action": turn.action,
        "text": turn.text,
        "at": _iso(turn.at),
        "created": _iso(turn.created_at),
    }


def coaching_as_dict(item: Coaching) -> dict[str, Any]:
    return {
        "id": item.pk,
        "kind": item.kind,
        "author": _person(item.author),
        "text": item.text,
        "seconds": item.seconds,
        "step": item.step,
        "round": item.round,
        "after_seq": item.after_seq,
        "created": _iso(item.created_at),
    }


def dialogue_state(
    *,
    dialogue_id: object,
    since: int | None = None,
    before: int | None = None,
    limit: int | None = None,
) -> dict[str, Any]:
    """The state and a window of its turns, each with the coaching that followed it:

    - `since`: every turn after that one — what a reconnecting client is missing — as long as
      no more than CATCH_UP_LIMIT are; `since` in the result says it was honoured;
    - otherwise the latest `limit` turns (all with None) before turn `before` (or the end), and
      `since` None: this window replaces whatever the client had. `first_seq` is its first
      turn and `earlier` says whether turns before it exist.

    At most three queries, however long the dialogue (the dialogue's row as `turn_submit` reads
    it, without the lock)."""
    dialogue = dialogue_row(dialogue_id, lock=False)
    last = dialogue.last_seq
    turns = dialogue.turns.select_related("author")
    coaching = dialogue.coaching.select_related("author").order_by("created_at", "pk")
    if since is not None and 0 <= since <= last and last - since <= CATCH_UP_LIMIT:
        # A client that has every turn (a reconnect, say) costs no query for them.
        rows = list(turns.filter(seq__gt=since).order_by("seq")) if since < last else []
        first = since + 1
        coaching = coaching.filter(after_seq__gte=since)
    else:
        since = None
        end = last + 1 if before is None else max(1, min(before, last + 1))
        # Turns are numbered 1, 2, … without gaps: the window is a range of numbers.
        first = 1 if limit is None else max(1, end - limit)
        rows = (
            list(turns.filter(seq__gte=first, seq__lt=end).order_by("seq")) if first < end else []
        )
        # A coaching item sits after the turn it followed: in this window if that turn is.
        coaching = coaching.filter(after_seq__gte=first if first > 1 else 0)
        if before is not None:
            coaching = coaching.filter(after_seq__lt=end)
    return {
        "dialogue": dialogue_snapshot(dialogue=dialogue),
        "turns": [turn_as_dict(turn) for turn in rows],
        "coaching": [coaching_as_dict(item) for item in coaching],
        "since": since,
        "first_seq": first,
        "earlier": first > 1,
    }


# --- Writes ------------------------------------------------------------------------------------


def dialogue_start(
    *,
    couple: Couple,
    user: User,
    topic: str,
    kind: str = flow.DEFAULT_VARIANT,
    stage_minutes: int | None = None,
    prepared: str = "",
) -> Dialogue:
    """`user` opens a dialogue of `kind` on `topic` as its first sender; their partner receives.
    A timed variant needs the minutes per stage; one with a prepared list needs the list."""
    topic = topic.strip()
    if not topic:
        raise DialogueError("topic_required", "Name the topic you'd like to talk about.")
    if len(topic) > TOPIC_LIMIT:
        raise DialogueError("topic_too_long", f"Keep the topic under {TOPIC_LIMIT} characters.")
    variant = flow.VARIANTS.get(kind)
    if variant is None:
        raise DialogueError("unknown_kind", "Choose one of the dialogues offered.")
    low, high = STAGE_MINUTES
    if not variant.timed:
        stage_minutes = None
    elif stage_minutes is None or not low <= stage_minutes <= high:
        raise DialogueError(
            "stage_minutes_required",
            f"Agree on a time for each stage, between {low} and {high} minutes.",
        )
    items = [line.strip() for line in prepared.splitlines() if line.strip()]
    if variant.prepared_step is None:
        items = []
    elif not items:
        raise DialogueError("prepared_required", "Prepare your list first, one item a line.")
    elif len(items) > PREPARED_ITEMS or any(len(item) > TOPIC_LIMIT for item in items):
        raise DialogueError(
            "prepared_too_long",
            f"Keep the list to {PREPARED_ITEMS} items of at most {TOPIC_LIMIT} characters.",
        )
    with transaction.atomic():
        couple = Couple.objects.select_for_update().get(pk=couple.pk)
        if not is_active_member(couple=couple, user=user):
            raise DialogueError(
                "read_only", "Only a partner in an active couple can start a dialogue."
            )
        partner = couple.partners.exclude(pk=user.pk).first()
        if partner is None:
            raise DialogueError("no_partner", "A dialogue needs your partner.")
        now = timezone.now()
        dialogue = Dialogue.objects.create(
            couple=couple,
            topic=topic,
            kind=variant.key,
            stage_minutes=stage_minutes,
            prepared="\n".join(items),
            started_by=user,
            sender=user,
            receiver=partner,
            created_at=now,
            updated_at=now,
        )
        _notify_partner_waiting(dialogue=dialogue, by=user, partner=partner)
        return dialogue


# A partner is told again that the other waits only once they have seen the last notice, and
# not within minutes of it; a notice left unseen for a day no longer counts as telling them.
WAITING_AGAIN_AFTER = timedelta(minutes=10)
WAITING_UNSEEN_FOR = timedelta(days=1)


def dialogue_wait(*, dialogue_id: object, user: User) -> bool:
    """`user`, a partner, is alone in the room of an open dialogue: tell their partner that they
    are waiting, unless the partner was told already and has not looked, or was told minutes ago.
    Whether the partner was told."""
    with transaction.atomic():
        dialogue = Dialogue.objects.select_related("couple").filter(pk=dialogue_id).first()
        if (
            dialogue is None
            or dialogue.is_ended
            or user.pk not in (dialogue.sender_id, dialogue.receiver_id)
            or not is_active_member(couple=dialogue.couple, user=user)
        ):
            return False
        partner_id = dialogue.receiver_id if user.pk == dialogue.sender_id else dialogue.sender_id
        now = timezone.now()
        told = Notification.objects.filter(
            recipient_id=partner_id,
            kind=NotificationKind.PARTNER_WAITING,
            target=dialogue.group_name,
            cancelled_at__isnull=True,
        )
        if told.filter(
            Q(read_at__isnull=True, created_at__gte=now - WAITING_UNSEEN_FOR)
            | Q(created_at__gte=now - WAITING_AGAIN_AFTER)
        ).exists():
            return False
        _notify_partner_waiting(dialogue=dialogue, by=user, partner=User.objects.get(pk=partner_id))
        return True


def _notify_partner_waiting(*, dialogue: Dialogue, by: User, partner: User) -> None:
    # Never the topic: what a partner wrote stays out of notifications.
    notification_create(
        recipient=partner,
        kind=NotificationKind.PARTNER_WAITING,
        actor=by,
        url=reverse("dialogue:room", args=[dialogue.pk]),
        target=dialogue.group_name,
    )


def _check_time(variant: flow.Variant, action: flow.Action, at: datetime | None) -> None:
    if at is None:
        return
    if action not in variant.time_allowed:
        raise DialogueError(
            "bad_time", "Only a proposed time, an offered time or a time-out can carry a time."
        )
    now = timezone.now()
    limit = TIMEOUT_WITHIN if action == flow.Action.TIMEOUT else APPOINTMENT_WITHIN
    if at < now - TIME_SLACK:
        raise DialogueError("bad_time", "That time has already passed. Choose a later one.")
    if at > now + limit:
        window = "7 days" if action == flow.Action.TIMEOUT else "24 hours"
        raise DialogueError("bad_time", f"Choose a time within the next {window}.")


def _refusal(error: flow.FlowError, dialogue: Dialogue) -> DialogueError:
    if error.code == "not_your_turn":
        movers = dialogue.variant.actors(dialogue.state.step)
        if len(movers) == 1:
            mover = dialogue.sender if flow.Role.SENDER in movers else dialogue.receiver
            return DialogueError("not_your_turn", f"It's {mover.display_name}'s move now.")
    return DialogueError(error.code, error.message)


logger = logging.getLogger(__name__)


def _not_saved_on_database_error(service: Callable[..., TurnResult]) -> Callable[..., TurnResult]:
    """A database fault while taking a turn rolls the whole turn back; the person hears that it
    was not saved (a refusal like any other, so their words stay in the box), not a 500."""

    @functools.wraps(service)
    def wrapper(*args: Any, **kwargs: Any) -> TurnResult:
        try:
            return service(*args, **kwargs)
        except DatabaseError:
            logger.exception("Turn not saved: database error")
            raise DialogueError(
                "not_saved",
                "Your turn was not saved: something went wrong on our side. Your words are "
                "still in the box; please send them again in a moment.",
            ) from None

    return wrapper


@_not_saved_on_database_error
def turn_submit(
    *,
    dialogue_id: object,
    user: User,
    action: str,
    client_msg_id: str,
    text: str = "",
    at: datetime | None = None,
    last_seq: int | None = None,
) -> TurnResult:
    """Take one dialogue action for `user`: validate it against flow.py, persist the turn and the
    new state together, and broadcast after commit. Resending the same `client_msg_id` returns
    the original result and creates nothing. `last_seq` (the latest turn the client has seen)
    turns a race between the partners into a clear "conflict" for the one who lost it."""
    text = (text or "").strip()
    if len(text) > TEXT_LIMIT:
        raise DialogueError(
            "text_too_long",
            f"Please keep it to {TEXT_LIMIT:,} characters or fewer ({len(text):,} now).",
        )
    with transaction.atomic():
        # The row lock serializes every action on this dialogue (on SQLite, BEGIN IMMEDIATE does);
        # `of` locks the dialogue row only, not the couple and people joined to it.
        dialogue = dialogue_row(dialogue_id, lock=True)
        # Only now, under the lock, does a resend see the turn its first sending committed.
        resent = sent_before(dialogue, user, client_msg_id)
        if resent is not None:
            earlier = dialogue.turns.select_related("author").get(seq=resent)
            return TurnResult(
                turn=turn_as_dict(earlier),
                dialogue=dialogue_snapshot(dialogue=dialogue),
                replayed=True,
            )
        role = dialogue.role_of(user)
        if role != flow.Role.OBSERVER and dialogue.couple.ended_at is not None:
            raise DialogueError(
                "read_only", "Your couple has ended: this dialogue stays readable but closed."
            )
        if role == flow.Role.OBSERVER:
            raise DialogueError("observer", "You are observing: only the two partners can act.")
        _refuse_while_held(dialogue)
        if last_seq is not None and last_seq != dialogue.last_seq:
            raise DialogueError(
                "conflict",
                "Your partner acted at the same moment and theirs came first. "
                "Here is where the dialogue is now; your words are still in the box.",
            )
        try:
            outcome = dialogue.variant.decide(dialogue.state, role, action)
        except flow.FlowError as error:
            raise _refusal(error, dialogue) from None
        action = flow.Action(action)
        try:
            dialogue.variant.check_text(
                dialogue.state.step, role, action, text, topic=dialogue.topic
            )
        except flow.FlowError as error:
            raise _refusal(error, dialogue) from None
        _check_time(dialogue.variant, action, at)

        now = timezone.now()
        turn = Turn(
            dialogue=dialogue,
            seq=dialogue.last_seq + 1,
            round=dialogue.round,
            author=user,
            role=role,
            step=dialogue.step,
            action=action,
            text=text,
            at=at,
            client_msg_id=client_msg_id,
            created_at=now,
        )
        dialogue.last_seq = turn.seq
        dialogue.step = outcome.state.step
        dialogue.paused = outcome.state.paused
        dialogue.updated_at = now
        if action == flow.Action.TIMEOUT:
            dialogue.paused_until = at
        elif not outcome.state.paused:  # a resume, or a stop during a time-out
            dialogue.paused_until = None
        if outcome.swap_roles:
            dialogue.sender, dialogue.receiver = dialogue.receiver, dialogue.sender
            dialogue.round += 1
        if outcome.state.step == flow.Step.ENDED:
            dialogue.ended_at = now
        turn_write(turn, dialogue)
        dialogue_appointment_follow(dialogue=dialogue, by=user, action=action, at=at)
        result = TurnResult(turn=turn_as_dict(turn), dialogue=dialogue_snapshot(dialogue=dialogue))
        group = dialogue.group_name
        send_event_on_commit(
            group,
            {
                "type": "dialogue.turn",
                "turn": result.turn,
                "dialogue": result.dialogue,
                "msg_id": client_msg_id,
            },
        )
        return result


def dialogue_therapist(*, dialogue: Dialogue) -> User | None:
    """The couple's therapist, while both partners' consent is in force; else None."""
    link = (
        TherapistLink.objects.in_force()
        .filter(couple=dialogue.couple_id)
        .select_related("therapist")
        .first()
    )
    if link and couple_access_role(couple=dialogue.couple, user=link.therapist):
        return link.therapist
    return None


def dialogue_invite_therapist(*, dialogue_id: object, user: User, invite: bool) -> None:
    """Either partner invites the couple's consented therapist to watch this dialogue, or
    withdraws the invitation; a watching therapist is cut off at once on withdrawal."""
    with transaction.atomic():
        dialogue = Dialogue.objects.select_for_update().get(pk=dialogue_id)
        couple = dialogue.couple
        if not is_active_member(couple=couple, user=user):
            raise DialogueError("read_only", "Only a partner in an active couple can do that.")
        therapist = dialogue_therapist(dialogue=dialogue) if invite else None
        if invite and therapist is None:
            raise DialogueError(
                "no_therapist",
                "Link your therapist on your couple page first; both of you must consent.",
            )
        dialogue.invited_therapist = therapist
        dialogue.therapist_invited_at = timezone.now() if invite else None
        dialogue.therapist_invited_by = user if invite else None
        if not invite and dialogue.held_by_id:
            # The therapist's time-out cannot outlive their invitation — nor end unseen.
            item = _release(
                dialogue,
                by=user,
                text="Stopped sharing this dialogue with the therapist: their time-out ended.",
                client_msg_id=f"unshared-{timezone.now().timestamp()}",
            )
            _broadcast_coaching(dialogue, item, item.client_msg_id)
        dialogue.save(
            update_fields=[
                "invited_therapist", "therapist_invited_at", "therapist_invited_by",
                "held_by", "held_at", "updated_at",
            ]
        )  # fmt: skip
        send_event_on_commit(dialogue.group_name, {"type": "access.changed"})


# --- Live facilitation: the watching therapist's prompts, time-out and timer -----------------


@dataclass(frozen=True)
class CoachingResult:
    item: dict[str, Any]
    dialogue: dict[str, Any]
    replayed: bool = False


def _hold_lapsed(dialogue: Dialogue) -> bool:
    """A therapist's time-out stands only while they may still watch this dialogue."""
    access = dialogue_access(user=dialogue.held_by, pk=dialogue.pk)
    return access is None or access[1] != flow.Role.OBSERVER


def _release(dialogue: Dialogue, *, by: User, text: str, client_msg_id: str) -> Coaching:
    """End the therapist's time-out, in the transcript too, so nobody lifts it silently. The
    stage's clock (it runs from `updated_at`) gets back the time the time-out held."""
    if dialogue.held_at is not None:
        dialogue.updated_at += timezone.now() - dialogue.held_at
    dialogue.held_by = None
    dialogue.held_at = None
    return Coaching.objects.create(
        dialogue=dialogue,
        author=by,
        kind=Coaching.Kind.RELEASE,
        text=text,
        step=dialogue.step,
        round=dialogue.round,
        after_seq=dialogue.last_seq,
        client_msg_id=client_msg_id,
    )


def _broadcast_coaching(dialogue: Dialogue, item: Coaching, client_msg_id: str) -> CoachingResult:
    result = CoachingResult(
        item=coaching_as_dict(item), dialogue=dialogue_snapshot(dialogue=dialogue)
    )
    send_event_on_commit(
        dialogue.group_name,
        {
            "type": "dialogue.coaching",
            "item": result.item,
            "dialogue": result.dialogue,
            "msg_id": client_msg_id,
        },
    )
    return result


def _refuse_while_held(dialogue: Dialogue) -> None:
    """While the therapist's time-out stands no partner action is taken — not even `resume`:
    only the therapist lifts it. If their access has ended since, it has lapsed: lift it, on
    the record and for everyone to see, and go on."""
    if dialogue.held_by_id is None:
        return
    holder = dialogue.held_by
    if _hold_lapsed(dialogue):
        item = _release(
            dialogue,
            by=holder,
            text="The time-out ended with the therapist's access to this dialogue.",
            client_msg_id=f"lapsed-{timezone.now().timestamp()}",
        )
        dialogue.save(update_fields=["held_by", "held_at"])
        _broadcast_coaching(dialogue, item, item.client_msg_id)
        return
    raise DialogueError(
        "held",
        f"{holder.display_name} has called a time-out for both of you. The dialogue goes on "
        f"at this same step when {holder.display_name} lifts it.",
    )


def coaching_submit(
    *,
    dialogue_id: object,
    user: User,
    kind: str,
    client_msg_id: str,
    text: str = "",
    seconds: int | None = None,
) -> CoachingResult:
    """The watching therapist coaches a live dialogue: `stem` or `note` posts a prompt both
    partners see at once; `hold` calls a time-out for both and `release` lifts it (the flow
    stays at its step); `timer` sets a timer of `seconds` for the current step (0 clears it).
    None of it is a turn. Stored before it is broadcast; a resent `client_msg_id` returns the
    original and creates nothing. Only the therapist watching this dialogue may do it."""
    text = (text or "").strip()
    if kind not in Coaching.Kind.values:
        raise DialogueError("unknown_kind", "Say what kind of coaching this is.")
    if len(text) > PROMPT_LIMIT:
        raise DialogueError(
            "text_too_long",
            f"Keep a prompt to {PROMPT_LIMIT:,} characters or fewer ({len(text):,} now).",
        )
    with transaction.atomic():
        dialogue = (
            Dialogue.objects.select_for_update(of=("self",))
            .select_related("couple", "sender", "receiver", "held_by")
            .get(pk=dialogue_id)
        )
        earlier = (
            dialogue.coaching.select_related("author")
            .filter(author=user, client_msg_id=client_msg_id)
            .first()
        )
        if earlier is not None:
            return CoachingResult(
                item=coaching_as_dict(earlier),
                dialogue=dialogue_snapshot(dialogue=dialogue),
                replayed=True,
            )
        access = dialogue_access(user=user, pk=dialogue.pk)
        if access is None or access[1] != flow.Role.OBSERVER:
            raise DialogueError(
                "not_observer", "Only the therapist watching this dialogue can coach it."
            )
        if dialogue.is_ended:
            raise DialogueError("ended", "This dialogue has ended.")
        if kind in (Coaching.Kind.STEM, Coaching.Kind.NOTE) and not text:
            raise DialogueError("text_required", "Write the prompt before posting it.")
        if kind == Coaching.Kind.HOLD and dialogue.held_by_id:
            raise DialogueError("held", "Your time-out already holds the dialogue.")
        if kind == Coaching.Kind.RELEASE and not dialogue.held_by_id:
            raise DialogueError("not_held", "There is no time-out of yours to lift.")
        if kind == Coaching.Kind.TIMER and (seconds is None or not 0 <= seconds <= TIMER_LIMIT):
            raise DialogueError(
                "bad_seconds", f"A timer runs for 0 (none) to {TIMER_LIMIT // 60} minutes."
            )
        now = timezone.now()
        if kind == Coaching.Kind.RELEASE:
            item = _release(dialogue, by=user, text=text, client_msg_id=client_msg_id)
        else:
            item = Coaching.objects.create(
                dialogue=dialogue,
                author=user,
                kind=kind,
                text=text,
                seconds=seconds if kind == Coaching.Kind.TIMER else None,
                step=dialogue.step,
                round=dialogue.round,
                after_seq=dialogue.last_seq,
                client_msg_id=client_msg_id,
                created_at=now,
            )
        if kind == Coaching.Kind.HOLD:
            dialogue.held_by, dialogue.held_at = user, now
        if kind == Coaching.Kind.TIMER:
            dialogue.timer_step = dialogue.step if seconds else ""
            dialogue.timer_round = dialogue.round if seconds else None
            dialogue.timer_seconds = seconds or None
            dialogue.timer_ends_at = now + timedelta(seconds=seconds) if seconds else None
        dialogue.save(
            update_fields=[
                "held_by", "held_at", "timer_step", "timer_round", "timer_seconds",
                "timer_ends_at", "updated_at",
            ]
        )  # fmt: skip
        return _broadcast_coaching(dialogue, item, client_msg_id)

"""Read-only questions other apps may ask about dialogues (the therapist's desk asks them).

Nothing here writes. Every function starts from the dialogues `viewer` may see, so a caller
cannot widen what it reads; `dialogue` never imports the apps that call it."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Count, Max, Q
from django.utils import timezone

from couples.models import Couple, User

from . import flow
from .access import dialogues_visible
from .fragments import turn_context
from .models import DialogueQuerySet, Turn
from .services import turn_as_dict


def shared_dialogues(*, viewer: User, couple: Couple) -> DialogueQuerySet:
    """The dialogues of `couple` that `viewer` may read (for a therapist: those a partner invited
    them to), newest activity first."""
    return dialogues_visible(viewer, couple=couple).order_by("-updated_at")


def dialogue_totals(*, dialogues: DialogueQuerySet, since: datetime | None = None) -> dict:
    """How many of `dialogues` were held (started) and completed, optionally since a moment, and
    when the latest one moved. One query."""
    started = Q(created_at__gte=since) if since else Q()
    ended = Q(ended_at__isnull=False) & (Q(ended_at__gte=since) if since else Q())
    return dialogues.order_by().aggregate(
        held=Count("pk", filter=started),
        completed=Count("pk", filter=ended),
        latest=Max("updated_at"),
    )


def dialogue_totals_by_couple(
    *, viewer: User, couples: list[Couple], since: dict[object, datetime]
) -> dict[object, dict[str, Any]]:
    """For each of `couples`: how many dialogues `viewer` may read were started (or moved on)
    after `since[couple]` — all of them when the couple has no such moment — and when the
    latest moved. One query."""
    new = Q()
    for couple in couples:
        if couple.pk in since:
            new |= Q(couple=couple, updated_at__gt=since[couple.pk])
        else:
            new |= Q(couple=couple)
    return {
        row["couple"]: row
        for row in dialogues_visible(viewer)
        .filter(couple__in=couples)
        .order_by()
        .values("couple")
        .annotate(new=Count("pk", filter=new), latest=Max("updated_at"))
    }


def dialogue_transcript(*, dialogues: DialogueQuerySet, pk: object) -> dict[str, Any] | None:
    """One dialogue of `dialogues` with every turn (as the room renders them, plus each turn's
    id), or None when `pk` is not among them."""
    dialogue = dialogues.select_related("sender", "receiver").filter(pk=pk).first()
    if dialogue is None:
        return None
    turns = []
    for turn in dialogue.turns.select_related("author").order_by("seq"):
        turns.append({**turn_context(turn_as_dict(turn), dialogue.variant), "id": turn.pk})
    return {"dialogue": dialogue, "turns": turns}


def turn_in(*, dialogues: DialogueQuerySet, turn_id: object) -> Turn | None:
    """The turn `turn_id` if it belongs to one of `dialogues`; else None."""
    raw = str(turn_id)
    if not (raw.isascii() and raw.isdigit()):
        return None
    return Turn.objects.filter(pk=raw, dialogue__in=dialogues.values("pk")).first()


# --- Dialogue skills, per partner per week -----------------------------------------------------

SKILLS: list[tuple[str, str]] = [
    ("completed", "Dialogues completed"),
    ("mirror_first_try", "Mirrors confirmed at the first try"),
    ("mirror_corrected", "Mirrors confirmed after a correction"),
    ("asked_more", "“Is there more?” asked"),
    ("validated", "Validations given"),
    ("empathy", "Empathy confirmed"),
    ("timeouts", "Time-outs called"),
]


@dataclass
class PartnerSkills:
    partner: User
    weeks: list[dict[str, int]] = field(default_factory=list)

    def rows(self) -> list[tuple[str, list[int], int]]:
        """(label, count per week, total) for each skill, for a table."""
        return [
            (label, [week[key] for week in self.weeks], sum(week[key] for week in self.weeks))
            for key, label in SKILLS
        ]


def _week_of(moment: datetime) -> date:
    day = timezone.localdate(moment)
    return day - timedelta(days=day.weekday())


def dialogue_skills(
    *, dialogues: DialogueQuerySet, partners: list[User], first_week: date, weeks: int
) -> list[PartnerSkills]:
    """How each partner's dialogue skills develop week by week, read from the stored turns of
    `dialogues` (two queries whatever their number):

    - a mirror counts for the partner who mirrored, when the sender confirms it: at the first try
      if no correction came since the sender's message, else after a correction;
    - validation counts for whoever validated, empathy when the sender confirms it;
    - "is there more?" and time-outs count for whoever asked or called them;
    - a completed dialogue counts for both partners, in the week it ended.
    """
    start = timezone.make_aware(datetime.combine(first_week, datetime.min.time()))
    counts: dict[tuple[int, date], dict[str, int]] = defaultdict(
        lambda: dict.fromkeys((key for key, _ in SKILLS), 0)
    )
    members = {
        row["pk"]: (row["sender_id"], row["receiver_id"])
        for row in dialogues.filter(updated_at__gte=start)
        .order_by()
        .values("pk", "sender_id", "receiver_id")
    }
    turns = (
        Turn.objects.filter(dialogue__in=dialogues.values("pk"), created_at__gte=start)
        .order_by("dialogue_id", "seq")
        .values_list("dialogue_id", "author_id", "step", "action", "created_at")
    )
    current = None
    corrections = 0
    mirrorer = empathizer = None
    for dialogue_id, author_id, step, action, created_at in turns:
        if dialogue_id != current:
            current, corrections, mirrorer, empathizer = dialogue_id, 0, None, None
        week = _week_of(created_at)
        if action == flow.Action.SEND:
            corrections = 0
        elif action == flow.Action.MIRROR:
            mirrorer = author_id
        elif action == flow.Action.EMPATHIZE:
            empathizer = author_id
        elif action == flow.Action.ASK_MORE:
            counts[author_id, week]["asked_more"] += 1
        elif action == flow.Action.VALIDATE:
            counts[author_id, week]["validated"] += 1
        elif action == flow.Action.TIMEOUT:
            counts[author_id, week]["timeouts"] += 1
        elif action == flow.Action.END:
            for member in members.get(dialogue_id, ()):
                counts[member, week]["completed"] += 1
        if step == flow.Step.CHECK and action == flow.Action.CORRECT:
            corrections += 1
        elif step == flow.Step.CHECK and action == flow.Action.CONFIRM and mirrorer:
            key = "mirror_first_try" if corrections == 0 else "mirror_corrected"
            counts[mirrorer, week][key] += 1
            corrections = 0
        elif step == flow.Step.EMPATHY_CHECK and action == flow.Action.CONFIRM and empathizer:
            counts[empathizer, week]["empathy"] += 1
    week_starts = [first_week + timedelta(weeks=n) for n in range(weeks)]
    return [
        PartnerSkills(
            partner=partner,
            weeks=[{"week": week, **counts[partner.pk, week]} for week in week_starts],
        )
        for partner in partners
    ]


def dialogue_records(*, dialogues: DialogueQuerySet) -> list[dict[str, Any]]:
    """Every dialogue of `dialogues` with its turns, as plain JSON data. Two queries."""
    rows = list(dialogues.select_related("sender", "receiver").order_by("created_at"))
    turns: dict[object, list[dict[str, Any]]] = defaultdict(list)
    for turn in (
        Turn.objects.filter(dialogue__in=[d.pk for d in rows])
        .select_related("author")
        .order_by("dialogue_id", "seq")
    ):
        turns[turn.dialogue_id].append(turn_as_dict(turn))
    return [
        {
            "id": str(d.pk),
            "topic": d.topic,
            "started_at": d.created_at.isoformat(),
            "ended_at": d.ended_at.isoformat() if d.ended_at else None,
            "turns": turns[d.pk],
        }
        for d in rows
    ]

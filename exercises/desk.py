"""The therapist's desk: what a therapist's pages about one couple show, as read-only queries.

Every function takes the viewer and reads through the access layer (`exercises.access` for
entries, homework and notes; `dialogue.selectors` for dialogues), scoped to one couple: nothing
here decides visibility. Each returns plain data in a fixed number of queries, whatever the size of
the couple's history. Views call these; so do the JSON export and the "since last session"
brief, so that the page, the print and the export always show the same things."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from django.db.models import (
    Count,
    Exists,
    F,
    Max,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    prefetch_related_objects,
)
from django.db.models.functions import Greatest
from django.utils import timezone

from couples.access import therapist_couples
from couples.models import Couple, User
from dialogue import selectors as dialogue_selectors
from dialogue.models import DialogueQuerySet

from . import access
from .access import prefetch_details
from .charts import CHART_WEEKS, bar_chart, local_midnight, week_counts, week_start, weekly
from .exports import entry_record, plain
from .models import (
    DeskVisit,
    EntryQuerySet,
    Homework,
    HomeworkAnswer,
    Kind,
    Note,
    RequestItem,
    TemperatureReading,
)
from .overview import history_filter
from .registry import DETAIL_RELATIONS, GIFT_KINDS, KINDS, KindSpec
from .services import shared_vision_items

RECENT_SHOWN = 10


def client_entries(*, viewer: User, couple: Couple) -> EntryQuerySet:
    """The couple's entries `viewer` may read, newest first."""
    return access.entries_visible(viewer, couple=couple).order_by("-created_at")


def client_dialogues(*, viewer: User, couple: Couple) -> DialogueQuerySet:
    return dialogue_selectors.shared_dialogues(viewer=viewer, couple=couple)


def _weeks() -> tuple[date, date]:
    this_week = week_start(timezone.localdate())
    return this_week, this_week - timedelta(weeks=CHART_WEEKS - 1)


# --- The client list ---------------------------------------------------------------------------


def client_list(*, therapist: User) -> list[Couple]:
    """The therapist's clients, each with `last_activity` (the latest moment of anything shared
    with the therapist), `last_seen` (the therapist's last look at the couple's desk) and the
    counts of what is new since then: `new_entries`, `new_dialogues`, `new_answers` (homework
    done or found not to fit). Five queries, whatever the number of clients or entries."""
    couples = list(therapist_couples(therapist).prefetch_related("partners"))
    if not couples:
        return couples
    seen = {
        visit.couple_id: visit.seen_at
        for visit in DeskVisit.objects.filter(therapist=therapist, couple__in=couples)
    }
    last_seen = DeskVisit.objects.filter(therapist=therapist, couple=OuterRef("couple")).values(
        "seen_at"
    )[:1]
    entries = {
        row["couple"]: row
        for row in access.entries_visible(therapist)
        .filter(couple__in=couples)
        .annotate(last_seen=Subquery(last_seen))
        .order_by()
        .values("couple")
        .annotate(
            latest=Max(Greatest("created_at", "updated_at")),
            new=Count("pk", filter=Q(last_seen__isnull=True) | Q(created_at__gt=F("last_seen"))),
        )
    }
    dialogues = dialogue_selectors.dialogue_totals_by_couple(
        viewer=therapist, couples=couples, since=seen
    )
    answers = {
        row["couple"]: row
        for row in access.homework_visible(therapist)
        .filter(couple__in=couples)
        .annotate(last_seen=Subquery(last_seen))
        .order_by()
        .values("couple")
        .annotate(
            latest=Max("answers__answered_at"),
            new=Count(
                "answers",
                filter=Q(answers__isnull=False)
                & (Q(last_seen__isnull=True) | Q(answers__answered_at__gt=F("last_seen"))),
            ),
        )
    }
    for couple in couples:
        row = entries.get(couple.pk, {})
        talk = dialogues.get(couple.pk, {})
        homework = answers.get(couple.pk, {})
        stamps = [row.get("latest"), talk.get("latest"), homework.get("latest")]
        couple.last_activity = max((s for s in stamps if s), default=None)
        couple.last_seen = seen.get(couple.pk)
        couple.new_entries = row.get("new", 0)
        couple.new_dialogues = talk.get("new", 0)
        couple.new_answers = homework.get("new", 0)
    return couples


# --- Overview ----------------------------------------------------------------------------------


def client_overview(*, viewer: User, couple: Couple) -> dict[str, Any]:
    """Activity per week, dialogues held and completed, behavior change requests with their
    status and follow-through, caring behaviors given, temperature readings over time, and the
    shared vision — all from what `viewer` may read."""
    _this_week, first_week = _weeks()
    entries = client_entries(viewer=viewer, couple=couple)
    # One row per exercise: its count, and its count per week for the chart.
    by_kind = {
        row["kind"]: row
        for row in entries.order_by()
        .values("kind")
        .annotate(n=Count("pk"), **week_counts("created_at", first_week))
    }
    activity = [sum(week) for week in zip(*(weekly(row) for row in by_kind.values()), strict=True)]
    requests = list(entries.filter(kind=Kind.REQUEST).select_related("request")[:RECENT_SHOWN])
    prefetch_related_objects(requests, *KINDS[Kind.REQUEST].prefetch)
    for entry in requests:
        entry.chosen = entry.request.chosen_item()
        entry.follow_through = len(entry.chosen.logs.all()) if entry.chosen else 0
    gifts = [
        _gifts_given(viewer=viewer, couple=couple, spec=spec, first_week=first_week)
        for spec in GIFT_KINDS.values()
    ]
    readings = TemperatureReading.objects.filter(
        entry__in=entries.filter(kind=Kind.TEMPERATURE).values("pk")
    )
    recent_readings = list(
        readings.select_related("entry__author").order_by("-reading_on", "-entry__created_at")[
            :RECENT_SHOWN
        ]
    )
    reading_weeks = readings.aggregate(**week_counts("reading_on", first_week, moments=False))
    return {
        "chart": bar_chart(
            activity or [0] * CHART_WEEKS,
            first_week,
            chart_id="desk-activity",
            title="Entries shared with you, per week",
        ),
        "by_kind": [
            (spec, by_kind[kind]["n"] if kind in by_kind else 0) for kind, spec in KINDS.items()
        ],
        "dialogues": dialogue_selectors.dialogue_totals(
            dialogues=client_dialogues(viewer=viewer, couple=couple)
        ),
        "requests": requests,
        "more_requests": max(0, by_kind.get(Kind.REQUEST, {}).get("n", 0) - len(requests)),
        "gifts": gifts,
        "temperature_chart": bar_chart(
            weekly(reading_weeks),
            first_week,
            chart_id="desk-temperature",
            title="Daily temperature readings per week",
            units=("reading", "readings"),
        ),
        "recent_readings": recent_readings,
        "vision": shared_vision_items(couple=couple, user=viewer),
    }


def _gifts_given(
    *, viewer: User, couple: Couple, spec: KindSpec, first_week: date
) -> dict[str, Any]:
    """Who gave how many items of the lists of `spec`'s kind (caring behaviors, surprises),
    and a chart of them per week."""
    by_giver = list(
        access.gifts_visible(viewer, spec.kind, couple=couple)
        .order_by()
        .values("giver__display_name")
        .annotate(
            n=Count("pk"),
            latest=Max("given_on"),
            **week_counts("given_on", first_week, moments=False),
        )
        .order_by("giver__display_name")
    )
    return {
        "spec": spec,
        "by_giver": by_giver,
        "chart": bar_chart(
            [sum(week) for week in zip(*(weekly(row) for row in by_giver), strict=True)]
            or [0] * CHART_WEEKS,
            first_week,
            chart_id=f"desk-gifts-{spec.kind}",
            title=f"{spec.label} given per week",
            units=(spec.gifts.noun, f"{spec.gifts.noun}s"),
        ),
    }


# --- Shared history ----------------------------------------------------------------------------


def client_history(
    *,
    viewer: User,
    couple: Couple,
    kind: str = "",
    date_from: date | None = None,
    date_to: date | None = None,
) -> EntryQuerySet:
    return history_filter(
        client_entries(viewer=viewer, couple=couple),
        kind=kind,
        date_from=date_from,
        date_to=date_to,
    )


# --- Dialogue skills ---------------------------------------------------------------------------


def client_skills(*, viewer: User, couple: Couple) -> dict[str, Any]:
    _this_week, first_week = _weeks()
    return {
        "weeks": [first_week + timedelta(weeks=n) for n in range(CHART_WEEKS)],
        "partners": dialogue_selectors.dialogue_skills(
            dialogues=client_dialogues(viewer=viewer, couple=couple),
            partners=sorted(couple.partners.all(), key=lambda p: p.display_name),
            first_week=first_week,
            weeks=CHART_WEEKS,
        ),
    }


# --- Homework and notes ------------------------------------------------------------------------


def _with_answers(homework: QuerySet[Homework]) -> QuerySet[Homework]:
    """What `Homework.parts()` reads: the partners it may be for, and each one's answer."""
    return homework.select_related("assignee", "couple").prefetch_related(
        "couple__partners",
        Prefetch("answers", queryset=HomeworkAnswer.objects.select_related("partner")),
    )


def client_homework(*, viewer: User, couple: Couple) -> list[Homework]:
    """The couple's homework `viewer` may see, each with its parts (each partner's answer) and
    `shared_entries`: what was written for it that `viewer` may read."""
    return list(
        _with_answers(access.homework_visible(viewer, couple=couple)).prefetch_related(
            Prefetch(
                "entries",
                queryset=access.entries_visible(viewer).order_by("created_at"),
                to_attr="shared_entries",
            )
        )
    )


def client_notes(*, viewer: User, couple: Couple) -> list[Note]:
    """`viewer`'s own notes on `couple` (session notes and notes to the couple)."""
    return list(access.notes_visible(viewer, couple=couple).select_related("turn__dialogue"))


# --- Since last session ------------------------------------------------------------------------


def client_brief(*, viewer: User, couple: Couple, since: date) -> dict[str, Any]:
    """What is new since `since`: homework answered, requests answered and followed through,
    the temperature readings of the period against the period before, dialogues held, and the
    new entries by exercise."""
    start = local_midnight(since)
    days = max(1, (timezone.localdate() - since).days + 1)
    entries = client_entries(viewer=viewer, couple=couple)
    requests = entries.filter(kind=Kind.REQUEST)
    chosen_since = RequestItem.objects.filter(request__entry=OuterRef("pk"), chosen_at__gte=start)
    answered = list(
        requests.filter(Q(request__declined_at__gte=start) | Exists(chosen_since))
        .select_related("request")
        .prefetch_related("request__items")
    )
    for entry in answered:
        entry.chosen = entry.request.chosen_item()
    readings = TemperatureReading.objects.filter(
        entry__in=entries.filter(kind=Kind.TEMPERATURE).values("pk")
    )
    complaint = ~Q(complaint="")
    trend = readings.aggregate(
        now=Count("pk", filter=Q(reading_on__gte=since)),
        before=Count(
            "pk", filter=Q(reading_on__gte=since - timedelta(days=days), reading_on__lt=since)
        ),
        complaints_now=Count("pk", filter=Q(reading_on__gte=since) & complaint),
        complaints_before=Count(
            "pk",
            filter=Q(reading_on__gte=since - timedelta(days=days), reading_on__lt=since)
            & complaint,
        ),
    )
    homework = [
        h
        for h in client_homework(viewer=viewer, couple=couple)
        if h.created_at >= start or any(a.answered_at >= start for a in h.answers.all())
    ]
    dialogues = client_dialogues(viewer=viewer, couple=couple)
    new_by_kind = dict(
        entries.filter(created_at__gte=start).order_by().values_list("kind").annotate(n=Count("pk"))
    )
    return {
        "since": since,
        "days": days,
        "homework": homework,
        "requests_answered": answered,
        "follow_through": access.follow_through_visible(viewer, couple=couple)
        .filter(created_at__gte=start)
        .count(),
        "temperature": trend,
        "recent_readings": list(
            readings.filter(reading_on__gte=since)
            .select_related("entry__author")
            .order_by("reading_on", "entry__created_at")
        ),
        "dialogues": dialogue_selectors.dialogue_totals(dialogues=dialogues, since=start),
        "dialogues_held": list(dialogues.filter(created_at__gte=start)),
        "new_by_kind": [
            (spec, new_by_kind[kind]) for kind, spec in KINDS.items() if kind in new_by_kind
        ],
    }


# --- Export ------------------------------------------------------------------------------------


def client_export(*, viewer: User, couple: Couple) -> dict[str, Any]:
    """Exactly what `viewer` may see of `couple`, as plain JSON data."""
    entries = prefetch_details(
        list(
            client_entries(viewer=viewer, couple=couple)
            .select_related(*DETAIL_RELATIONS)
            .order_by("created_at")
        )
    )
    dialogues = client_dialogues(viewer=viewer, couple=couple)
    return {
        "exported_at": timezone.now().isoformat(),
        "couple": {
            "id": str(couple.pk),
            "partners": sorted(p.display_name for p in couple.partners.all()),
        },
        "entries": [
            {**entry_record(entry), "author": entry.author.display_name} for entry in entries
        ],
        "dialogues": dialogue_selectors.dialogue_records(dialogues=dialogues),
        "homework": [
            {
                "id": h.pk,
                "exercise": h.get_kind_display(),
                "for": h.assignee.display_name if h.assignee else "both partners",
                "instructions": h.instructions,
                "due_on": plain(h.due_on),
                "assigned_at": plain(h.created_at),
                "parts": [
                    {
                        "partner": part.partner.display_name,
                        "state": part.state_label,
                        "answered_at": plain(part.answer.answered_at) if part.answer else None,
                        "comment": part.answer.comment if part.answer else "",
                    }
                    for part in h.parts()
                ],
                "entries": [str(e.pk) for e in h.shared_entries],
            }
            for h in client_homework(viewer=viewer, couple=couple)
        ],
        "notes": [
            {
                "id": n.pk,
                "to_couple": n.to_couple,
                "text": n.text,
                "created_at": plain(n.created_at),
                "updated_at": plain(n.updated_at),
                "turn": {"dialogue": str(n.turn.dialogue_id), "seq": n.turn.seq}
                if n.turn
                else None,
            }
            for n in client_notes(viewer=viewer, couple=couple)
        ],
    }


# --- The partners' side ------------------------------------------------------------------------

RECENTLY_ANSWERED = timedelta(days=7)


def partner_homework(*, viewer: User, kind: str = "") -> list[Homework]:
    """`viewer`'s homework in the couple they are active in now (of one exercise, if `kind`):
    what their part of is still to do, and what they answered this past week; each with
    `mine`, their answer (None while to do), and its parts (both partners' answers)."""
    if not viewer.is_authenticated or viewer.is_therapist:
        return []
    recent = timezone.now() - RECENTLY_ANSWERED
    mine = HomeworkAnswer.objects.filter(homework=OuterRef("pk"), partner=viewer)
    homework = (
        _with_answers(access.homework_visible(viewer))
        .filter(
            couple__memberships__user=viewer,
            couple__memberships__active=True,
            couple__ended_at__isnull=True,
        )
        .filter(~Exists(mine) | Exists(mine.filter(answered_at__gte=recent)))
        .filter(Q(assignee__isnull=True) | Q(assignee=viewer))
        .select_related("assigned_by")
    )
    if kind:
        homework = homework.filter(kind=kind)
    homework = list(homework)
    for h in homework:
        h.mine = next((a for a in h.answers.all() if a.partner_id == viewer.pk), None)
    return homework

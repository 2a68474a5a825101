"""Overview queries: the week's counts, what waits for an answer, the activity chart, the caring
week and the temperature calendar. Every query starts from `exercises.access`, so a count
never includes what the viewer may not read."""

from __future__ import annotations

import calendar
from collections import defaultdict
from datetime import date, timedelta

from django.db.models import Count, Q, prefetch_related_objects
from django.utils import timezone

from couples.models import Couple, User

from . import access
from .charts import CHART_WEEKS, activity_chart, local_midnight, week_start
from .forms import FIRST_DAY, LAST_DAY
from .models import CaringGift, Entry, EntryQuerySet, Kind, VisionItem
from .registry import KINDS

WAITING_SHOWN = 5


def home_overview(
    user: User, *, couple: Couple | None = None, active: Couple | None = None
) -> dict[str, object]:
    """This week's counts per kind (the viewer's and the others'), what waits for the viewer's
    answer in their `active` couple, and the activity chart: of `couple` if given, else of the
    viewer's active couple (a partner) or all their clients (a therapist)."""
    today = timezone.localdate()
    this_week = week_start(today)
    first_week = this_week - timedelta(weeks=CHART_WEEKS - 1)
    activity = access.entries_activity(user, couple=couple or active)

    done: dict[str, dict[str, int]] = defaultdict(lambda: {"mine": 0, "theirs": 0})
    for row in (
        activity.filter(created_at__gte=local_midnight(this_week))
        .values("kind", "author_id")
        .annotate(n=Count("pk"))
    ):
        done[row["kind"]]["mine" if row["author_id"] == user.pk else "theirs"] += row["n"]
    week_cards = [(spec, done[kind]["mine"], done[kind]["theirs"]) for kind, spec in KINDS.items()]

    stamps = list(
        activity.filter(created_at__gte=local_midnight(first_week)).values_list(
            "created_at", flat=True
        )
    )
    return {
        "week_cards": week_cards,
        "week_start": this_week,
        "waiting": waiting_for(user, active) if active else {},
        "chart": activity_chart(stamps, first_week),
    }


def waiting_for(user: User, couple: Couple) -> dict[str, object]:
    """What the partner shared that waits for `user`'s answer in their active `couple`."""
    shared = access.entries_shared(user, couple=couple)
    from_partner = shared.exclude(author=user)
    unanswered = access.requests_waiting(user, couple)
    waiting: dict[str, object] = {
        "requests": list(unanswered[:WAITING_SHOWN]),
        "more_requests": max(0, unanswered.count() - WAITING_SHOWN),
        "appreciations": from_partner.filter(
            kind=Kind.APPRECIATION, appreciation__acknowledged_at__isnull=True
        ).count(),
        "vision": shared.filter(kind=Kind.VISION).aggregate(
            mine=Count("pk", filter=Q(author=user)),
            theirs=Count("pk", filter=~Q(author=user)),
        ),
    }
    waiting["vision"]["undecided"] = (
        VisionItem.objects.filter(
            vision__entry__in=from_partner.filter(kind=Kind.VISION).values("pk")
        )
        .exclude(responses__user=user)
        .count()
    )
    return waiting


def history_filter(
    entries: EntryQuerySet,
    *,
    kind: str = "",
    date_from: date | None = None,
    date_to: date | None = None,
) -> EntryQuerySet:
    """Narrow a history to one kind and a range of days (local time, both ends included)."""
    if kind:
        entries = entries.filter(kind=kind)
    if date_from:
        entries = entries.filter(created_at__gte=local_midnight(date_from))
    if date_to:
        entries = entries.filter(created_at__lt=local_midnight(date_to + timedelta(days=1)))
    return entries


def entries_headed(entries: list[Entry]) -> list[Entry]:
    """A page of a history, each entry with `spec` and `excerpt` (its first words), so that
    entries of one kind stay distinguishable: one query per kind on the page whose excerpt
    reads rows, whatever the number of entries."""
    entries = list(entries)
    for kind, spec in KINDS.items():
        group = [entry for entry in entries if entry.kind == kind]
        if group and spec.excerpt_rows:
            prefetch_related_objects(group, spec.excerpt_rows)
    for entry in entries:
        entry.spec = KINDS[entry.kind]
        entry.excerpt = entry.spec.excerpt(entry.detail)
    return entries


def caring_week(user: User, couple: Couple) -> dict[str, object]:
    """This week's caring gifts in the couple, day by day, for both partners."""
    start = week_start(timezone.localdate())
    days = [start + timedelta(days=n) for n in range(7)]
    gifts = (
        access.gifts_visible(user, Kind.CARING, couple=couple)
        .filter(given_on__range=(days[0], days[-1]))
        .order_by("given_on", "id")
    )
    by_day: dict[date, dict[str, list[CaringGift]]] = {d: {"mine": [], "theirs": []} for d in days}
    for gift in gifts:
        by_day[gift.given_on]["mine" if gift.giver_id == user.pk else "theirs"].append(gift)
    return {
        "partner": couple.partner_of(user),
        "rows": [(day, by_day[day]["mine"], by_day[day]["theirs"]) for day in days],
    }


def parse_month(value: str) -> date:
    """The first day of the month named "YYYY-MM", or of this month when it is not one."""
    try:
        year, month = (int(part) for part in value.split("-"))
        first = date(year, month, 1)
        if not FIRST_DAY <= first <= LAST_DAY:
            raise ValueError(first)
    except ValueError:
        first = timezone.localdate().replace(day=1)
    return first


def temperature_calendar(
    user: User, *, month: str = "", couple: Couple | None = None
) -> dict[str, object]:
    """A month of temperature readings the viewer may read; `readings` lists them all."""
    today = timezone.localdate()
    first = parse_month(month)
    weeks = calendar.Calendar(firstweekday=0).monthdatescalendar(first.year, first.month)
    by_day: dict[date, list[Entry]] = defaultdict(list)
    readings = list(
        access.readings_visible(user, start=weeks[0][0], end=weeks[-1][-1], couple=couple)
    )
    for entry in readings:
        by_day[entry.temperature.reading_on].append(entry)
    previous = (first - timedelta(days=1)).replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return {
        "month": first,
        "previous": f"{previous:%Y-%m}",
        "next": f"{following:%Y-%m}",
        "weekdays": ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
        "weeks": [
            [(day, day.month == first.month, day == today, by_day.get(day, [])) for day in week]
            for week in weeks
        ],
        "readings": readings,
    }

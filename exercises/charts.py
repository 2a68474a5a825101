"""Weeks, and bar charts drawn on the server as inline SVG (no JavaScript)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.db.models import Count, Q
from django.utils import timezone

CHART_WEEKS = 8


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


def local_midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, datetime.min.time()))


def week_counts(field: str, first_week: date, *, moments: bool = True) -> dict[str, Count]:
    """Annotations counting rows per week (`week0` … `week7`) by `field`, a moment or (with
    `moments` False) a day: the database counts, so a chart costs one row whatever the data."""

    def bound(n: int) -> datetime | date:
        day = first_week + timedelta(weeks=n)
        return local_midnight(day) if moments else day

    return {
        f"week{n}": Count(
            "pk", filter=Q(**{f"{field}__gte": bound(n), f"{field}__lt": bound(n + 1)})
        )
        for n in range(CHART_WEEKS)
    }


def weekly(row: dict[str, int]) -> list[int]:
    """The per-week counts of a row annotated with `week_counts`."""
    return [row.get(f"week{n}") or 0 for n in range(CHART_WEEKS)]


def activity_chart(
    stamps: list[datetime | date],
    first_week: date,
    *,
    chart_id: str = "chart",
    title: str = "Entries per week over the last 8 weeks",
    units: tuple[str, str] = ("entry", "entries"),
) -> dict[str, object]:
    """Bar geometry for an inline SVG: one bar per week, scaled to the busiest week. `stamps`
    are moments or days; `units` names one of them, and several."""
    counts = [0] * CHART_WEEKS
    for stamp in stamps:
        day = timezone.localdate(stamp) if isinstance(stamp, datetime) else stamp
        index = (day - first_week).days // 7
        if 0 <= index < CHART_WEEKS:
            counts[index] += 1
    return bar_chart(counts, first_week, chart_id=chart_id, title=title, units=units)


def bar_chart(
    counts: list[int],
    first_week: date,
    *,
    chart_id: str = "chart",
    title: str = "Entries per week over the last 8 weeks",
    units: tuple[str, str] = ("entry", "entries"),
) -> dict[str, object]:
    """Bar geometry for an inline SVG from a count per week (CHART_WEEKS of them)."""
    width, height, top, bottom = 320, 140, 18, 22
    slot = width / CHART_WEEKS
    peak = max(counts) or 1
    bars = []
    for index, count in enumerate(counts):
        bar_height = round((height - top - bottom) * count / peak, 1)
        week = first_week + timedelta(weeks=index)
        bars.append(
            {
                "x": round(index * slot + slot * 0.15, 1),
                "y": round(height - bottom - bar_height, 1),
                "width": round(slot * 0.7, 1),
                "height": bar_height,
                "count": count,
                "week": week,
                "label_x": round(index * slot + slot / 2, 1),
                "count_y": round(height - bottom - bar_height - 4, 1),
            }
        )
    return {
        "bars": bars,
        "width": width,
        "height": height,
        "baseline": height - bottom,
        "label_y": height - 6,
        "total": sum(counts),
        "id": chart_id,
        "title": title,
        "units": units,
    }

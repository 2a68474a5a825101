"""Hundreds of entries in a few queries, for the query-count tests."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from couples.models import Couple, User
from exercises.models import Appreciation, ChangeRequest, Entry, Kind, RequestItem


def bulk_entries(
    author: User,
    couple: Couple | None,
    count: int,
    *,
    visibility: int,
    kind: str = Kind.APPRECIATION,
) -> list[Entry]:
    now = timezone.now()
    entries = Entry.objects.bulk_create(
        [
            Entry(
                author=author,
                couple=couple,
                kind=kind,
                visibility=visibility,
                title=f"{author.display_name} entry {n}",
                created_at=now - timedelta(hours=n * 3),
                updated_at=now,
            )
            for n in range(count)
        ]
    )
    if kind == Kind.APPRECIATION:
        Appreciation.objects.bulk_create(
            [Appreciation(entry=e, appreciate="a", because="b", feeling="c") for e in entries]
        )
    elif kind == Kind.REQUEST:
        requests = ChangeRequest.objects.bulk_create(
            [ChangeRequest(entry=e, frustration="f", desire="d") for e in entries]
        )
        RequestItem.objects.bulk_create(
            [
                RequestItem(request=r, what=f"what {n}", when="daily", duration_days=7)
                for r in requests
                for n in range(3)
            ]
        )
    return entries

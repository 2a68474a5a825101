"""Entries as plain data, for JSON and CSV exports: one shape for a partner's own export and for
a therapist's export of what a couple shares with them."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime

from django.db.models import prefetch_related_objects

from couples.models import User

from .models import Entry, Kind
from .registry import KINDS


def prefetch_details(entries: list[Entry]) -> list[Entry]:
    """Each kind's rows, in a fixed number of queries per kind whatever the number of entries.
    The entries must come with their detail (`select_related(*DETAIL_RELATIONS)`)."""
    by_kind: dict[str, list[Entry]] = defaultdict(list)
    for entry in entries:
        by_kind[entry.kind].append(entry)
    for kind, group in by_kind.items():
        if KINDS[kind].prefetch:
            prefetch_related_objects(group, *KINDS[kind].prefetch)
    return entries


def plain(value: object) -> object:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, User):
        return value.display_name
    return value


def fields(obj: object, skip: set[str]) -> dict[str, object]:
    return {
        field.name: plain(getattr(obj, field.name))
        for field in obj._meta.concrete_fields
        if field.name not in skip
    }


def entry_record(entry: Entry) -> dict[str, object]:
    """One entry with its detail and rows (prefetched by `prefetch_details`)."""
    spec = KINDS[entry.kind]
    detail = entry.detail
    record: dict[str, object] = {
        "id": str(entry.id),
        "exercise": entry.get_kind_display(),
        "kind": entry.kind,
        "visibility": entry.get_visibility_display(),
        "created_at": entry.created_at.isoformat(),
        "updated_at": entry.updated_at.isoformat(),
        "title": entry.title,
        "details": fields(detail, {"entry"}),
    }
    if spec.kind == Kind.WORKUP:
        record["details"]["imago_statement"] = detail.imago_statement()
    if spec.children:
        parent = detail._meta.model_name
        children = []
        for child in getattr(detail, spec.children).all():
            row = fields(child, {"id", parent, "caring_list", "request", "vision", "workup"})
            if spec.grandchildren:
                row[spec.grandchildren] = [
                    fields(g, {"id", "item"}) for g in getattr(child, spec.grandchildren).all()
                ]
            children.append(row)
        record[spec.children] = children
    return record

"""Entries as plain data, for JSON and CSV exports: one shape for a partner's own export and for
a therapist's export of what a couple shares with them. Which entries go in is
`exercises.access`'s answer alone (`entries_export`, `entries_shared`)."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime

from django.utils import timezone

from couples.models import User

from . import access
from .models import Entry
from .registry import KINDS


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
    if spec.export_extras is not None:
        record["details"].update(spec.export_extras(detail))
    if spec.children:
        children = []
        for child in getattr(detail, spec.children).all():
            row = fields(child, {"id", *_links_to(child, type(detail))})
            if spec.grandchildren:
                row[spec.grandchildren] = [
                    fields(g, {"id", *_links_to(g, type(child))})
                    for g in getattr(child, spec.grandchildren).all()
                ]
            children.append(row)
        record[spec.children] = children
    return record


def _links_to(row: object, parent: type) -> set[str]:
    """The names of `row`'s foreign keys to `parent`: the row's place, not its content."""
    return {
        f.name for f in row._meta.concrete_fields if f.is_relation and f.related_model is parent
    }


def export_rows(user: User) -> list[dict[str, object]]:
    """Every entry `user` wrote, whatever its visibility, oldest first."""
    entries = access.prefetch_details(list(access.entries_export(user).order_by("created_at")))
    return [entry_record(entry) for entry in entries]


def export_filename(extension: str) -> str:
    return f"imago-exercises-{timezone.localdate():%Y-%m-%d}.{extension}"


def export_json(user: User) -> str:
    payload = {
        "exported_at": timezone.now().isoformat(),
        "author": user.email,
        "entries": export_rows(user),
    }
    return json.dumps(payload, indent=2, ensure_ascii=False)


def _flatten(value: object, prefix: str = "") -> list[str]:
    if isinstance(value, dict):
        return [part for key, item in value.items() for part in _flatten(item, f"{prefix}{key}.")]
    if isinstance(value, list):
        return [part for n, item in enumerate(value, 1) for part in _flatten(item, f"{prefix}{n}.")]
    if value in ("", None):
        return []
    return [f"{prefix[:-1]}: {value}"]


def export_csv(user: User) -> str:
    out = io.StringIO()
    out.write("\ufeff")  # so spreadsheet apps read the accents and dashes right
    writer = csv.writer(out)
    writer.writerow(
        ["id", "exercise", "visibility", "created_at", "updated_at", "title", "details"]
    )
    for row in export_rows(user):
        spec = KINDS[row["kind"]]
        extra = {key: row[key] for key in ("details", spec.children) if key in row}
        writer.writerow(
            [
                row["id"],
                row["exercise"],
                row["visibility"],
                row["created_at"],
                row["updated_at"],
                row["title"],
                "\n".join(_flatten(extra)),
            ]
        )
    return out.getvalue()

"""What every exercise kind declares (`KindSpec`), and the pieces kinds share: list formsets
with their checks, and the "my partner gives one of my list's items" pattern (`ItemGifts`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from django import forms
from django.core.exceptions import ValidationError
from django.forms import BaseInlineFormSet, inlineformset_factory
from django.utils.text import Truncator

if TYPE_CHECKING:
    from django.db import models
    from django.http import HttpRequest

    from couples.models import Couple, User
    from exercises.models import Entry


def short(text: str, length: int = 70) -> str:
    """The first words of `text`, on one line."""
    return Truncator(" ".join(str(text).split())).chars(length)


def textarea(rows: int = 3) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows})


def count_of(relation: str, noun: str) -> Callable[[object], str]:
    """A summary part such as "3 items": how many rows `relation` of the detail holds."""

    def summary(detail: object) -> str:
        rows = len(getattr(detail, relation).all())
        return f"{rows} {noun}{'' if rows == 1 else 's'}"

    return summary


def first_row(relation: str, attribute: str) -> Callable[[object], str]:
    """An excerpt: the first words of the first row of `relation`."""

    def excerpt(detail: object) -> str:
        row = next(iter(getattr(detail, relation).all()), None)
        return short(getattr(row, attribute), 60) if row is not None else ""

    return excerpt


@dataclass(frozen=True)
class ItemGifts:
    """A list whose items the author's partner gives, one day at a time (caring behaviors,
    surprises and fun): the item model (with `set_aside_at` and a `gifts` relation), the gift
    model (`item`, `giver`, `given_on`), and the path from an item to its entry."""

    item_model: type[models.Model]
    gift_model: type[models.Model]
    entry_path: str  # "caring_list__entry"
    noun: str  # "caring behavior": for messages


@dataclass(frozen=True)
class KindSpec:
    """One exercise kind: everything that differs between kinds. Generic code (create, edit,
    share, delete, the card, the page, the history, exports, the desk, account deletion) asks
    these fields and hooks; it never compares `entry.kind` with a value."""

    kind: str
    label: str
    noun: str  # what one entry is called: "Save caring list"
    intro: str
    form: type
    model: type
    summary: Callable[[Any], str]  # the stored title, from the detail
    excerpt: Callable[[Any], str]  # the first words, for lists where titles look alike
    excerpt_rows: str = ""  # the rows the excerpt reads, from the entry ("caring__items")
    formset: type | None = None
    rows_fixed: bool = False  # the formset has a fixed number of rows (no "add more")
    row_legend: str = ""
    children: str = ""  # the detail's list of rows, when it has one
    grandchildren: str = ""  # rows hanging off each of those (gifts, follow-through, ratings)
    prefetch: tuple[object, ...] = field(default_factory=tuple)
    private_note: str = ""
    # Rows a partner writes on the *other's* entries of this kind: (model, user field). They
    # go, or are detached, when that partner deletes their account.
    actor_rows: tuple[tuple[type, str], ...] = ()
    gifts: ItemGifts | None = None
    # What the partner may still answer (thank, choose, give): None means nothing to answer.
    answerable: Callable[[Entry], bool] | None = None
    # True once the partner's answer froze the entry's words.
    locked: Callable[[Entry], bool] = lambda entry: False
    # Whether a member of the couple may log follow-through on `entry` today.
    loggable: Callable[[Entry, date], bool] = lambda entry, today: False
    # Attach what the card shows about its rows for `user` (grouped lists, chosen item…).
    prepare: Callable[[Entry, User, date], None] | None = None
    # After the author edits the rows: what the change undoes (a reworded statement…).
    after_update: Callable[[Entry, BaseInlineFormSet, User], None] | None = None
    # When newly shared with the partner: the notification kind to send them, if any.
    notify_on_share: str = ""
    # More fields for the exports, from the detail.
    export_extras: Callable[[Any], dict[str, object]] | None = None
    # The kind page's own section (above the form), and the data it needs.
    page_template: str = ""
    # (request, what the viewer may do: `access.ViewerCan`, the couple the page is scoped to)
    page_extras: Callable[[HttpRequest, Any, Couple | None], dict[str, object]] | None = None

    @property
    def template(self) -> str:
        return f"exercises/kinds/{self.kind}.html"

    @property
    def label_plural(self) -> str:
        return self.label if self.label.endswith("s") else f"{self.label}s"


# --- Lists of rows -----------------------------------------------------------------------------


class RequiredRowsFormSet(BaseInlineFormSet):
    """Shared checks for list formsets: at least one row, no duplicate rows."""

    key_field = "text"
    noun = "item"

    def add_fields(self, form: forms.BaseForm, index: int | None) -> None:
        super().add_fields(form, index)
        if "DELETE" in form.fields:
            form.fields["DELETE"].label = f"Remove this {self.noun}"

    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        seen: set[str] = set()
        kept = 0
        for form in self.forms:
            if not form.cleaned_data or form.cleaned_data.get("DELETE"):
                continue
            kept += 1
            key = " ".join(str(form.cleaned_data.get(self.key_field, "")).lower().split())
            if key in seen:
                raise ValidationError(
                    f"The same {self.noun} appears twice. Make each one different."
                )
            seen.add(key)
        if kept < (self.min_num or 1):
            raise ValidationError(f"Add at least {self.min_num or 1} {self.noun}.")


def rows_formset(
    parent: type, child: type, form: type, formset: type, *, extra: int, **kw: object
) -> type[BaseInlineFormSet]:
    """A growable list of rows: blank extra rows, saved rows removable."""
    return inlineformset_factory(
        parent,
        child,
        form=form,
        formset=formset,
        extra=extra,
        can_delete=True,
        can_delete_extra=False,  # a blank new row needs no "remove" box
        **kw,
    )


def grouped(items: list[Any], choices: list[tuple[str, str]]) -> list[tuple[str, list[Any]]]:
    """Rows grouped under their category's label, in the categories' order."""
    return [(label, [i for i in items if i.category == value]) for value, label in choices]


def mark_given_today(items: list[Any], user: User, today: date) -> None:
    for item in items:
        gifts = list(item.gifts.all())
        item.given_today = any(g.giver_id == user.pk and g.given_on == today for g in gifts)
        item.last_given = max((g.given_on for g in gifts), default=None)

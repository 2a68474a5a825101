"""Surprises and fun ("re-romanticizing"): each partner lists surprises that would delight them
and high-energy fun things to do together. The other partner picks one and marks it given —
the same pattern as caring behaviors (`ItemGifts`, one service and one view for both)."""

from __future__ import annotations

from datetime import date

from django import forms
from django.conf import settings
from django.db import models
from django.db.models import Prefetch
from django.utils import timezone

from couples.models import User
from exercises.models import Entry, Kind

from .base import (
    ItemGifts,
    KindSpec,
    RequiredRowsFormSet,
    count_of,
    first_row,
    grouped,
    mark_given_today,
    rows_formset,
    textarea,
)


class SurpriseList(models.Model):
    entry = models.OneToOneField(
        Entry, on_delete=models.CASCADE, primary_key=True, related_name="surprises"
    )
    note = models.CharField("A note for your partner (optional)", max_length=500, blank=True)

    class Meta:
        app_label = "exercises"

    def __str__(self) -> str:
        return f"Surprises and fun {self.entry_id}"


class SurpriseItem(models.Model):
    class Category(models.TextChoices):
        SURPRISE = "surprise", "Surprises that would delight me"
        FUN = "fun", "High-energy fun to have together"

    surprise_list = models.ForeignKey(SurpriseList, on_delete=models.CASCADE, related_name="items")
    category = models.CharField(
        "Which list", max_length=10, choices=Category.choices, default=Category.SURPRISE
    )
    text = models.CharField("Idea", max_length=200)
    set_aside_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        app_label = "exercises"
        ordering = ["id"]  # as written; the card groups them by category

    def __str__(self) -> str:
        return self.text


class SurpriseGift(models.Model):
    """A surprise or a fun thing from a partner's list, given on one day by the other."""

    item = models.ForeignKey(SurpriseItem, on_delete=models.CASCADE, related_name="gifts")
    giver = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    given_on = models.DateField(default=timezone.localdate)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        app_label = "exercises"
        ordering = ["given_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["item", "giver", "given_on"], name="surprise_once_a_day"
            )
        ]

    def __str__(self) -> str:
        return f"{self.item} given on {self.given_on}"


class SurpriseListForm(forms.ModelForm):
    class Meta:
        model = SurpriseList
        fields = ["note"]
        widgets = {"note": textarea(2)}


class SurpriseItemForm(forms.ModelForm):
    class Meta:
        model = SurpriseItem
        fields = ["category", "text"]
        help_texts = {
            "text": "Something your partner can do: “breakfast in the garden”, "
            "“a salsa class together”, “tickets to a match”."
        }


class SurpriseItemFormSet(RequiredRowsFormSet):
    key_field = "text"
    noun = "idea"


SURPRISE_ITEMS = rows_formset(
    SurpriseList, SurpriseItem, SurpriseItemForm, SurpriseItemFormSet, extra=3, max_num=40,
    min_num=0,
)  # fmt: skip


def _prepare(entry: Entry, user: User, today: date) -> None:
    items = list(entry.surprises.items.all())
    mark_given_today(items, user, today)
    entry.item_groups = grouped(items, SurpriseItem.Category.choices)


SPEC = KindSpec(
    kind=Kind.SURPRISES,
    label="Surprises and fun",
    noun="surprises and fun list",
    intro="Re-romanticizing: list surprises that would delight you and high-energy fun things "
    "to do together. Share it; your partner picks one and marks it given.",
    form=SurpriseListForm,
    model=SurpriseList,
    formset=SURPRISE_ITEMS,
    row_legend="Idea",
    children="items",
    grandchildren="gifts",
    summary=lambda d: f"Surprises and fun: {count_of('items', 'idea')(d)}",
    excerpt=first_row("items", "text"),
    excerpt_rows="surprises__items",
    prefetch=(
        Prefetch("surprises__items__gifts", queryset=SurpriseGift.objects.select_related("giver")),
    ),
    actor_rows=((SurpriseGift, "giver"),),
    gifts=ItemGifts(
        item_model=SurpriseItem,
        gift_model=SurpriseGift,
        entry_path="surprise_list__entry",
        noun="surprise",
    ),
    answerable=lambda entry: True,
    prepare=_prepare,
)

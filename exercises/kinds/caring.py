"""Caring behaviors: three lists of what makes me feel loved — now, in the past, and what would
— each rated for importance. The partner gives one a day (`ItemGifts`) or sets one aside."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from django import forms
from django.conf import settings
from django.db import models
from django.db.models import Prefetch
from django.utils import timezone

from couples.models import User
from exercises.models import RATING, RATING_CHOICES, Entry, Kind

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

if TYPE_CHECKING:
    from django.http import HttpRequest

    from couples.models import Couple
    from exercises.access import ViewerCan


class CaringList(models.Model):
    entry = models.OneToOneField(
        Entry, on_delete=models.CASCADE, primary_key=True, related_name="caring"
    )
    note = models.CharField("A note for your partner (optional)", max_length=500, blank=True)

    class Meta:
        app_label = "exercises"

    def __str__(self) -> str:
        return f"Caring list {self.entry_id}"


class CaringItem(models.Model):
    class Category(models.TextChoices):
        NOW = "now", "I feel loved and cared about when you…"
        PAST = "past", "I used to feel loved when you…"
        FUTURE = "future", "I would feel loved if you…"

    caring_list = models.ForeignKey(CaringList, on_delete=models.CASCADE, related_name="items")
    category = models.CharField(max_length=10, choices=Category.choices, default=Category.NOW)
    text = models.CharField("Caring behavior", max_length=200)
    rating = models.PositiveSmallIntegerField(
        "Importance (1–5)", validators=RATING, choices=RATING_CHOICES, default=3
    )
    set_aside_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        app_label = "exercises"
        ordering = ["category", "-rating", "id"]

    def __str__(self) -> str:
        return self.text


class CaringGift(models.Model):
    """A caring behavior from a partner's list, given on one day by the other partner."""

    item = models.ForeignKey(CaringItem, on_delete=models.CASCADE, related_name="gifts")
    giver = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    given_on = models.DateField(default=timezone.localdate)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        app_label = "exercises"
        ordering = ["given_on", "id"]
        constraints = [
            models.UniqueConstraint(fields=["item", "giver", "given_on"], name="gift_once_a_day")
        ]

    def __str__(self) -> str:
        return f"{self.item} given on {self.given_on}"


class CaringListForm(forms.ModelForm):
    class Meta:
        model = CaringList
        fields = ["note"]
        widgets = {"note": textarea(2)}


class CaringItemForm(forms.ModelForm):
    class Meta:
        model = CaringItem
        fields = ["category", "text", "rating"]
        labels = {"category": "Which list"}
        help_texts = {"text": "Something small and doable — not a current source of conflict."}


class CaringItemFormSet(RequiredRowsFormSet):
    key_field = "text"
    noun = "caring behavior"


CARING_ITEMS = rows_formset(
    CaringList, CaringItem, CaringItemForm, CaringItemFormSet, extra=3, max_num=30, min_num=0
)


def _prepare(entry: Entry, user: User, today: date) -> None:
    items = list(entry.caring.items.all())
    mark_given_today(items, user, today)
    entry.item_groups = grouped(items, CaringItem.Category.choices)


def _page_extras(request: HttpRequest, can: ViewerCan, scope: Couple | None) -> dict[str, object]:
    from exercises import overview

    return {"week": overview.caring_week(request.user, can.couple)} if can.couple else {}


SPEC = KindSpec(
    kind=Kind.CARING,
    label="Caring behaviors",
    noun="caring list",
    intro="Three lists of what makes you feel loved — now, in the past, and what would — "
    "each rated for importance. Exchange lists, then give one a day.",
    form=CaringListForm,
    model=CaringList,
    formset=CARING_ITEMS,
    row_legend="Caring behavior",
    children="items",
    grandchildren="gifts",
    summary=lambda d: f"Caring behaviors: {count_of('items', 'item')(d)}",
    excerpt=first_row("items", "text"),
    excerpt_rows="caring__items",
    prefetch=(
        Prefetch("caring__items__gifts", queryset=CaringGift.objects.select_related("giver")),
    ),
    actor_rows=((CaringGift, "giver"),),
    gifts=ItemGifts(
        item_model=CaringItem,
        gift_model=CaringGift,
        entry_path="caring_list__entry",
        noun="caring behavior",
    ),
    answerable=lambda entry: True,
    prepare=_prepare,
    page_template="exercises/_caring_week.html",
    page_extras=_page_extras,
)

"""Positive traits ("what I love about you"): the physical traits, character traits and caring
behaviors I love in my partner. It is the list a positive flooding is prepared from: the card
offers to start one with it (a form posted to the dialogue app by URL name: `dialogue` never
imports `exercises`)."""

from __future__ import annotations

from datetime import date

from django import forms
from django.db import models

from couples.models import User
from exercises.models import Entry, Kind

from .base import (
    KindSpec,
    RequiredRowsFormSet,
    count_of,
    first_row,
    grouped,
    rows_formset,
    textarea,
)

FLOODING_VARIANT = "flooding"  # the dialogue variant this list is prepared for
FLOODING_TOPIC = "What I love about you"


class TraitList(models.Model):
    entry = models.OneToOneField(
        Entry, on_delete=models.CASCADE, primary_key=True, related_name="traits"
    )
    note = models.CharField("A note (optional)", max_length=500, blank=True)

    class Meta:
        app_label = "exercises"

    def __str__(self) -> str:
        return f"Positive traits {self.entry_id}"


class Trait(models.Model):
    class Category(models.TextChoices):
        PHYSICAL = "physical", "Physical traits I love"
        CHARACTER = "character", "Character traits I love"
        CARING = "caring", "Caring behaviors I love"

    trait_list = models.ForeignKey(TraitList, on_delete=models.CASCADE, related_name="items")
    category = models.CharField(
        "Kind of trait", max_length=10, choices=Category.choices, default=Category.CHARACTER
    )
    text = models.CharField("What I love about you", max_length=200)

    class Meta:
        app_label = "exercises"
        ordering = ["id"]  # as written; the card groups them by category

    def __str__(self) -> str:
        return self.text


class TraitListForm(forms.ModelForm):
    class Meta:
        model = TraitList
        fields = ["note"]
        widgets = {"note": textarea(2)}


class TraitForm(forms.ModelForm):
    class Meta:
        model = Trait
        fields = ["category", "text"]
        help_texts = {
            "text": "Specific and warm: “your laugh when you're surprised”, "
            "“how patient you are with my mother”."
        }


class TraitFormSet(RequiredRowsFormSet):
    key_field = "text"
    noun = "trait"


TRAITS = rows_formset(TraitList, Trait, TraitForm, TraitFormSet, extra=3, max_num=40, min_num=0)


def _prepare(entry: Entry, user: User, today: date) -> None:
    items = list(entry.traits.items.all())
    entry.item_groups = grouped(items, Trait.Category.choices)
    # What the positive flooding form starts with: one trait a line, physical ones first.
    entry.flooding = {
        "variant": FLOODING_VARIANT,
        "topic": FLOODING_TOPIC,
        "prepared": "\n".join(item.text for _, group in entry.item_groups for item in group),
    }


SPEC = KindSpec(
    kind=Kind.TRAITS,
    label="Positive traits",
    noun="positive traits list",
    intro="What you love about your partner: physical traits, character traits and caring "
    "behaviors. It is the list you read from in a positive flooding.",
    form=TraitListForm,
    model=TraitList,
    formset=TRAITS,
    row_legend="Trait",
    children="items",
    summary=lambda d: f"What I love about you: {count_of('items', 'trait')(d)}",
    excerpt=first_row("items", "text"),
    excerpt_rows="traits__items",
    prefetch=("traits__items",),
    prepare=_prepare,
)

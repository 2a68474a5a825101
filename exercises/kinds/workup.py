"""The imago workup: the people who raised me, what I loved, what hurt, what I missed. The app
composes my imago from it. Private by default."""

from __future__ import annotations

from django import forms
from django.db import models

from exercises.models import Entry, Kind

from .base import KindSpec, RequiredRowsFormSet, count_of, rows_formset, short, textarea


class Workup(models.Model):
    entry = models.OneToOneField(
        Entry, on_delete=models.CASCADE, primary_key=True, related_name="workup"
    )
    note = models.CharField("A note to yourself (optional)", max_length=500, blank=True)

    class Meta:
        app_label = "exercises"

    def __str__(self) -> str:
        return f"Workup {self.entry_id}"

    def imago_statement(self) -> str:
        """Compose the imago from the caretakers marked most influential (all of them when none
        is marked): the traits I am drawn to, and what I still long for."""
        chosen = [c for c in self.caretakers.all() if c.most_influential] or list(
            self.caretakers.all()
        )
        positive = _traits(c.positive_traits for c in chosen)
        negative = _traits(c.negative_traits for c in chosen)
        parts = []
        if positive and negative:
            parts.append(
                f"I am drawn to someone who is {_join(positive)}, and also {_join(negative)}."
            )
        elif positive or negative:
            parts.append(f"I am drawn to someone who is {_join(positive or negative)}.")
        wanted = [c.wanted.strip().rstrip(".") for c in chosen if c.wanted.strip()]
        if wanted:
            parts.append(f"What I long for from them is {_join(wanted)}.")
        disliked = [c.disliked.strip().rstrip(".") for c in chosen if c.disliked.strip()]
        if disliked:
            parts.append(f"What I react to most is {_join(disliked)}.")
        return " ".join(parts)


class Caretaker(models.Model):
    workup = models.ForeignKey(Workup, on_delete=models.CASCADE, related_name="caretakers")
    name = models.CharField("Who (e.g. Mother, Grandfather)", max_length=60)
    positive_traits = models.CharField(
        "Positive traits", max_length=300, help_text="Separate traits with commas."
    )
    negative_traits = models.CharField(
        "Negative traits", max_length=300, help_text="Separate traits with commas."
    )
    enjoyed = models.CharField("What I enjoyed with them", max_length=500, blank=True)
    disliked = models.CharField("What I disliked", max_length=500, blank=True)
    wanted = models.CharField("What I wanted and did not get", max_length=500, blank=True)
    most_influential = models.BooleanField("Most influential", default=False)

    class Meta:
        app_label = "exercises"
        ordering = ["-most_influential", "id"]

    def __str__(self) -> str:
        return self.name


def _traits(values: object) -> list[str]:
    seen: dict[str, str] = {}
    for value in values:
        for trait in value.split(","):
            trait = trait.strip().rstrip(".")
            if trait and trait.lower() not in seen:
                seen[trait.lower()] = trait
    return list(seen.values())


def _join(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


class WorkupForm(forms.ModelForm):
    class Meta:
        model = Workup
        fields = ["note"]
        widgets = {"note": textarea(2)}


class CaretakerForm(forms.ModelForm):
    class Meta:
        model = Caretaker
        fields = [
            "name",
            "positive_traits",
            "negative_traits",
            "enjoyed",
            "disliked",
            "wanted",
            "most_influential",
        ]
        widgets = {"enjoyed": textarea(2), "disliked": textarea(2), "wanted": textarea(2)}
        help_texts = {"most_influential": "Circle the caretaker who shaped you most."}


class CaretakerFormSet(RequiredRowsFormSet):
    key_field = "name"
    noun = "caretaker"


CARETAKERS = rows_formset(
    Workup, Caretaker, CaretakerForm, CaretakerFormSet, extra=2, max_num=6, min_num=0
)


def _excerpt(detail: Workup) -> str:
    return short(", ".join(c.name for c in detail.caretakers.all()), 60)


SPEC = KindSpec(
    kind=Kind.WORKUP,
    label="Imago workup",
    noun="workup",
    intro="Explore the people who raised you: what you loved, what hurt, what you missed. "
    "The app composes your imago from it.",
    form=WorkupForm,
    model=Workup,
    formset=CARETAKERS,
    row_legend="Caretaker",
    children="caretakers",
    summary=lambda d: f"Imago workup: {count_of('caretakers', 'caretaker')(d)}",
    excerpt=_excerpt,
    excerpt_rows="workup__caretakers",
    prefetch=("workup__caretakers",),
    private_note="Your workup is private by default. It is about your own childhood; "
    "share it only if and when you want to.",
    export_extras=lambda d: {"imago_statement": d.imago_statement()},
)

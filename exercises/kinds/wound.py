"""Childhood wound exploration: a private reflection on what hurt, what was missing and what I
needed, about one of the people who raised me. Private by default, shareable like every entry;
it prepares a parent–child dialogue (the card offers to start one), and it reuses the imago
workup's caretakers as suggestions for "who"."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from django import forms
from django.core.exceptions import ValidationError
from django.db import models

from couples.models import User
from exercises.models import Entry, Kind

from .base import KindSpec, short, textarea

if TYPE_CHECKING:
    from django.http import HttpRequest

    from couples.models import Couple
    from exercises.access import ViewerCan

PARENT_CHILD_VARIANT = "parent_child"  # the dialogue variant this reflection prepares
SECTIONS = ("what_hurt", "what_missing", "what_needed")


class ChildhoodWound(models.Model):
    entry = models.OneToOneField(
        Entry, on_delete=models.CASCADE, primary_key=True, related_name="wound"
    )
    caretaker = models.CharField(
        "Who it is about (e.g. Mother, Grandfather)", max_length=60, blank=True
    )
    age = models.CharField("How old I was, roughly (optional)", max_length=40, blank=True)
    what_hurt = models.CharField("What hurt was…", max_length=2000, blank=True)
    what_missing = models.CharField("What was missing was…", max_length=2000, blank=True)
    what_needed = models.CharField("What I needed most was…", max_length=2000, blank=True)

    class Meta:
        app_label = "exercises"

    def __str__(self) -> str:
        return f"Childhood wound {self.entry_id}"

    def first_words(self) -> str:
        return next((short(getattr(self, s), 60) for s in SECTIONS if getattr(self, s)), "")


class ChildhoodWoundForm(forms.ModelForm):
    class Meta:
        model = ChildhoodWound
        fields = ["caretaker", "age", *SECTIONS]
        widgets = {
            "caretaker": forms.TextInput(attrs={"list": "caretaker-names"}),
            **{name: textarea(3) for name in SECTIONS},
        }
        help_texts = {
            "caretaker": "Your imago workup's caretakers are suggested as you type.",
            "what_hurt": "A moment or a pattern, in your own words.",
            "what_missing": "What you did not get, that a child needs.",
            "what_needed": "This is what a parent–child dialogue lets your partner hear.",
        }

    def clean(self) -> dict:
        data = super().clean()
        if not self.errors and not any(data.get(name) for name in SECTIONS):
            raise ValidationError(
                "Write at least one of: what hurt, what was missing, what you needed."
            )
        return data


def _prepare(entry: Entry, user: User, today: date) -> None:
    wound = entry.wound
    who = wound.caretaker or "my childhood"
    entry.parent_child = {
        "variant": PARENT_CHILD_VARIANT,
        "topic": short(f"Growing up with {who}" if wound.caretaker else "My childhood", 80),
    }


def _page_extras(request: HttpRequest, can: ViewerCan, scope: Couple | None) -> dict[str, object]:
    """The viewer's own workup caretakers, suggested as "who" (reuse, not retyping)."""
    from exercises import access
    from exercises.models import Caretaker

    names = (
        Caretaker.objects.filter(workup__entry__in=access.entries_export(request.user).values("pk"))
        .order_by("name")
        .values_list("name", flat=True)
        .distinct()
    )
    return {"caretaker_names": list(names)}


SPEC = KindSpec(
    kind=Kind.WOUND,
    label="Childhood wound",
    noun="childhood wound reflection",
    intro="A private reflection on what hurt when you were small, what was missing, and what "
    "you needed. It prepares a parent–child dialogue, when you are ready.",
    form=ChildhoodWoundForm,
    model=ChildhoodWound,
    summary=lambda d: (
        f"Childhood wound{f' ({short(d.caretaker, 40)})' if d.caretaker else ''}: "
        f"{short(d.first_words(), 70)}"
    ),
    excerpt=lambda d: d.first_words(),
    private_note="Private by default: it is about your own childhood. Share it with your "
    "partner, or your partner and therapist, only if and when you want to.",
    prepare=_prepare,
    page_template="exercises/_caretaker_names.html",
    page_extras=_page_extras,
)

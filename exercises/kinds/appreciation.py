"""Appreciations: one thing I appreciate about you, why, and how it makes me feel. The partner
can say thank you."""

from __future__ import annotations

from django import forms
from django.db import models

from couples.models import NotificationKind
from exercises.models import Entry, Kind

from .base import KindSpec, short, textarea


class Appreciation(models.Model):
    entry = models.OneToOneField(
        Entry, on_delete=models.CASCADE, primary_key=True, related_name="appreciation"
    )
    appreciate = models.CharField("One thing I appreciate about you is…", max_length=500)
    because = models.CharField("…because…", max_length=500)
    feeling = models.CharField("…and it makes me feel…", max_length=300)
    acknowledged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        app_label = "exercises"

    def __str__(self) -> str:
        return f"Appreciation {self.entry_id}"


class AppreciationForm(forms.ModelForm):
    class Meta:
        model = Appreciation
        fields = ["appreciate", "because", "feeling"]
        widgets = {"appreciate": textarea(), "because": textarea(), "feeling": textarea(2)}


SPEC = KindSpec(
    kind=Kind.APPRECIATION,
    label="Appreciation",
    noun="appreciation",
    intro="Tell your partner one thing you appreciate, why, and how it makes you feel. "
    "They can thank you for it.",
    form=AppreciationForm,
    model=Appreciation,
    summary=lambda d: f"I appreciate {short(d.appreciate)}",
    excerpt=lambda d: short(d.appreciate, 60),
    answerable=lambda entry: entry.appreciation.acknowledged_at is None,
    notify_on_share=NotificationKind.APPRECIATION,
)

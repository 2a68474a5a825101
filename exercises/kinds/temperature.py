"""The daily temperature reading: appreciations, new information, puzzles, a complaint with a
request, and wishes, hopes and dreams — alone or together. Its page shows a month's calendar."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from exercises.models import Entry, Kind

from .base import KindSpec, short, textarea

if TYPE_CHECKING:
    from django.http import HttpRequest

    from couples.models import Couple
    from exercises.access import ViewerCan


class TemperatureReading(models.Model):
    entry = models.OneToOneField(
        Entry, on_delete=models.CASCADE, primary_key=True, related_name="temperature"
    )
    reading_on = models.DateField("Date", default=timezone.localdate)
    together = models.BooleanField("We did this one together", default=False)
    appreciations = models.CharField("Appreciations", max_length=1000, blank=True)
    new_information = models.CharField("New information", max_length=1000, blank=True)
    puzzles = models.CharField("Puzzles", max_length=1000, blank=True)
    complaint = models.CharField("A complaint…", max_length=1000, blank=True)
    complaint_request = models.CharField("…with a request for change", max_length=1000, blank=True)
    wishes = models.CharField("Wishes, hopes and dreams", max_length=1000, blank=True)

    SECTIONS = (
        "appreciations",
        "new_information",
        "puzzles",
        "complaint",
        "complaint_request",
        "wishes",
    )

    class Meta:
        app_label = "exercises"

    def __str__(self) -> str:
        return f"Temperature reading {self.reading_on}"

    def first_words(self) -> str:
        return next((short(getattr(self, s), 60) for s in self.SECTIONS if getattr(self, s)), "")


class TemperatureForm(forms.ModelForm):
    class Meta:
        model = TemperatureReading
        fields = ["reading_on", "together", *TemperatureReading.SECTIONS]
        widgets = {
            "reading_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            **{name: textarea(2) for name in TemperatureReading.SECTIONS},
        }
        help_texts = {
            "appreciations": "Something you value in your partner since the last reading.",
            "new_information": "News, plans, anything your partner would want to know.",
            "puzzles": "Something you don't understand and would like to, without judging.",
            "complaint": "One thing that bothers you, said without blame.",
            "complaint_request": "What would help instead. A complaint always comes with one.",
        }

    def clean_reading_on(self) -> date:
        reading_on = self.cleaned_data["reading_on"]
        if reading_on > timezone.localdate():
            raise ValidationError("A reading can't be dated in the future.")
        return reading_on

    def clean(self) -> dict:
        data = super().clean()
        if not any((data.get(name) or "").strip() for name in TemperatureReading.SECTIONS):
            raise ValidationError("Write something in at least one of the five sections.")
        if (data.get("complaint") or "").strip() and not (
            data.get("complaint_request") or ""
        ).strip():
            self.add_error(
                "complaint_request", "A complaint comes with a request: what would help?"
            )
        return data


def _page_extras(request: HttpRequest, can: ViewerCan, scope: Couple | None) -> dict[str, object]:
    from couples.access import look_record
    from exercises import overview

    calendar = overview.temperature_calendar(
        request.user, month=request.GET.get("month", ""), couple=scope
    )
    look_record(
        viewer=request.user,
        couples=[entry.couple for entry in calendar["readings"]],
        what=f"Daily temperature readings: the calendar of {calendar['month']:%B %Y}",
        path=request.get_full_path(),
    )
    return {"calendar": calendar}


SPEC = KindSpec(
    kind=Kind.TEMPERATURE,
    label="Daily temperature reading",
    noun="temperature reading",
    intro="A short check-in: appreciations, new information, puzzles, a complaint with a "
    "request, and wishes, hopes and dreams. Alone or together.",
    form=TemperatureForm,
    model=TemperatureReading,
    summary=lambda d: (
        f"Temperature reading, {d.reading_on.day} {d.reading_on:%b %Y}"
        f"{' (together)' if d.together else ''}"
    ),
    excerpt=lambda d: d.first_words(),
    page_template="exercises/_calendar.html",
    page_extras=_page_extras,
)

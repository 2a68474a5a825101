"""Behavior change requests: a frustration, the desire beneath it, and three positive,
specific, time-limited requests. The partner may choose one as a gift, or decline; both log
the days it was given."""

from __future__ import annotations

import re
from datetime import date

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Prefetch
from django.forms import inlineformset_factory
from django.utils import timezone

from couples.models import User
from exercises.models import Entry, Kind, Visibility

from .base import KindSpec, RequiredRowsFormSet, short, textarea

NEGATIVE_START = re.compile(r"^\s*(don'?t|do not|stop|never|quit|no more|not)\b", re.IGNORECASE)


class ChangeRequest(models.Model):
    entry = models.OneToOneField(
        Entry, on_delete=models.CASCADE, primary_key=True, related_name="request"
    )
    frustration = models.CharField("What frustrates me is…", max_length=600)
    desire = models.CharField("What I desire underneath is…", max_length=600)
    declined_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        app_label = "exercises"

    def __str__(self) -> str:
        return f"Request {self.entry_id}"

    class Status(models.TextChoices):
        DRAFT = "draft", "Not sent yet"
        WAITING = "waiting", "Waiting for an answer"
        GIFTED = "gifted", "A gift is in progress"
        COMPLETED = "completed", "Completed"
        DECLINED = "declined", "Declined, for now"

    def chosen_item(self) -> RequestItem | None:
        return next((item for item in self.items.all() if item.chosen_at), None)

    @property
    def is_answered(self) -> bool:
        return self.declined_at is not None or self.chosen_item() is not None

    def status(self) -> str:
        if self.declined_at:
            return self.Status.DECLINED
        chosen = self.chosen_item()
        if chosen:
            return (
                self.Status.COMPLETED
                if chosen.ends_on < timezone.localdate()
                else self.Status.GIFTED
            )
        if self.entry.visibility == Visibility.PRIVATE:
            return self.Status.DRAFT
        return self.Status.WAITING

    def get_status_display(self) -> str:
        return self.Status(self.status()).label


class RequestItem(models.Model):
    request = models.ForeignKey(ChangeRequest, on_delete=models.CASCADE, related_name="items")
    what = models.CharField("What I'd like you to do", max_length=200)
    when = models.CharField("How often, or when", max_length=200)
    duration_days = models.PositiveSmallIntegerField(
        "For how many days", validators=[MinValueValidator(1), MaxValueValidator(90)]
    )
    chosen_at = models.DateTimeField(null=True, blank=True)
    ends_on = models.DateField(null=True, blank=True)

    class Meta:
        app_label = "exercises"
        ordering = ["id"]

    def __str__(self) -> str:
        return self.what


class FollowThrough(models.Model):
    item = models.ForeignKey(RequestItem, on_delete=models.CASCADE, related_name="logs")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    done_on = models.DateField()
    note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        app_label = "exercises"
        ordering = ["-done_on", "-id"]

    def __str__(self) -> str:
        return f"{self.item} done on {self.done_on}"


class ChangeRequestForm(forms.ModelForm):
    class Meta:
        model = ChangeRequest
        fields = ["frustration", "desire"]
        widgets = {"frustration": textarea(), "desire": textarea()}
        help_texts = {
            "frustration": "Describe what happens and how you feel, without blame.",
            "desire": "The wish hidden under the frustration, e.g. “to feel I matter to you”.",
        }


class RequestItemForm(forms.ModelForm):
    class Meta:
        model = RequestItem
        fields = ["what", "when", "duration_days"]
        help_texts = {
            "what": "Positive and specific: what you'd like, not what to stop. "
            "E.g. “text me when you leave work”.",
            "when": "E.g. “on weekdays”, “every Sunday evening”, “once a week”.",
            "duration_days": "Time-limited: between 1 and 90 days.",
        }

    def clean_what(self) -> str:
        what = self.cleaned_data["what"].strip()
        if NEGATIVE_START.match(what):
            raise ValidationError(
                "Ask for what you'd like to happen, not what to stop — "
                "e.g. “speak softly when we disagree” rather than “don't shout”."
            )
        return what


class RequestItemFormSet(RequiredRowsFormSet):
    key_field = "what"
    noun = "request"
    default_error_messages = {
        **RequiredRowsFormSet.default_error_messages,
        "too_few_forms": "Write all three requests: your partner chooses one of three.",
        "too_many_forms": "A request has exactly three parts, no more.",
    }


# Exactly three requests: three required rows, no more, none deletable.
REQUEST_ITEMS = inlineformset_factory(
    ChangeRequest,
    RequestItem,
    form=RequestItemForm,
    formset=RequestItemFormSet,
    extra=0,
    min_num=3,
    max_num=3,
    validate_min=True,
    validate_max=True,
    can_delete=False,
)


def _loggable(entry: Entry, today: date) -> bool:
    chosen = entry.request.chosen_item()
    return chosen is not None and chosen.ends_on >= today


def _prepare(entry: Entry, user: User, today: date) -> None:
    entry.chosen = entry.request.chosen_item()


SPEC = KindSpec(
    kind=Kind.REQUEST,
    label="Behavior change request",
    noun="behavior change request",
    intro="Turn a frustration into the desire beneath it and three positive, specific, "
    "time-limited requests. Your partner may choose one as a gift — or none.",
    form=ChangeRequestForm,
    model=ChangeRequest,
    formset=REQUEST_ITEMS,
    rows_fixed=True,
    row_legend="Request",
    children="items",
    grandchildren="logs",
    summary=lambda d: f"Request: {short(d.desire)}",
    excerpt=lambda d: short(d.frustration, 60),
    prefetch=(
        Prefetch("request__items__logs", queryset=FollowThrough.objects.select_related("author")),
    ),
    actor_rows=((FollowThrough, "author"),),
    answerable=lambda entry: not entry.request.is_answered,
    locked=lambda entry: entry.request.is_answered,
    loggable=_loggable,
    prepare=_prepare,
)

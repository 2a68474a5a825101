"""The relationship vision: short, present-tense "we" statements. Each partner writes theirs;
then each accepts statements of the other's into the shared vision, and later rates how true
each is now."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Prefetch
from django.forms import BaseInlineFormSet

from couples.access import therapist_couples
from couples.models import User
from exercises.models import RATING, RATING_CHOICES, Entry, Kind

from .base import KindSpec, RequiredRowsFormSet, count_of, first_row, rows_formset, textarea

if TYPE_CHECKING:
    from django.http import HttpRequest

    from couples.models import Couple
    from exercises.access import ViewerCan

NEGATION = re.compile(r"\b(don'?t|do not|never|won'?t|no longer|not|stop)\b", re.IGNORECASE)


class Vision(models.Model):
    entry = models.OneToOneField(
        Entry, on_delete=models.CASCADE, primary_key=True, related_name="vision"
    )
    note = models.CharField("A note (optional)", max_length=500, blank=True)

    class Meta:
        app_label = "exercises"

    def __str__(self) -> str:
        return f"Vision {self.entry_id}"


class VisionItem(models.Model):
    vision = models.ForeignKey(Vision, on_delete=models.CASCADE, related_name="items")
    statement = models.CharField("We…", max_length=200)
    importance = models.PositiveSmallIntegerField(
        "Importance (1–5)", validators=RATING, choices=RATING_CHOICES, default=3
    )
    hard = models.BooleanField("This one is hard for us", default=False)

    class Meta:
        app_label = "exercises"
        ordering = ["-importance", "id"]

    def __str__(self) -> str:
        return self.statement


class VisionResponse(models.Model):
    """One partner's stance on one vision statement: the other partner's acceptance (with their
    own importance rating) when merging, and later either partner's "how true is it now"."""

    item = models.ForeignKey(VisionItem, on_delete=models.CASCADE, related_name="responses")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    accepted = models.BooleanField(default=False)
    importance = models.PositiveSmallIntegerField(null=True, blank=True, validators=RATING)
    truth = models.PositiveSmallIntegerField(null=True, blank=True, validators=RATING)
    truth_rated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        app_label = "exercises"
        constraints = [
            models.UniqueConstraint(fields=["item", "user"], name="vision_response_once")
        ]

    def __str__(self) -> str:
        return f"Response to {self.item_id}"


class VisionForm(forms.ModelForm):
    class Meta:
        model = Vision
        fields = ["note"]
        widgets = {"note": textarea(2)}


class VisionItemForm(forms.ModelForm):
    class Meta:
        model = VisionItem
        fields = ["statement", "importance", "hard"]
        labels = {"statement": "Statement"}
        help_texts = {
            "statement": "Present tense, positive, beginning with “We”: “We settle our "
            "differences calmly”, not “We don't fight”."
        }

    def clean_statement(self) -> str:
        statement = self.cleaned_data["statement"].strip()
        if not re.match(r"^we\b", statement, re.IGNORECASE):
            raise ValidationError("Begin with “We”, as if it were already true.")
        if NEGATION.search(statement):
            raise ValidationError(
                "Say what you do, not what you avoid: “We settle our differences calmly”, "
                "not “We don't fight”."
            )
        return statement


class VisionItemFormSet(RequiredRowsFormSet):
    key_field = "statement"
    noun = "statement"


VISION_ITEMS = rows_formset(
    Vision, VisionItem, VisionItemForm, VisionItemFormSet, extra=3, max_num=30, min_num=0
)


def _prepare(entry: Entry, user: User, today: object) -> None:
    for item in entry.vision.items.all():
        item.partner_response = next(
            (r for r in item.responses.all() if r.user_id != entry.author_id), None
        )


def _after_update(entry: Entry, formset: BaseInlineFormSet, by: User) -> None:
    # A reworded statement is a new statement: the partner decides on it afresh.
    reworded = [f.instance for f in formset.forms if "statement" in f.changed_data]
    VisionResponse.objects.filter(item__in=[i for i in reworded if i.pk]).exclude(user=by).delete()


def _page_extras(request: HttpRequest, can: ViewerCan, scope: Couple | None) -> dict[str, object]:
    from exercises import services

    if can.couple:
        mine, theirs = services.vision_entries(couple=can.couple, user=request.user)
        return {"vision_status": {"mine": bool(mine), "theirs": bool(theirs)}}
    if not can.write:  # a therapist: each client's shared vision
        return {"vision_couples": [scope] if scope else therapist_couples(request.user)}
    return {}


SPEC = KindSpec(
    kind=Kind.VISION,
    label="Relationship vision",
    noun="vision",
    intro="Short, present-tense “we” statements about the relationship you want. Write "
    "yours alone; when you've both written, build a shared vision.",
    form=VisionForm,
    model=Vision,
    formset=VISION_ITEMS,
    row_legend="Statement",
    children="items",
    grandchildren="responses",
    summary=lambda d: f"Relationship vision: {count_of('items', 'statement')(d)}",
    excerpt=first_row("items", "statement"),
    excerpt_rows="vision__items",
    prefetch=(
        Prefetch(
            "vision__items__responses", queryset=VisionResponse.objects.select_related("user")
        ),
    ),
    actor_rows=((VisionResponse, "user"),),
    prepare=_prepare,
    after_update=_after_update,
    page_template="exercises/_vision_status.html",
    page_extras=_page_extras,
)

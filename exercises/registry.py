"""The six exercise kinds, as plain data: which form, which list, which template, which words.

Create, edit, delete, share, timeline and export are one piece of code for all six; this table
is what differs between them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from django.db.models import Prefetch
from django.utils.text import Truncator

from . import forms
from .models import (
    Appreciation,
    CaringGift,
    CaringList,
    ChangeRequest,
    FollowThrough,
    Kind,
    TemperatureReading,
    Vision,
    VisionResponse,
    Workup,
)


def _short(text: str, length: int = 70) -> str:
    return Truncator(" ".join(text.split())).chars(length)


@dataclass(frozen=True)
class KindSpec:
    kind: str
    label: str
    noun: str  # what one entry is called: "Save caring list"
    intro: str
    form: type
    summary: Callable[[object], str]
    model: type
    formset: type | None = None
    row_legend: str = ""
    children: str = ""  # the detail's list of rows, when it has one
    grandchildren: str = ""  # rows hanging off each of those (gifts, follow-through, ratings)
    prefetch: tuple[object, ...] = field(default_factory=tuple)
    private_note: str = ""

    @property
    def template(self) -> str:
        return f"exercises/kinds/{self.kind}.html"

    @property
    def label_plural(self) -> str:
        return self.label if self.label.endswith("s") else f"{self.label}s"


def _count(noun: str) -> Callable[[object], str]:
    def summary(detail: object) -> str:
        rows = getattr(detail, {"caretaker": "caretakers"}.get(noun, "items")).count()
        return f"{rows} {noun}{'' if rows == 1 else 's'}"

    return summary


KINDS: dict[str, KindSpec] = {
    Kind.APPRECIATION: KindSpec(
        kind=Kind.APPRECIATION,
        label="Appreciation",
        noun="appreciation",
        intro="Tell your partner one thing you appreciate, why, and how it makes you feel. "
        "They can thank you for it.",
        form=forms.AppreciationForm,
        model=Appreciation,
        summary=lambda d: f"I appreciate {_short(d.appreciate)}",
    ),
    Kind.CARING: KindSpec(
        kind=Kind.CARING,
        label="Caring behaviors",
        noun="caring list",
        intro="Three lists of what makes you feel loved — now, in the past, and what would — "
        "each rated for importance. Exchange lists, then give one a day.",
        form=forms.CaringListForm,
        model=CaringList,
        formset=forms.CARING_ITEMS,
        row_legend="Caring behavior",
        children="items",
        grandchildren="gifts",
        summary=lambda d: f"Caring behaviors: {_count('item')(d)}",
        prefetch=(
            Prefetch("caring__items__gifts", queryset=CaringGift.objects.select_related("giver")),
        ),
    ),
    Kind.REQUEST: KindSpec(
        kind=Kind.REQUEST,
        label="Behavior change request",
        noun="behavior change request",
        intro="Turn a frustration into the desire beneath it and three positive, specific, "
        "time-limited requests. Your partner may choose one as a gift — or none.",
        form=forms.ChangeRequestForm,
        model=ChangeRequest,
        formset=forms.REQUEST_ITEMS,
        row_legend="Request",
        children="items",
        grandchildren="logs",
        summary=lambda d: f"Request: {_short(d.desire)}",
        prefetch=(
            Prefetch(
                "request__items__logs", queryset=FollowThrough.objects.select_related("author")
            ),
        ),
    ),
    Kind.VISION: KindSpec(
        kind=Kind.VISION,
        label="Relationship vision",
        noun="vision",
        intro="Short, present-tense “we” statements about the relationship you want. Write "
        "yours alone; when you've both written, build a shared vision.",
        form=forms.VisionForm,
        model=Vision,
        formset=forms.VISION_ITEMS,
        row_legend="Statement",
        children="items",
        grandchildren="responses",
        summary=lambda d: f"Relationship vision: {_count('statement')(d)}",
        prefetch=(
            Prefetch(
                "vision__items__responses", queryset=VisionResponse.objects.select_related("user")
            ),
        ),
    ),
    Kind.TEMPERATURE: KindSpec(
        kind=Kind.TEMPERATURE,
        label="Daily temperature reading",
        noun="temperature reading",
        intro="A short check-in: appreciations, new information, puzzles, a complaint with a "
        "request, and wishes, hopes and dreams. Alone or together.",
        form=forms.TemperatureForm,
        model=TemperatureReading,
        summary=lambda d: (
            f"Temperature reading, {d.reading_on.day} {d.reading_on:%b %Y}"
            f"{' (together)' if d.together else ''}"
        ),
    ),
    Kind.WORKUP: KindSpec(
        kind=Kind.WORKUP,
        label="Imago workup",
        noun="workup",
        intro="Explore the people who raised you: what you loved, what hurt, what you missed. "
        "The app composes your imago from it.",
        form=forms.WorkupForm,
        model=Workup,
        formset=forms.CARETAKERS,
        row_legend="Caretaker",
        children="caretakers",
        summary=lambda d: f"Imago workup: {_count('caretaker')(d)}",
        prefetch=("workup__caretakers",),
        private_note="Your workup is private by default. It is about your own childhood; "
        "share it only if and when you want to.",
    ),
}

DETAIL_RELATIONS = tuple(KINDS)

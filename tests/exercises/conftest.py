"""Valid form data for each exercise, and a way to create entries the way the app does."""

from __future__ import annotations

from collections.abc import Callable

from django.test import Client
from django.utils import timezone

from couples.models import User
from exercises.models import Entry, Visibility
from exercises.registry import KINDS
from exercises.services import entry_create

ClientFor = Callable[[User], Client]


def rows(items: list[dict[str, object]], *, initial: int = 0) -> dict[str, object]:
    data: dict[str, object] = {
        "rows-TOTAL_FORMS": str(len(items)),
        "rows-INITIAL_FORMS": str(initial),
        "rows-MIN_NUM_FORMS": "0",
        "rows-MAX_NUM_FORMS": "1000",
    }
    for n, item in enumerate(items):
        data.update({f"rows-{n}-{key}": value for key, value in item.items()})
    return data


def valid_data(kind: str, **overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "appreciation": {
            "appreciate": "the way you make tea in the morning",
            "because": "it tells me you think of me first",
            "feeling": "cherished",
        },
        "caring": {
            "note": "",
            **rows(
                [
                    {"category": "now", "text": "bring me coffee in bed", "rating": "5"},
                    {"category": "past", "text": "leave notes in my bag", "rating": "4"},
                    {"category": "future", "text": "plan a picnic", "rating": "3"},
                ]
            ),
        },
        "request": {
            "frustration": "When you come home late without a word I feel forgotten.",
            "desire": "to feel that I matter to you during the day",
            **rows(
                [
                    {
                        "what": "Text me when you leave work",
                        "when": "on weekdays",
                        "duration_days": "14",
                    },
                    {"what": "Call me at lunch", "when": "twice a week", "duration_days": "21"},
                    {
                        "what": "Tell me your plans each morning",
                        "when": "every day",
                        "duration_days": "7",
                    },
                ]
            ),
        },  # fmt: skip
        "vision": {
            "note": "",
            **rows(
                [
                    {
                        "statement": "We settle our differences calmly",
                        "importance": "5",
                        "hard": "on",
                    },
                    {"statement": "We laugh together every day", "importance": "4"},
                ]
            ),
        },  # fmt: skip
        "temperature": {
            "reading_on": timezone.localdate().isoformat(),
            "together": "on",
            "appreciations": "Thank you for dinner",
            "new_information": "My sister visits on Friday",
            "puzzles": "",
            "complaint": "",
            "complaint_request": "",
            "wishes": "A weekend by the sea",
        },
        "workup": {
            "note": "",
            **rows(
                [
                    {
                        "name": "Mother",
                        "positive_traits": "warm, funny",
                        "negative_traits": "anxious, critical",
                        "enjoyed": "baking together",
                        "disliked": "being compared",
                        "wanted": "to be seen for who I am",
                        "most_influential": "on",
                    },
                    {
                        "name": "Father",
                        "positive_traits": "steady",
                        "negative_traits": "distant",
                        "enjoyed": "",
                        "disliked": "",
                        "wanted": "his time",
                    },
                ]
            ),
        },  # fmt: skip
        "traits": {
            "note": "",
            **rows(
                [
                    {"category": "physical", "text": "your laugh when you're surprised"},
                    {"category": "character", "text": "how patient you are with my mother"},
                    {"category": "caring", "text": "the tea you bring me when I work late"},
                ]
            ),
        },
        "wound": {
            "caretaker": "Mother",
            "age": "about seven",
            "what_hurt": "Being told to stop crying when the dog died",
            "what_missing": "Someone to sit with me when I was sad",
            "what_needed": "To hear that my sadness made sense",
        },
        "surprises": {
            "note": "",
            **rows(
                [
                    {"category": "surprise", "text": "breakfast in the garden"},
                    {"category": "fun", "text": "a salsa class together"},
                ]
            ),
        },
    }[kind]
    data.update(overrides)
    return data


def create_entry(
    author: User, kind: str, visibility: int = Visibility.PRIVATE, **overrides: object
) -> Entry:
    """Validate and save an entry through the same forms and service the views use."""
    spec = KINDS[kind]
    data = valid_data(kind, **overrides)
    instance = spec.model()
    form = spec.form(data, instance=instance)
    formset = spec.formset(data, instance=instance, prefix="rows") if spec.formset else None
    assert form.is_valid(), form.errors
    assert formset is None or formset.is_valid(), (formset.errors, formset.non_form_errors())
    return entry_create(author=author, kind=kind, visibility=visibility, form=form, formset=formset)


def _form_value(value: object) -> object:
    if isinstance(value, bool):
        return "on" if value else ""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value


def current_data(entry: Entry, **overrides: object) -> dict[str, object]:
    """What the edit form posts back for `entry` unchanged (rows with their ids), plus changes."""
    spec = KINDS[entry.kind]
    detail = entry.detail
    data = {name: _form_value(getattr(detail, name)) for name in spec.form._meta.fields}
    if spec.formset:
        children = list(getattr(detail, spec.children).all())
        fields = [f for f in spec.formset.form._meta.fields if f != spec.formset.fk.name]
        data.update(
            rows(
                [
                    {"id": child.pk, **{f: _form_value(getattr(child, f)) for f in fields}}
                    for child in children
                ],
                initial=len(children),
            )
        )
    data.update(overrides)
    return data

"""Field validation only: what an entry may contain. Who may see and do what lives in access.py
(and is checked again by services.py)."""

from __future__ import annotations

import re
from datetime import date

from django import forms
from django.core.exceptions import ValidationError
from django.forms import BaseInlineFormSet, inlineformset_factory
from django.utils import timezone
from django.utils.text import Truncator

from .models import (
    RATING_CHOICES,
    Appreciation,
    Caretaker,
    CaringItem,
    CaringList,
    ChangeRequest,
    Homework,
    Kind,
    Note,
    RequestItem,
    TemperatureReading,
    Visibility,
    Vision,
    VisionItem,
    Workup,
)

NEGATIVE_START = re.compile(r"^\s*(don'?t|do not|stop|never|quit|no more|not)\b", re.IGNORECASE)
NEGATION = re.compile(r"\b(don'?t|do not|never|won'?t|no longer|not|stop)\b", re.IGNORECASE)


def _textarea(rows: int = 3) -> forms.Textarea:
    return forms.Textarea(attrs={"rows": rows})


class VisibilityForm(forms.Form):
    visibility = forms.TypedChoiceField(
        label="Who can see this",
        choices=Visibility.choices,
        coerce=int,
        initial=Visibility.PRIVATE,
        required=False,
        empty_value=Visibility.PRIVATE,  # nothing chosen means private
        help_text="Private unless you choose otherwise. You can change this at any time.",
    )

    def __init__(self, *args: object, can_share: bool = True, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.can_share = can_share
        if not can_share:
            self.fields[
                "visibility"
            ].help_text = "You're not in an active couple right now, so entries stay private."

    def clean_visibility(self) -> int:
        value = self.cleaned_data["visibility"]
        if value > Visibility.PRIVATE and not self.can_share:
            raise ValidationError(
                "You can only share with a partner you're in an active couple with. "
                "Keep this private for now."
            )
        return value


# --- The six exercises: one form for the entry, and a formset for its list where it has one ----


class AppreciationForm(forms.ModelForm):
    class Meta:
        model = Appreciation
        fields = ["appreciate", "because", "feeling"]
        widgets = {"appreciate": _textarea(), "because": _textarea(), "feeling": _textarea(2)}


class CaringListForm(forms.ModelForm):
    class Meta:
        model = CaringList
        fields = ["note"]
        widgets = {"note": _textarea(2)}


class CaringItemForm(forms.ModelForm):
    class Meta:
        model = CaringItem
        fields = ["category", "text", "rating"]
        labels = {"category": "Which list"}
        help_texts = {"text": "Something small and doable — not a current source of conflict."}


class RequiredRowsFormSet(BaseInlineFormSet):
    """Shared checks for list formsets: at least one row, no duplicate rows."""

    key_field = "text"
    noun = "item"

    def add_fields(self, form: forms.BaseForm, index: int | None) -> None:
        super().add_fields(form, index)
        if "DELETE" in form.fields:
            form.fields["DELETE"].label = f"Remove this {self.noun}"

    def clean(self) -> None:
        super().clean()
        if any(self.errors):
            return
        seen: set[str] = set()
        kept = 0
        for form in self.forms:
            if not form.cleaned_data or form.cleaned_data.get("DELETE"):
                continue
            kept += 1
            key = " ".join(str(form.cleaned_data.get(self.key_field, "")).lower().split())
            if key in seen:
                raise ValidationError(
                    f"The same {self.noun} appears twice. Make each one different."
                )
            seen.add(key)
        if kept < (self.min_num or 1):
            raise ValidationError(f"Add at least {self.min_num or 1} {self.noun}.")


class CaringItemFormSet(RequiredRowsFormSet):
    key_field = "text"
    noun = "caring behavior"


class ChangeRequestForm(forms.ModelForm):
    class Meta:
        model = ChangeRequest
        fields = ["frustration", "desire"]
        widgets = {"frustration": _textarea(), "desire": _textarea()}
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


class VisionForm(forms.ModelForm):
    class Meta:
        model = Vision
        fields = ["note"]
        widgets = {"note": _textarea(2)}


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


class TemperatureForm(forms.ModelForm):
    class Meta:
        model = TemperatureReading
        fields = ["reading_on", "together", *TemperatureReading.SECTIONS]
        widgets = {
            "reading_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            **{name: _textarea(2) for name in TemperatureReading.SECTIONS},
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


class WorkupForm(forms.ModelForm):
    class Meta:
        model = Workup
        fields = ["note"]
        widgets = {"note": _textarea(2)}


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
        widgets = {"enjoyed": _textarea(2), "disliked": _textarea(2), "wanted": _textarea(2)}
        help_texts = {"most_influential": "Circle the caretaker who shaped you most."}


class CaretakerFormSet(RequiredRowsFormSet):
    key_field = "name"
    noun = "caretaker"


def _rows(parent: type, child: type, form: type, formset: type, *, extra: int, **kw: object):
    return inlineformset_factory(
        parent,
        child,
        form=form,
        formset=formset,
        extra=extra,
        can_delete=True,
        can_delete_extra=False,  # a blank new row needs no "remove" box
        **kw,
    )


CARING_ITEMS = _rows(
    CaringList, CaringItem, CaringItemForm, CaringItemFormSet, extra=3, max_num=30, min_num=0
)
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
VISION_ITEMS = _rows(
    Vision, VisionItem, VisionItemForm, VisionItemFormSet, extra=3, max_num=30, min_num=0
)
CARETAKERS = _rows(
    Workup, Caretaker, CaretakerForm, CaretakerFormSet, extra=2, max_num=6, min_num=0
)


# --- Actions on entries ------------------------------------------------------------------------


def _not_in_future(value: date) -> None:
    if value > timezone.localdate():
        raise ValidationError("That date is in the future.")


class FollowThroughForm(forms.Form):
    done_on = forms.DateField(
        label="Day",
        initial=timezone.localdate,
        validators=[_not_in_future],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    note = forms.CharField(label="How it went (optional)", max_length=300, required=False)


class CaringGiftForm(forms.Form):
    given_on = forms.DateField(
        label="Day",
        initial=timezone.localdate,
        validators=[_not_in_future],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )


class TruthForm(forms.Form):
    truth = forms.TypedChoiceField(
        label="How true is this now (1–5)", choices=RATING_CHOICES, coerce=int
    )


class VisionMergeForm(forms.Form):
    """For each of the partner's statements: accept it into the shared vision (with my own
    importance rating) or leave it out."""

    def __init__(self, *args: object, items: list, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.items = items
        for item in items:
            response = getattr(item, "my_response", None)
            self.fields[f"accept_{item.pk}"] = forms.BooleanField(
                label="I accept this into our shared vision",
                required=False,
                initial=bool(response and response.accepted),
            )
            self.fields[f"importance_{item.pk}"] = forms.TypedChoiceField(
                label="Importance to me (1–5)",
                choices=[("", "—"), *RATING_CHOICES],
                coerce=int,
                empty_value=None,
                required=False,
                initial=response.importance if response else None,
            )

    def rows(self) -> list[tuple[object, forms.BoundField, forms.BoundField]]:
        return [
            (item, self[f"accept_{item.pk}"], self[f"importance_{item.pk}"]) for item in self.items
        ]

    def clean(self) -> dict:
        data = super().clean()
        for item in self.items:
            if data.get(f"accept_{item.pk}") and not data.get(f"importance_{item.pk}"):
                self.add_error(f"importance_{item.pk}", "Rate how important this is to you (1–5).")
        return data

    def decisions(self) -> dict[int, int | None]:
        """item id → my importance rating if accepted, None if left out."""
        return {
            item.pk: (
                self.cleaned_data[f"importance_{item.pk}"]
                if self.cleaned_data.get(f"accept_{item.pk}")
                else None
            )
            for item in self.items
        }


# The range of dates a filter or calendar accepts; the edges of `date` would overflow.
FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(9998, 12, 31)


class HistoryFilterForm(forms.Form):
    kind = forms.ChoiceField(
        label="Exercise", choices=[("", "All exercises"), *Kind.choices], required=False
    )
    date_from = forms.DateField(
        label="From", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label="To", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self) -> dict:
        data = super().clean()
        for name in ("date_from", "date_to"):
            if data.get(name) and not FIRST_DAY <= data[name] <= LAST_DAY:
                self.add_error(name, f"Choose a date between {FIRST_DAY.year} and {LAST_DAY.year}.")
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", "“To” must be on or after “From”.")
        return data


# --- The therapist's desk ----------------------------------------------------------------------

BOTH = "both"


class HomeworkForm(forms.ModelForm):
    """What a therapist asks: which exercise, for whom, instructions, an optional due date."""

    assignee = forms.ChoiceField(label="For")

    class Meta:
        model = Homework
        fields = ["kind", "instructions", "due_on"]
        widgets = {
            "instructions": _textarea(3),
            "due_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }

    def __init__(self, *args: object, partners: list, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.partners = {str(p.pk): p for p in partners}
        self.fields["assignee"].choices = [
            (BOTH, "Both partners"),
            *((pk, p.display_name) for pk, p in self.partners.items()),
        ]
        self.order_fields(["kind", "assignee", "instructions", "due_on"])

    def clean_due_on(self) -> date | None:
        value = self.cleaned_data["due_on"]
        if value is not None and not timezone.localdate() <= value <= LAST_DAY:
            raise ValidationError("Choose a day from today on.")
        return value

    def chosen_assignee(self) -> object:
        return self.partners.get(self.cleaned_data["assignee"])


class HomeworkAnswerForm(forms.Form):
    state = forms.ChoiceField(
        label="How did it go",
        choices=[
            (Homework.State.DONE, "We did it"),
            (Homework.State.DID_NOT_FIT, "It did not fit"),
        ],
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label="A word for your therapist (needed if it did not fit)",
        max_length=Homework._meta.get_field("comment").max_length,
        required=False,
        widget=_textarea(2),
    )


class HomeworkLinkForm(forms.Form):
    """On a new entry: which of the writer's homework of this exercise it is for, if any."""

    homework = forms.TypedChoiceField(
        label="Written for", coerce=int, required=False, empty_value=None
    )

    def __init__(self, *args: object, homework: list, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.homework = {h.pk: h for h in homework}
        self.fields["homework"].choices = [
            ("", "Not for homework"),
            *((h.pk, f"Homework: {Truncator(h.instructions).chars(60)}") for h in homework),
        ]

    def chosen(self) -> Homework | None:
        return self.homework.get(self.cleaned_data.get("homework"))


class NoteForm(forms.ModelForm):
    class Meta:
        model = Note
        fields = ["text"]
        labels = {"text": "Note"}
        widgets = {"text": _textarea(3)}


class BriefForm(forms.Form):
    since = forms.DateField(
        label="What is new since",
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def clean_since(self) -> date:
        value = self.cleaned_data["since"]
        if not FIRST_DAY <= value <= timezone.localdate():
            raise ValidationError("Choose a day in the past.")
        return value


class NewNoteForm(NoteForm):
    to_couple = forms.BooleanField(
        label="Address it to the couple: both partners read it on their home page",
        required=False,
    )

    class Meta(NoteForm.Meta):
        fields = ["text", "to_couple"]

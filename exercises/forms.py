"""Field validation only: what an entry may contain. Who may see and do what lives in access.py
(and is checked again by services.py)."""

from __future__ import annotations

from datetime import date

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.text import Truncator

from .kinds.base import textarea as _textarea
from .models import RATING_CHOICES, Homework, HomeworkAnswer, Kind, Note, Visibility


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


class GiftForm(forms.Form):
    """The day an item of a partner's list (caring behaviors, surprises) was given."""

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
                help_text="You can leave it unrated for now and rate it later.",
            )

    def rows(self) -> list[tuple[object, forms.BoundField, forms.BoundField]]:
        return [
            (item, self[f"accept_{item.pk}"], self[f"importance_{item.pk}"]) for item in self.items
        ]

    def decisions(self) -> dict[int, tuple[bool, int | None]]:
        """item id → (accepted, my importance rating or None). A statement may be accepted
        before it is rated: the rating can come later."""
        return {
            item.pk: (
                bool(self.cleaned_data.get(f"accept_{item.pk}")),
                self.cleaned_data.get(f"importance_{item.pk}"),
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
            (Homework.State.DONE, "I did my part"),
            (Homework.State.DID_NOT_FIT, "It did not fit"),
        ],
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label="A word for your therapist (needed if it did not fit)",
        max_length=HomeworkAnswer._meta.get_field("comment").max_length,
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

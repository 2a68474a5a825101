from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from . import flow
from .services import (
    PROMPT_LIMIT,
    STAGE_MINUTES,
    TEXT_LIMIT,
    TIMER_LIMIT,
    TOPIC_LIMIT,
    DialogueError,
)


def _kinds(needs: str) -> str:
    """The variants a start field belongs to, for the page to show it only for them."""
    return " ".join(key for key, variant in flow.VARIANTS.items() if getattr(variant, needs))


class DialogueStartForm(forms.Form):
    """Which dialogue, on what topic; the container's minutes per stage and positive flooding's
    prepared list are asked here and required by `dialogue_start` for those variants only.
    Each of those fields names its variants (`data-for-kinds`): static/dialogue/start.js shows it
    only when one of them is picked; without JavaScript every field stays visible."""

    # Where a refusal of `dialogue_start` is shown: next to the field it is about.
    ERROR_FIELDS = {
        "topic_required": "topic",
        "topic_too_long": "topic",
        "stage_minutes_required": "stage_minutes",
        "prepared_required": "prepared",
        "prepared_too_long": "prepared",
    }

    kind = forms.ChoiceField(
        label="Which dialogue?",
        choices=[(key, f"{v.name} — {v.summary}") for key, v in flow.VARIANTS.items()],
        initial=flow.DEFAULT_VARIANT,
        widget=forms.RadioSelect,
        required=False,
    )
    topic = forms.CharField(
        label="What would you like to talk about?",
        max_length=TOPIC_LIMIT,
        help_text="One topic per dialogue, in a few words — for example “weekend plans”.",
    )
    stage_minutes = forms.IntegerField(
        label="For the container: minutes per stage, as you agreed",
        required=False,
        min_value=STAGE_MINUTES[0],
        max_value=STAGE_MINUTES[1],
        widget=forms.NumberInput(attrs={"data-for-kinds": _kinds("timed")}),
    )
    prepared = forms.CharField(
        label="For positive flooding: what you will name, one a line",
        required=False,
        widget=forms.Textarea(attrs={"rows": 4, "data-for-kinds": _kinds("prepared_step")}),
        help_text="Prepare it beforehand — from your positive traits list, for example.",
    )

    def clean_kind(self) -> str:
        return self.cleaned_data["kind"] or flow.DEFAULT_VARIANT  # the standard unless chosen


# Form-level error codes that mean "this text cannot be stored", whatever the field.
UNSTORABLE = {"unstorable", "null_characters_not_allowed"}
# A client's message id: defined once, for the form and the socket's frame check.
MSG_ID_PATTERN = r"^[A-Za-z0-9_.:-]{1,64}$"


def storable(value: str) -> None:
    """Refuse text the database cannot store: a lone surrogate (possible in JSON's `\\ud800`)
    has no UTF-8 form. (NUL characters are refused by every CharField already.)"""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValidationError("That text contains a broken character.", code="unstorable") from None


class MessageForm(forms.Form):
    """What every message of the room shares: a client message id, and one refusal per form."""

    msg_id = forms.RegexField(regex=MSG_ID_PATTERN, max_length=64)
    # Which error code a client sees when a field fails to validate.
    ERROR_CODES: dict[str, tuple[str, str]] = {}

    def as_error(self) -> DialogueError:
        errors = self.errors.as_data()
        if any(error.code in UNSTORABLE for field in errors.values() for error in field):
            return DialogueError(
                "bad_text",
                "That text contains characters that cannot be stored (a broken character or a "
                "NUL). Nothing was saved.",
            )
        for field, (code, reason) in self.ERROR_CODES.items():
            if field in self.errors:
                return DialogueError(code, reason)
        return DialogueError("bad_message", "That message could not be understood.")


class TurnForm(MessageForm):
    """One dialogue action, from the websocket or from a plain form post (no JavaScript)."""

    action = forms.CharField(max_length=20)
    text = forms.CharField(
        label="Your words",
        required=False,
        max_length=TEXT_LIMIT,
        widget=forms.Textarea,
        validators=[storable],
    )
    at = forms.DateTimeField(label="Time", required=False)
    last_seq = forms.IntegerField(required=False, min_value=0)

    ERROR_CODES = {
        "action": ("unknown_action", "Say which dialogue action this is."),
        "msg_id": ("bad_msg_id", "Every message needs a client message id (1–64 letters/digits)."),
        "text": ("text_too_long", f"Please keep it to {TEXT_LIMIT:,} characters or fewer."),
        "at": ("bad_time", "That time isn't a valid date and time."),
        "last_seq": ("bad_message", "last_seq must be a whole number."),
    }

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "action": data["action"],
            "client_msg_id": data["msg_id"],
            "text": data["text"],
            "at": data["at"],
            "last_seq": data["last_seq"],
        }


class AppointmentForm(forms.Form):
    """A time to talk, typed in the person's own time zone (the view activates it)."""

    at = forms.DateTimeField(
        label="When",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
    )


class CoachingForm(MessageForm):
    """The watching therapist's prompt, time-out or timer, from the websocket or a form post."""

    kind = forms.CharField(max_length=10)
    text = forms.CharField(
        label="Prompt", required=False, max_length=PROMPT_LIMIT, validators=[storable]
    )
    seconds = forms.IntegerField(required=False, min_value=0, max_value=TIMER_LIMIT)
    # Whole minutes, from the page's timer form; `seconds` wins when both are given.
    minutes = forms.IntegerField(required=False, min_value=0, max_value=TIMER_LIMIT // 60)

    ERROR_CODES = {
        "kind": ("unknown_kind", "Say what kind of coaching this is."),
        "msg_id": TurnForm.ERROR_CODES["msg_id"],
        "text": ("text_too_long", f"Keep a prompt to {PROMPT_LIMIT:,} characters or fewer."),
        "seconds": ("bad_seconds", f"A timer runs for 0 (none) to {TIMER_LIMIT // 60} minutes."),
        "minutes": ("bad_seconds", f"A timer runs for 0 (none) to {TIMER_LIMIT // 60} minutes."),
    }

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        seconds = data["seconds"]
        if seconds is None and data["minutes"] is not None:
            seconds = data["minutes"] * 60
        return {
            "kind": data["kind"],
            "client_msg_id": data["msg_id"],
            "text": data["text"],
            "seconds": seconds,
        }

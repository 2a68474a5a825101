from __future__ import annotations

import zoneinfo

from django import forms
from django.contrib.auth.forms import UserCreationForm

from .models import NotificationChannel, NotificationKind, NotificationSettings, User


class SignUpForm(UserCreationForm):
    role = forms.ChoiceField(
        choices=User.Role.choices,
        widget=forms.RadioSelect,
        initial=User.Role.PARTNER,
        label="I am joining as",
    )

    class Meta:
        model = User
        fields = ("email", "display_name", "role", "professional_title")
        labels = {"display_name": "Your name, as your partner knows you"}
        widgets = {
            "email": forms.EmailInput(attrs={"autocomplete": "email"}),
            "display_name": forms.TextInput(attrs={"autocomplete": "nickname"}),
        }

    def clean_email(self) -> str:
        # Whether the address is taken is never said here: the sign-up service answers a taken
        # address exactly like a new one, and emails its owner instead.
        return self.cleaned_data["email"].strip().lower()

    def validate_unique(self) -> None:
        exclude = self._get_validation_exclusions() | {"email"}
        try:
            self.instance.validate_unique(exclude=exclude)
        except forms.ValidationError as error:
            self._update_errors(error)

    def clean_display_name(self) -> str:
        name = self.cleaned_data["display_name"].strip()
        if not name:
            raise forms.ValidationError("Please tell us what to call you.")
        return name

    def clean(self) -> dict:
        cleaned = super().clean()
        if (
            cleaned.get("role") == User.Role.THERAPIST
            and not cleaned.get("professional_title", "").strip()
        ):
            self.add_error(
                "professional_title", "Therapists give their professional title, so clients know."
            )
        if cleaned.get("role") == User.Role.PARTNER:
            cleaned["professional_title"] = ""
        return cleaned


class JoinByCodeForm(forms.Form):
    code = forms.CharField(
        label="Invitation code",
        max_length=20,
        help_text="The 8-character code your partner shared, like K7QM-3XPA.",
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"}
        ),
    )

    def clean_code(self) -> str:
        code = self.cleaned_data["code"].strip()
        if not code:
            raise forms.ValidationError("Enter the code your partner shared.")
        return code


class TherapistLinkForm(forms.Form):
    email = forms.EmailField(
        label="Your therapist's email address",
        help_text="The address they use for their Imago therapist account.",
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )


# --- Notification settings -----------------------------------------------------------------------

TIME_ZONES = sorted(zoneinfo.available_timezones())


class NotificationSettingsForm(forms.Form):
    """Per kind a channel, plus quiet hours, pause, discretion and the daily items."""

    time_zone = forms.ChoiceField(
        label="Your time zone", help_text="Quiet hours and reminders follow your own clock."
    )
    quiet_start = forms.TimeField(
        label="Quiet hours from", required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )
    quiet_end = forms.TimeField(
        label="Quiet hours until", required=False, widget=forms.TimeInput(attrs={"type": "time"})
    )
    paused = forms.BooleanField(
        label="We need a break: pause all notifications",
        required=False,
        help_text="Your partner sees only that your notifications are paused.",
    )
    discreet = forms.BooleanField(
        label="Discreet mode",
        required=False,
        help_text="Emails say only “You have a new message”: no names, nothing about what "
        "Imago is for. Someone else may be holding your phone.",
    )
    remind_before = forms.BooleanField(
        label="Also remind me 15 minutes before an agreed dialogue", required=False
    )
    daily_cap = forms.IntegerField(
        label="At most this many emails a day", min_value=1, max_value=50
    )
    daily_at = forms.TimeField(
        label="Daily reminders at", widget=forms.TimeInput(attrs={"type": "time"})
    )
    temperature_prompt = forms.BooleanField(
        label="A daily prompt for the temperature reading", required=False
    )
    request_reminder = forms.BooleanField(
        label="A daily reminder while I give a requested gift", required=False
    )
    digest = forms.BooleanField(
        label="A daily email of what I haven't seen in the app", required=False
    )

    def __init__(self, *args: object, prefs: NotificationSettings, user: User, **kwargs: object):
        initial = {
            "time_zone": user.time_zone,
            **{
                name: getattr(prefs, name)
                for name in (
                    "quiet_start", "quiet_end", "paused", "discreet", "remind_before",
                    "daily_cap", "daily_at", "temperature_prompt", "request_reminder", "digest",
                )
            },
        }  # fmt: skip
        for kind in NotificationKind:
            initial[f"channel_{kind.value}"] = prefs.channels.get(kind, NotificationChannel.APP)
        super().__init__(*args, initial=initial, **kwargs)
        self.fields["time_zone"].choices = [(zone, zone) for zone in TIME_ZONES]
        for kind in NotificationKind:
            self.fields[f"channel_{kind.value}"] = forms.ChoiceField(
                label=kind.label, choices=NotificationChannel.choices
            )
        self.user = user

    def clean(self) -> dict[str, object]:
        data = super().clean()
        if bool(data.get("quiet_start")) != bool(data.get("quiet_end")):
            raise forms.ValidationError("Give quiet hours both a start and an end, or neither.")
        return data

    def channel_fields(self) -> list[forms.BoundField]:
        return [self[f"channel_{kind.value}"] for kind in NotificationKind]

    def other_fields(self) -> list[forms.BoundField]:
        return [field for field in self.visible_fields() if not field.name.startswith("channel_")]

    def settings_fields(self) -> dict[str, object]:
        data = dict(self.cleaned_data)
        data["channels"] = {
            kind.value: data.pop(f"channel_{kind.value}") for kind in NotificationKind
        }
        return data


class AccountSettingsForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ("turns_in_partner_export",)
        help_texts = {
            "turns_in_partner_export": "Your dialogue turns are yours. With this ticked, your "
            "partner's “export everything” includes them in full; without it, their export "
            "marks them as left out."
        }


class SecondFactorForm(forms.Form):
    token = forms.CharField(
        label="Code",
        max_length=20,
        help_text="The 6-digit code from your authenticator app, or one of your recovery codes.",
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "text", "spellcheck": "false"}
        ),
    )


class AccountDeleteForm(forms.Form):
    shared = forms.ChoiceField(
        label="What you shared with your partner",
        choices=[
            ("keep", "Leave it for my partner, with my name taken off"),
            ("delete", "Delete it too"),
        ],
        widget=forms.RadioSelect,
        help_text="Your private entries are deleted either way. Your turns in dialogues you "
        "held together keep their place for your partner; with “delete”, their words go.",
    )
    password = forms.CharField(
        label="Your password",
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    confirm = forms.BooleanField(
        label="I understand this cannot be undone.",
        error_messages={"required": "Tick the box to confirm."},
    )

    def __init__(self, *args: object, user: User, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError("That is not your password.")
        return password

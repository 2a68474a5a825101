from __future__ import annotations

from django import forms
from django.contrib.auth.forms import UserCreationForm

from .models import User


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
        email = self.cleaned_data["email"].strip().lower()
        if User.objects.filter(email__iexact=email).exists():
            raise forms.ValidationError(
                "An account with this email already exists. Log in instead."
            )
        return email

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

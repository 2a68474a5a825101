"""How a refused request (`ImagoError`) reaches a person over HTTP: one place for both ways."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest

from .errors import ImagoError


def refuse(
    request: HttpRequest,
    error: ImagoError,
    *,
    form: forms.Form | None = None,
    field: str | None = None,
) -> None:
    """Show `error` on `form` (at `field`, or above the form) when there is one, else as a
    message on the next page."""
    if form is not None:
        form.add_error(field, error.message)
    else:
        messages.error(request, error.message)

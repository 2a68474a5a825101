"""Pages about all of a person's data at once: export everything, delete the account."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from couples.clients import client_network
from couples.forms import AccountDeleteForm

from .personal_data import account_delete, personal_data_export


@login_required
@require_POST
def account_export(request: HttpRequest) -> HttpResponse:
    archive = personal_data_export(user=request.user, ip_coarse=client_network(request))
    response = HttpResponse(archive, content_type="application/zip")
    filename = f"imago-my-data-{timezone.localdate():%Y-%m-%d}.zip"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
@require_http_methods(["GET", "POST"])
def account_delete_view(request: HttpRequest) -> HttpResponse:
    form = AccountDeleteForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        account_delete(user=request.user, keep_shared=form.cleaned_data["shared"] == "keep")
        logout(request)
        messages.success(request, "Your account and your personal data are deleted. Take care.")
        return redirect("couples:home")
    return render(
        request,
        "registration/account_delete.html",
        {"form": form},
        status=400 if form.errors else 200,
    )

from __future__ import annotations

import base64
import json

import qrcode
import qrcode.image.svg
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth import logout as auth_logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import SetPasswordForm
from django.contrib.auth.tokens import default_token_generator
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.mail import send_mail
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import url_has_allowed_host_and_scheme, urlsafe_base64_encode
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect
from django_otp import login as otp_login

from imago_site.http import refuse
from imago_site.throttle import throttle_hit

from . import notifications, push, services
from .access import (
    active_couple_for,
    get_couple_for_user,
    member_couples,
)
from .clients import client_network
from .forms import (
    AccountSettingsForm,
    JoinByCodeForm,
    NotificationSettingsForm,
    SecondFactorForm,
    SignUpForm,
    TherapistLinkForm,
)
from .middleware import MFA_SESSION_KEY
from .models import Couple, Invitation, SecurityEvent, TherapistLink, User
from .notifications import NotificationError
from .services import (
    CoupleError,
    account_activate,
    account_sessions,
    account_sessions_end,
    account_signup,
    mfa_disable,
    mfa_enabled,
    mfa_may_disable,
    mfa_recovery_codes_renew,
    mfa_totp_confirm,
    mfa_totp_pending,
    mfa_verify,
    security_event_record,
)

# --- Accounts: each way a session ends also closes its live sockets -------------------------------


@require_POST
def logout(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        services.user_sockets_close(user=request.user, session_key=request.session.session_key)
    return auth_views.LogoutView.as_view()(request)


# Where the quick exit leaves for: a page anyone could have open.
QUICK_EXIT_URL = "https://www.google.com/search?q=weather+today"


@require_GET
def quick_exit(request: HttpRequest) -> HttpResponse:
    """The quick exit ends the session at once, without asking, then leaves for a neutral page:
    Back, or someone else picking up the device, finds the login page, not private pages.
    A GET on purpose, so that the plain link works without JavaScript or a form; another site
    could log a person out through it, which costs them nothing but a new log-in."""
    if request.user.is_authenticated:
        services.user_sockets_close(user=request.user, session_key=request.session.session_key)
    auth_logout(request)
    return redirect(QUICK_EXIT_URL)


class PasswordChangeView(auth_views.PasswordChangeView):
    def form_valid(self, form: SetPasswordForm) -> HttpResponse:
        # Other sessions are signed out by the new password; their sockets close with them. This
        # session carries on under a new key, so remember the key its sockets were opened with.
        key = self.request.session.session_key
        response = super().form_valid(form)
        services.user_sockets_close(user=form.user, except_session_key=key)
        account_sessions_end(  # sockets: closed above, by the key they were opened with
            user=form.user,
            except_session_key=self.request.session.session_key,
            ip_coarse=client_network(self.request),
            close_sockets=False,
        )
        security_event_record(
            kind=SecurityEvent.Kind.PASSWORD_CHANGED,
            user=form.user,
            ip_coarse=client_network(self.request),
            detail="other sessions ended",
        )
        return response


class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    def form_valid(self, form: SetPasswordForm) -> HttpResponse:
        response = super().form_valid(form)
        services.user_sockets_close(user=form.user)
        # A reset is what someone does whose password may be known to another: end everything.
        account_sessions_end(user=form.user, close_sockets=False)
        security_event_record(
            kind=SecurityEvent.Kind.PASSWORD_CHANGED,
            user=form.user,
            ip_coarse=client_network(self.request),
            detail="by reset link; every session ended",
        )
        return response


def _get_partner_couple(request: HttpRequest, pk: object) -> Couple:
    """The couple if the requester is (or was) one of its partners; 404 otherwise (its
    therapist included: these pages are the partners' own)."""
    return get_couple_for_user(request, pk, partners_only=True).couple


def _latest_open_invitation(user: User) -> Invitation | None:
    return Invitation.objects.open().filter(inviter=user).order_by("-created_at").first()


def _safe_next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    allowed = url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return target if allowed else ""


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    if not request.user.is_authenticated:
        return render(request, "couples/landing.html")
    couple = active_couple_for(request.user)
    context: dict[str, object] = {"couple": couple}
    if couple:
        context["partner"] = couple.partner_of(request.user)
        context["partner_paused"] = notifications.partner_paused(partner=context["partner"])
    elif not request.user.is_therapist:
        # A therapist's client list is composed in the template (exercises' `client_list` tag).
        context["invitation"] = _latest_open_invitation(request.user)
        context["join_form"] = JoinByCodeForm()
        context["past_couples"] = (
            member_couples(request.user).exclude(ended_at=None).prefetch_related("partners")
        )
    return render(request, "couples/home.html", context)


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    """A new address gets a confirmation link; an address that already has an account gets an
    email telling its owner. The page says the same either way."""
    if request.user.is_authenticated:
        return redirect("couples:home")
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        user, created = account_signup(
            email=data["email"],
            password=data["password1"],
            display_name=data["display_name"],
            role=data["role"],
            professional_title=data.get("professional_title", ""),
        )
        _send_signup_email(request, user, created=created, next_url=_safe_next(request))
        if created:
            security_event_record(
                kind=SecurityEvent.Kind.SIGNUP, user=user, ip_coarse=client_network(request)
            )
        return render(request, "registration/signup_done.html", {"email": data["email"]})
    return render(request, "registration/signup.html", {"form": form, "next": _safe_next(request)})


def _send_signup_email(request: HttpRequest, user: User, *, created: bool, next_url: str) -> None:
    confirm = ""
    if not user.is_active:  # new, or signed up before and never confirmed: (re)send the link
        path = reverse(
            "couples:signup_confirm",
            args=[
                urlsafe_base64_encode(force_bytes(user.pk)),
                default_token_generator.make_token(user),
            ],
        )
        confirm = request.build_absolute_uri(path + (f"?next={next_url}" if next_url else ""))
    context = {
        "user": user,
        "confirm_url": confirm,
        "login_url": request.build_absolute_uri(reverse("login")),
        "reset_url": request.build_absolute_uri(reverse("password_reset")),
    }
    template = "signup_confirm" if created or confirm else "signup_exists"
    send_mail(
        render_to_string(f"registration/{template}_subject.txt", context).strip(),
        render_to_string(f"registration/{template}_email.txt", context),
        settings.DEFAULT_FROM_EMAIL,
        [user.email],
    )


@require_http_methods(["GET", "POST"])
def signup_confirm(request: HttpRequest, uidb64: str, token: str) -> HttpResponse:
    """The link from the sign-up email. GET only asks (mail scanners follow links); the button
    posts, which activates the account and logs in."""
    view = auth_views.PasswordResetConfirmView()
    user = view.get_user(uidb64)
    valid = user is not None and not user.is_active
    valid = valid and default_token_generator.check_token(user, token)
    if request.method == "POST" and valid:
        account_activate(user=user)
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        security_event_record(
            kind=SecurityEvent.Kind.LOGIN, user=user, ip_coarse=client_network(request)
        )
        messages.success(request, f"Welcome, {user.display_name}.")
        return redirect(_safe_next(request) or "couples:home")
    return render(
        request,
        "registration/signup_confirm.html",
        {"valid": valid, "next": _safe_next(request)},
        status=200 if valid else 400,
    )


class LoginView(auth_views.LoginView):
    redirect_authenticated_user = True

    def form_valid(self, form: object) -> HttpResponse:
        response = super().form_valid(form)
        security_event_record(
            kind=SecurityEvent.Kind.LOGIN,
            user=form.get_user(),
            ip_coarse=client_network(self.request),
        )
        return response

    def form_invalid(self, form: object) -> HttpResponse:
        security_event_record(
            kind=SecurityEvent.Kind.LOGIN_FAILED,
            email=str(self.request.POST.get("username", ""))[:254],
            ip_coarse=client_network(self.request),
        )
        return super().form_invalid(form)


class PasswordResetView(auth_views.PasswordResetView):
    """Django's reset (same answer whether or not the address has an account), throttled per
    address and per client whether or not the address has an account."""

    def form_valid(self, form: object) -> HttpResponse:
        email = form.cleaned_data["email"].strip().lower()
        network = client_network(self.request)
        window = 60 * 60
        over_address = throttle_hit(
            f"password-reset:address:{email}",
            limit=settings.PASSWORD_RESET_PER_ADDRESS_PER_HOUR,
            window=window,
        )
        over_client = throttle_hit(
            f"password-reset:client:{self.request.META.get('REMOTE_ADDR', '')}",
            limit=settings.PASSWORD_RESET_PER_CLIENT_PER_HOUR,
            window=window,
        )
        if over_address or over_client:
            security_event_record(
                kind=SecurityEvent.Kind.PASSWORD_RESET_THROTTLED, email=email, ip_coarse=network
            )
            form.add_error(
                None,
                "Too many reset requests for this address or from this network. "
                "Please wait an hour, then ask again.",
            )
            return self.render_to_response(self.get_context_data(form=form), status=429)
        security_event_record(
            kind=SecurityEvent.Kind.PASSWORD_RESET_REQUESTED, email=email, ip_coarse=network
        )
        return super().form_valid(form)


@login_required
@require_http_methods(["GET", "POST"])
def account(request: HttpRequest) -> HttpResponse:
    """Account settings: sessions, second factor, export, deletion, what my partner may export."""
    form = AccountSettingsForm(request.POST or None, instance=request.user)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Saved.")
        return redirect("couples:account")
    context = {
        "settings_form": form,
        "sessions": account_sessions(user=request.user),
        "current_session": request.session.session_key,
        "mfa_enabled": mfa_enabled(request.user),
    }
    return render(request, "couples/account.html", context)


@login_required
@require_POST
def account_sessions_end_others(request: HttpRequest) -> HttpResponse:
    ended = account_sessions_end(
        user=request.user,
        except_session_key=request.session.session_key,
        ip_coarse=client_network(request),
    )
    messages.success(
        request,
        f"Logged out everywhere else ({ended} session{'s' if ended != 1 else ''} ended).",
    )
    return redirect("couples:account")


@require_GET
def safety(request: HttpRequest) -> HttpResponse:
    return render(request, "couples/safety.html")


@login_required
@require_POST
def invitation_create(request: HttpRequest) -> HttpResponse:
    try:
        services.invitation_create(inviter=request.user)
    except CoupleError as error:
        refuse(request, error)
    else:
        messages.success(request, "Your invitation is ready. Share the link or the code.")
    return redirect("couples:home")


@login_required
@require_POST
def invitation_revoke(request: HttpRequest, pk: object) -> HttpResponse:
    invitation = get_object_or_404(Invitation, pk=pk, inviter=request.user)
    try:
        services.invitation_revoke(invitation=invitation, by=request.user)
    except CoupleError as error:
        refuse(request, error)
    else:
        messages.success(request, "Invitation revoked. The link and the code no longer work.")
    return redirect("couples:home")


@require_http_methods(["GET", "POST"])
def join_by_link(request: HttpRequest, token: str) -> HttpResponse:
    if not request.user.is_authenticated:
        messages.info(request, "Create an account (or log in) to accept your partner's invitation.")
        return redirect(f"{reverse('couples:signup')}?next={request.path}")
    invitation = Invitation.objects.select_related("inviter").filter(token=token).first()
    if request.method == "POST":
        try:
            services.invitation_accept(user=request.user, token=token)
        except CoupleError as error:
            refuse(request, error)
            return redirect("couples:home")
        messages.success(request, "You're now paired. Welcome to Imago together.")
        return redirect("couples:home")
    return render(request, "couples/join.html", {"invitation": invitation})


@login_required
@require_POST
def join_by_code(request: HttpRequest) -> HttpResponse:
    form = JoinByCodeForm(request.POST)
    if form.is_valid():
        try:
            services.invitation_accept(user=request.user, code=form.cleaned_data["code"])
        except CoupleError as error:
            refuse(request, error, form=form, field="code")
        else:
            messages.success(request, "You're now paired. Welcome to Imago together.")
            if request.htmx:
                # The whole home page changes: htmx loads it as a page, not into the card.
                return HttpResponseClientRedirect(reverse("couples:home"))
            return redirect("couples:home")
    template = "couples/home.html#join-form" if request.htmx else "couples/home.html"
    status = 200 if request.htmx else 400
    context = {
        "join_form": form,
        "couple": active_couple_for(request.user),
        "invitation": _latest_open_invitation(request.user),
    }
    return render(request, template, context, status=status)


def _render_detail(
    request: HttpRequest, couple: Couple, therapist_form: TherapistLinkForm, status: int = 200
) -> HttpResponse:
    context = {
        "couple": couple,
        "partner": couple.partner_of(request.user),
        "therapist_form": therapist_form,
        **_therapist_context(couple, request.user),
    }
    return render(request, "couples/detail.html", context, status=status)


def _therapist_context(couple: Couple, user: User) -> dict[str, object]:
    link = (
        TherapistLink.objects.filter(couple=couple, revoked_at__isnull=True)
        .select_related("therapist")
        .prefetch_related("consents__partner")
        .first()
    )
    consented = {consent.partner_id for consent in link.consents.all()} if link else set()
    return {
        "therapist_link": link,
        "consented_partners": [p for p in couple.partners.all() if p.pk in consented],
        "waiting_for": [p for p in couple.partners.all() if p.pk not in consented],
        "i_consented": user.pk in consented,
        "therapist_views": couple.therapist_views.select_related("therapist")[:50],
    }


@login_required
@require_GET
def couple_detail(request: HttpRequest, pk: object) -> HttpResponse:
    return _render_detail(request, _get_partner_couple(request, pk), TherapistLinkForm())


@login_required
@require_POST
def therapist_link_create(request: HttpRequest, pk: object) -> HttpResponse:
    couple = _get_partner_couple(request, pk)
    form = TherapistLinkForm(request.POST)
    if form.is_valid():
        therapist = User.objects.filter(
            email__iexact=form.cleaned_data["email"], role=User.Role.THERAPIST
        ).first()
        if therapist is None:
            form.add_error(
                "email",
                "No therapist account uses that address. Ask your therapist which email they "
                "signed up with.",
            )
        else:
            try:
                services.therapist_link_create(couple=couple, therapist=therapist, by=request.user)
            except CoupleError as error:
                # The form is not on the page while a link is live or the couple has ended.
                refuse(request, error)
                return redirect("couples:couple_detail", pk=couple.pk)
            else:
                messages.success(
                    request,
                    f"You consented to share with {therapist}. They see nothing until "
                    f"{couple.partner_of(request.user)} consents too.",
                )
                return redirect("couples:couple_detail", pk=couple.pk)
    return _render_detail(request, couple, form, status=400)


def _live_link(request: HttpRequest, pk: object) -> TherapistLink | None:
    """The couple's live therapist link (404 for anyone but its partners); None, with a message
    saying so, when there is none — already revoked, or never made."""
    couple = _get_partner_couple(request, pk)
    link = TherapistLink.objects.filter(couple=couple, revoked_at__isnull=True).first()
    if link is None:
        messages.error(request, "Your couple has no therapist link right now: nothing changed.")
    return link


@login_required
@require_POST
def therapist_consent_give(request: HttpRequest, pk: object) -> HttpResponse:
    link = _live_link(request, pk)
    if link is None:
        return redirect("couples:couple_detail", pk=pk)
    try:
        services.therapist_consent_give(link=link, partner=request.user)
    except CoupleError as error:
        refuse(request, error)
    else:
        messages.success(
            request, f"Thank you. {link.therapist} can now see what you share with them."
        )
    return redirect("couples:couple_detail", pk=pk)


@login_required
@require_POST
def therapist_link_revoke(request: HttpRequest, pk: object) -> HttpResponse:
    link = _live_link(request, pk)
    if link is None:
        return redirect("couples:couple_detail", pk=pk)
    try:
        services.therapist_link_revoke(link=link, by=request.user)
    except CoupleError as error:
        refuse(request, error)
    else:
        messages.success(request, f"{link.therapist} no longer has any access to your couple.")
    return redirect("couples:couple_detail", pk=pk)


@login_required
@require_http_methods(["GET", "POST"])
def couple_leave(request: HttpRequest, pk: object) -> HttpResponse:
    couple = _get_partner_couple(request, pk)
    if request.method == "POST":
        if request.POST.get("confirm") != "yes":
            messages.error(request, "Tick the box to confirm you want to leave.")
            return redirect("couples:couple_leave", pk=couple.pk)
        try:
            services.couple_leave(couple=couple, user=request.user)
        except CoupleError as error:
            refuse(request, error)
        else:
            messages.success(
                request,
                "You have left the couple. Your own entries are yours; shared history stays "
                "readable to both of you.",
            )
        return redirect("couples:home")
    return render(
        request,
        "couples/leave.html",
        {"couple": couple, "partner": couple.partner_of(request.user)},
    )


# --- Notifications -------------------------------------------------------------------------------


@login_required
@require_GET
def notification_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "couples/notifications.html",
        {"notices": notifications.notification_list(user=request.user)},
    )


@login_required
@require_GET
def notification_open(request: HttpRequest, pk: int) -> HttpResponse:
    """Follow a notification to the thing itself; following it is what reading it means."""
    try:
        url = notifications.notification_read(user=request.user, pk=pk)
    except NotificationError as error:
        raise Http404(error.message) from None
    return redirect(url or "couples:notification_list")


@login_required
@require_POST
def notification_read(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        notifications.notification_read(user=request.user, pk=pk)
    except NotificationError as error:
        raise Http404(error.message) from None
    if request.htmx:
        return HttpResponse("")  # the dismissed notice is swapped out
    return redirect(_safe_next(request) or "couples:notification_list")


@login_required
@require_POST
def notification_read_all(request: HttpRequest) -> HttpResponse:
    notifications.notification_read_all(user=request.user)
    messages.success(request, "All caught up.")
    return redirect("couples:notification_list")


@login_required
@require_http_methods(["GET", "POST"])
def notification_settings(request: HttpRequest) -> HttpResponse:
    prefs = notifications.notification_settings_for(request.user)
    form = NotificationSettingsForm(request.POST or None, prefs=prefs, user=request.user)
    if request.method == "POST" and form.is_valid():
        notifications.notification_settings_update(user=request.user, **form.settings_fields())
        messages.success(request, "Your notification settings are saved.")
        return redirect("couples:notification_settings")
    status = 400 if request.method == "POST" else 200
    context = {
        "form": form,
        "vapid_key": push.vapid_public_key(),
        "devices": request.user.push_subscriptions.count(),
    }
    return render(request, "couples/notification_settings.html", context, status=status)


@csrf_exempt  # RFC 8058 one-click: the mail client posts without a session; the token is the key
@require_http_methods(["GET", "POST"])
def notification_unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    """GET asks (so link checkers change nothing); POST unsubscribes, once."""
    if request.method == "GET":
        return render(request, "couples/unsubscribe.html", {"token": token})
    try:
        _user, kind = notifications.notification_unsubscribe(token=token)
    except NotificationError as error:
        return render(request, "couples/unsubscribe.html", {"error": error.message}, status=400)
    return render(request, "couples/unsubscribe.html", {"done": True, "kind": kind})


@login_required
@require_POST
def push_subscription(request: HttpRequest) -> HttpResponse:
    """This browser subscribes to (or, with "unsubscribe", leaves) push notifications. The body
    is the browser's PushSubscription as JSON."""
    try:
        data = json.loads(request.body or b"{}")
        endpoint = data["endpoint"]
        keys = data.get("keys") or {}
        if data.get("unsubscribe"):
            push.push_unsubscribe(user=request.user, endpoint=str(endpoint))
            return JsonResponse({"subscribed": False})
        push.push_subscribe(
            user=request.user,
            endpoint=str(endpoint),
            p256dh=str(keys.get("p256dh", "")),
            auth=str(keys.get("auth", "")),
        )
    except (ValueError, KeyError, TypeError, AttributeError):
        error = push.PushError("bad_subscription", "This browser's push subscription is not valid.")
        return JsonResponse(error.frame(), status=400)
    except push.PushError as error:
        return JsonResponse(error.frame(), status=400)
    return JsonResponse({"subscribed": True}, status=201)


@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    """The push service worker, served from the site root so its scope is the whole site."""
    with staticfiles_storage.open("sw.js") as script:
        response = HttpResponse(script.read(), content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    return response


def _qr_svg_data_uri(text: str) -> str:
    """A QR code drawn here, as an SVG data URI: no third party sees the secret, and the CSP
    allows `data:` images but no inline markup with styles."""
    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=2)
    return "data:image/svg+xml;base64," + base64.b64encode(image.to_string()).decode()


def _show_recovery_codes(request: HttpRequest, codes: list[str]) -> HttpResponse:
    return render(request, "couples/mfa_codes.html", {"codes": codes})


@login_required
@require_http_methods(["GET", "POST"])
def mfa(request: HttpRequest) -> HttpResponse:
    """Set up the second factor (scan, confirm with a code, keep the recovery codes), or — once
    it is on — renew the recovery codes or (partners only) turn it off."""
    user = request.user
    enabled = mfa_enabled(user)
    form = SecondFactorForm(request.POST or None)
    action = request.POST.get("action", "")
    if enabled and not user.is_verified():
        return redirect(f"{reverse('couples:mfa_verify')}?next={reverse('couples:mfa')}")
    if request.method == "POST" and enabled:
        try:
            if action == "renew":
                return _show_recovery_codes(request, mfa_recovery_codes_renew(user=user))
            if action == "disable":
                mfa_disable(user=user)
                request.session[MFA_SESSION_KEY] = False
                messages.success(request, "The second factor is off.")
                return redirect("couples:account")
        except CoupleError as exc:
            messages.error(request, str(exc))
        return redirect("couples:mfa")
    if enabled:
        return render(
            request, "couples/mfa.html", {"enabled": True, "may_disable": mfa_may_disable(user)}
        )
    device = mfa_totp_pending(user=user)
    if request.method == "POST" and form.is_valid():
        try:
            codes = mfa_totp_confirm(user=user, device=device, token=form.cleaned_data["token"])
        except CoupleError as exc:
            form.add_error("token", str(exc))
        else:
            otp_login(request, device)
            request.session[MFA_SESSION_KEY] = True
            # Sessions opened before the second factor existed must not skip it.
            account_sessions_end(
                user=user,
                except_session_key=request.session.session_key,
                ip_coarse=client_network(request),
            )
            return _show_recovery_codes(request, codes)
    secret = base64.b32encode(device.bin_key).decode()
    context = {
        "enabled": False,
        "form": form,
        "qr": _qr_svg_data_uri(device.config_url),
        "secret": " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)),
        "next": _safe_next(request),
    }
    return render(request, "couples/mfa.html", context, status=400 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def mfa_verify_view(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not mfa_enabled(user):
        request.session[MFA_SESSION_KEY] = False
        return redirect(_safe_next(request) or "couples:home")
    if user.is_verified():
        return redirect(_safe_next(request) or "couples:home")
    form = SecondFactorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device = mfa_verify(
                user=user, token=form.cleaned_data["token"], ip_coarse=client_network(request)
            )
        except CoupleError as exc:
            form.add_error("token", str(exc))
        else:
            otp_login(request, device)
            return redirect(_safe_next(request) or "couples:home")
    return render(
        request,
        "couples/mfa_verify.html",
        {"form": form, "next": _safe_next(request)},
        status=400 if form.errors else 200,
    )

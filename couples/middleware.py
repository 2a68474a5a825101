from __future__ import annotations

import time
from collections.abc import Callable
from urllib.parse import quote

from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.cache import add_never_cache_headers

from .clients import client_device, client_network
from .services import account_session_touch, mfa_enabled

# How often a session's "last seen" is written: every five minutes is enough for a session list,
# and keeps the write off nearly every request.
TOUCH_EVERY = 300
SEEN_KEY = "_account_seen"
SEEN_SESSION_KEY = "_account_session"


class AccountSessionMiddleware:
    """Keeps each signed-in session's row for the person's session list ("Your sessions")."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        session = getattr(request, "session", None)
        if user is None or session is None or not user.is_authenticated:
            return response
        key = session.session_key
        now = time.time()
        if key and (
            session.get(SEEN_SESSION_KEY) != key or now - session.get(SEEN_KEY, 0) > TOUCH_EVERY
        ):
            account_session_touch(
                user=user,
                session_key=key,
                device=client_device(request),
                ip_coarse=client_network(request),
            )
            session[SEEN_KEY] = now
            session[SEEN_SESSION_KEY] = key
        return response


class PrivatePagesMiddleware:
    """A page served to a signed-in person is never stored by the browser (`no-store`), so that
    after a log-out or the quick exit, Back asks the server again (and finds the login page)
    instead of showing private content from its cache or the back/forward cache."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and "Cache-Control" not in response:
            add_never_cache_headers(response)
        return response


# Pages a signed-in person may open before their second factor: setting it up or entering it,
# logging out, and the safety page.
BEFORE_SECOND_FACTOR = {
    "couples:mfa",
    "couples:mfa_verify",
    "logout",
    "couples:safety",
    "couples:quick_exit",
}
MFA_SESSION_KEY = "_mfa_enabled"


class SecondFactorMiddleware:
    """A therapist sees nothing until they have set up and entered a second factor; a partner
    who turned one on enters it once per session. Runs after django-otp's OTPMiddleware."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view_func: object, args: object, kwargs: object
    ) -> HttpResponse | None:
        user = request.user
        if not user.is_authenticated or user.is_verified():
            return None
        match = request.resolver_match
        if match is not None and match.view_name in BEFORE_SECOND_FACTOR:
            return None
        # Whether a partner has a second factor is remembered in their session (no query per
        # page); turning it on ends their other sessions, so no stale answer survives.
        enabled = request.session.get(MFA_SESSION_KEY)
        if enabled is None:
            enabled = mfa_enabled(user)
            request.session[MFA_SESSION_KEY] = enabled
        if not (user.is_therapist or enabled):
            return None
        target = reverse("couples:mfa_verify" if enabled else "couples:mfa")
        return redirect(f"{target}?next={quote(request.get_full_path())}")

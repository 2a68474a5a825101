from __future__ import annotations

import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from .clients import client_device, client_network
from .services import account_session_touch

# How often a session's "last seen" is written: once a minute is enough for a session list.
TOUCH_EVERY = 60
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

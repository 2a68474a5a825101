from __future__ import annotations

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "imago_site.settings")
# Initialise Django (and its app registry) before importing anything that touches models.
django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from channels.sessions import CookieMiddleware, SessionMiddleware  # noqa: E402

from couples.routing import websocket_urlpatterns as couples_websockets  # noqa: E402
from dialogue.routing import websocket_urlpatterns as dialogue_websockets  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        # Each socket route resolves its user: the notifications socket through Channels'
        # AuthMiddleware, the dialogue socket in its first database call (dialogue/consumers.py),
        # with the same session check, so a handshake makes one trip to a database thread.
        "websocket": AllowedHostsOriginValidator(
            CookieMiddleware(SessionMiddleware(URLRouter(couples_websockets + dialogue_websockets)))
        ),
    }
)

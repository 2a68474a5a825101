from __future__ import annotations

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from .notifications import notification_summary


def notifications(request: HttpRequest) -> dict[str, object]:
    """Unread count and latest notices for the header, computed only when a page shows them."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"notify": SimpleLazyObject(lambda: notification_summary(user=user))}

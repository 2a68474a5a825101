"""Web Push, per device and opt-in: a `PushSubscription` per browser that allowed it, VAPID keys
from the environment or made at first use, and delivery through pywebpush. A subscription the
push service says is gone (HTTP 404 or 410) is removed."""

from __future__ import annotations

import base64
import functools
import json
import logging
import re
from pathlib import Path
from urllib.parse import urlsplit

import requests
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.conf import settings
from django.db import transaction
from py_vapid import Vapid
from pywebpush import WebPushException, webpush

from imago_site.errors import ImagoError

from .models import Delivery, Notification, NotificationSettings, PushSubscription, User

logger = logging.getLogger(__name__)

KEY = re.compile(r"^[A-Za-z0-9_-]{16,128}={0,2}$")
ENDPOINT_LIMIT = 500
GONE = {404, 410}
LOOPBACK = {"127.0.0.1", "localhost", "::1"}


class PushError(ImagoError):
    """A refused subscription; nothing was changed."""


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@functools.cache
def _vapid(private_key: str, key_path: str) -> Vapid:
    if private_key:
        return Vapid.from_string(private_key)
    path = Path(key_path)
    if path.exists():
        return Vapid.from_file(str(path))
    # First run without a key in the environment: make one and keep it.
    vapid = Vapid()
    vapid.generate_keys()
    vapid.save_key(str(path))
    path.chmod(0o600)
    return vapid


def vapid() -> Vapid:
    return _vapid(settings.VAPID_PRIVATE_KEY, str(settings.VAPID_KEY_PATH))


def vapid_public_key() -> str:
    """The application server key a browser subscribes with (uncompressed point, base64url)."""
    return _b64url(vapid().public_key.public_bytes(Encoding.X962, PublicFormat.UncompressedPoint))


def _check_endpoint(endpoint: str) -> None:
    parts = urlsplit(endpoint)
    # Push services speak HTTPS; plain HTTP only to this machine, and only where allowed (tests).
    secure = parts.scheme == "https" and bool(parts.hostname)
    local = (
        parts.scheme == "http" and parts.hostname in LOOPBACK and settings.PUSH_ALLOW_LOOPBACK_HTTP
    )
    if len(endpoint) > ENDPOINT_LIMIT or not (secure or local):
        raise PushError("bad_subscription", "This browser's push subscription is not valid.")


def push_subscribe(*, user: User, endpoint: str, p256dh: str, auth: str) -> PushSubscription:
    """This device (browser) may now receive `user`'s push notifications."""
    _check_endpoint(endpoint)
    if not KEY.match(p256dh or "") or not KEY.match(auth or ""):
        raise PushError("bad_subscription", "This browser's push subscription is not valid.")
    with transaction.atomic():
        # An endpoint is one browser: whoever subscribes it last is the one it notifies.
        subscription, _created = PushSubscription.objects.update_or_create(
            endpoint=endpoint, defaults={"user": user, "p256dh": p256dh, "auth": auth}
        )
        return subscription


def push_unsubscribe(*, user: User, endpoint: str) -> None:
    with transaction.atomic():
        PushSubscription.objects.filter(user=user, endpoint=endpoint).delete()


def push_send(*, notification: Notification, prefs: NotificationSettings, text: str) -> str:
    """Push `text` (already discreet if asked) to each of the recipient's devices; returns a
    `Delivery.Outcome`. Gone subscriptions are removed."""
    subscriptions = list(PushSubscription.objects.filter(user=notification.recipient))
    payload = json.dumps(
        {
            "title": "Message" if prefs.discreet else "Imago",
            "body": text,
            "url": notification.url or "/",
            "tag": f"n{notification.pk}",
        }
    )
    sent = 0
    for subscription in subscriptions:
        try:
            webpush(
                subscription_info={
                    "endpoint": subscription.endpoint,
                    "keys": {"p256dh": subscription.p256dh, "auth": subscription.auth},
                },
                data=payload,
                vapid_private_key=vapid(),
                vapid_claims={"sub": settings.VAPID_SUBJECT},
                timeout=10,
                ttl=60 * 60,
            )
        except WebPushException as error:
            status = error.response.status_code if error.response is not None else None
            if status in GONE:
                subscription.delete()
            else:
                logger.warning("Push to subscription %s failed: %s", subscription.pk, status)
            continue
        except requests.RequestException as error:
            logger.warning("Push to subscription %s failed: %s", subscription.pk, error)
            continue
        sent += 1
    return Delivery.Outcome.SENT if sent else Delivery.Outcome.FAILED

"""Web Push against a fake push service: a tiny HTTP server on 127.0.0.1 in the test. A
notification set to "push" reaches each subscribed device, encrypted and VAPID-signed; a
subscription the service says is gone (HTTP 410) is removed."""

from __future__ import annotations

import base64
import json
import os
import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.test import Client
from django.utils import timezone

from couples.models import Couple, Delivery, NotificationKind, PushSubscription, User
from couples.notifications import notification_dispatch_due, notification_settings_update
from dialogue.services import dialogue_start

ClientFor = Callable[[User], Client]


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _browser_keys() -> dict[str, str]:
    """What a browser's PushSubscription carries: its P-256 public key and an auth secret."""
    key = ec.generate_private_key(ec.SECP256R1())
    point = key.public_key().public_bytes(Encoding.X962, PublicFormat.UncompressedPoint)
    return {"p256dh": _b64url(point), "auth": _b64url(os.urandom(16))}


class FakePushService:
    """Answers 201 on /ok/… and 410 on /gone/…, and records what it was sent."""

    def __init__(self) -> None:
        self.received: list[dict[str, object]] = []
        service = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                service.received.append(
                    {
                        "path": self.path,
                        "headers": {k.lower(): v for k, v in self.headers.items()},
                        "body": body,
                    }
                )
                self.send_response(410 if self.path.startswith("/gone/") else 201)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> FakePushService:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def push_service(settings: object, tmp_path: object) -> Iterator[FakePushService]:
    settings.PUSH_ALLOW_LOOPBACK_HTTP = True
    settings.VAPID_KEY_PATH = tmp_path / "vapid.pem"
    with FakePushService() as service:
        yield service


def _subscribe(client: Client, endpoint: str) -> object:
    return client.post(
        "/notifications/push/",
        json.dumps({"endpoint": endpoint, "keys": _browser_keys()}),
        content_type="application/json",
    )


def test_a_device_subscribes_and_receives_an_encrypted_signed_push(
    couple: Couple, alice: User, bob: User, client_for: ClientFor, push_service: FakePushService
) -> None:
    response = _subscribe(client_for(bob), f"{push_service.url}/ok/bob-phone")
    assert response.status_code == 201
    notification_settings_update(
        user=bob, channels={NotificationKind.PARTNER_WAITING: "push"}, discreet=True
    )

    dialogue_start(couple=couple, user=alice, topic="the dishes")
    sent = notification_dispatch_due(now=timezone.now() + timedelta(minutes=5))

    assert sent == 1
    [push] = push_service.received
    assert push["path"] == "/ok/bob-phone"
    assert push["headers"]["content-encoding"] == "aes128gcm"
    assert push["headers"]["authorization"].startswith("vapid t=")
    # Encrypted for the browser: neither the words nor the names travel in the clear.
    assert b"the dishes" not in push["body"]
    assert b"Alice" not in push["body"]
    assert Delivery.objects.get().outcome == Delivery.Outcome.SENT


def test_a_gone_subscription_is_removed_and_the_others_still_get_it(
    couple: Couple, alice: User, bob: User, client_for: ClientFor, push_service: FakePushService
) -> None:
    bob_client = client_for(bob)
    _subscribe(bob_client, f"{push_service.url}/gone/old-laptop")
    _subscribe(bob_client, f"{push_service.url}/ok/phone")
    notification_settings_update(user=bob, channels={NotificationKind.PARTNER_WAITING: "push"})

    dialogue_start(couple=couple, user=alice, topic="the dishes")
    notification_dispatch_due(now=timezone.now() + timedelta(minutes=5))

    assert sorted(p["path"] for p in push_service.received) == ["/gone/old-laptop", "/ok/phone"]
    assert list(PushSubscription.objects.values_list("endpoint", flat=True)) == [
        f"{push_service.url}/ok/phone"
    ]


def test_a_device_can_turn_push_off_again(
    bob: User, client_for: ClientFor, push_service: FakePushService
) -> None:
    bob_client = client_for(bob)
    endpoint = f"{push_service.url}/ok/phone"
    _subscribe(bob_client, endpoint)

    response = bob_client.post(
        "/notifications/push/",
        json.dumps({"endpoint": endpoint, "unsubscribe": True}),
        content_type="application/json",
    )

    assert response.status_code == 200
    assert not PushSubscription.objects.exists()


def test_a_subscription_that_is_not_https_or_malformed_is_refused(
    bob: User, client_for: ClientFor, settings: object, tmp_path: object
) -> None:
    settings.VAPID_KEY_PATH = tmp_path / "vapid.pem"
    bob_client = client_for(bob)

    for body in (
        json.dumps({"endpoint": "http://push.example.org/x", "keys": _browser_keys()}),
        json.dumps({"endpoint": "http://127.0.0.1:9/x", "keys": _browser_keys()}),
        json.dumps({"endpoint": "https://push.example.org/x", "keys": {"p256dh": "<>"}}),
        json.dumps(["not", "an", "object"]),
        "not json",
    ):
        response = bob_client.post("/notifications/push/", body, content_type="application/json")
        assert response.status_code == 400
        assert response.json()["code"] == "bad_subscription"
    assert not PushSubscription.objects.exists()


def test_the_service_worker_is_served_from_the_root_and_the_settings_page_offers_push(
    bob: User, client_for: ClientFor, settings: object, tmp_path: object
) -> None:
    settings.VAPID_KEY_PATH = tmp_path / "vapid.pem"

    worker = client_for(bob).get("/sw.js")
    page = client_for(bob).get("/notifications/settings/").content.decode()

    assert worker.status_code == 200
    assert worker["Content-Type"].startswith("text/javascript")
    assert b"showNotification" in worker.content
    assert "Push on this device" in page
    # The VAPID key was made at first use and is offered to the browser.
    assert (tmp_path / "vapid.pem").exists()
    assert 'data-key="B' in page

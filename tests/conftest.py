"""Personas (alice+bob a couple, carol their therapist, mallory an outsider with her own couple),
logged-in clients, a live daphne serving the test database, and Debian's Chromium."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.db import connection, connections
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from couples.models import Couple, User
from couples.services import (
    invitation_accept,
    invitation_create,
    therapist_consent_give,
    therapist_link_create,
)
from tests.urlwalk import every_path  # noqa: E402, F401  (a fixture: every URL as a path)

PASSWORD = "correct horse battery staple"
CHROMIUM = os.environ.get("IMAGO_CHROMIUM", "/usr/bin/chromium")
ROOT = Path(__file__).resolve().parent.parent


def make_user(email: str, name: str, role: str = User.Role.PARTNER, title: str = "") -> User:
    return User.objects.create_user(
        email, PASSWORD, display_name=name, role=role, professional_title=title
    )


def pair(a: User, b: User) -> Couple:
    invitation = invitation_create(inviter=a)
    return invitation_accept(user=b, token=invitation.token)


@pytest.fixture(scope="session", autouse=True)
def _dialogue_db_threads_closed(django_db_setup: None) -> Iterator[None]:
    """The live dialogue's database threads keep their connections; close them before the test
    database is dropped."""
    yield
    from dialogue.live import db_close_all

    db_close_all()


@pytest.fixture(autouse=True)
def _fast_password_hashing(request: pytest.FixtureRequest, settings: object) -> None:
    # Real hashing costs ~0.3 s per user; the hash algorithm is not what these tests test.
    # Browser tests keep the real hashers: the live daphne must verify what we store.
    if request.node.get_closest_marker("browser") is None:
        settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _tasks_in_memory() -> Iterator[None]:
    """Tasks run in the test's own process with in-memory storage: a test drives the scheduler
    by calling its entry points with an explicit `now`, never by waiting for a worker."""
    from huey.contrib.djhuey import HUEY

    before = HUEY.immediate
    HUEY.immediate = True
    yield
    HUEY.immediate = before


@pytest.fixture
def alice(db: None) -> User:
    return make_user("alice@example.com", "Alice")


@pytest.fixture
def bob(db: None) -> User:
    return make_user("bob@example.com", "Bob")


@pytest.fixture
def couple(alice: User, bob: User) -> Couple:
    return pair(alice, bob)


@pytest.fixture
def carol(db: None) -> User:
    return make_user("carol@example.com", "Carol", User.Role.THERAPIST, "Imago therapist")


@pytest.fixture
def mallory(db: None) -> User:
    return make_user("mallory@example.com", "Mallory")


@pytest.fixture
def mallory_couple(mallory: User) -> Couple:
    return pair(mallory, make_user("mike@example.com", "Mike"))


def login_client(user: User) -> Client:
    """A client logged in as `user`. A therapist's session has entered its second factor, as
    every therapist's must before seeing client data (tests/couples/test_second_factor.py)."""
    client = Client()
    client.force_login(user)
    if user.is_therapist:
        device, _ = TOTPDevice.objects.get_or_create(
            user=user, name="Test authenticator", defaults={"confirmed": True}
        )
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
    return client


@pytest.fixture
def client_for(db: None) -> Callable[[User], Client]:
    return login_client


# --- A live daphne and a browser ---------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _test_database_env() -> dict[str, str]:
    """Point a child process at the test database this session created."""
    db = connection.settings_dict
    env = dict(os.environ)
    # Scheduled work runs in the server's own process: no task-queue file shared between runs.
    env["IMAGO_TASKS_IMMEDIATE"] = "1"
    if db["ENGINE"].endswith("sqlite3"):
        env.pop("DATABASE_URL", None)
        env["IMAGO_SQLITE_PATH"] = str(db["NAME"])
    else:
        user = db.get("USER") or "postgres"
        password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
        env["DATABASE_URL"] = (
            f"postgres://{user}{password}@{db.get('HOST') or '127.0.0.1'}:"
            f"{db.get('PORT') or 5432}/{db['NAME']}"
        )
    return env


@pytest.fixture(scope="session")
def live_daphne(django_db_setup: None, django_db_blocker: object) -> Iterator[str]:
    port = _free_port()
    (ROOT / ".pytest_cache").mkdir(exist_ok=True)
    log = open(ROOT / ".pytest_cache" / "daphne.log", "w")  # noqa: SIM115
    proc = subprocess.Popen(
        [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port),
         "imago_site.asgi:application"],
        cwd=ROOT, env=_test_database_env(), stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError(f"daphne did not start; see {log.name}") from None
            time.sleep(0.1)
    yield f"http://127.0.0.1:{port}"
    proc.terminate()
    proc.wait(timeout=10)
    log.close()


@pytest.fixture
def browser(
    live_daphne: str, transactional_db: None, monkeypatch: pytest.MonkeyPatch
) -> Iterator[object]:
    """Chromium for one test. Playwright's sync API runs an event loop in this thread, so the
    test's own ORM calls need DJANGO_ALLOW_ASYNC_UNSAFE — for browser tests only."""
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
            ],
        )  # fmt: skip
        yield chromium
        chromium.close()
        # ORM calls made while Playwright's loop ran used connections of their own; close them,
        # or PostgreSQL refuses to drop the test database at the end ("accessed by other users").
        connections.close_all()


@pytest.fixture
def carol_consented(couple: Couple, alice: User, bob: User, carol: User) -> User:
    """Carol, with both partners' consent in force: she may see what is shared with her."""
    link = therapist_link_create(couple=couple, therapist=carol, by=alice)
    therapist_consent_give(link=link, partner=bob)
    return carol


@pytest.fixture
def logged_in_page(browser: object, live_daphne: str) -> Callable[[User], object]:
    """A new browser context (its own cookies, like a second device) logged in as `user`,
    returning a Page already on the home page."""

    def _page(user: User) -> object:
        client = login_client(user)
        context = browser.new_context(base_url=live_daphne, viewport={"width": 390, "height": 844})
        context.add_cookies(
            [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_daphne}]
        )
        page = context.new_page()
        page.goto("/")
        return page

    return _page

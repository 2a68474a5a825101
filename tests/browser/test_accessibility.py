"""axe-core (bundled by axe-playwright-python, no network) over every page of the site, as each
persona reaches it: anonymous visitors, the partners Alice and Bob, their therapist Carol (second
factor entered), Mallory with a couple of her own, and Ivy who waits for her partner to join.

The pages come from the URL resolver, not from a list: each route is filled with real objects of
this world (an entry of every exercise kind, a dialogue of every variant, …) and fetched by every
persona. An HTML answer — a page, a 404, a refusal — is checked; a route that answers no persona
with a page of its own must be a POST action (405), a download, or be named in NOT_PAGES with the
reason, so a page added tomorrow is checked tomorrow without a line changed here."""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.contrib.auth.tokens import default_token_generator
from django.template.loader import render_to_string
from django.test import Client
from django.urls import URLResolver, get_resolver, reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from playwright.sync_api import Browser, Page, expect

from couples.models import Couple, Notification, User
from couples.notifications import unsubscribe_token
from couples.services import account_signup, invitation_create
from dialogue import flow
from dialogue.appointments import appointment_set
from dialogue.models import Dialogue
from dialogue.services import STAGE_MINUTES, dialogue_invite_therapist, dialogue_start
from exercises.models import CaringItem, Entry, Visibility, VisionItem
from exercises.registry import KINDS
from exercises.services import homework_assign, note_create, request_choose_gift
from tests.conftest import login_client, make_user
from tests.exercises.conftest import create_entry

pytestmark = pytest.mark.browser

PERSONAS = ("anonymous", "alice", "bob", "carol", "mallory", "ivy", "carol_pending", "tina")

# Routes that answer a GET with no page of their own, by URL name, and why. POST-only actions
# (405) and downloads (not HTML) need no entry: the walk recognises them.
NOT_PAGES = {
    "couples:notification_open": "marks a notification read and redirects to what it is about",
    "couples:quick_exit": "logs out and leaves for a neutral page elsewhere; it would end the "
    "walk's session",
    "dialogue:turns": "the room's htmx fragment of earlier turns; as a page it redirects to the "
    "transcript's page of them",
}
# Django's admin is for staff, styled and tested by Django; nobody in the walk is staff, and it
# shows its own login page, which the project does not render.
SKIPPED_PREFIXES = ("/admin/",)


@dataclass
class World:
    people: dict[str, User]
    couple: Couple
    values: dict[str, list[str]] = field(default_factory=dict)


def _build_world(alice: User, bob: User, carol: User, couple: Couple, mallory: User) -> World:
    ivy = make_user("ivy@example.com", "Ivy")
    invitation = invitation_create(inviter=ivy)

    # An entry of every kind: a kind without sample data in tests/exercises/conftest.py fails
    # here, so that its entry page cannot go unchecked.
    entries = [create_entry(alice, kind, Visibility.THERAPIST) for kind in KINDS]
    entries.append(create_entry(bob, "vision", Visibility.THERAPIST))
    request = Entry.objects.filter(kind="request").first()
    request_choose_gift(entry=request, by=bob, item_id=request.request.items.first().pk)
    vision_item = VisionItem.objects.filter(vision__entry__author=alice).first()

    low, _high = STAGE_MINUTES
    dialogues = [
        dialogue_start(
            couple=couple, user=alice, topic=f"Evenings ({key})", kind=key,
            stage_minutes=low, prepared="your laugh\nyour patience",
        )
        for key in flow.VARIANTS
    ]  # fmt: skip
    dialogue_invite_therapist(dialogue_id=dialogues[0].pk, user=alice, invite=True)
    appointment = appointment_set(
        couple=couple, by=alice, at=timezone.now() + timedelta(days=2), dialogue=dialogues[0]
    )
    homework = homework_assign(
        couple=couple, by=carol, kind="appreciation", instructions="One a day.", assignee=bob
    )
    note = note_create(couple=couple, by=carol, text="They listen well.")
    pending, _created = account_signup(
        email="nina@example.com", password="correct horse battery staple",
        display_name="Nina", role=User.Role.PARTNER,
    )  # fmt: skip

    def uid(user: User) -> str:
        return urlsafe_base64_encode(force_bytes(user.pk))

    # Tina is a therapist who has not set up her second factor yet.
    tina = make_user("tina@example.com", "Tina", User.Role.THERAPIST, "Imago therapist")
    people = {"alice": alice, "bob": bob, "carol": carol, "mallory": mallory, "ivy": ivy,
              "carol_pending": carol, "tina": tina}  # fmt: skip
    values = {
        "couple": [str(couple.pk)],
        "dialogue": [str(d.pk) for d in dialogues],
        "entry": [str(e.pk) for e in entries],
        "kind": list(KINDS),
        "caring_item": [str(CaringItem.objects.first().pk)],
        "vision_item": [str(vision_item.pk)],
        "appointment": [str(appointment.pk)],
        "homework": [str(homework.pk)],
        "note": [str(note.pk)],
        "invitation": [str(invitation.pk)],
        "invitation_token": [invitation.token],
        "notification": [str(n.pk) for n in Notification.objects.filter(recipient=bob)[:1]],
        "unsubscribe_token": [unsubscribe_token(user=alice, kind="dialogue")],
        "password_reset_confirm": [uid(alice), default_token_generator.make_token(alice)],
        "couples:signup_confirm": [uid(pending), default_token_generator.make_token(pending)],
    }
    return World(people=people, couple=couple, values=values)


def _patterns(
    resolver: URLResolver, prefix: str = "", namespace: str = ""
) -> list[tuple[str, str]]:
    """Every route of the project: (namespaced URL name, route)."""
    found = []
    for item in resolver.url_patterns:
        route = prefix + str(item.pattern)
        if isinstance(item, URLResolver):
            inner = f"{namespace}{item.namespace}:" if item.namespace else namespace
            found += _patterns(item, route, inner)
        else:
            found.append((f"{namespace}{item.name or route}", route))
    return found


def _choices(name: str, param: str, world: World) -> list[str]:
    """The real objects a route's parameter may name in this world."""
    v = world.values
    app = name.split(":")[0]
    by_param = {
        ("couples", "pk"): (
            v["invitation"]
            if "invitation" in name
            else v["notification"]
            if "notification" in name
            else v["couple"]
        ),
        ("dialogue", "pk"): v["appointment"] if "appointment" in name else v["dialogue"],
        ("exercises", "pk"): v["homework"] if "homework" in name else v["entry"],
        ("desk", "pk"): v["couple"],
        ("desk", "dialogue_pk"): v["dialogue"],
        ("desk", "note_pk"): v["note"],
        ("exercises", "item_pk"): v["vision_item"] if "vision" in name else v["caring_item"],
        ("exercises", "couple"): v["couple"],
        ("exercises", "kind"): v["kind"],
        ("couples", "token"): (
            v["unsubscribe_token"] if "unsubscribe" in name else v["invitation_token"]
        ),
    }
    if (app, param) in by_param:
        return by_param[(app, param)]
    return []


def _fill(route: str, values: dict[str, str]) -> str:
    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda match: values[match.group(1)], route)


def _paths(world: World) -> dict[str, list[str]]:
    """Each route's name → the concrete paths that exercise it in this world."""
    paths: dict[str, list[str]] = {}
    for name, route in _patterns(get_resolver()):
        if route.startswith(tuple(p.strip("/") + "/" for p in SKIPPED_PREFIXES)):
            continue
        if name == "couples:quick_exit":
            continue
        if name in ("password_reset_confirm", "couples:signup_confirm"):
            # A valid link: the page that sets a password or confirms an account.
            paths[name] = [reverse(name, args=world.values[name])]
            continue
        params = re.findall(r"<(?:\w+:)?(\w+)>", route)
        if "(?P<" in route:  # a regex route outside the admin: no object of ours to fill
            paths[name] = []
            continue
        choices = [_choices(name, param, world) or ["unknown"] for param in params]
        paths[name] = [_fill(route, dict(zip(params, combo, strict=True)))
                       for combo in itertools.product(*choices)]  # fmt: skip
    return paths


PHONE = {"width": 390, "height": 844}  # as most couples will hold it: the layout is mobile first
DESKTOP = {"width": 1280, "height": 800}


def _context(
    browser: Browser,
    base_url: str,
    user: User | None,
    persona: str,
    viewport: dict[str, int] = PHONE,
) -> Page:
    context = browser.new_context(base_url=base_url, viewport=viewport)
    if user is not None:
        # A therapist between password and second factor: logged in, not yet verified.
        client = Client() if persona.endswith("_pending") else login_client(user)
        client.force_login(user)
        context.add_cookies(
            [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": base_url}]
        )
    return context.new_page()


def _audit(axe: Axe, page: Page) -> list[str]:
    """axe's violations on the page as readable lines: rule, impact, and the first elements."""
    results = axe.run(page, options={"resultTypes": ["violations"]})
    found = []
    for violation in results.response["violations"]:
        targets = ", ".join(str(node["target"]) for node in violation["nodes"][:3])
        found.append(f"{violation['id']} ({len(violation['nodes'])}×): {targets}")
    return found


@pytest.fixture
def world(
    transactional_db: None,
    couple: Couple,
    alice: User,
    bob: User,
    carol_consented: User,
    mallory_couple: Couple,
    mallory: User,
) -> World:
    """Built before the browser starts: Playwright's event loop must not run under these writes."""
    return _build_world(alice, bob, carol_consented, couple, mallory)


@dataclass
class Walk:
    """What one walk over the routes found: violations by page, the routes that answered with a
    page of their own (covered), and those that answered with a 405 or a download (actions)."""

    failures: dict[str, list[str]] = field(default_factory=dict)
    covered: set[str] = field(default_factory=set)
    actions: set[str] = field(default_factory=set)


def _walk(axe: Axe, page: Page, persona: str, routes: dict[str, list[str]], walk: Walk) -> None:
    """Every route as `persona`. A page is checked once per persona: a redirect to a page
    already checked, a second 404, … cost one cheap request and no browser work."""
    audited: set[str] = set()

    def check(where: str) -> None:
        audited.add(where)
        for line in _audit(axe, page):
            walk.failures.setdefault(f"{persona} {where}", []).append(line)

    for name, paths in routes.items():
        for path in paths:
            probe = page.request.get(path, max_redirects=0)
            content = probe.headers.get("content-type", "")
            if probe.status == 405 or (probe.ok and not content.startswith("text/html")):
                walk.actions.add(name)
                continue
            if 300 <= probe.status < 400:
                where = probe.headers.get("location", "").split("?")[0]
                if where in audited or not where.startswith("/"):
                    continue
            elif not content.startswith("text/html"):
                continue
            else:
                if probe.status == 200:
                    walk.covered.add(name)
                # One refusal page (404, 403, 400) of each kind is enough per persona.
                where = path if probe.status == 200 else str(probe.status)
                if where in audited:
                    continue
            page.goto(path)
            check(where)
    if "404" not in audited:
        page.goto("/no-such-page/")
        check("404")


def test_every_page_passes_the_accessibility_check_for_every_persona(
    world: World, browser: Browser, live_daphne: str
) -> None:
    axe = Axe()
    routes = _paths(world)
    walk = Walk()
    for persona in PERSONAS:
        page = _context(browser, live_daphne, world.people.get(persona), persona)
        _walk(axe, page, persona, routes, walk)
        page.context.close()

    uncovered = set(routes) - walk.covered - walk.actions - set(NOT_PAGES)
    assert sorted(uncovered) == [], (
        "routes no persona reached a page of: fill them in _choices or name them in NOT_PAGES"
    )
    report = "\n".join(
        f"{where}: {line}" for where, lines in walk.failures.items() for line in lines
    )
    assert walk.failures == {}, f"{len(walk.failures)} pages with violations:\n{report}"


def test_the_server_error_page_passes_the_check_and_keeps_the_quick_exit(
    browser: Browser, live_daphne: str
) -> None:
    # No route fails on purpose: the page Django serves on a crash is served in its place.
    body = render_to_string("500.html")
    page = _context(browser, live_daphne, None, "anonymous")
    page.route(
        "**/crash/", lambda route: route.fulfill(status=500, body=body, content_type="text/html")
    )
    page.goto("/crash/")
    expect(page.get_by_role("heading", name="Something went wrong on our side")).to_be_visible()
    expect(
        page.get_by_role("complementary", name="Quick exit").get_by_role("link")
    ).to_have_attribute("href", re.compile(r"^https://www\.google\.com/"))
    assert _audit(Axe(), page) == []


def _neutral_page_stub(page: Page) -> list[str]:
    """The quick exit's own request reaches the server (which logs out); the neutral page it
    redirects to is a stub (no network here; Playwright routes no redirect's target). Returns
    the places the server sent the browser to."""
    sent_to: list[str] = []

    def leave(route: object) -> None:
        answer = route.fetch(max_redirects=0)
        sent_to.append(answer.headers.get("location", ""))
        route.fulfill(body="Weather today", content_type="text/html")

    page.route("**/leave/", leave)
    return sent_to


def test_after_the_quick_exit_back_shows_no_private_page(
    browser: Browser, live_daphne: str, alice: User, couple: Couple
) -> None:
    page = _context(browser, live_daphne, alice, "alice")
    sent_to = _neutral_page_stub(page)
    page.goto("/")
    expect(page.get_by_text("You and Bob")).to_be_visible()
    page.goto("/exercises/")
    page.get_by_role("link", name="Quick exit").click()
    page.wait_for_url("**/leave/")
    assert sent_to == ["https://www.google.com/search?q=weather+today"]
    page.go_back()
    assert page.url.startswith(live_daphne)
    expect(page.get_by_role("link", name="Log in").first).to_be_visible()
    assert "You and Bob" not in page.content()
    page.goto("/exercises/")
    assert "/accounts/login/" in page.url


def test_the_quick_exit_is_the_first_tab_stop_and_leaves_at_once(
    browser: Browser, live_daphne: str, alice: User
) -> None:
    page = _context(browser, live_daphne, alice, "alice")
    sent_to = _neutral_page_stub(page)
    page.goto("/exercises/")
    page.keyboard.press("Tab")
    focused = page.evaluate("[document.activeElement.id, document.activeElement.closest('aside')"
                            "?.getAttribute('aria-label')]")  # fmt: skip
    assert focused == ["quick-exit", "Quick exit"]
    page.keyboard.press("Enter")
    page.wait_for_url("**/leave/")
    assert "Weather today" in page.content()
    assert sent_to == ["https://www.google.com/search?q=weather+today"]

    page.goto("/safety/")
    page.goto("/exercises/")
    page.keyboard.press("Escape")
    page.keyboard.press("Escape")
    page.wait_for_url("**/leave/")
    # The exit replaced the page in the history: going back skips it.
    page.go_back()
    assert page.url == f"{live_daphne}/safety/"


def test_pages_pass_the_check_in_their_htmx_and_live_states(
    world: World, browser: Browser, live_daphne: str
) -> None:
    """At desktop width, where the walk above ran at phone width."""
    axe = Axe()
    found: dict[str, list[str]] = {}

    def check(page: Page, where: str) -> None:
        lines = _audit(axe, page)
        if lines:
            found[where] = lines

    alice = _context(browser, live_daphne, world.people["alice"], "alice", DESKTOP)
    appreciation = Entry.objects.get(author=world.people["alice"], kind="appreciation")
    alice.goto(f"/exercises/entry/{appreciation.pk}/")
    alice.get_by_role("link", name=re.compile("^Edit")).click()
    expect(alice.get_by_role("button", name=re.compile("Save"))).to_be_visible()
    check(alice, "an entry's edit form, swapped in")
    alice.goto("/exercises/appreciation/")
    alice.get_by_role("link", name=re.compile("^Delete")).first.click()
    expect(alice.get_by_role("button", name="Yes, delete it")).to_be_visible()
    check(alice, "the delete confirmation, swapped into the list")
    alice.get_by_role("link", name="Keep it").click()
    alice.get_by_label("Who can see this").first.select_option(index=0)
    alice.get_by_role("button", name="Update sharing").first.click()
    expect(alice.get_by_role("status").filter(has_text="Now: ")).to_be_visible()
    check(alice, "an entry after its sharing changed in place")

    dialogue = Dialogue.objects.filter(couple=world.couple, kind=flow.DEFAULT_VARIANT).first()
    alice.goto(f"/dialogues/{dialogue.pk}/")
    expect(alice.locator("#connection")).to_have_text("Live")
    check(alice, "the dialogue room, live")
    bob = _context(browser, live_daphne, world.people["bob"], "bob", DESKTOP)
    bob.goto(f"/dialogues/{dialogue.pk}/")
    expect(bob.locator("#connection")).to_have_text("Live")
    check(bob, "the dialogue room of the waiting partner, live")

    bob.goto(f"/exercises/entry/{appreciation.pk}/")
    bob.get_by_role("button", name=re.compile("^Thank you")).click()
    expect(bob.get_by_test_id("acknowledged")).to_be_visible()
    check(bob, "an appreciation after the thank-you, swapped in")

    carol = _context(browser, live_daphne, world.people["carol"], "carol", DESKTOP)
    carol.goto(f"/clients/{world.couple.pk}/")
    carol.get_by_role("link", name="Homework", exact=True).click()
    expect(carol.get_by_role("link", name="Homework", exact=True)).to_have_attribute(
        "aria-current", "page"
    )
    check(carol, "a desk tab reached through htmx")

    ivy = _context(browser, live_daphne, world.people["ivy"], "ivy", DESKTOP)
    ivy.goto("/")
    ivy.get_by_label("Invitation code").fill("ABCD-EFGH")
    ivy.get_by_role("button", name="Join my partner").click()
    expect(ivy.get_by_text("doesn't match any invitation")).to_be_visible()
    check(ivy, "a wrong invitation code, answered in place")

    report = "\n".join(f"{where}: {line}" for where, lines in found.items() for line in lines)
    assert found == {}, report

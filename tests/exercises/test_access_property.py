"""Random couples' worlds: every page, export and count shows exactly what the access layer
allows a persona to read — nothing more, nothing less.

Hypothesis draws the entries (author, kind, visibility, age), the state of the couple's link to
Carol (none, only Alice's consent, both consents, revoked), whether the couple has ended, and a
few personas to look through. Each page is compared with `exercises.access` (the one rule), and
a few privacy promises are checked on top of it, stated literally."""

from __future__ import annotations

import re
from datetime import timedelta

from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import TestCase

from couples.access import couple_access
from couples.models import User
from couples.services import (
    couple_leave,
    therapist_consent_give,
    therapist_link_create,
    therapist_link_revoke,
)
from exercises import access, charts
from exercises.models import Entry, Kind, Visibility
from exercises.registry import KINDS
from tests.conftest import login_client, make_user, pair
from tests.exercises.conftest import create_entry

PERSONAS = ("anonymous", "alice", "bob", "mallory", "uma", "carol", "tom")
THERAPISTS = {"uma", "carol", "tom"}
ENTRY_LINK = re.compile(r'href="/exercises/entry/([0-9a-f-]{36})/"')
ENTRY_CARD = re.compile(r'<article [^>]*id="entry-([0-9a-f-]{36})"')
CALENDAR_DOT = re.compile(r'href="/exercises/entry/([0-9a-f-]{36})/" class="dot"')

entries = st.lists(
    st.tuples(
        st.sampled_from(("alice", "bob", "mallory")),
        st.sampled_from(list(Kind)),
        st.sampled_from(list(Visibility)),
        st.integers(min_value=0, max_value=70),  # days ago
    ),
    max_size=5,
)
worlds = st.fixed_dictionaries(
    {
        "entries": entries,
        # Carol's link to Alice and Bob: none, Alice's consent only, both consents, revoked.
        "link": st.sampled_from(("none", "one", "both", "revoked")),
        "ended": st.booleans(),
        "personas": st.lists(st.sampled_from(PERSONAS), min_size=1, max_size=3, unique=True),
    }
)


def _ids(pattern: re.Pattern[str], html: str) -> set[str]:
    return set(pattern.findall(html))


def _pks(queryset: object) -> set[str]:
    return {str(pk) for pk in queryset.values_list("pk", flat=True)}


@override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
class EveryPageShowsExactlyWhatAccessAllows(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        therapist = User.Role.THERAPIST
        cls.people = {
            "alice": make_user("alice@example.com", "Alice"),
            "bob": make_user("bob@example.com", "Bob"),
            "mallory": make_user("mallory@example.com", "Mallory"),
            "carol": make_user("carol@example.com", "Carol", therapist, "Imago therapist"),
            "uma": make_user("uma@example.com", "Uma", therapist, "Imago therapist"),
            "tom": make_user("tom@example.com", "Tom", therapist, "Imago therapist"),
        }
        cls.couple = pair(cls.people["alice"], cls.people["bob"])
        mike = make_user("mike@example.com", "Mike")
        cls.other = pair(cls.people["mallory"], mike)
        link = therapist_link_create(couple=cls.other, therapist=cls.people["tom"], by=mike)
        therapist_consent_give(link=link, partner=cls.people["mallory"])

    def _build(self, world: dict[str, object]) -> list[Entry]:
        alice, bob = self.people["alice"], self.people["bob"]
        made = []
        for author, kind, visibility, days_ago in world["entries"]:
            entry = create_entry(self.people[author], kind, visibility)
            Entry.objects.filter(pk=entry.pk).update(
                created_at=timezone.now() - timedelta(days=days_ago)
            )
            made.append(entry)
        if world["link"] != "none":
            link = therapist_link_create(
                couple=self.couple, therapist=self.people["carol"], by=alice
            )
            if world["link"] in ("both", "revoked"):
                therapist_consent_give(link=link, partner=bob)
            if world["link"] == "revoked":
                therapist_link_revoke(link=link, by=bob)
        if world["ended"]:
            couple_leave(couple=self.couple, user=bob)
        return made

    @settings(
        max_examples=25,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(world=worlds)
    def test_pages_exports_and_counts_show_exactly_what_access_allows(
        self, world: dict[str, object]
    ) -> None:
        made = self._build(world)
        for persona in world["personas"]:
            if persona == "anonymous":
                self._anonymous_sees_only_the_login_page(made)
            else:
                self._persona_sees_what_access_allows(self.people[persona], persona, made, world)

    def _anonymous_sees_only_the_login_page(self, made: list[Entry]) -> None:
        client = Client()
        urls = [reverse("exercises:history"), reverse("exercises:home")]
        urls += [reverse("exercises:entry", args=[entry.pk]) for entry in made]
        for url in urls:
            response = client.get(url)
            assert response.status_code == 302
            assert response["Location"].startswith(reverse("login"))

    def _persona_sees_what_access_allows(
        self, user: User, persona: str, made: list[Entry], world: dict[str, object]
    ) -> None:
        client = login_client(user)  # a therapist's with the second factor entered
        visible = _pks(access.entries_visible(user))

        # Privacy promises, whatever the access layer says.
        for entry in Entry.objects.filter(pk__in=visible):
            if entry.author_id != user.pk:
                assert entry.visibility != Visibility.PRIVATE
            if persona in THERAPISTS:
                assert entry.visibility == Visibility.THERAPIST
        if persona in ("uma", "mallory", "tom"):
            assert not access.entries_visible(user, couple=self.couple).exists()
        if persona == "carol" and (world["link"] != "both" or world["ended"]):
            assert not visible

        # Each entry's own page.
        for entry in made:
            status = client.get(reverse("exercises:entry", args=[entry.pk])).status_code
            assert status == (200 if str(entry.pk) in visible else 404)

        # The shared history, everything and one couple's.
        history = client.get(reverse("exercises:history")).content.decode()
        assert _ids(ENTRY_LINK, history) == _pks(access.entries_shared(user))
        scoped = client.get(reverse("exercises:history"), {"couple": self.couple.pk})
        if couple_access(user=user, pk=self.couple.pk) is None:
            assert scoped.status_code == 404
        else:
            shown = _ids(ENTRY_LINK, scoped.content.decode())
            assert shown == _pks(access.entries_shared(user, couple=self.couple))

        # Each kind's page, and the temperature calendar on it.
        for kind in {kind for _author, kind, _v, _d in world["entries"]}:
            html = client.get(reverse("exercises:kind", args=[kind])).content.decode()
            assert _ids(ENTRY_CARD, html) == _pks(access.entries_visible(user).filter(kind=kind))
            if kind == Kind.TEMPERATURE:
                today = timezone.localdate()
                month = access.readings_visible(user, start=today, end=today)
                assert _ids(CALENDAR_DOT, html) == _pks(month)

        # The overview's counts and chart.
        home = client.get(reverse("exercises:home"))
        activity = access.entries_activity(user)
        this_week = charts.week_start(timezone.localdate())
        counted = sum(mine + theirs for _spec, mine, theirs in home.context["week_cards"])
        since_monday = activity.filter(created_at__gte=charts.local_midnight(this_week))
        assert counted == since_monday.count()
        first_week = this_week - timedelta(weeks=charts.CHART_WEEKS - 1)
        charted = activity.filter(created_at__gte=charts.local_midnight(first_week))
        assert home.context["chart"]["total"] == charted.count()
        assert _pks(activity) <= visible

        # The export: what the viewer wrote, all of it.
        export = client.get(reverse("exercises:export_json")).json()
        exported = {row["id"] for row in export["entries"]}
        assert exported == _pks(access.entries_export(user))
        assert exported == {str(e.pk) for e in made if e.author_id == user.pk}

        # The therapist's desk for the couple: its history and its export.
        desk = client.get(reverse("desk:history", args=[self.couple.pk]))
        export = client.get(reverse("desk:export", args=[self.couple.pk]))
        reached = couple_access(user=user, pk=self.couple.pk)
        if reached is None or not reached.is_therapist:
            assert desk.status_code == export.status_code == 404
        else:
            in_couple = _pks(access.entries_visible(user, couple=self.couple))
            assert _ids(ENTRY_LINK, desk.content.decode()) == in_couple
            assert {row["id"] for row in export.json()["entries"]} == in_couple

        # The lists the partner gives from (caring behaviors, surprises): an item's actions are
        # reached exactly when the access layer lets the viewer act on its entry, and a blank
        # day changes nothing, whoever asks.
        for entry in made:
            spec = KINDS[entry.kind]
            if spec.gifts is None:
                continue
            item = getattr(entry.detail, spec.children).first()
            url = reverse("exercises:gift_log", args=[entry.kind, item.pk])
            status = client.post(url, {"given_on": ""}).status_code
            readable = access.entries_visible(user).filter(pk=entry.pk)
            may_act = any(e.can.act for e in access.entries_prepare(readable, user))
            assert status == (302 if may_act else 404)
            assert not spec.gifts.gift_model.objects.exists()

        # The couple's shared vision.
        vision = client.get(reverse("exercises:vision_shared", kwargs={"couple": self.couple.pk}))
        if couple_access(user=user, pk=self.couple.pk) is None:
            assert vision.status_code == 404
        else:
            assert vision.status_code == 200
            items = {item.pk for item in vision.context["items"]}
            assert items <= set(access.vision_items_visible(user).values_list("pk", flat=True))

"""A person's own data: "export everything of mine" as one archive, and "delete my account" that
leaves no personal data of theirs in any table."""

from __future__ import annotations

import csv
import io
import json
import uuid
import zipfile
from collections.abc import Callable

import pytest
from django.apps import apps
from django.contrib.sessions.models import Session
from django.core import mail
from django.db import models
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from couples.models import Couple, SecurityEvent, TherapistLink, User
from couples.services import therapist_consent_give, therapist_link_create
from dialogue.models import Dialogue, Turn
from dialogue.services import dialogue_start, turn_submit
from exercises.models import Entry
from exercises.registry import KINDS
from exercises.services import (
    gift_log,
    request_choose_gift,
    request_log_followthrough,
    vision_merge,
)
from tests.conftest import PASSWORD, make_user, pair
from tests.exercises.conftest import create_entry

pytestmark = pytest.mark.django_db

ClientFor = Callable[[User], Client]
NAME, EMAIL = "Zephyrine", "zephyrine@example.com"


@pytest.fixture
def zephyrine(db: None) -> User:
    return make_user(EMAIL, NAME)


@pytest.fixture
def held(zephyrine: User, bob: User, carol: User) -> Dialogue:
    """Zephyrine and Bob, a couple with their therapist Carol, a dialogue and entries."""
    couple = pair(zephyrine, bob)
    link = therapist_link_create(couple=couple, therapist=carol, by=zephyrine)
    therapist_consent_give(link=link, partner=bob)
    dialogue = dialogue_start(couple=couple, user=zephyrine, topic="the dishes")
    for user, action, text in (
        (zephyrine, "request", "Is now a good time to talk about the dishes?"),
        (bob, "accept", "Yes, I'm ready to hear you."),
        (zephyrine, "send", "When the dishes pile up I feel alone."),
    ):
        turn_submit(
            dialogue_id=dialogue.pk, user=user, action=action, text=text,
            client_msg_id=uuid.uuid4().hex,
        )  # fmt: skip
    create_entry(zephyrine, "appreciation", visibility=0, appreciate="my private thought")
    create_entry(zephyrine, "appreciation", visibility=1, appreciate="your morning tea")
    create_entry(bob, "appreciation", visibility=1, appreciate="your laugh")
    _every_kind(zephyrine, bob)
    from couples.access import look_record

    look_record(viewer=carol, couples=couple, what="Opened an entry")
    return dialogue


def _every_kind(zephyrine: User, bob: User) -> None:
    """An entry of every kind by Zephyrine, private and shared, and her marks on Bob's entries:
    gifts on his lists, her stance on his vision, follow-through on his request she chose."""
    today = timezone.localdate()
    for kind in KINDS:
        create_entry(zephyrine, kind, visibility=0)
        create_entry(zephyrine, kind, visibility=2)
    caring = create_entry(bob, "caring", visibility=1)
    gift_log(kind="caring", item_id=caring.caring.items.first().pk, by=zephyrine, given_on=today)
    surprises = create_entry(bob, "surprises", visibility=1)
    item = surprises.surprises.items.first().pk
    gift_log(kind="surprises", item_id=item, by=zephyrine, given_on=today)
    vision = create_entry(bob, "vision", visibility=1)
    vision_merge(
        couple=vision.couple,
        by=zephyrine,
        decisions={i.pk: (True, None) for i in vision.vision.items.all()},
    )
    request = create_entry(bob, "request", visibility=1)
    chosen = request_choose_gift(
        entry=request, by=zephyrine, item_id=request.request.items.first().pk
    )
    request_log_followthrough(
        entry=request, by=zephyrine, done_on=timezone.localdate(chosen.chosen_at)
    )


def _export(client: Client) -> zipfile.ZipFile:
    response = client.post(reverse("account_export"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    return zipfile.ZipFile(io.BytesIO(response.content))


def test_export_holds_everything_of_mine_and_my_partners_turns_only_with_their_leave(
    client_for: ClientFor, held: Dialogue, zephyrine: User, bob: User, mallory_couple: Couple
) -> None:
    archive = _export(client_for(zephyrine))
    assert set(archive.namelist()) == {
        "imago.json", "entries.csv", "dialogue_turns.csv", "therapist_looks.csv",
    }  # fmt: skip
    data = json.loads(archive.read("imago.json"))
    assert data["account"]["email"] == EMAIL
    titles = [e["details"]["appreciate"] for e in data["entries"] if e["kind"] == "appreciation"]
    tea = "the way you make tea in the morning"  # the every-kind entries, private and shared
    assert sorted(titles) == ["my private thought", tea, tea, "your morning tea"]  # mine only
    exported = [(e["kind"], e["visibility"]) for e in data["entries"]]
    for kind in KINDS:  # every kind, private or not, and nothing of Bob's
        assert (kind, "Private — only me") in exported
        assert (kind, "Shared with my partner and our therapist") in exported
    assert len(exported) == 2 * len(KINDS) + 2
    entries_csv = archive.read("entries.csv").decode()
    assert "Being told to stop crying when the dog died" in entries_csv
    assert "breakfast in the garden" in entries_csv  # a list's rows too, not only its note
    turns = data["dialogues"][0]["turns"]
    assert [(t["by"], t["left_out"]) for t in turns] == [
        ("me", False), ("my partner", True), ("me", False),
    ]  # fmt: skip
    assert turns[0]["text"] == "Is now a good time to talk about the dishes?"
    assert "ready to hear you" not in archive.read("imago.json").decode()
    assert data["therapist_consents"][0]["therapist"] == "Carol"
    assert data["therapist_consents"][0]["my_consent_given"] is not None
    assert data["therapist_looks"][0]["what"] == "Opened an entry"
    assert data["invitations"][0]["status"] == "Accepted"
    rows = list(csv.reader(io.StringIO(archive.read("dialogue_turns.csv").decode("utf-8-sig"))))
    assert rows[0][:4] == ["dialogue", "topic", "seq", "by"] and len(rows) == 4
    assert "Mallory" not in archive.read("imago.json").decode()
    assert SecurityEvent.objects.filter(kind="export", user=zephyrine).count() == 1

    # Bob allows his turns in his partner's export on his account page.
    client_for(bob).post(reverse("couples:account"), {"turns_in_partner_export": "on"})
    data = json.loads(_export(client_for(zephyrine)).read("imago.json"))
    assert data["dialogues"][0]["turns"][1]["text"] == "Yes, I'm ready to hear you."


def test_export_needs_a_post_and_a_login(client: Client) -> None:
    assert client.post(reverse("account_export")).status_code == 302
    assert client.get(reverse("account_export")).status_code in (302, 405)


def _traces(user_pk: int) -> list[str]:
    """Every place in every table where the deleted person still shows: their email or name in
    any text, a reference to their id, or a session of theirs."""
    found = []
    for model in apps.get_models():
        for obj in model.objects.all():
            for field in model._meta.concrete_fields:
                value = getattr(obj, field.attname)
                if isinstance(field, models.ForeignKey) and field.related_model is User:
                    if value == user_pk:
                        found.append(f"{model.__name__}.{field.name}")
                elif isinstance(value, str) and (EMAIL in value.lower() or NAME in value):
                    found.append(f"{model.__name__}.{field.name}: {value[:60]}")
                elif isinstance(value, dict | list) and (
                    EMAIL in json.dumps(value) or NAME in json.dumps(value)
                ):
                    found.append(f"{model.__name__}.{field.name}")
    for session in Session.objects.all():
        if str(session.get_decoded().get("_auth_user_id")) == str(user_pk):
            found.append("Session")
    return found


def _delete(client: Client, shared: str, password: str = PASSWORD) -> object:
    return client.post(
        reverse("account_delete"), {"shared": shared, "password": password, "confirm": "on"}
    )


@pytest.mark.parametrize("shared", ["keep", "delete"])
def test_deleting_my_account_leaves_no_personal_data_of_mine_in_any_table(
    client_for: ClientFor,
    held: Dialogue,
    zephyrine: User,
    bob: User,
    carol: User,
    shared: str,
    django_capture_on_commit_callbacks: Callable[..., object],
) -> None:
    pk = zephyrine.pk
    client = client_for(zephyrine)
    client.get("/")  # a session in the session list
    other_device = Client()
    other_device.post(reverse("login"), {"username": EMAIL, "password": PASSWORD})
    failed = Client()
    failed.post(reverse("login"), {"username": EMAIL, "password": "wrong"})
    client.post(reverse("account_export"))
    assert _traces(pk) != []
    # The walk below meets every exercise table: each holds something of hers now.
    empty = [
        m.__name__ for m in apps.get_app_config("exercises").get_models() if not m.objects.exists()
    ]
    assert empty == ["Homework", "HomeworkAnswer", "Note", "DeskVisit"]
    private = list(
        Entry.objects.filter(author=zephyrine, visibility=0).values_list("pk", flat=True)
    )
    assert len(private) == len(KINDS) + 1

    with django_capture_on_commit_callbacks(execute=True):
        response = _delete(client, shared)
    assert response.status_code == 302
    assert _traces(pk) == []
    assert not User.objects.filter(email=EMAIL).exists()
    assert "Create an account" in client.get("/").content.decode()
    assert "Create an account" in other_device.get("/").content.decode()
    assert SecurityEvent.objects.filter(kind="account_deleted").count() == 1

    # Bob: told, couple ended, his own things untouched, the therapist link ended.
    assert [message.to for message in mail.outbox] == [["bob@example.com"]]
    assert f"{NAME} has closed their Imago account" in mail.outbox[0].body
    couple = Couple.objects.get(pk=held.couple_id)
    assert couple.ended_at is not None
    assert TherapistLink.objects.get().revoked_at is not None
    bob_sees = Entry.objects.visible_to(bob)
    assert bob_sees.filter(appreciation__appreciate="your laugh").exists()
    assert not Entry.objects.filter(appreciation__appreciate="my private thought").exists()
    assert not Entry.objects.filter(pk__in=private).exists()  # every kind's private entry
    kept_kinds = set(Entry.objects.exclude(author=bob).values_list("kind", flat=True))
    assert kept_kinds == (set(KINDS) if shared == "keep" else set())
    kept = Entry.objects.filter(appreciation__appreciate="your morning tea")
    turns = list(Turn.objects.filter(dialogue=held).order_by("seq").values_list("text", flat=True))
    assert turns[1] == "Yes, I'm ready to hear you."
    if shared == "keep":
        assert bob_sees.filter(appreciation__appreciate="your morning tea").exists()
        assert kept.get().author.display_name == "Former partner"
        assert turns[2] == "When the dishes pile up I feel alone."
    else:
        assert not kept.exists()
        assert turns[0] == turns[2] == "(removed: its author closed their account)"
    page = client_for(bob).get(reverse("dialogue:room", args=[held.pk]))
    assert page.status_code == 200


def test_deleting_needs_the_password_and_the_confirmation(
    client_for: ClientFor, zephyrine: User
) -> None:
    client = client_for(zephyrine)
    response = _delete(client, "keep", password="not it")
    assert response.status_code == 400
    assert "That is not your password." in response.content.decode()
    response = client.post(reverse("account_delete"), {"shared": "keep", "password": PASSWORD})
    assert response.status_code == 400
    assert User.objects.filter(email=EMAIL).exists()


def test_a_therapist_deleting_their_account_keeps_the_couples_record_of_looks(
    client_for: ClientFor, held: Dialogue, zephyrine: User, carol: User
) -> None:
    pk = carol.pk
    response = client_for(carol).post(
        reverse("account_delete"), {"shared": "keep", "password": PASSWORD, "confirm": "on"}
    )
    assert response.status_code == 302
    assert not User.objects.filter(pk=pk).exists()
    looks = list(held.couple.therapist_views.values_list("what", "therapist__display_name"))
    assert looks == [("Opened an entry", "Former therapist")]

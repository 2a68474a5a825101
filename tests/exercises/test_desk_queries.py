"""The desk's pages make the same number of queries for a couple with a little history and for
one with hundreds of entries and dozens of dialogues."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from couples.models import Couple, User
from dialogue.models import Dialogue, Turn
from exercises.models import Kind, Visibility
from exercises.services import homework_answer, homework_assign, note_create

from .bulk import bulk_entries
from .conftest import ClientFor
from .desk_world import shared_and_private, shared_dialogue

pytestmark = pytest.mark.django_db

PAGES = ["overview", "history", "dialogues", "skills", "homework", "notes", "brief", "export"]


def _bulk_dialogues(couple: Couple, alice: User, bob: User, carol: User, count: int) -> None:
    """`count` completed dialogues shared with Carol, each with a corrected mirror."""
    now = timezone.now()
    dialogues = Dialogue.objects.bulk_create(
        [
            Dialogue(
                couple=couple,
                topic=f"Topic {n}",
                started_by=alice,
                sender=alice,
                receiver=bob,
                step="ended",
                last_seq=6,
                created_at=now - timedelta(days=n % 50),
                updated_at=now - timedelta(days=n % 50),
                ended_at=now - timedelta(days=n % 50),
                invited_therapist=carol,
                therapist_invited_at=now,
                therapist_invited_by=alice,
            )
            for n in range(count)
        ]
    )
    script = [
        (alice, "sender", "send", "send"),
        (bob, "receiver", "mirror", "mirror"),
        (alice, "sender", "check", "correct"),
        (bob, "receiver", "mirror", "mirror"),
        (alice, "sender", "check", "confirm"),
        (alice, "sender", "close", "end"),
    ]
    Turn.objects.bulk_create(
        [
            Turn(
                dialogue=dialogue,
                seq=seq,
                round=1,
                author=author,
                role=role,
                step=step,
                action=action,
                text="words",
                client_msg_id=f"m{seq}",
                created_at=dialogue.created_at + timedelta(minutes=seq),
            )
            for dialogue in dialogues
            for seq, (author, role, step, action) in enumerate(script, start=1)
        ]
    )


def _counts(client: object, couple: Couple, dialogue: Dialogue) -> dict[str, int]:
    counts = {}
    urls = {name: reverse(f"desk:{name}", args=[couple.pk]) for name in PAGES}
    urls["transcript"] = reverse("desk:transcript", args=[couple.pk, dialogue.pk])
    urls["home"] = "/"
    for name, url in urls.items():
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        counts[name] = len(queries)
    return counts


def test_desk_queries_do_not_grow_with_the_couples_history(
    couple: Couple, alice: User, bob: User, carol_consented: User, client_for: ClientFor
) -> None:
    shared_and_private(alice, bob)
    dialogue = shared_dialogue(alice, bob, couple)
    homework = homework_assign(
        couple=couple, by=carol_consented, kind=Kind.APPRECIATION, instructions="One a day."
    )
    homework_answer(homework_id=homework.pk, by=bob, state="done")
    note_create(
        couple=couple, by=carol_consented, text="Mirrored well.", turn=dialogue.turns.last()
    )
    client = client_for(carol_consented)
    client.get("/")  # a session's first request records it in the session list, once
    small = _counts(client, couple, dialogue)

    for author in (alice, bob):
        bulk_entries(author, couple, 150, visibility=Visibility.THERAPIST)
        bulk_entries(author, couple, 50, visibility=Visibility.THERAPIST, kind=Kind.REQUEST)
        bulk_entries(author, couple, 50, visibility=Visibility.PRIVATE)
    _bulk_dialogues(couple, alice, bob, carol_consented, 40)
    for n in range(5):
        more = homework_assign(
            couple=couple, by=carol_consented, kind=Kind.TEMPERATURE, instructions=f"#{n}"
        )
        homework_answer(homework_id=more.pk, by=alice, state="done")
        note_create(couple=couple, by=carol_consented, text=f"Note {n}")
    large = _counts(client, couple, dialogue)
    assert large == small

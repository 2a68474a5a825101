"""Faults lose nothing: a database error during a turn is reported as "not saved" with the words
kept, and a channel layer (Redis) that is down never turns a saved turn into an error page."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from asgiref.sync import sync_to_async
from django.db import connection, connections
from django.urls import reverse

from couples.models import User
from dialogue.models import Dialogue, Turn

from .conftest import ClientFor, Join

WORDS = "I'd like to talk about the dishes. Is now a good time?"

REFUSE = {
    "sqlite": (
        ["CREATE TRIGGER refuse_turns BEFORE INSERT ON dialogue_turn "
         "BEGIN SELECT RAISE(ABORT, 'disk full'); END"],
        ["DROP TRIGGER refuse_turns"],
    ),
    "postgresql": (
        ["CREATE FUNCTION refuse_turns() RETURNS trigger LANGUAGE plpgsql AS "
         "$$ BEGIN RAISE EXCEPTION 'disk full'; END $$",
         "CREATE TRIGGER refuse_turns BEFORE INSERT ON dialogue_turn "
         "FOR EACH ROW EXECUTE FUNCTION refuse_turns()"],
        ["DROP TRIGGER refuse_turns ON dialogue_turn", "DROP FUNCTION refuse_turns()"],
    ),
}  # fmt: skip


def _run(statements: list[str]) -> None:
    with connection.cursor() as cursor:
        for sql in statements:
            cursor.execute(sql)


@pytest.fixture
def broken_turn_table() -> Iterator[None]:
    """The database refuses every new turn, as a full disk or a failing server would."""
    create, drop = REFUSE[connection.vendor]
    _run(create)
    yield
    _run(drop)


@pytest.mark.django_db
def test_a_database_error_during_a_form_turn_says_not_saved_and_keeps_the_words(
    client_for: ClientFor, dialogue: Dialogue, alice: User, broken_turn_table: None
) -> None:
    response = client_for(alice).post(
        reverse("dialogue:act", args=[dialogue.pk]),
        {"action": "request", "text": WORDS, "msg_id": uuid.uuid4().hex},
    )
    page = response.content.decode()
    assert response.status_code == 400
    assert "Your turn was not saved" in page
    assert "I&#x27;d like to talk about the dishes. Is now a good time?</textarea>" in page
    assert not Turn.objects.exists()
    dialogue.refresh_from_db()
    assert (dialogue.step, dialogue.last_seq) == ("appointment", 0)


@pytest.mark.django_db(transaction=True)
async def test_a_database_error_during_a_socket_turn_sends_not_saved_then_the_resend_lands(
    join: Join, dialogue: Dialogue, alice: User
) -> None:
    party = await join(alice)
    create, drop = REFUSE[connection.vendor]
    await sync_to_async(_run)(create)
    msg_id = await party.act("request", WORDS)
    error = await party.frame("error")
    assert error["code"] == "not_saved" and error["in_reply_to"] == msg_id
    assert "Your words are still in the box" in error["message"]
    assert await sync_to_async(Turn.objects.count)() == 0
    await sync_to_async(_run)(drop)
    # The client resends the same message id once the fault has passed: it lands, once.
    await party.send({"type": "action", "action": "request", "text": WORDS, "msg_id": msg_id})
    turn = await party.frame("turn")
    assert turn["turn"]["text"] == WORDS
    assert await sync_to_async(Turn.objects.count)() == 1
    await sync_to_async(connections.close_all)()

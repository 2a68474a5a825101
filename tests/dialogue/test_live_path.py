"""The live path that scales: database threads that survive a dropped connection and leak none,
one winner when many act at once, small frames, reconnects that send only what is missing,
paged transcripts with constant queries, and typing hints that never touch the database."""

from __future__ import annotations

import asyncio
import json
import threading
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.db import connection, connections
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from couples.models import Couple, User
from dialogue import live
from dialogue.models import Dialogue, Turn
from dialogue.services import DialogueError, dialogue_start, turn_submit
from imago_site.asgi import application

from .conftest import ClientFor, Join, open_socket

COOKIES = ("sessionid", "csrftoken")

TEXT = ("When the dishes pile up after a long day I feel alone, and then I go quiet. " * 3)[:200]


def _long(dialogue: Dialogue, alice: User, bob: User, turns: int) -> None:
    """`turns` turns of 200 characters, as a long dialogue has."""
    now = datetime.now(UTC)
    Turn.objects.bulk_create(
        Turn(
            dialogue=dialogue,
            seq=seq,
            round=1,
            author=alice if seq % 2 else bob,
            role="sender" if seq % 2 else "receiver",
            step="send" if seq % 2 else "mirror",
            action="send" if seq % 2 else "mirror",
            text=f"{seq}: {TEXT}",
            client_msg_id=f"m{seq}",
            created_at=now,
        )  # fmt: skip
        for seq in range(1, turns + 1)
    )
    Dialogue.objects.filter(pk=dialogue.pk).update(last_seq=turns, step="send")


# --- Database threads ----------------------------------------------------------------------------


def _drop_connections() -> None:
    """What a database restart does to the connections the database threads hold."""
    barrier = threading.Barrier(live._threads(), timeout=10)

    def own() -> int | None:
        connection.ensure_connection()
        barrier.wait()  # one task per thread
        if connection.vendor != "postgresql":
            # SQLite has no server to restart: close it under Django's feet.
            connection.connection.close()
            return None
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            return cursor.fetchone()[0]

    pool = live._executor()
    pids = [future.result() for future in [pool.submit(own) for _ in range(live._threads())]]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(pid) FROM unnest(%s) AS pid", [pids])


def _backends() -> int:
    if connection.vendor != "postgresql":
        return 0
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()")
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
async def test_after_the_database_drops_every_connection_the_next_action_still_lands(
    join: Join, dialogue: Dialogue, alice: User, bob: User
) -> None:
    a, b = await join(alice), await join(bob)
    await a.act("request", "Now?", last_seq=0)
    assert (await a.frame("turn"))["turn"]["seq"] == 1
    await b.frame("turn")
    await sync_to_async(_drop_connections)()
    await b.act("accept", "Yes.", last_seq=1)
    turn = await b.frame("turn")
    assert (turn["turn"]["seq"], turn["turn"]["action"]) == (2, "accept")
    assert (await a.frame("turn"))["turn"]["seq"] == 2
    assert await Turn.objects.filter(dialogue=dialogue).acount() == 2


@pytest.mark.django_db(transaction=True)
async def test_many_actions_leak_no_database_connections(
    join: Join, dialogue: Dialogue, alice: User, bob: User
) -> None:
    # Other processes (a live daphne of the browser tests) may hold connections to the test
    # database too: count what this one adds.
    before = await sync_to_async(_backends)()
    a = await join(alice)
    for seq in range(4):
        await a.act("timeout" if seq % 2 == 0 else "resume", "", last_seq=seq)
        await a.frame("turn")
    after_a_few = await sync_to_async(_backends)()
    for seq in range(4, 24):  # within the flood limits' burst
        await a.act("timeout" if seq % 2 == 0 else "resume", "", last_seq=seq)
        await a.frame("turn")
    assert await sync_to_async(_backends)() <= after_a_few
    if connection.vendor == "postgresql":
        # At most one per database thread, besides the test's own and Channels' own.
        assert after_a_few - before <= live._threads() + 2


# --- Many at once: exactly one wins ------------------------------------------------------------


def _race(dialogue: Dialogue, user: User, msg_ids: list[str]) -> list[Any]:
    """Every thread takes the same action at the same moment, each with the same last_seq."""
    barrier = threading.Barrier(len(msg_ids), timeout=30)
    results: list[Any] = [None] * len(msg_ids)

    def act(index: int) -> None:
        barrier.wait()
        try:
            results[index] = turn_submit(
                dialogue_id=dialogue.pk, user=user, action="request", text="Now?",
                client_msg_id=msg_ids[index], last_seq=0,
            )  # fmt: skip
        except DialogueError as error:
            results[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=act, args=(i,)) for i in range(len(msg_ids))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


@pytest.mark.django_db(transaction=True)
def test_many_threads_acting_on_one_dialogue_with_the_same_last_seq_let_exactly_one_win(
    dialogue: Dialogue, alice: User
) -> None:
    results = _race(dialogue, alice, [f"m{i}" for i in range(12)])
    won = [r for r in results if not isinstance(r, DialogueError)]
    lost = [r for r in results if isinstance(r, DialogueError)]
    assert len(won) == 1 and won[0].turn["seq"] == 1
    assert len(lost) == 11 and {error.code for error in lost} == {"conflict"}
    assert Turn.objects.filter(dialogue=dialogue).count() == 1
    dialogue.refresh_from_db()
    assert (dialogue.last_seq, dialogue.step) == (1, "appointment_reply")


@pytest.mark.django_db(transaction=True)
def test_many_threads_resending_one_message_id_make_one_turn_and_the_rest_replay_it(
    dialogue: Dialogue, alice: User
) -> None:
    results = _race(dialogue, alice, ["same"] * 12)
    assert not [r for r in results if isinstance(r, DialogueError)]
    assert sorted(r.replayed for r in results) == [False] + [True] * 11
    assert {r.turn["seq"] for r in results} == {1}
    assert Turn.objects.filter(dialogue=dialogue).count() == 1


# --- Small frames -----------------------------------------------------------------------------


@pytest.fixture
def flooding(couple: Couple, alice: User) -> Dialogue:
    return dialogue_start(
        couple=couple, user=alice, topic="you", kind="flooding", prepared="Your laugh\nYour care"
    )


@pytest.mark.django_db(transaction=True)
async def test_a_turn_frame_carries_the_panel_only_when_the_viewers_move_changed(
    join: Join, flooding: Dialogue, alice: User, bob: User
) -> None:
    a, b = await join(alice, flooding.pk), await join(bob, flooding.pk)
    await a.act("request", "Now?", last_seq=0)
    await a.frame("turn")
    await b.frame("turn")
    await b.act("accept", "", last_seq=1)
    await b.frame("turn")
    moved = await a.frame("turn")  # now Alice's move: her panel comes with the turn
    assert 'id="turn-text"' in moved["html"]["panel"]
    # Alice names one thing after another at the same step: Bob's panel does not change.
    await a.act("send", "Your laugh", last_seq=2)
    await b.frame("turn")
    await a.frame("turn")
    await a.act("send", "Your care", last_seq=3)
    second = await b.frame("turn")
    mine = await a.frame("turn")
    assert "Your care" in second["html"]["turn"]
    assert "panel" not in second["html"] and "progress" not in second["html"]
    assert len(json.dumps(second)) < 2_000 < len(json.dumps(moved))
    # The author's own frame always has the panel: their box starts afresh.
    assert 'id="turn-text"' in mine["html"]["panel"]


@pytest.mark.django_db(transaction=True)
async def test_a_panel_sent_over_the_socket_posts_without_javascript_with_its_own_csrf_token(
    dialogue: Dialogue, alice: User, client_for: ClientFor
) -> None:
    client = await sync_to_async(client_for)(alice)
    client.handler.enforce_csrf_checks = True
    page = await sync_to_async(client.get)(reverse("dialogue:room", args=[dialogue.pk]))
    assert page.status_code == 200
    cookies = "; ".join(f"{name}={client.cookies[name].value}" for name in COOKIES)
    ws = WebsocketCommunicator(
        application,
        f"/ws/dialogue/{dialogue.pk}/",
        [(b"origin", b"http://127.0.0.1"), (b"cookie", cookies.encode())],
    )
    assert (await ws.connect(timeout=10))[0]
    state = await ws.receive_json_from(timeout=5)
    await ws.disconnect()
    panel = state["html"]["panel"]
    assert 'name="csrfmiddlewaretoken"' in panel
    token = panel.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    response = await sync_to_async(client.post)(
        reverse("dialogue:act", args=[dialogue.pk]),
        {"action": "request", "text": "Now?", "msg_id": uuid.uuid4().hex,
         "csrfmiddlewaretoken": token},
    )  # fmt: skip
    assert response.status_code == 302
    assert await Turn.objects.filter(dialogue=dialogue).acount() == 1


# --- Reconnecting to a long dialogue ------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
async def test_reconnecting_to_a_1000_turn_dialogue_sends_only_what_is_missing(
    dialogue: Dialogue, alice: User, bob: User
) -> None:
    await sync_to_async(_long)(dialogue, alice, bob, 1000)
    ok, party, ws = await open_socket(alice, dialogue.pk)
    assert ok
    fresh = await ws.receive_from(timeout=10)
    await party.close()
    frame = json.loads(fresh)
    # A first visit: the latest page, and a way to the earlier turns.
    assert len(fresh.encode()) < 50_000
    assert [t["seq"] for t in frame["turns"]] == list(range(971, 1001))
    assert frame["since"] is None and frame["earlier"] is True
    assert "Load earlier turns" in frame["html"]["earlier"]

    ok, party, ws = await open_socket(alice, dialogue.pk, query="since=990")
    assert ok
    behind = json.loads(await ws.receive_from(timeout=10))
    assert [t["seq"] for t in behind["turns"]] == list(range(991, 1001))
    assert behind["since"] == 990 and len(behind["html"]["turns"]) == 10
    await party.send({"type": "sync", "since": 1000})
    current = await party.frame("state")
    assert current["turns"] == [] and current["since"] == 1000
    assert len(json.dumps(current)) < 10_000
    await party.close()
    await sync_to_async(connections.close_all)()


def _queries(client: Client, path: str) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200
    return len(queries.captured_queries), response.content.decode()


@pytest.mark.django_db
def test_room_and_transcript_show_the_latest_turns_page_back_and_keep_their_query_counts(
    dialogue: Dialogue, alice: User, bob: User, client_for: ClientFor
) -> None:
    client = client_for(alice)
    room = reverse("dialogue:room", args=[dialogue.pk])
    transcript = reverse("dialogue:transcript", args=[dialogue.pk])
    _long(dialogue, alice, bob, 40)
    client.get(room)  # the first look records itself; later ones are what is measured
    client.get(transcript)
    short = (_queries(client, room)[0], _queries(client, transcript)[0])
    Turn.objects.filter(dialogue=dialogue).delete()
    _long(dialogue, alice, bob, 400)
    room_queries, page = _queries(client, room)
    transcript_queries, printable = _queries(client, transcript)
    assert (room_queries, transcript_queries) == short
    assert page.count('class="turn ') == 30 and "400: When" in page and "370: When" not in page
    assert "Load earlier turns" in page and "?before=371" in page
    assert printable.count('class="turn ') == 100 and "Earlier turns" in printable

    turns = reverse("dialogue:turns", args=[dialogue.pk])
    earlier = client.get(turns + "?before=371", headers={"HX-Request": "true"})
    html = earlier.content.decode()
    assert html.count('class="turn ') == 30 and "341: When" in html and "371: When" not in html
    assert "?before=341" in html  # and the link to the page before that
    whole = client.get(transcript + "?all=1").content.decode()
    assert whole.count('class="turn ') == 400
    back = client.get(transcript + "?before=101").content.decode()
    assert back.count('class="turn ') == 100 and "Later turns" in back
    # Without JavaScript (or from a bookmark), earlier turns are the transcript's page of them.
    assert client.get(turns + "?before=371").url == transcript + "?before=371"


@pytest.mark.django_db
def test_earlier_turns_of_another_couples_dialogue_are_a_404(
    dialogue: Dialogue, mallory: User, mallory_couple: Couple, client_for: ClientFor
) -> None:
    response = client_for(mallory).get(reverse("dialogue:turns", args=[dialogue.pk]) + "?before=5")
    assert response.status_code == 404


# --- Typing hints -------------------------------------------------------------------------------


async def _typing_frames(party: Any, seconds: float) -> int:
    count = 0
    loop = asyncio.get_running_loop()
    until = loop.time() + seconds
    while loop.time() < until:
        # receive_nothing waits without cancelling the consumer, as a timed-out receive would.
        if not await party.ws.receive_nothing(timeout=0.05, interval=0.01):
            frame = await party.ws.receive_json_from()
            count += frame["type"] == "typing"
    return count


@pytest.mark.django_db(transaction=True)
async def test_typing_hints_are_coalesced_to_one_per_person_per_two_seconds_without_the_database(
    join: Join, alice: User, bob: User
) -> None:
    a, b = await join(alice), await join(bob)
    await _typing_frames(a, 0.3)  # presence chatter
    await _typing_frames(b, 0.3)
    calls = live.calls
    await a.send({"type": "typing"})
    assert await _typing_frames(b, 0.5) == 1  # the first at once
    for _ in range(7):
        await a.send({"type": "typing"})
        await asyncio.sleep(0.1)
    # The seven after it become one, two seconds after the first, and nothing more.
    assert await _typing_frames(b, 0.4) == 0
    assert await _typing_frames(b, 1.2) == 1
    assert await _typing_frames(b, 2.0) == 0
    assert live.calls == calls  # not one database call for any of it

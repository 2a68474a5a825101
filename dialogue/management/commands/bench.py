"""Drive many couples through complete live dialogue rounds over the configured channel layer
and database, and print throughput and latency. Uses a throwaway test database; asserts
nothing."""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from channels.db import database_sync_to_async
from channels.layers import get_channel_layer
from channels.testing import WebsocketCommunicator
from django.core.management.base import BaseCommand, CommandParser
from django.db import connection, connections
from django.test import Client
from django.test.utils import setup_test_environment, teardown_test_environment

# One complete round with a correction loop and an "is there more?" loop, then a swap:
# (who acts — "s" the sender or "r" the receiver of this round — action, text).
ROUND: list[tuple[str, str, str]] = [
    ("s", "send", "When the dishes pile up, I feel alone."),
    ("r", "mirror", "If I got it, you feel annoyed. Did I get it?"),
    ("s", "correct", "Almost — the part I want you to hear is alone."),
    ("r", "mirror", "You feel alone when the dishes pile up. Did I get it?"),
    ("s", "confirm", ""),
    ("r", "ask_more", "Is there more about that?"),
    ("s", "more", ""),
    ("s", "send", "And then I go quiet."),
    ("r", "mirror", "And then you go quiet. Did I get it?"),
    ("s", "confirm", ""),
    ("r", "ask_more", "Is there more?"),
    ("s", "done", ""),
    ("r", "summarize", "You feel alone with the dishes and go quiet. Did I get all of that?"),
    ("s", "confirm", ""),
    ("r", "validate", "You make sense to me, because you grew up doing chores alone."),
    ("s", "acknowledge", "Thank you."),
    ("r", "empathize", "I imagine you might be feeling lonely. Is that how you feel?"),
    ("s", "confirm", ""),
    ("r", "swap", ""),
]
OPENING = [("s", "request", "Can we talk about the dishes?"), ("r", "accept", "")]
ORIGIN = (b"origin", b"http://127.0.0.1")


class Command(BaseCommand):
    help = "Benchmark live dialogues: N concurrent couples through complete rounds."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--couples", type=int, default=50, help="concurrent couples (50)")
        parser.add_argument("--rounds", type=int, default=1, help="rounds per couple (1)")

    def handle(self, *args: Any, couples: int, rounds: int, **options: Any) -> None:
        setup_test_environment()
        settings_dict = connection.settings_dict
        # Our own throwaway database, so a bench never clobbers a test run's.
        if connection.vendor == "sqlite":
            settings_dict["TEST"]["NAME"] = str(Path(tempfile.mkdtemp()) / "bench.sqlite3")
        else:
            settings_dict["TEST"]["NAME"] = f"test_{settings_dict['NAME']}_bench"
        old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
        try:
            pairs = self._make_couples(couples)
            latencies, turns, elapsed = asyncio.run(self._run(pairs, rounds))
        finally:
            connections.close_all()
            connection.creation.destroy_test_db(old_name, verbosity=0)
            teardown_test_environment()
        layer = type(get_channel_layer()).__module__ + "." + type(get_channel_layer()).__name__
        ms = sorted(latency * 1000 for latency in latencies)

        def pct(p: float) -> float:
            return ms[min(len(ms) - 1, int(round(p / 100 * (len(ms) - 1))))]

        out = self.stdout.write
        out(f"channel layer     {layer}")
        out(f"database          {connection.vendor}")
        out(f"couples           {couples} concurrent, {rounds} round(s) each")
        out(f"total turns       {turns}")
        out(f"elapsed           {elapsed:.2f} s")
        out(f"turns/second      {turns / elapsed:.1f}")
        out(
            f"latency to partner  p50 {pct(50):.1f} ms   p95 {pct(95):.1f} ms   "
            f"p99 {pct(99):.1f} ms   max {ms[-1]:.1f} ms   mean {statistics.fmean(ms):.1f} ms"
        )

    def _make_couples(self, count: int) -> list[tuple[str, str, str]]:
        """(dialogue id, sender's session, receiver's session) for `count` fresh couples."""
        from couples.models import User
        from couples.services import invitation_accept, invitation_create
        from dialogue.services import dialogue_start

        pairs = []
        for index in range(count):
            a = User.objects.create_user(f"a{index}@bench.invalid", None, display_name=f"A{index}")
            b = User.objects.create_user(f"b{index}@bench.invalid", None, display_name=f"B{index}")
            couple = invitation_accept(user=b, token=invitation_create(inviter=a).token)
            dialogue = dialogue_start(couple=couple, user=a, topic="the dishes")
            sessions = []
            for user in (a, b):
                client = Client()
                client.force_login(user)
                sessions.append(client.cookies["sessionid"].value)
            pairs.append((str(dialogue.pk), *sessions))
        return pairs

    async def _run(
        self, pairs: list[tuple[str, str, str]], rounds: int
    ) -> tuple[list[float], int, float]:
        from imago_site.asgi import application

        sockets = []
        for dialogue_id, *sessions in pairs:
            pair = []
            for session in sessions:
                ws = WebsocketCommunicator(
                    application,
                    f"/ws/dialogue/{dialogue_id}/",
                    [ORIGIN, (b"cookie", f"sessionid={session}".encode())],
                )
                connected, _ = await ws.connect(timeout=30)
                if not connected:
                    raise RuntimeError("a bench socket was refused")
                await _next(ws, "state")
                pair.append(ws)
            sockets.append(pair)
        latencies: list[float] = []
        started = time.perf_counter()
        counts = await asyncio.gather(*(_couple(pair, rounds, latencies) for pair in sockets))
        elapsed = time.perf_counter() - started
        for pair in sockets:
            for ws in pair:
                await ws.disconnect()
        await database_sync_to_async(connections.close_all)()
        return latencies, sum(counts), elapsed


async def _next(ws: WebsocketCommunicator, kind: str) -> dict[str, Any]:
    while True:
        frame = await ws.receive_json_from(timeout=30)
        if frame["type"] == kind:
            return frame
        if frame["type"] == "error":
            raise RuntimeError(f"bench action refused: {frame}")


async def _couple(pair: list[WebsocketCommunicator], rounds: int, latencies: list[float]) -> int:
    """One couple's whole dialogue; the partners swap roles after every round."""
    sender, receiver = pair
    seq = 0
    script = OPENING + ROUND * rounds
    for index, (who, action, text) in enumerate(script):
        actor, partner = (sender, receiver) if who == "s" else (receiver, sender)
        started = time.perf_counter()
        await actor.send_json_to(
            {
                "type": "action",
                "msg_id": uuid.uuid4().hex,
                "action": action,
                "text": text,
                "last_seq": seq,
            }
        )
        seen = await _next(partner, "turn")
        latencies.append(time.perf_counter() - started)
        await _next(actor, "turn")
        seq = seen["turn"]["seq"]
        if action == "swap" and index < len(script) - 1:
            sender, receiver = receiver, sender
    return len(script)

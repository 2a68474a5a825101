"""Benchmark the live dialogue against real servers, with two floors, and time the large pages.

Starts real daphne processes on 127.0.0.1 (PostgreSQL + Redis when DATABASE_URL and REDIS_URL
are set, and the embedded SQLite + in-memory layer), creates couples in a throwaway database,
and drives them over real websockets from one asyncio client through complete dialogue rounds.
The same client, messages and pace then run against a bare `websockets` relay (the physical
floor) and a minimal Channels relay over the same layer (the framework floor). Everything is
bounded in count and time, loopback only, and stopped and cleaned up at the end. The method and
the latest figures: docs/performance.md."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import resource
import signal
import socket
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, connections
from django.test.utils import setup_test_environment, teardown_test_environment
from websockets.exceptions import ConnectionClosed

from dialogue import flow

ROOT = Path(__file__).resolve().parents[3]
HERE = Path(__file__).resolve().parent
TEXT = ("When the dishes pile up after a long day I feel alone, and then I go quiet. " * 3)[:200]
# What each step's mover does next: a whole round with "is there more?", then a swap.
NEXT = {
    flow.Step.APPOINTMENT: flow.Action.REQUEST,
    flow.Step.APPOINTMENT_REPLY: flow.Action.ACCEPT,
    flow.Step.SEND: flow.Action.SEND,
    flow.Step.MIRROR: flow.Action.MIRROR,
    flow.Step.CHECK: flow.Action.CONFIRM,
    flow.Step.MORE: flow.Action.ASK_MORE,
    flow.Step.MORE_ANSWER: flow.Action.DONE,
    flow.Step.SUMMARY: flow.Action.SUMMARIZE,
    flow.Step.SUMMARY_CHECK: flow.Action.CONFIRM,
    flow.Step.VALIDATION: flow.Action.VALIDATE,
    flow.Step.VALIDATION_ACK: flow.Action.ACKNOWLEDGE,
    flow.Step.EMPATHY: flow.Action.EMPATHIZE,
    flow.Step.EMPATHY_CHECK: flow.Action.CONFIRM,
    flow.Step.CLOSE: flow.Action.SWAP,
}
CLK = os.sysconf("SC_CLK_TCK")
GRACE = 10.0  # seconds to wait for frames still on their way when a row ends


# --- Processes ----------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _python(code_dir: Path, env: dict[str, str]) -> tuple[list[str], dict[str, str]]:
    """The interpreter command and environment that import the project from `code_dir`. For
    another checkout, `-S` skips the .pth files (this checkout's editable install among them)
    and site-packages is put on the path by hand."""
    if code_dir == ROOT:
        return [sys.executable], env
    site_packages = sysconfig.get_paths()["purelib"]
    return [sys.executable, "-S"], {**env, "PYTHONPATH": f"{code_dir}:{site_packages}"}


def _cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLK


def _rss_mb(pid: int) -> float:
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


@dataclass
class Servers:
    """N server processes on their own loopback ports."""

    kind: str  # "imago", "channels" or "websockets"
    ports: list[int]
    procs: list[subprocess.Popen[bytes]]

    @property
    def pids(self) -> list[int]:
        return [proc.pid for proc in self.procs]

    def url(self, index: int, path: str) -> str:
        return f"ws://127.0.0.1:{self.ports[index % len(self.ports)]}{path}"


@contextlib.contextmanager
def servers(
    kind: str, count: int, env: dict[str, str], app_dir: Path, log_dir: Path
) -> Iterator[Servers]:
    procs: list[subprocess.Popen[bytes]] = []
    ports = [_free_port() for _ in range(count)]
    python, env = _python(app_dir, env)
    try:
        for index, port in enumerate(ports):
            if kind == "websockets":
                command = [*python, str(HERE / "_benchfloor.py"), str(port)]
            else:
                app = (
                    "imago_site.asgi:application"
                    if kind.startswith("imago")
                    else "dialogue.management.commands._benchfloor:application"
                )
                # A loaded 2-core machine can take longer than daphne's default 5 s to finish a
                # handshake while hundreds arrive at once; the floors get the same allowance.
                command = [*python, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port),
                           "--websocket_connect_timeout", "60", app]  # fmt: skip
            log = open(log_dir / f"{kind}-{index}.log", "wb")  # noqa: SIM115
            procs.append(
                subprocess.Popen(
                    command, cwd=app_dir, env=env, stdout=log, stderr=subprocess.STDOUT
                )
            )
        deadline = time.monotonic() + 60
        for port, proc in zip(ports, procs, strict=True):
            while True:
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                    break
                except OSError:
                    if proc.poll() is not None or time.monotonic() > deadline:
                        raise CommandError(f"{kind} server did not start; see {log_dir}") from None
                    time.sleep(0.1)
        yield Servers(kind, ports, procs)
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
        for proc in procs:
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


# --- The client ---------------------------------------------------------------------------------


@dataclass
class Couple:
    dialogue: str
    sessions: tuple[str, str]  # the two partners' session cookies
    user_ids: tuple[int, int]


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    actions: int = 0
    errors: int = 0
    lost: int = 0
    duplicated: int = 0
    typing: int = 0
    connect_failures: int = 0
    closed: int = 0  # sockets the server closed mid-row


class Party:
    """One partner's socket: records when each turn number arrives."""

    def __init__(self, ws: Any, user_id: int) -> None:
        self.ws = ws
        self.user_id = user_id
        self.seen: dict[int, float] = {}
        self.duplicated = 0
        self.snapshot: dict[str, Any] | None = None
        self.acks: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self.typing = 0

    async def read(self) -> None:
        with contextlib.suppress(Exception):
            async for raw in self.ws:
                now = time.perf_counter()
                frame = json.loads(raw)
                kind = frame.get("type")
                if kind == "state":
                    self.snapshot = frame["dialogue"]
                    continue
                if kind == "typing":
                    self.typing += 1
                    continue
                if kind in ("turn", "action"):
                    seq = frame["turn"]["seq"] if kind == "turn" else frame["seq"]
                    if seq in self.seen:
                        self.duplicated += 1
                    else:
                        self.seen[seq] = now
                    if "dialogue" in frame:
                        self.snapshot = frame["dialogue"]
                    msg_id = frame.get("in_reply_to") or frame.get("msg_id")
                elif kind == "error":
                    msg_id = frame.get("in_reply_to")
                else:
                    continue
                waiter = self.acks.pop(msg_id, None) if msg_id else None
                if waiter is not None and not waiter.done():
                    waiter.set_result(frame)


async def _connect(url: str, session: str | None) -> Any:
    from websockets.asyncio.client import connect

    headers = {"Cookie": f"sessionid={session}"} if session else {}
    return await connect(
        url,
        origin="http://127.0.0.1",
        additional_headers=headers,
        compression=None,
        max_size=2**22,
        open_timeout=60,
        ping_interval=None,
    )


async def _until_closed(moves: Any, tally: Tally) -> None:
    """A couple's moves; a socket the server closes mid-row (say a pause of live updates,
    4503) ends that couple's row as an error instead of ending the bench."""
    try:
        await moves
    except ConnectionClosed as closed:
        tally.errors += 1
        tally.closed += 1
        if tally.closed == 1:
            print(f"  first socket closed mid-row: {closed}", file=sys.stderr)


async def _couple_loop(
    couple: Couple,
    parties: tuple[Party, Party],
    target: str,
    pace: str,
    stop_at: float,
    tally: Tally,
    sent: dict[int, tuple[Party, float]],
) -> None:
    """Take turns until `stop_at`: at 1 action/s ("stress"), or one every 5–20 s with typing
    hints every 2 s meanwhile ("realistic")."""
    rng = random.Random(couple.dialogue)
    await asyncio.sleep(rng.random() * (1.0 if pace == "stress" else 5.0))
    seq = (parties[0].snapshot or {}).get("last_seq", 0) if target == "imago" else 0
    while time.perf_counter() < stop_at:
        if target == "imago":
            # The latest state either partner has seen (the author's acknowledgement may arrive
            # before the partner's copy of the turn, or after it).
            snapshot = max(
                (p.snapshot for p in parties if p.snapshot), key=lambda state: state["last_seq"]
            )
            step = flow.Step(snapshot["step"])
            mover = (
                flow.Role.SENDER if flow.Role.SENDER in flow.actors(step) else flow.Role.RECEIVER
            )
            mover_id = snapshot[mover.value]["id"]
            actor = parties[0] if parties[0].user_id == mover_id else parties[1]
            action = NEXT[step]
        else:
            actor = parties[seq % 2]
            action = flow.Action.SEND
        partner = parties[1] if actor is parties[0] else parties[0]
        started = time.perf_counter()
        if pace == "realistic":
            wait = rng.uniform(5, 20)
            typing_until = started + wait
            while time.perf_counter() + 2 < typing_until and time.perf_counter() < stop_at:
                await actor.ws.send(json.dumps({"type": "typing", "msg_id": uuid.uuid4().hex}))
                await asyncio.sleep(2)
            await asyncio.sleep(max(0.0, typing_until - time.perf_counter()))
            if time.perf_counter() >= stop_at:
                break
        msg_id = uuid.uuid4().hex
        message: dict[str, Any] = {"type": "action", "msg_id": msg_id, "last_seq": seq}
        if target == "imago":
            message["action"] = action.value
            message["text"] = TEXT if action in flow.TEXT_REQUIRED else ""
        else:
            message["seq"] = seq + 1
            message["text"] = TEXT
        ack = asyncio.get_running_loop().create_future()
        actor.acks[msg_id] = ack
        sent_at = time.perf_counter()
        sent[seq + 1] = (partner, sent_at)
        await actor.ws.send(json.dumps(message))
        try:
            frame = await asyncio.wait_for(ack, timeout=30)
        except TimeoutError:
            tally.errors += 1
            print(f"  no answer within 30 s to {message['type']} {seq + 1}", file=sys.stderr)
            break
        if frame.get("type") == "error":
            tally.errors += 1
            if tally.errors == 1:
                print(f"  first refusal: {frame}", file=sys.stderr)
            sent.pop(seq + 1, None)
            await asyncio.sleep(0.5)
            continue
        tally.actions += 1
        seq += 1
        if pace == "stress":
            await asyncio.sleep(max(0.0, sent_at + 1.0 - time.perf_counter()))


STORM = 100


async def join_long(url: str, session: str, *, clients: int = 1) -> list[tuple[float, int]]:
    """`clients` sockets join the dialogue at `url` at once: (ms to the state frame, bytes)."""

    async def one() -> tuple[float, int]:
        ws = await _connect(url, session)
        started = time.perf_counter()
        try:
            # The handshake is done; the state frame is the server's whole answer.
            frame = await asyncio.wait_for(ws.recv(), timeout=60)
        finally:
            await ws.close()
        return (time.perf_counter() - started) * 1000, len(frame.encode())

    results = await asyncio.gather(*(one() for _ in range(clients)), return_exceptions=True)
    failed = [r for r in results if isinstance(r, BaseException)]
    if failed:
        print(f"  {len(failed)} joins failed, the first: {failed[0]!r}", file=sys.stderr)
    return [r for r in results if not isinstance(r, BaseException)]


@dataclass
class Row:
    target: str  # "imago", "channels" or "websockets"
    config: str  # "pg" or "sqlite"
    processes: int
    couples: int
    pace: str
    p50: float = 0.0
    p95: float = 0.0
    p99: float = 0.0
    rate: float = 0.0
    lost: int = 0
    duplicated: int = 0
    errors: int = 0
    connect_failures: int = 0
    connect_rate: float = 0.0
    cpu_ms: list[float] = field(default_factory=list)  # per server process, per action
    pg_cpu_ms: float | None = None
    rss_kb_per_socket: float = 0.0
    typing_seen: int = 0

    @property
    def label(self) -> str:
        return f"{self.target} {self.config} ×{self.processes}"


def _ratio(row: Row, value: float, floor: Row | None, floor_value: float) -> str:
    if (
        not row.target.startswith("imago")
        or floor is None
        or not floor_value
        or floor_value != floor_value
    ):
        return ""
    return f"{value / floor_value:.2f}"


def _pct(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


async def drive(
    servers_: Servers,
    couples: list[Couple],
    *,
    pace: str,
    seconds: float,
    pg_pids: Any,
    storm: tuple[str, str] | None = None,
) -> tuple[Tally, dict[str, float]]:
    """Connect both partners of every couple (partners on different processes when there are
    several), take turns for `seconds`, and count what arrived."""
    target = "imago" if servers_.kind.startswith("imago") else servers_.kind
    tally = Tally()
    rss_before = sum(_rss_mb(pid) for pid in servers_.pids)
    gate = asyncio.Semaphore(100)

    async def open_pair(index: int, couple: Couple) -> tuple[Party, Party] | None:
        pair = []
        for side in (0, 1):
            # A couple's partners sit on different processes when there are several.
            proc = index + side if target != "websockets" else index
            path = (
                f"/ws/dialogue/{couple.dialogue}/"
                if target == "imago"
                else f"/relay/{couple.dialogue}/"
            )
            async with gate:
                try:
                    ws = await _connect(
                        servers_.url(proc, path),
                        couple.sessions[side] if target == "imago" else None,
                    )
                except Exception as error:  # noqa: BLE001 — counted: a failed handshake
                    tally.connect_failures += 1
                    if tally.connect_failures == 1:
                        print(f"  first failed handshake: {error!r}", file=sys.stderr)
                    for party in pair:
                        await party.ws.close()
                    return None
            pair.append(Party(ws, couple.user_ids[side]))
        return pair[0], pair[1]

    started = time.perf_counter()
    pairs = await asyncio.gather(*(open_pair(i, c) for i, c in enumerate(couples)))
    connect_seconds = time.perf_counter() - started
    live = [(c, p) for c, p in zip(couples, pairs, strict=True) if p is not None]
    readers = [asyncio.ensure_future(party.read()) for _, pair in live for party in pair]
    if target == "imago":
        # Every socket starts with a state frame; wait for them all before the clock starts.
        deadline = time.perf_counter() + 60
        while (
            any(p.snapshot is None for _, pair in live for p in pair)
            and time.perf_counter() < deadline
        ):
            await asyncio.sleep(0.05)
    sockets = 2 * len(live)
    rss_after = sum(_rss_mb(pid) for pid in servers_.pids)
    cpu_before = [_cpu_seconds(pid) for pid in servers_.pids]
    pg_before = await asyncio.to_thread(pg_pids)
    begin = time.perf_counter()
    sent: list[dict[int, tuple[Party, float]]] = [{} for _ in live]
    if storm is not None:
        # Halfway through, STORM clients join a long dialogue at once.
        asyncio.get_running_loop().call_later(
            seconds / 2, lambda: asyncio.ensure_future(join_long(*storm, clients=STORM))
        )
    await asyncio.gather(
        *(
            _until_closed(
                _couple_loop(c, pair, target, pace, begin + seconds, tally, sent[i]), tally
            )
            for i, (c, pair) in enumerate(live)
        )
    )
    elapsed = time.perf_counter() - begin
    cpu_after = [_cpu_seconds(pid) for pid in servers_.pids]
    pg_after = await asyncio.to_thread(pg_pids)
    # Frames still on their way get a grace period, then whatever has not arrived is lost.
    deadline = time.perf_counter() + GRACE
    while time.perf_counter() < deadline:
        missing = sum(1 for s in sent for seq, (p, _) in s.items() if seq not in p.seen)
        if not missing:
            break
        await asyncio.sleep(0.1)
    for each in sent:
        for seq, (partner, sent_at) in each.items():
            if seq in partner.seen:
                tally.latencies.append((partner.seen[seq] - sent_at) * 1000)
            else:
                tally.lost += 1
    tally.duplicated = sum(p.duplicated for _, pair in live for p in pair)
    tally.typing = sum(p.typing for _, pair in live for p in pair)
    for _, pair in live:
        for party in pair:
            with contextlib.suppress(Exception):
                await party.ws.close()
    for reader in readers:
        reader.cancel()
    await asyncio.gather(*readers, return_exceptions=True)
    measures = {
        "elapsed": elapsed,
        "connect_rate": sockets / connect_seconds if connect_seconds else 0.0,
        "rss_kb_per_socket": (rss_after - rss_before) * 1024 / sockets if sockets else 0.0,
        "cpu": [after - before for before, after in zip(cpu_before, cpu_after, strict=True)],
        "pg_cpu": (pg_after - pg_before) if pg_before is not None else None,
    }
    return tally, measures


# --- The command --------------------------------------------------------------------------------


class Command(BaseCommand):
    help = "Benchmark the live dialogue against real daphne processes and two floors."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--quick", action="store_true", help="the short CI mode (< 2 min)")
        parser.add_argument("--processes", type=int, nargs="+", default=[1, 2])
        parser.add_argument("--couples", type=int, nargs="+", default=[25, 50, 100, 200, 400])
        parser.add_argument(
            "--realistic",
            type=int,
            nargs="*",
            default=[500, 2000],
            help="couples at the realistic pace, on the largest process count",
        )
        parser.add_argument("--seconds", type=float, default=15.0, help="per stress row")
        parser.add_argument("--realistic-seconds", type=float, default=40.0)
        parser.add_argument("--configs", nargs="+", default=["pg", "sqlite"])
        parser.add_argument("--no-floors", action="store_true")
        parser.add_argument("--no-pages", action="store_true")
        parser.add_argument("--app-dir", default=str(ROOT), help="the code the servers run")
        parser.add_argument(
            "--compare-dir", default="", help="another checkout to run as `imago-before`"
        )
        parser.add_argument("--label", default="", help="names this run in the results")
        parser.add_argument("--out", default=str(ROOT / "bench" / "results"))
        parser.add_argument("--rows-json", default="", help=argparse.SUPPRESS)

    def handle(self, *args: Any, **options: Any) -> None:
        if options["quick"]:
            options.update(
                processes=[1, 2] if os.environ.get("REDIS_URL") else [1],
                couples=[20], realistic=[], seconds=6.0, configs=options["configs"][:1],
                no_pages=True,
            )  # fmt: skip
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        on_pg = bool(os.environ.get("DATABASE_URL"))
        if "pg" in options["configs"] and not on_pg:
            self.stderr.write("DATABASE_URL/REDIS_URL not set: PostgreSQL + Redis rows skipped.")
        configs = ["pg"] if on_pg and "pg" in options["configs"] else []
        if "sqlite" in options["configs"] and not on_pg:
            configs.append("sqlite")
        app_dir = Path(options["app_dir"]).resolve()
        self.log_dir = Path(tempfile.mkdtemp(prefix="imago-bench-"))
        setup_test_environment()
        rows: list[Row] = []
        pages: list[dict[str, Any]] = []
        started = datetime.now(UTC)
        try:
            for config in configs:
                rows += self._config(config, app_dir, options)
                if not options["no_pages"] and config == configs[0]:
                    pages = self._pages_for(config, app_dir)
                    if options["compare_dir"]:
                        before = self._pages_for(config, Path(options["compare_dir"]).resolve())
                        pages += [{**page, "name": page["name"] + " (before)"} for page in before]
        finally:
            teardown_test_environment()
        if "sqlite" in options["configs"] and on_pg:
            rows += self._sqlite_rows(options)
        if options["rows_json"]:
            Path(options["rows_json"]).write_text(json.dumps([r.__dict__ for r in rows]))
            return
        self._report(rows, pages, options, started, app_dir)
        bad = [row for row in rows if row.lost or row.duplicated]
        if bad:
            raise CommandError(
                "Lost or duplicated turns: "
                + ", ".join(
                    f"{r.label} {r.couples}: {r.lost} lost, {r.duplicated} dup" for r in bad
                )
            )

    def _sqlite_rows(self, options: dict[str, Any]) -> list[Row]:
        """The embedded configuration in a child process: settings are read once per process,
        and this one is set up for PostgreSQL."""
        env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
        out = self.log_dir / "sqlite-rows.json"
        command = [
            sys.executable, str(ROOT / "manage.py"), "bench", "--configs", "sqlite",
            "--rows-json", str(out), "--processes", "1", "--no-pages",
            "--seconds", str(options["seconds"]), "--app-dir", options["app_dir"],
            "--couples", *map(str, options["couples"]),
        ]  # fmt: skip
        if options["compare_dir"]:
            command += ["--compare-dir", options["compare_dir"]]
        if options["no_floors"]:
            command.append("--no-floors")
        if subprocess.run(command, env=env, cwd=ROOT, check=False).returncode:
            raise CommandError("The SQLite rows failed.")
        return [Row(**row) for row in json.loads(out.read_text())]

    # --- one configuration: a throwaway database, its servers, every row ----------------------

    @contextlib.contextmanager
    def _database(self, config: str) -> Iterator[dict[str, str]]:
        """A throwaway database for `config` and the environment servers need to use it."""
        db = connections["default"]
        env = dict(os.environ)
        env["IMAGO_SECRET_KEY"] = settings.SECRET_KEY
        env["IMAGO_ALLOWED_HOSTS"] = "127.0.0.1"
        env["IMAGO_LOG_LEVEL"] = "WARNING"
        if config == "sqlite":
            if db.vendor != "sqlite":
                raise CommandError("The SQLite rows need DATABASE_URL unset.")
            db.settings_dict["TEST"]["NAME"] = str(self.log_dir / "bench.sqlite3")
            env.pop("DATABASE_URL", None)
            env.pop("REDIS_URL", None)
        else:
            db.settings_dict["TEST"]["NAME"] = f"{db.settings_dict['NAME']}_bench"
        old_name = db.creation.create_test_db(verbosity=0, autoclobber=True)
        try:
            if config == "sqlite":
                env["IMAGO_SQLITE_PATH"] = db.settings_dict["NAME"]
            else:
                s = db.settings_dict
                env["DATABASE_URL"] = (
                    f"postgres://{s.get('USER') or 'postgres'}"
                    f"{':' + s['PASSWORD'] if s.get('PASSWORD') else ''}"
                    f"@{s.get('HOST') or '127.0.0.1'}:{s.get('PORT') or 5432}/{s['NAME']}"
                )
            yield env
        finally:
            connections.close_all()
            db.creation.destroy_test_db(old_name, verbosity=0)

    def _config(self, config: str, app_dir: Path, options: dict[str, Any]) -> list[Row]:
        rows: list[Row] = []
        processes = options["processes"] if config == "pg" else [1]
        stress = options["couples"]
        realistic = options["realistic"] if config == "pg" else []
        with self._database(config) as env:
            self.stdout.write(f"[{config}] creating {max([*stress, *realistic])} couples …")
            couples = _make_couples(max([*stress, *realistic]))
            long_room = _make_page_data()[0]  # a 1,000-turn dialogue, to join
            long_ws = long_room["path"].replace("/dialogues/", "/ws/dialogue/")
            connections.close_all()
            self.env = env
            pg_pids = self._pg_cpu if config == "pg" else (lambda: None)
            targets = [("imago", app_dir)]
            if options["compare_dir"]:
                targets.append(("imago-before", Path(options["compare_dir"]).resolve()))
            if not options["no_floors"]:
                targets += [("channels", app_dir), ("websockets", app_dir)]
            for count in processes:
                for target, code_dir in targets:
                    with servers(target, count, env, code_dir, self.log_dir) as procs:
                        for n in stress:
                            row = self._row(
                                procs, config, couples[:n], "stress", options["seconds"], pg_pids
                            )
                            rows.append(row)
                            if row.p99 > 5000 or row.lost:
                                break  # past saturation: larger N only takes longer
                        if target.startswith("imago") and count == 1 and not options["quick"]:
                            # A first visit, and a reconnect that says the last turn it has
                            # (`?since=`, docs/protocol.md; code without it sends everything).
                            for how, query in (("join", ""), ("reconnect", "?since=1000")):
                                joins = asyncio.run(
                                    self._joins(procs.url(0, long_ws + query), long_room)
                                )
                                self.joins[f"{target}, {config}, {how}"] = joins
                                self.stdout.write(
                                    f"  {target} {how} a 1,000-turn dialogue: "
                                    f"{joins['ms']:.1f} ms, {joins['kb']:.1f} KB"
                                )
                            n = min(50, max(stress))
                            storm = (procs.url(0, long_ws), long_room["session"])
                            rows.append(
                                self._row(procs, config, couples[:n], "stress", options["seconds"],
                                          pg_pids, storm=storm)
                            )  # fmt: skip
                        if count == max(processes):
                            for n in realistic:
                                rows.append(
                                    self._row(procs, config, couples[:n], "realistic",
                                              options["realistic_seconds"], pg_pids)
                                )  # fmt: skip
        return rows

    def _row(
        self,
        procs: Servers,
        config: str,
        couples: list[Couple],
        pace: str,
        seconds: float,
        pg_pids: Any,
        storm: tuple[str, str] | None = None,
    ) -> Row:
        imago = procs.kind.startswith("imago")
        stored = self._stored_turns(couples) if imago else 0
        tally, measures = asyncio.run(
            drive(procs, couples, pace=pace, seconds=seconds, pg_pids=pg_pids, storm=storm)
        )
        if imago:
            # Committed but never acknowledged to its author: lost as well.
            tally.lost += max(0, self._stored_turns(couples) - stored - tally.actions)
        actions = max(1, tally.actions)
        row = Row(
            target=procs.kind,
            config=config,
            processes=len(procs.procs),
            couples=len(couples),
            pace=f"{pace} + {STORM} joins" if storm else pace,
            p50=_pct(tally.latencies, 50),
            p95=_pct(tally.latencies, 95),
            p99=_pct(tally.latencies, 99),
            rate=tally.actions / measures["elapsed"],
            lost=tally.lost,
            duplicated=tally.duplicated,
            errors=tally.errors,
            connect_failures=tally.connect_failures,
            connect_rate=measures["connect_rate"],
            cpu_ms=[cpu * 1000 / actions for cpu in measures["cpu"]],
            pg_cpu_ms=measures["pg_cpu"] * 1000 / actions
            if measures["pg_cpu"] is not None
            else None,
            rss_kb_per_socket=measures["rss_kb_per_socket"],
            typing_seen=tally.typing,
        )
        self.stdout.write(
            f"  {row.label:24} {pace:9} {row.couples:5} couples  p50 {row.p50:7.1f}  "
            f"p99 {row.p99:7.1f} ms  {row.rate:6.1f}/s  lost {row.lost} dup {row.duplicated} "
            f"err {row.errors} conn-fail {row.connect_failures}  "
            f"cpu/action {'+'.join(f'{c:.2f}' for c in row.cpu_ms)} ms"
        )
        return row

    joins: dict[str, dict[str, float]] = {}

    @staticmethod
    async def _joins(url: str, room: dict[str, str]) -> dict[str, float]:
        """Join the long dialogue alone, seven times: the median time to its state frame."""
        results = []
        for _ in range(7):
            results += await join_long(url, room["session"])
        return {
            "ms": statistics.median(ms for ms, _ in results) if results else float("nan"),
            "kb": max(size for _, size in results) / 1024 if results else float("nan"),
        }

    @staticmethod
    def _stored_turns(couples: list[Couple]) -> int:
        from dialogue.models import Dialogue

        ids = [c.dialogue for c in couples]
        total = sum(Dialogue.objects.filter(pk__in=ids).values_list("last_seq", flat=True))
        connections.close_all()
        return total

    def _pg_cpu(self) -> float:
        """CPU seconds used so far by the PostgreSQL backends serving the bench database."""
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid()"
            )
            pids = [pid for (pid,) in cursor.fetchall()]
        connection.close()  # called from a passing thread: leave nothing open
        return sum(_cpu_seconds(pid) for pid in pids)

    # --- pages --------------------------------------------------------------------------------

    def _pages_for(self, config: str, app_dir: Path) -> list[dict[str, Any]]:
        with self._database(config) as env:
            spec = _make_page_data()
            connections.close_all()
            python, env = _python(app_dir, {**env, "PYTHONPATH": str(app_dir)})
            out = subprocess.run(
                [*python, str(HERE / "_benchpages.py"), json.dumps(spec)],
                cwd=app_dir, env=env, capture_output=True, text=True, timeout=600,
            )  # fmt: skip
            if out.returncode:
                raise CommandError(f"page timing failed:\n{out.stderr[-3000:]}")
            pages = json.loads(out.stdout.strip().splitlines()[-1])
        for page in pages:
            if page.get("status", 200) != 200:  # a redirect or refusal is not the page's time
                page["name"] += f" (HTTP {page['status']}: not the page)"
            self.stdout.write(
                f"  page {page['name']:36} {page['median_ms']:7.1f} ms  {page['queries']:3} queries"
                f"  {page['kb']:7.1f} KB"
            )
        return pages

    # --- report -------------------------------------------------------------------------------

    def _report(
        self,
        rows: list[Row],
        pages: list[dict[str, Any]],
        options: dict[str, Any],
        started: datetime,
        app_dir: Path,
    ) -> None:
        floors = {(r.target, r.config, r.processes, r.couples, r.pace): r for r in rows}
        lines = [
            f"# Live dialogue benchmark{' — ' + options['label'] if options['label'] else ''}",
            "",
            f"Run {started:%Y-%m-%d %H:%M} UTC on {_machine()}; code: `{_code(app_dir)}`.",
            "Latency: from an action's send to its arrival at the partner (ms). CPU: server "
            "CPU ms per action, per process. Ratios: Imago ÷ floor at the same N.",
            "",
            "| target | pace | couples | p50 | p95 | p99 | actions/s | lost | dup | errors "
            "| CPU ms/action/process | PG CPU ms/action | RSS KB/socket | connect/s "
            "| p99 ÷ Channels | rate ÷ Channels | p99 ÷ websockets |",
            "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|",
        ]
        for r in rows:
            ch = floors.get(("channels", r.config, r.processes, r.couples, r.pace))
            ws = floors.get(("websockets", r.config, r.processes, r.couples, r.pace))
            lines.append(
                f"| {r.label} | {r.pace} | {r.couples} | {r.p50:.1f} | {r.p95:.1f} | {r.p99:.1f} "
                f"| {r.rate:.1f} | {r.lost} | {r.duplicated} | {r.errors + r.connect_failures} "
                f"| {' / '.join(f'{c:.2f}' for c in r.cpu_ms)} "
                f"| {'' if r.pg_cpu_ms is None else f'{r.pg_cpu_ms:.2f}'} "
                f"| {r.rss_kb_per_socket:.0f} | {r.connect_rate:.0f} "
                f"| {_ratio(r, r.p99, ch, ch.p99 if ch else 0)} "
                f"| {_ratio(r, r.rate, ch, ch.rate if ch else 0)} "
                f"| {_ratio(r, r.p99, ws, ws.p99 if ws else 0)} |"
            )
        for config, joins in self.joins.items():
            lines += [
                "",
                f"A 1,000-turn dialogue ({config}: a first join, or a reconnect with "
                f"`?since=1000`; one process, nothing else running): state frame "
                f"{joins['kb']:.1f} KB, {joins['ms']:.1f} ms from handshake to frame (median of 7, "
                f"client side). The `+ {STORM} joins` row: {STORM} clients join it at once halfway "
                "through the row.",
            ]
        if pages:
            lines += ["", "| page | median server ms | queries | KB |", "|---|---:|---:|---:|"]
            lines += [
                f"| {p['name']} | {p['median_ms']} | {p['queries']} | {p['kb']} |" for p in pages
            ]
        text = "\n".join(lines) + "\n"
        self.stdout.write("\n" + text)
        if options["quick"]:
            return
        out = Path(options["out"])
        out.mkdir(parents=True, exist_ok=True)
        stem = f"bench-{options['label'] or 'latest'}"
        (out / f"{stem}.md").write_text(text)
        (out / f"{stem}.json").write_text(
            json.dumps([r.__dict__ for r in rows] + [{"pages": pages}], indent=1, default=str)
        )
        _plot(rows, out / f"{stem}.png")
        self.stdout.write(f"Results: {out / stem}.md, .json, .png")


def _machine() -> str:
    model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return f"{os.cpu_count()} cores, {model}"


def _code(app_dir: Path) -> str:
    out = subprocess.run(
        ["git", "-C", str(app_dir), "describe", "--always", "--dirty"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    return out.stdout.strip() or app_dir.name


def _plot(rows: list[Row], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 5))
    lines: dict[str, list[Row]] = {}
    for row in rows:
        if row.pace == "stress":
            lines.setdefault(row.label, []).append(row)
    for label, series in lines.items():
        ax.plot([r.couples for r in series], [r.p99 for r in series], marker="o", label=label)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("couples (1 action/s each)")
    ax.set_ylabel("p99 turn-to-partner latency (ms)")
    ax.axhline(100, color="grey", linestyle=":", linewidth=1)
    ax.legend(fontsize=8)
    ax.grid(True, which="both", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


# --- Data ----------------------------------------------------------------------------------------


def _session(user: Any) -> str:
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    if user.is_therapist:
        # A therapist's session has entered its second factor, or every page is the prompt.
        from django_otp import DEVICE_ID_SESSION_KEY
        from django_otp.plugins.otp_totp.models import TOTPDevice

        device, _ = TOTPDevice.objects.get_or_create(
            user=user, name="Bench authenticator", defaults={"confirmed": True}
        )
        store[DEVICE_ID_SESSION_KEY] = device.persistent_id
    store.create()
    return store.session_key


def _make_couples(count: int) -> list[Couple]:
    from couples.models import User
    from couples.services import invitation_accept, invitation_create
    from dialogue.services import dialogue_start

    made = []
    for index in range(count):
        a = User.objects.create_user(f"a{index}@bench.invalid", None, display_name=f"A{index}")
        b = User.objects.create_user(f"b{index}@bench.invalid", None, display_name=f"B{index}")
        couple = invitation_accept(user=b, token=invitation_create(inviter=a).token)
        dialogue = dialogue_start(couple=couple, user=a, topic="the dishes")
        made.append(Couple(str(dialogue.pk), (_session(a), _session(b)), (a.pk, b.pk)))
    return made


def _make_page_data() -> list[dict[str, str]]:
    """A couple with a 1,000-turn dialogue and 2,000 shared exercise entries, and their
    consented therapist invited to the dialogue."""
    from couples.models import User
    from couples.services import (
        invitation_accept,
        invitation_create,
        therapist_consent_give,
        therapist_link_create,
    )
    from dialogue.models import Dialogue, Turn
    from dialogue.services import dialogue_invite_therapist, dialogue_start
    from exercises.models import Appreciation, Entry, Kind, Visibility

    alice = User.objects.create_user("alice@bench.invalid", None, display_name="Alice")
    bob = User.objects.create_user("bob@bench.invalid", None, display_name="Bob")
    carol = User.objects.create_user(
        "carol@bench.invalid", None, display_name="Carol", role=User.Role.THERAPIST
    )
    couple = invitation_accept(user=bob, token=invitation_create(inviter=alice).token)
    link = therapist_link_create(couple=couple, therapist=carol, by=alice)
    therapist_consent_give(link=link, partner=bob)
    dialogue = dialogue_start(couple=couple, user=alice, topic="the dishes")
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
            text=TEXT,
            client_msg_id=f"m{seq}",
            created_at=now,
        )  # fmt: skip
        for seq in range(1, 1001)
    )
    Dialogue.objects.filter(pk=dialogue.pk).update(last_seq=1000, step="send")
    dialogue_invite_therapist(dialogue_id=dialogue.pk, user=alice, invite=True)
    entries = Entry.objects.bulk_create(
        Entry(
            author=alice if n % 2 else bob,
            couple=couple,
            kind=Kind.APPRECIATION,
            visibility=Visibility.PARTNER,
            title=f"entry {n}",
            created_at=now,
            updated_at=now,
        )  # fmt: skip
        for n in range(2000)
    )
    Appreciation.objects.bulk_create(
        Appreciation(entry=e, appreciate="a", because="b", feeling="c") for e in entries
    )
    session_a, session_c = _session(alice), _session(carol)
    return [
        {"name": "room, 1,000 turns", "path": f"/dialogues/{dialogue.pk}/", "session": session_a},
        {"name": "transcript, 1,000 turns", "path": f"/dialogues/{dialogue.pk}/transcript/",
         "session": session_a},
        {"name": "timeline, 2,000 entries", "path": "/exercises/history/", "session": session_a},
        {"name": "therapist: client desk", "path": f"/clients/{couple.pk}/",
         "session": session_c},
        {"name": "therapist: shared history", "path": f"/clients/{couple.pk}/history/",
         "session": session_c},
        {"name": "therapist: dialogue skills", "path": f"/clients/{couple.pk}/skills/",
         "session": session_c},
        {"name": "therapist: room, 1,000 turns", "path": f"/dialogues/{dialogue.pk}/",
         "session": session_c},
    ]  # fmt: skip

"""Real servers a test starts and stops itself: a daphne process serving the test database, and a
Redis of the test's own on a free port (so stopping it touches nothing else on the machine)."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import redis
from websockets.sync.client import ClientConnection, connect

from tests.conftest import ROOT, _free_port, _test_database_env


def _wait_for_port(port: int, proc: subprocess.Popen[bytes], what: str) -> None:
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError(f"{what} did not start") from None
            time.sleep(0.1)


class Daphne:
    """One daphne process on a fixed port, serving the test database; `env` adds to or overrides
    its environment (REDIS_URL, say)."""

    def __init__(self, env: dict[str, str] | None = None) -> None:
        self.port = _free_port()
        self.env = env or {}
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def ws(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def dialogue_socket(
        self, dialogue_id: object, cookie: str, *, close_timeout: float = 10
    ) -> ClientConnection:
        """A dialogue's websocket on this server, as the browser with session `cookie` opens it."""
        return connect(
            f"{self.ws}/ws/dialogue/{dialogue_id}/",
            additional_headers={"Cookie": f"sessionid={cookie}"},
            origin=self.origin,
            open_timeout=10,
            close_timeout=close_timeout,
        )

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(self.port),
             "imago_site.asgi:application"],
            cwd=ROOT, env={**_test_database_env(), **self.env}, stdout=self._log(),
            stderr=subprocess.STDOUT,
        )  # fmt: skip
        _wait_for_port(self.port, self.proc, "daphne")

    def _log(self) -> Any:
        """The server's output, kept for a failing test: .pytest_cache/daphne-<port>.log."""
        (ROOT / ".pytest_cache").mkdir(exist_ok=True)
        return open(ROOT / ".pytest_cache" / f"daphne-{self.port}.log", "ab")  # noqa: SIM115

    def kill(self) -> None:
        assert self.proc is not None
        os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()


@contextlib.contextmanager
def daphne_on(redis_url: str) -> Iterator[str]:
    """A daphne of its own, on the test database and `redis_url`: its websocket base URL."""
    server = Daphne({"REDIS_URL": redis_url})
    server.start()
    try:
        yield server.ws
    finally:
        server.stop()


class RedisServer:
    def __init__(self) -> None:
        self.port = _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            ["redis-server", "--bind", "127.0.0.1", "--port", str(self.port), "--save", "",
             "--appendonly", "no"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        client = redis.Redis(host="127.0.0.1", port=self.port)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                return
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def stop(self) -> None:
        assert self.process is not None
        self.process.terminate()
        self.process.wait(timeout=10)

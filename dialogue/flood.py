"""Flood limits for the live dialogue socket: token buckets per connection and per person.

A person types, acts and resyncs at human speed; a script does not. Each frame takes a token
from its connection's bucket and from its person's (shared by all their connections in this
process) — one bucket for every frame, good or bad, and one per kind (`action` for every write,
`sync`, `typing`). A frame without a token is dropped: the first of a run is answered with a
`too_fast` error frame, and a run of `settings.DIALOGUE_FLOOD["strikes"]` drops in a row closes the
socket with 4429. The numbers are in settings (`DIALOGUE_FLOOD`) and docs/protocol.md."""

from __future__ import annotations

import time
from typing import Any

from django.conf import settings

FLOODED = 4429  # the close code of a socket that kept flooding


class _Bucket:
    __slots__ = ("tokens", "stamp")

    def __init__(self, burst: float, now: float) -> None:
        self.tokens = burst
        self.stamp = now

    def has(self, burst: float, per_second: float, now: float) -> bool:
        self.tokens = min(burst, self.tokens + (now - self.stamp) * per_second)
        self.stamp = now
        return self.tokens >= 1


# A person's buckets, shared by their connections in this process, kept while one is open.
_people: dict[int, dict[str, _Bucket]] = {}
_connections: dict[int, int] = {}


class FloodGuard:
    """One connection's limits. `allow(kind)` says whether a frame of `kind` may be handled."""

    def __init__(self, user_id: int) -> None:
        self.config: dict[str, Any] = settings.DIALOGUE_FLOOD
        self.user_id = user_id
        self.own: dict[str, _Bucket] = {}
        self.strikes = 0
        _connections[user_id] = _connections.get(user_id, 0) + 1
        self.shared = _people.setdefault(user_id, {})

    def release(self) -> None:
        left = _connections.get(self.user_id, 1) - 1
        if left <= 0:
            _connections.pop(self.user_id, None)
            _people.pop(self.user_id, None)
        else:
            _connections[self.user_id] = left

    def allow(self, kind: str) -> bool:
        burst, per_second = self.config[kind]
        factor = self.config["per_person"]
        now = time.monotonic()
        own = self.own.get(kind) or self.own.setdefault(kind, _Bucket(burst, now))
        shared = self.shared.get(kind) or self.shared.setdefault(kind, _Bucket(burst * factor, now))
        # Check both before taking from either, so a refused frame costs no token.
        if own.has(burst, per_second, now) and shared.has(burst * factor, per_second * factor, now):
            own.tokens -= 1
            shared.tokens -= 1
            if kind != "frame":  # a frame of a known kind got through: the run of drops ends
                self.strikes = 0
            return True
        self.strikes += 1
        return False

    @property
    def first_strike(self) -> bool:
        return self.strikes == 1

    @property
    def out(self) -> bool:
        return self.strikes >= self.config["strikes"]

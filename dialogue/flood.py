"""Flood limits for the live dialogue socket: token buckets per connection and per person.

A person types, acts and resyncs at human speed; a script does not. Each frame takes a token
from its connection's bucket and from its person's (shared by all their connections) — one
bucket for every frame, good or bad, and one per kind (`action` for every write, `sync`,
`typing`). A frame without a token is dropped: the first of a run is answered with a
`too_fast` error frame, and a run of `settings.DIALOGUE_FLOOD["strikes"]` drops in a row closes the
socket with 4429. The numbers are in settings (`DIALOGUE_FLOOD`) and docs/protocol.md.

Scaled out, a person's sockets may sit on several processes. There, with Redis configured, the
person's budget is one bucket in Redis for all of them: each process checks its local buckets on
every frame (no round trip on the hot path) and, in the background, adds what it let through to
the person's shared bucket and lowers its local one to what is left there: every
`RECONCILE_SECONDS`, as soon as a person arrives on the process, and as soon as they have used a
quarter of a budget since the last settling. A person flooding through several processes can so
overdraw by about a quarter of a budget per process, and then waits until the shared bucket
refills. If Redis is unreachable, the local buckets alone apply."""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

import redis.asyncio as aioredis
from django.conf import settings
from redis.exceptions import RedisError

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


# A person's buckets in this process, shared by their connections here, kept while one is open.
_people: dict[int, dict[str, _Bucket]] = {}
_connections: dict[int, int] = {}

RECONCILE_SECONDS = 0.5
# What this process let through per (person, kind) since its last reconciliation with Redis.
_pending: dict[tuple[int, str], int] = {}
_reconciler: asyncio.Task[None] | None = None
_due: asyncio.Event | None = None  # set when a settling should not wait for the period

# The person's shared bucket, refilled by the Redis server's clock: take what the processes used,
# keep the key only while the bucket is below full, answer what is left (negative: in debt).
_SHARED_BUCKET = """
local now = redis.call('TIME')
local t = tonumber(now[1]) + tonumber(now[2]) / 1000000
local used, burst, rate = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local held = redis.call('HMGET', KEYS[1], 'tokens', 'stamp')
local tokens = tonumber(held[1]) or burst
local stamp = tonumber(held[2]) or t
tokens = math.min(burst, tokens + (t - stamp) * rate) - used
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'stamp', tostring(t))
redis.call('PEXPIRE', KEYS[1], math.ceil((burst - tokens) / rate * 1000) + 1000)
return tostring(tokens)
"""


def _person_budget(kind: str) -> tuple[float, float]:
    burst, per_second = settings.DIALOGUE_FLOOD[kind]
    factor = settings.DIALOGUE_FLOOD["per_person"]
    return burst * factor, per_second * factor


async def _reconcile_forever(url: str) -> None:
    """Every period, settle this process's use of each person's budget with the shared bucket."""
    global _pending
    client = aioredis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
    script = client.register_script(_SHARED_BUCKET)
    namespace = f"imago:flood:{settings.DATABASES['default']['NAME']}"
    due = _due
    assert due is not None
    try:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(due.wait(), RECONCILE_SECONDS)
            due.clear()
            batch, _pending = _pending, {}
            if not batch:
                continue
            try:
                async with client.pipeline(transaction=False) as pipe:
                    for (user_id, kind), used in batch.items():
                        burst, per_second = _person_budget(kind)
                        await script(
                            keys=[f"{namespace}:{user_id}:{kind}"],
                            args=[used, burst, per_second],
                            client=pipe,
                        )
                    left = await pipe.execute()
            except (RedisError, OSError):
                continue  # Redis away: the local buckets keep limiting on their own
            now = time.monotonic()
            for (user_id, kind), tokens in zip(batch, left, strict=True):
                buckets = _people.get(user_id)
                if buckets is None:
                    continue  # the person left this process meanwhile
                bucket = buckets.get(kind) or buckets.setdefault(
                    kind, _Bucket(_person_budget(kind)[0], now)
                )
                bucket.tokens = min(bucket.tokens, float(tokens))
    finally:
        with contextlib.suppress(RedisError, OSError):
            await client.aclose()


def _reconcile_start() -> None:
    global _reconciler, _due
    url = settings.REDIS_URL
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return  # a synchronous caller: the local buckets only
    if not url or (
        _reconciler is not None and not _reconciler.done() and _reconciler.get_loop() is loop
    ):
        return
    _due = asyncio.Event()
    _reconciler = loop.create_task(_reconcile_forever(url))


def _reconcile_stop() -> None:
    global _reconciler
    if _reconciler is not None:
        _reconciler.cancel()
        _reconciler = None
    _pending.clear()


class FloodGuard:
    """One connection's limits. `allow(kind)` says whether a frame of `kind` may be handled."""

    def __init__(self, user_id: int) -> None:
        self.config: dict[str, Any] = settings.DIALOGUE_FLOOD
        self.user_id = user_id
        self.own: dict[str, _Bucket] = {}
        self.strikes = 0
        arrived = user_id not in _connections
        _connections[user_id] = _connections.get(user_id, 0) + 1
        self.shared = _people.setdefault(user_id, {})
        _reconcile_start()
        if arrived and _reconciler is not None and _due is not None:
            # Learn at once what the person's other processes have left them.
            for kind, budget in settings.DIALOGUE_FLOOD.items():
                if isinstance(budget, tuple):
                    _pending.setdefault((user_id, kind), 0)
            _due.set()

    def release(self) -> None:
        left = _connections.get(self.user_id, 1) - 1
        if left <= 0:
            _connections.pop(self.user_id, None)
            _people.pop(self.user_id, None)
        else:
            _connections[self.user_id] = left
        if not _connections:
            _reconcile_stop()

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
            if _reconciler is not None and _due is not None:
                key = (self.user_id, kind)
                used = _pending[key] = _pending.get(key, 0) + 1
                if used >= burst * factor / 4:
                    _due.set()
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

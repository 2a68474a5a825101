"""The plumbing of the live dialogue socket, kept out of the consumer's way.

- **Database threads.** Channels runs every `database_sync_to_async` call of a process on one
  shared thread, and (4.2+) a connection-cleanup hop on it before every consumer message. The
  live dialogue instead runs its database work on a small pool of threads (`db_run`), each with
  its own connection, cleaned up around every call; a call that finds its connection dropped
  (a database restart) closes it and runs once more. Every dialogue service is idempotent on
  its message id, so running one again is safe.
- **No broadcast from a database thread.** Events a service sends after commit are collected
  in the thread (`imago_site.events.events_collected`) and returned with the result; the event
  loop sends them.
- **The channel layer may be down** (Redis unavailable). `LayerWatch` notices it — a failed or
  slow send, or its own probe once a second — and closes every live socket of the process with
  `LAYER_DOWN` (4503); pages say "live updates paused", reconnect with backoff, and catch up
  from their last turn once the layer is back. Nothing is lost: turns live in the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import threading
import weakref
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, Protocol, TypeVar

from channels.consumer import get_handler_name
from channels.exceptions import StopConsumer
from channels.generic.websocket import AsyncWebsocketConsumer
from channels.layers import InMemoryChannelLayer, get_channel_layer
from channels.utils import await_many_dispatch
from django.conf import settings
from django.db import (
    DatabaseError,
    InterfaceError,
    OperationalError,
    close_old_connections,
    connections,
)
from redis.exceptions import TimeoutError as RedisTimeoutError

from imago_site.events import Event, events_collected

logger = logging.getLogger(__name__)
T = TypeVar("T")

LAYER_DOWN = 4503  # the close code of a socket whose live updates paused (docs/protocol.md)
# Seconds a channel-layer call may take before the layer counts as down. A Redis that is down
# refuses at once; this bounds one that hangs, far above any wait a busy process sees.
LAYER_TIMEOUT = 10.0
PROBE_EVERY = 1.0  # seconds between two probes of the layer while sockets are open
SLOW_PROBES = 3  # probes in a row that take LAYER_TIMEOUT before a hanging layer counts as down
# What sending a service's events came to (the consumer's `_broadcast`).
SENT, SLOW, DOWN = "sent", "slow", "down"
# A call that took too long, by our clock or by the Redis client's: slow, not refused.
SLOW_ERRORS = (TimeoutError, RedisTimeoutError)


# --- Database threads -----------------------------------------------------------------------

_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()
calls = 0  # database calls made by the pool so far (tests check that typing makes none)


def _threads() -> int:
    return settings.DIALOGUE_DB_THREADS


def _executor() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=_threads(), thread_name_prefix="dialogue-db")
        return _pool


def _connection_lost(error: BaseException) -> bool:
    """Whether a call failed for want of a working connection (a services' own error such as
    "not saved" carries the database's error as its context)."""
    cause = error if isinstance(error, DatabaseError) else error.__context__
    return isinstance(cause, OperationalError | InterfaceError)


def _call(func: Callable[..., T], kwargs: dict[str, Any]) -> tuple[T, list[Event]]:
    close_old_connections()
    try:
        for attempt in (1, 2):
            try:
                with events_collected() as events:
                    return func(**kwargs), events
            except Exception as error:
                if attempt == 2 or not _connection_lost(error):
                    raise
                # The database dropped this connection (a restart, say): nothing was committed
                # on it, so start over once on a new one.
                connections["default"].close()
        raise AssertionError("unreachable")
    finally:
        close_old_connections()


async def db_run(func: Callable[..., T], **kwargs: Any) -> tuple[T, list[Event]]:
    """Run `func(**kwargs)` on a database thread: its result, and the events it committed."""
    global calls
    calls += 1
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_executor(), functools.partial(_call, func, kwargs))


async def db_read(func: Callable[..., T], **kwargs: Any) -> T:
    """`db_run` for work that sends nothing."""
    result, _events = await db_run(func, **kwargs)
    return result


def db_close_all() -> None:
    """Close the connection of every database thread (tests, before dropping their database)."""
    global _pool
    with _pool_lock:
        pool, _pool = _pool, None
    if pool is None:
        return
    barrier = threading.Barrier(_threads(), timeout=10)

    def close() -> None:
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait()  # one task per thread: each closes its own connection
        connections.close_all()

    for future in [pool.submit(close) for _ in range(_threads())]:
        future.result()
    pool.shutdown(wait=True)


# --- The channel layer, and what to do when it is down ---------------------------------------


class Watched(Protocol):
    async def layer_down(self) -> None: ...


class LayerWatch:
    """Whether this process's channel layer works, and the live sockets to close if not."""

    def __init__(self) -> None:
        self.up = True
        self.sockets: weakref.WeakSet[Any] = weakref.WeakSet()
        self.task: asyncio.Task[None] | None = None

    def watch(self, consumer: Watched, layer: Any) -> None:
        self.sockets.add(consumer)
        loop = asyncio.get_running_loop()
        running = self.task is not None and self.task.get_loop() is loop and not self.task.done()
        if not running and not isinstance(layer, InMemoryChannelLayer):
            self.task = loop.create_task(self._probe(layer))

    def forget(self, consumer: Watched) -> None:
        self.sockets.discard(consumer)

    async def down(self, why: str) -> None:
        if self.up:
            logger.warning("Channel layer down (%s): live sockets paused", why)
        self.up = False
        for consumer in list(self.sockets):
            with contextlib.suppress(Exception):
                await consumer.layer_down()

    async def call(self, awaitable: Any, why: str) -> bool:
        """Await a channel-layer call within LAYER_TIMEOUT: False if it failed. A refusal puts
        the layer down; a call that only took too long does not (an overloaded process is slow
        too, and pausing every socket then would bring them all back at once): the caller
        handles its own failure, and the probe decides whether the layer hangs."""
        try:
            await asyncio.wait_for(awaitable, LAYER_TIMEOUT)
            return True
        except SLOW_ERRORS:
            logger.warning("Channel layer slow (%s)", why)
            return False
        except Exception:
            await self.down(why)
            return False

    async def _probe(self, layer: Any) -> None:
        """Once a second while sockets are open, or until the layer is back: one publish. A
        refused probe puts the layer down at once; a slow one only after SLOW_PROBES in a row."""
        slow = 0
        try:
            while self.sockets or not self.up:
                await asyncio.sleep(PROBE_EVERY)
                try:
                    await asyncio.wait_for(
                        layer.group_send("imago-probe", {"type": "probe"}), LAYER_TIMEOUT
                    )
                except SLOW_ERRORS:
                    slow += 1
                    if slow >= SLOW_PROBES:
                        await self.down("probe hangs")
                    continue
                except Exception:
                    await self.down("probe failed")
                    continue
                slow = 0
                if not self.up:
                    self.up = True
                    logger.warning("Channel layer back: live sockets may connect again")
        finally:
            self.task = None


watch = LayerWatch()


class LiveConsumer(AsyncWebsocketConsumer):
    """A websocket consumer for the hot path: no connection-cleanup hop through Channels' one
    database thread before each message (its database work goes through `db_run`, which
    cleans up around every call), and a channel layer that is down leaves `live` False
    instead of failing the connection."""

    live = False

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        self.scope = scope
        self.base_send = send
        self.channel_layer = get_channel_layer(self.channel_layer_alias)
        sources = [receive]
        if self.channel_layer is not None and watch.up:
            try:
                self.channel_name = await asyncio.wait_for(
                    self.channel_layer.new_channel(), LAYER_TIMEOUT
                )
            except SLOW_ERRORS:
                logger.warning("Channel layer slow (new channel)")  # this socket pauses alone
            except Exception:
                await watch.down("new channel failed")
            else:
                self.live = True
                self.channel_receive = functools.partial(
                    self.channel_layer.receive, self.channel_name
                )
                sources.append(self.channel_receive)
        with contextlib.suppress(StopConsumer):
            await await_many_dispatch(sources, self.dispatch)

    async def dispatch(self, message: dict[str, Any]) -> None:
        handler = getattr(self, get_handler_name(message), None)
        if handler is None:
            raise ValueError(f"No handler for message type {message['type']}")
        await handler(message)

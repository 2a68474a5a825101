"""Counting attempts in the cache, for limits that must hold across processes (Redis when
configured). A cache that is down must not turn a page into a 500: the limit then fails open and
the fault is logged (the login lockout of django-axes lives in the database and still holds)."""

from __future__ import annotations

import logging

from django.core.cache import cache

logger = logging.getLogger(__name__)


def throttle_hit(key: str, *, limit: int, window: int) -> bool:
    """Count one attempt under `key`; True when this attempt goes over `limit` within `window`
    seconds of the first one."""
    try:
        cache.add(key, 0, timeout=window)
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=window)
            count = 1
    except Exception:
        logger.warning("Throttle cache unavailable; %s not counted", key, exc_info=True)
        return False
    return count > limit


def throttle_count(key: str) -> int:
    try:
        return int(cache.get(key, 0))
    except Exception:
        logger.warning("Throttle cache unavailable; %s not read", key, exc_info=True)
        return 0


def throttle_clear(key: str) -> None:
    try:
        cache.delete(key)
    except Exception:
        logger.warning("Throttle cache unavailable; %s not cleared", key, exc_info=True)

"""Scheduled work of the exercises, run by huey's consumer beside daphne (see couples/tasks.py)."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from .services import request_reminders_due


@db_periodic_task(crontab(minute="*"))
def request_reminders_every_minute() -> int:
    return request_reminders_due()

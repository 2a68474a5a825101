"""Scheduled work, run by huey's consumer (`manage.py run_huey`, started by `make run`).

The database is the record of what is due (`Notification.show_at`, `Delivery.due_at`); a task is
only a wake-up call to the dispatcher, at the exact time (a delayed task) and once a minute (a
periodic task) as the backstop, so a lost or doubled wake-up changes nothing.
"""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from .notifications import notification_daily_due, notification_dispatch_due


@db_task()
def notifications_dispatch() -> int:
    return notification_dispatch_due()


@db_periodic_task(crontab(minute="*"))
def notifications_every_minute() -> int:
    notification_daily_due()
    return notification_dispatch_due()

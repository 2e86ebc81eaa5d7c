"""Background jobs of the work app (thin wrappers over services)."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from kehu.work import services


@db_periodic_task(crontab(minute="*"))
def send_task_reminders() -> int:
    """Every minute: the reminders whose time has come, each sent once."""
    return services.send_due_reminders()


@db_periodic_task(crontab(minute="0", hour="1"))
def open_weekly_reviews() -> int:
    """Daily at 09:00 Beijing time (01:00 UTC); acts only on the configured review weekday."""
    from kehu.work import reviews

    return reviews.open_weekly_reviews()

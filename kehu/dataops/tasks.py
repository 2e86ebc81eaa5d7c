"""Data-audit jobs: thin wrappers over the services."""

from __future__ import annotations

from django.utils import timezone
from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task

from kehu.dataops import services


@db_task()
def run_data_audit(audit_id: int) -> None:
    """An audit somebody asked for (page, API)."""
    services.perform_audit(audit_id=audit_id)


# Daily at 18:17 UTC, i.e. 02:17 in Asia/Shanghai: the quiet hours after the 1st begins there.
@db_periodic_task(crontab(minute="17", hour="18"))
def scheduled_data_audit() -> None:
    """Starts the organisation-wide audit on the 1st of the month or quarter (see the
    schedule), or on one of the next days if the worker was down on the 1st."""
    services.run_scheduled_audit(today=timezone.localdate())

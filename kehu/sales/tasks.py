"""Sales background jobs: thin wrappers over the services."""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from kehu.sales import services


@db_periodic_task(crontab(minute="*/5"))
def check_stage_deadlines() -> int:
    """Every five minutes: flag deals past their stage's time limit and notify once."""
    return services.check_stage_deadlines()

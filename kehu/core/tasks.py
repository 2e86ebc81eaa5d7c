"""Core background jobs."""

from __future__ import annotations

import time

from huey import crontab
from huey.contrib.djhuey import HUEY, on_startup, periodic_task

from kehu.core.health import HEARTBEAT_KEY


def beat() -> None:
    HUEY.put(HEARTBEAT_KEY, str(time.time()))


@on_startup()
def worker_started() -> None:
    beat()


@periodic_task(crontab(minute="*"))
def worker_heartbeat() -> None:
    """Lets `/api/v1/health` tell whether a worker is consuming the queue."""
    beat()

"""Health checks of the parts Kehu runs on, shared by the API and `kehu serve`'s start-up."""

from __future__ import annotations

import time
import uuid
from typing import Any

from asgiref.sync import async_to_sync
from django.conf import settings
from django.core.cache import cache
from django.db import connection

HEARTBEAT_KEY = "kehu:worker-heartbeat"


def _ok(**detail: Any) -> dict[str, Any]:
    return {"status": "ok", **detail}


def _error(exc: BaseException, **detail: Any) -> dict[str, Any]:
    return {"status": "error", "error": type(exc).__name__, **detail}


def check_database() -> dict[str, Any]:
    vendor = connection.vendor
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:
        return _error(exc, backend=vendor)
    return _ok(backend=vendor)


def check_cache() -> dict[str, Any]:
    backend = "redis" if settings.REDIS_URL else "local-memory"
    key = f"kehu:health:{uuid.uuid4().hex}"
    try:
        cache.set(key, "1", 10)
        value = cache.get(key)
        cache.delete(key)
    except Exception as exc:
        return _error(exc, backend=backend)
    if value != "1":
        return {"status": "error", "error": "ReadBackFailed", "backend": backend}
    return _ok(backend=backend)


def check_channel_layer() -> dict[str, Any]:
    from channels.layers import get_channel_layer

    backend = "redis" if settings.REDIS_URL else "in-memory"
    layer = get_channel_layer()
    if layer is None:
        return {"status": "error", "error": "NotConfigured", "backend": backend}

    async def roundtrip() -> bool:
        channel = await layer.new_channel()
        await layer.send(channel, {"type": "health.ping"})
        message = await layer.receive(channel)
        return bool(message.get("type") == "health.ping")

    try:
        ok = async_to_sync(roundtrip)()
    except Exception as exc:
        return _error(exc, backend=backend)
    return _ok(backend=backend) if ok else {"status": "error", "backend": backend}


def check_queue() -> dict[str, Any]:
    from huey.contrib.djhuey import HUEY

    backend = "redis" if settings.REDIS_URL else "sqlite"
    try:
        pending = HUEY.pending_count()
        beat = HUEY.get(HEARTBEAT_KEY, peek=True)
    except Exception as exc:
        return _error(exc, backend=backend)
    age = None if beat is None else round(time.time() - float(beat), 1)
    return _ok(backend=backend, pending=pending, worker_seen_seconds_ago=age)


def run_checks() -> dict[str, dict[str, Any]]:
    return {
        "database": check_database(),
        "cache": check_cache(),
        "channel_layer": check_channel_layer(),
        "queue": check_queue(),
    }

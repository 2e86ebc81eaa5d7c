"""Team mode: two `kehu serve` processes share Redis; a notification made through one reaches a
browser connected to the other."""

import json
import os
import uuid

import httpx
import pytest
from websockets.sync.client import connect

from tests.conftest import require
from tests.servers import kehu_env, kehu_server, login

pytestmark = pytest.mark.servers

REDIS_URL = os.environ.get("KEHU_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def redis_available() -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2).ping())
    except redis.RedisError:
        return False


def test_notification_crosses_processes_through_redis(migrated_data_dir):
    require(redis_available(), f"Redis at {REDIS_URL}")
    env = kehu_env(
        migrated_data_dir,
        REDIS_URL=REDIS_URL,
        KEHU_QUEUE_NAME=f"kehu-test-{uuid.uuid4().hex[:8]}",
    )
    with kehu_server(env) as a, kehu_server(env) as b:
        for server in (a, b):
            checks = httpx.get(f"{server.url}/api/v1/health").json()["checks"]
            assert checks["channel_layer"]["backend"] == "redis"
            assert checks["cache"]["backend"] == "redis"
        with httpx.Client() as browser:
            login(browser, b.url, "admin", "a-long-admin-pass")
            session = browser.cookies["sessionid"]
            with connect(
                f"ws://127.0.0.1:{a.port}/ws/notifications/",
                origin=f"http://127.0.0.1:{a.port}",
                additional_headers={"Cookie": f"sessionid={session}"},
                open_timeout=10,
            ) as ws:
                hello = json.loads(ws.recv(timeout=10))
                assert hello["type"] == "hello"
                sent = browser.post(
                    f"{b.url}/api/v1/me/notifications/test",
                    headers={"X-CSRFToken": browser.cookies["csrftoken"], "Referer": f"{b.url}/"},
                )
                assert sent.status_code == 201, sent.text
                pushed = json.loads(ws.recv(timeout=10))
                assert pushed["type"] == "notification"
                assert pushed["id"] == sent.json()["id"]

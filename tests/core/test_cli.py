"""The `kehu` command as a person runs it: real processes, real ports."""

import os
import signal
import socket

import httpx
import pytest

from tests.servers import free_port, kehu_env, kehu_server, run_kehu, wait_until

pytestmark = pytest.mark.servers


def one_clear_sentence(result):
    assert result.returncode != 0
    assert "Traceback" not in result.stderr + result.stdout
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_help_lists_the_commands(tmp_path):
    result = run_kehu("--help", env=kehu_env(tmp_path))
    assert result.returncode == 0
    for command in ("serve", "worker", "migrate", "demo", "createadmin", "manage"):
        assert f"kehu {command}" in result.stdout


def test_unknown_command_is_refused(tmp_path):
    result = run_kehu("frobnicate", env=kehu_env(tmp_path))
    assert result.returncode == 2 and "unknown command" in result.stderr


def test_unreachable_database_is_one_sentence(tmp_path):
    env = kehu_env(tmp_path, DATABASE_URL="postgres://kehu:secret@127.0.0.1:1/kehu")
    line = one_clear_sentence(run_kehu("serve", "--port", str(free_port()), env=env))
    assert "Cannot reach the database" in line
    assert "secret" not in line  # the password is never printed


def test_malformed_database_url_is_one_sentence(tmp_path):
    env = kehu_env(tmp_path, DATABASE_URL="nosuchdb://x")
    line = one_clear_sentence(run_kehu("serve", env=env))
    assert "configuration could not be loaded" in line


def test_unreachable_redis_is_one_sentence(migrated_data_dir):
    env = kehu_env(migrated_data_dir, REDIS_URL="redis://127.0.0.1:1/0")
    line = one_clear_sentence(run_kehu("serve", "--port", str(free_port()), env=env))
    assert "Cannot reach Redis" in line


def test_unmigrated_database_says_what_to_do(tmp_path):
    line = one_clear_sentence(run_kehu("serve", "--port", str(free_port()), env=kehu_env(tmp_path)))
    assert "kehu migrate" in line


def test_busy_port_is_refused(migrated_data_dir):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_kehu("serve", "--port", str(port), env=kehu_env(migrated_data_dir))
    line = one_clear_sentence(result)
    assert "already in use" in line


def test_serve_runs_web_and_worker_and_one_ctrl_c_stops_both(migrated_data_dir):
    from tests import psutil_free_children as children

    with kehu_server(kehu_env(migrated_data_dir)) as server:
        health = httpx.get(f"{server.url}/api/v1/health").json()
        assert health["checks"]["database"]["backend"] == "sqlite"
        # The embedded worker is up and consuming: it reports a heartbeat.
        wait_until(
            lambda: (
                httpx.get(f"{server.url}/api/v1/health").json()["checks"]["queue"][
                    "worker_seen_seconds_ago"
                ]
                is not None
            ),
            what="the embedded worker's heartbeat",
        )
        worker_pids = children.of(server.process.pid)
        assert worker_pids, "no worker process"
        os.killpg(server.process.pid, signal.SIGINT)
        assert server.process.wait(timeout=20) == 0
        wait_until(
            lambda: not any(children.alive(p) for p in worker_pids),
            timeout=20,
            what="the worker to stop",
        )


def test_demo_loads_once(tmp_path):
    env = kehu_env(tmp_path)
    assert run_kehu("migrate", "--no-input", "-v0", env=env).returncode == 0
    first = run_kehu("demo", "--if-empty", env=env)
    assert first.returncode == 0 and "customers:" in first.stdout
    second = run_kehu("demo", "--if-empty", env=env)
    assert "not loaded" in second.stdout

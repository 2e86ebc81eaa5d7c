"""`kehu serve`: uvicorn (HTTP + WebSockets) and, in embedded mode, the job worker."""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import socket
import subprocess
import sys
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from kehu.core.preflight import require_services


def bind_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host.strip("[]"), port))
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise CommandError(
                f"Port {port} on {host} is already in use (another Kehu or another program "
                "is serving there). Stop it, or choose another port with --port."
            ) from None
        raise CommandError(f"Cannot listen on {host}:{port}: {exc.strerror}.") from None
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


class Command(BaseCommand):
    help = "Serve Kehu over HTTP and WebSockets (and run the job worker in embedded mode)."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=os.environ.get("KEHU_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("KEHU_PORT", "8000")))
        parser.add_argument(
            "--no-worker",
            action="store_true",
            help="Do not start the embedded job worker (team mode never starts one).",
        )
        parser.add_argument("--log-level", default=os.environ.get("KEHU_LOG_LEVEL", "info"))

    def handle(self, *args: Any, **options: Any) -> None:
        import uvicorn

        require_services()
        sock = bind_socket(options["host"], options["port"])
        embedded_worker = not settings.REDIS_URL and not options["no_worker"]
        worker = self._start_worker() if embedded_worker else None
        config = uvicorn.Config(
            "kehu.asgi:application",
            lifespan="off",
            log_level=options["log_level"].lower(),
            proxy_headers=True,
            forwarded_allow_ips=os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1"),
            ws_ping_interval=20,
            timeout_graceful_shutdown=10,
        )
        server = uvicorn.Server(config)
        host = options["host"]
        shown = f"[{host}]" if ":" in host else host
        self.stdout.write(f"Kehu is serving on http://{shown}:{options['port']}/  (Ctrl-C stops)")
        self.stdout.flush()
        try:
            server.run(sockets=[sock])
        except KeyboardInterrupt:
            pass  # uvicorn re-raises the Ctrl-C it handled: a clean stop
        finally:
            sock.close()
            if worker is not None:
                self._stop_worker(worker)
        if not server.started:
            raise CommandError("The web server could not start; see the messages above.")

    def _start_worker(self) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            [sys.executable, "-m", "kehu", "worker", "--embedded"],
            env={**os.environ, "KEHU_EMBEDDED_WORKER": "1"},
        )

    @staticmethod
    def _stop_worker(worker: subprocess.Popen[bytes]) -> None:
        if worker.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                worker.send_signal(signal.SIGINT)
            try:
                worker.wait(timeout=15)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()

"""`kehu worker`: consume background jobs (huey) until interrupted."""

from __future__ import annotations

import os
import signal
import sys
import threading
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from kehu.core.preflight import require_services


def _exit_with_parent() -> None:
    """The embedded worker leaves when `kehu serve` does, even if that was killed hard."""
    parent = os.getppid()

    def watch() -> None:
        while True:
            if os.getppid() != parent:
                os.kill(os.getpid(), signal.SIGINT)
                return
            threading.Event().wait(1.0)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


class Command(BaseCommand):
    help = "Run a background job worker."
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--workers", type=int, default=None, help="Worker threads.")
        parser.add_argument(
            "--embedded", action="store_true", help="Started by `kehu serve`; exits with it."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        require_services()
        if options["embedded"]:
            _exit_with_parent()
        extra: dict[str, Any] = {}
        if options["workers"]:
            extra["workers"] = options["workers"]
        if not options["embedded"]:
            self.stdout.write("Kehu worker started (Ctrl-C stops).")
        sys.stdout.flush()
        from kehu.core import search

        threading.Thread(target=search.warm, name="search-warm", daemon=True).start()
        call_command("run_huey", **extra)

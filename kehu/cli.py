"""The ``kehu`` command.

kehu serve        HTTP + WebSockets (uvicorn), and the job worker in embedded mode
kehu worker       a job worker (run as many as you like in team mode)
kehu migrate      create or upgrade the database
kehu demo         load the demo company (idempotent)
kehu createadmin  create an administrator
kehu audit        audit the quality of the customer data (organisation-wide) and print it
kehu manage …     any Django management command
"""

from __future__ import annotations

import os
import sys

SHORTCUTS = {
    "serve": "serve",
    "worker": "worker",
    "migrate": "migrate",
    "demo": "demo",
    "createadmin": "createadmin",
    "audit": "audit",
}


def _usage() -> str:
    return (__doc__ or "").strip() + "\n"


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kehu.settings")
    if not args or args[0] in {"-h", "--help", "help"}:
        sys.stdout.write(_usage())
        return 0
    if args[0] in {"--version", "version"}:
        from kehu import __version__

        sys.stdout.write(f"kehu {__version__}\n")
        return 0
    command, rest = args[0], args[1:]
    if command == "manage":
        django_args = rest
    elif command in SHORTCUTS:
        django_args = [SHORTCUTS[command], *rest]
    else:
        sys.stderr.write(f"kehu: unknown command {command!r}\n\n{_usage()}")
        return 2

    try:
        import django

        django.setup()
    except Exception as exc:  # a broken setting must read as one sentence, not a traceback
        sys.stderr.write(f"kehu: the configuration could not be loaded: {exc}\n")
        return 2

    from django.core.management import execute_from_command_line

    try:
        execute_from_command_line(["kehu", *django_args])
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

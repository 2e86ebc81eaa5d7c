"""Start-up checks that turn a wrong or unreachable service into one clear sentence."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.core.management.base import CommandError
from django.db import connection
from django.db.migrations.executor import MigrationExecutor


def redact(url: str) -> str:
    """``url`` without its password."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<invalid URL>"
    if parts.password:
        netloc = parts.netloc.replace(f":{parts.password}@", ":***@")
        parts = parts._replace(netloc=netloc)
    return urlunsplit(parts)


def require_database() -> None:
    try:
        connection.ensure_connection()
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise CommandError(
            f"Cannot reach the database at {redact(settings.DATABASE_URL)} ({reason}). "
            "Check DATABASE_URL and that the database server is running."
        ) from None


def require_redis() -> None:
    if not settings.REDIS_URL:
        return
    import redis

    try:
        redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=3).ping()
    except Exception as exc:
        raise CommandError(
            f"Cannot reach Redis at {redact(settings.REDIS_URL)} ({exc}). "
            "Check REDIS_URL and that Redis is running."
        ) from None


def pending_migrations() -> int:
    executor = MigrationExecutor(connection)
    targets = executor.loader.graph.leaf_nodes()
    return len(executor.migration_plan(targets))


def require_services(*, migrated: bool = True) -> None:
    require_database()
    require_redis()
    if migrated and pending_migrations():
        raise CommandError("The database is not up to date. Run `kehu migrate` first.")

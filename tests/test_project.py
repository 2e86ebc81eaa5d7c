"""Project-wide guarantees: migrations committed, translations complete, settings honoured."""

import shutil
import subprocess
import sys
from io import StringIO
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection

ROOT = Path(settings.BASE_DIR)
ZH_PO = ROOT / "kehu" / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


@pytest.mark.django_db
def test_no_missing_migrations():
    out = StringIO()
    try:
        call_command("makemigrations", "--check", "--dry-run", stdout=out, stderr=out)
    except SystemExit as exc:
        pytest.fail(f"models changed without a migration:\n{out.getvalue()}\n{exc}")


def test_every_zh_hans_string_is_translated():
    po = polib.pofile(str(ZH_PO))
    missing = [e.msgid for e in po.untranslated_entries()]
    fuzzy = [e.msgid for e in po.fuzzy_entries()]
    assert not missing, f"untranslated: {missing[:20]}"
    assert not fuzzy, f"fuzzy: {fuzzy[:20]}"


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="gettext tools are not installed")
def test_catalogue_has_every_string_in_the_code(tmp_path):
    """Copy the package, run makemessages on the copy, and compare its msgids to the committed."""
    copy = tmp_path / "kehu"
    shutil.copytree(ROOT / "kehu", copy, ignore=shutil.ignore_patterns("__pycache__", "*.mo"))
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "django",
            "makemessages",
            "-l",
            "zh_Hans",
            "--no-location",
            "--ignore",
            "static/*",
        ],
        cwd=copy,
        env={
            "DJANGO_SETTINGS_MODULE": "kehu.settings",
            "PATH": "/usr/bin:/bin",
            "PYTHONPATH": str(ROOT),
            "KEHU_DATA_DIR": str(tmp_path / "var"),
        },
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    fresh = {
        e.msgid
        for e in polib.pofile(str(copy / ZH_PO.relative_to(ROOT / "kehu")))
        if not e.obsolete
    }
    committed = {e.msgid for e in polib.pofile(str(ZH_PO)) if not e.obsolete}
    assert not fresh - committed, (
        f"run `make messages` and translate: {sorted(fresh - committed)[:20]}"
    )


@pytest.mark.django_db
def test_sqlite_runs_in_wal_mode_with_foreign_keys():
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    # The in-memory test database cannot use WAL; check the settings that apply to files.
    options = settings.DATABASES["default"]["OPTIONS"]
    assert options["transaction_mode"] == "IMMEDIATE"
    assert "journal_mode=WAL" in options["init_command"]
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA foreign_keys")
        assert cursor.fetchone()[0] == 1
        cursor.execute("PRAGMA busy_timeout")
        assert cursor.fetchone()[0] >= 5000


def test_sqlite_file_database_is_in_wal_mode(migrated_data_dir):
    import sqlite3

    db = sqlite3.connect(migrated_data_dir / "kehu.sqlite3")
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_secret_key_is_generated_once_and_kept_private(migrated_data_dir):
    key_file = migrated_data_dir / "secret_key"
    assert key_file.exists()
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    assert len(key_file.read_text().strip()) >= 50


def test_debug_is_off_by_default():
    assert settings.DEBUG is False


def test_every_icon_used_exists_in_the_sprite():
    import re

    from kehu.core import navigation

    sprite = ROOT / "node_modules" / "lucide-static" / "sprite.svg"
    assert sprite.exists(), "run `npm ci`"
    available = set(re.findall(r'<symbol id="([a-z0-9-]+)"', sprite.read_text()))
    used = {item.icon for item in navigation._items.values()}
    for template in (ROOT / "kehu").rglob("*.html"):
        used |= set(re.findall(r'{% icon "([a-z0-9-]+)"', template.read_text()))
    assert used - available == set()

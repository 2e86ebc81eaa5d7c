"""Build what Kehu serves: vendor files from node_modules, compiled translations, static files.

Run by `make` after `npm ci`; idempotent. Nothing is fetched here: npm already did that from
the committed package-lock.json.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent
NODE = ROOT / "node_modules"
VENDOR = ROOT / "build" / "vendor"

# node_modules source → path under /static/vendor/
VENDOR_FILES = {
    "htmx.org/dist/htmx.min.js": "htmx.min.js",
    "@alpinejs/csp/dist/cdn.min.js": "alpine-csp.min.js",
    "lucide-static/sprite.svg": "lucide/sprite.svg",
    "sortablejs/Sortable.min.js": "sortable.min.js",
    "frappe-gantt/dist/frappe-gantt.umd.js": "frappe-gantt/frappe-gantt.umd.js",
    "frappe-gantt/dist/frappe-gantt.css": "frappe-gantt/frappe-gantt.css",
    "mermaid/dist/mermaid.min.js": "mermaid.min.js",
    "echarts/dist/echarts.min.js": "echarts.min.js",
}


def copy_vendor() -> None:
    for source, target in VENDOR_FILES.items():
        src = NODE / source
        if not src.exists():
            sys.exit(f"build_assets: {src} is missing; run `npm ci` first.")
        dst = VENDOR / target
        dst.parent.mkdir(parents=True, exist_ok=True)
        if not dst.exists() or dst.read_bytes() != src.read_bytes():
            shutil.copyfile(src, dst)


def compile_messages() -> None:
    """Compile .po to .mo with polib, so no system gettext is needed to run Kehu."""
    for po_path in (ROOT / "kehu" / "locale").glob("*/LC_MESSAGES/*.po"):
        mo_path = po_path.with_suffix(".mo")
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        polib.pofile(str(po_path)).save_as_mofile(str(mo_path))


def collect_static() -> None:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "kehu.settings"}
    subprocess.run(
        [sys.executable, "-m", "kehu", "manage", "collectstatic", "--noinput", "-v0"],
        check=True,
        cwd=ROOT,
        env=env,
    )


if __name__ == "__main__":
    copy_vendor()
    compile_messages()
    collect_static()

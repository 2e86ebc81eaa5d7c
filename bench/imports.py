"""`python -m bench.imports`: importing 100,000 customers from XLSX, and exporting them back.

Writes a 100,000-row customer list as XLSX (name, level, city, source, owner, tags, contact,
mobile, e-mail — what a team's spreadsheet holds), then, in a fresh process per database and
on an empty scratch database: the dry run (read, validate, match duplicates), the import itself
(read, validate, match, write customers, contacts, tags, history and search entries, batch by
batch), and as the limit, a plain bulk insert of the same customers and contacts (no
validation, no duplicate checks, no history, no search). Reports rows/s, the ratio to the plain
insert, and the process's peak RSS. Writes ``bench/results/imports.json``.
``KEHU_BENCH_IMPORT_ROWS`` changes the size.
"""

from __future__ import annotations

import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
ROWS = int(os.environ.get("KEHU_BENCH_IMPORT_ROWS", "100000"))
TARGET_ROWS_S = 10_000
HEADER = ["客户名称", "客户级别", "城市", "来源", "负责人", "标签", "联系人", "手机", "邮箱"]
CITIES = ["杭州市", "上海市", "北京市", "深圳市", "南京市", "苏州市", "宁波市", "广州市"]


def write_xlsx(path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("客户")
    sheet.append(HEADER)
    for n in range(ROWS):
        sheet.append(
            [
                f"导入基准{n:06d}科技有限公司",
                "ABCD"[n % 4],
                CITIES[n % len(CITIES)],
                "展会" if n % 3 else "转介绍",
                "benchimporter",
                "重点跟进、老客户" if n % 5 == 0 else "",
                f"联系人{n % 997}",
                13_000_000_000 + n * 7,  # stored as a number, as Excel does
                f"c{n}@example.cn",
            ]
        )
    book.save(path)


def database_url(vendor: str) -> str | None:
    if vendor != "postgresql":
        return None
    base = os.environ.get("KEHU_BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    import psycopg

    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute('DROP DATABASE IF EXISTS "kehu_bench_import"')
        conn.execute('CREATE DATABASE "kehu_bench_import"')
    return base.rsplit("/", 1)[0] + "/kehu_bench_import"


def child(vendor: str, xlsx: str, out: str) -> None:
    """One database: migrate an empty scratch database, then time the three runs."""
    data_dir = Path(tempfile.mkdtemp(prefix="kehu-bench-import-"))
    os.environ["KEHU_DATA_DIR"] = str(data_dir)
    os.environ["DJANGO_SETTINGS_MODULE"] = "kehu.settings"
    url = database_url(vendor)
    if url:
        os.environ["DATABASE_URL"] = url
    else:
        os.environ.pop("DATABASE_URL", None)
    import django

    django.setup()
    from django.core.files import File
    from django.core.management import call_command

    from kehu.accounts.models import Role, User
    from kehu.accounts.roles import create_default_roles
    from kehu.dataops import services

    call_command("migrate", verbosity=0)
    create_default_roles(Role)
    user = User.objects.create(username="benchimporter", display_name="导入员")
    user.roles.set([Role.objects.get(code="customer_manager")])
    results: dict[str, Any] = {"database": vendor, "rows": ROWS}

    with open(xlsx, "rb") as handle:
        upload = File(handle, name="customers.xlsx")
        upload.size = os.path.getsize(xlsx)
        job = services.start_import(actor=user, upload=upload, kind="customers")
    start = time.perf_counter()
    job = services.check_import(actor=user, job=job)
    results["dry_run_s"] = round(time.perf_counter() - start, 1)
    results["dry_run_counts"] = job.check_summary["counts"]
    services.prepare_run(actor=user, job=job)
    start = time.perf_counter()
    job = services.run_import(job.pk)
    seconds = time.perf_counter() - start
    results["import_s"] = round(seconds, 1)
    results["import_rows_per_s"] = round(job.created_count / seconds)
    results["created"] = job.created_count
    results["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    results["plain_insert_s"] = plain_insert(xlsx, user)
    results["plain_rows_per_s"] = round(ROWS / results["plain_insert_s"])
    results["ratio_to_plain"] = round(results["plain_insert_s"] / seconds, 2)
    results["export_rows_per_s"] = export_rate(user)
    Path(out).write_text(json.dumps(results, ensure_ascii=False))


def plain_insert(xlsx: str, user: Any) -> float:
    """The limit: the same rows read from the same file and bulk-inserted as they are."""
    from django.db import transaction
    from django.utils import timezone

    from kehu.customers.models import Contact, Customer
    from kehu.dataops import readers

    Customer.objects.all().delete()
    start = time.perf_counter()
    source = readers.open_table(xlsx)
    now = timezone.now()
    batch: list[list[Any]] = []

    def flush() -> None:
        with transaction.atomic():
            customers = [
                Customer(
                    name=c[0] + "#",
                    level=c[1],
                    city=c[2],
                    source=c[3],
                    owner=user,
                    created_at=now,
                    updated_at=now,
                )
                for c in batch
            ]
            Customer.objects.bulk_create(customers, batch_size=500)
            Contact.objects.bulk_create(
                [
                    Contact(
                        customer_id=k.pk,
                        name=c[6],
                        mobile=c[7],
                        email=c[8],
                        created_at=now,
                        updated_at=now,
                    )
                    for k, c in zip(customers, batch, strict=True)
                ],
                batch_size=500,
            )
        batch.clear()

    for _n, cells in source.rows():
        batch.append(cells)
        if len(batch) >= 1000:
            flush()
    if batch:
        flush()
    source.close()
    return round(time.perf_counter() - start, 1)


def export_rate(user: Any) -> int:
    from django.test import Client

    client = Client()
    client.force_login(user)
    start = time.perf_counter()
    response = client.get("/customers/?export=csv")
    lines = sum(chunk.count(b"\n") for chunk in response.streaming_content)
    return round((lines - 1) / (time.perf_counter() - start))


def main() -> int:
    vendors = ["sqlite"]
    from bench.__main__ import postgres_reachable

    if postgres_reachable():
        vendors.append("postgresql")
    with tempfile.TemporaryDirectory() as tmp:
        xlsx = Path(tmp) / "customers.xlsx"
        start = time.perf_counter()
        write_xlsx(xlsx)
        print(f"wrote {ROWS:,} rows to XLSX in {time.perf_counter() - start:.1f} s")
        runs = {}
        for vendor in vendors:
            out = Path(tmp) / f"{vendor}.json"
            subprocess.run(
                [sys.executable, "-m", "bench.imports", "--child", vendor, str(xlsx), str(out)],
                check=True,
                cwd=ROOT,
            )
            runs[vendor] = json.loads(out.read_text())
    print(
        f"\nKehu import, {ROWS:,} customer rows from XLSX · "
        f"{platform.python_implementation()} {platform.python_version()} · {os.cpu_count()} cores"
    )
    for vendor, r in runs.items():
        verdict = "ok" if r["import_rows_per_s"] >= TARGET_ROWS_S else "under target"
        print(
            f"  {vendor:>10}: dry run {r['dry_run_s']} s · import {r['import_s']} s = "
            f"{r['import_rows_per_s']:,} rows/s ({verdict}) · plain bulk insert "
            f"{r['plain_insert_s']} s = {r['plain_rows_per_s']:,} rows/s · ratio "
            f"{r['ratio_to_plain']} · peak RSS {r['peak_rss_mb']} MB · CSV export "
            f"{r['export_rows_per_s']:,} rows/s"
        )
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "imports.json").write_text(
        json.dumps({"rows": ROWS, "runs": runs}, ensure_ascii=False, indent=2)
    )
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(*sys.argv[2:5])
        sys.exit(0)
    sys.exit(main())

"""`python -m bench.imports`: importing 100,000 customers from XLSX, and exporting a million.

Writes a 100,000-row customer list as XLSX (name, level, city, source, owner, tags, contact,
mobile, e-mail — what a team's spreadsheet holds), then, in a fresh process per database and
on an empty scratch database: the dry run (read, validate, match duplicates), the import itself
(read, validate, match, write customers, contacts, tags, history and search entries, batch by
batch, duplicate flags kept current), and as the limit, a plain insert of the same customers and
contacts — the rows read from the file first (timed on their own), then one ``executemany``
per table on SQLite or ``COPY`` on PostgreSQL: no validation, no duplicate checks, no history, no
search. Between the two, the write floor: every row the import stored (records, history,
search entries, undo log) inserted again as it is, the fastest any import keeping them can
write. Then the customer table is filled up to 1,000,000 customers and exported to CSV through
the table's own export. Reports rows/s (wall clock and CPU, as the machine may be shared), the
ratio to the plain insert, the process's peak RSS during the import, the CSV export's rows/s and
the load average around each step. Writes ``bench/results/imports.json``.
``KEHU_BENCH_IMPORT_ROWS`` changes the import's size, ``KEHU_BENCH_EXPORT_ROWS`` the export's,
``KEHU_BENCH_IMPORT_DATABASE`` the name of the PostgreSQL scratch database (dropped and made
again; default ``kehu_bench_import``).
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
EXPORT_ROWS = int(os.environ.get("KEHU_BENCH_EXPORT_ROWS", "1000000"))
SCRATCH_DATABASE = os.environ.get("KEHU_BENCH_IMPORT_DATABASE", "kehu_bench_import")
TARGET_ROWS_S = 10_000
EXPORT_TARGET_ROWS_S = 50_000
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
        conn.execute(f'DROP DATABASE IF EXISTS "{SCRATCH_DATABASE}"')
        conn.execute(f'CREATE DATABASE "{SCRATCH_DATABASE}"')
    return base.rsplit("/", 1)[0] + "/" + SCRATCH_DATABASE


def load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


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
    from kehu.core import search
    from kehu.dataops import services

    call_command("migrate", verbosity=0)
    create_default_roles(Role)
    user = User.objects.create(username="benchimporter", display_name="导入员")
    user.roles.set([Role.objects.get(code="customer_manager")])
    results: dict[str, Any] = {"database": vendor, "rows": ROWS, "load_at_start": load()}

    with open(xlsx, "rb") as handle:
        upload = File(handle, name="customers.xlsx")
        upload.size = os.path.getsize(xlsx)
        job = services.start_import(actor=user, upload=upload, kind="customers")
    start = time.perf_counter()
    job = services.check_import(actor=user, job=job)
    results["dry_run_s"] = round(time.perf_counter() - start, 1)
    results["dry_run_counts"] = job.check_summary["counts"]
    services.prepare_run(actor=user, job=job)
    search.warm()  # as `kehu worker` does when it starts, before any job
    start, cpu = time.perf_counter(), time.process_time()
    job = services.run_import(job.pk)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    results["import_s"] = round(seconds, 1)
    results["import_cpu_s"] = round(cpu, 1)
    results["import_rows_per_s"] = round(job.created_count / seconds)
    results["import_rows_per_cpu_s"] = round(job.created_count / cpu)
    results["created"] = job.created_count
    results["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    results["load_after_import"] = load()
    floor = write_floor()
    results["floor_s"] = round(floor, 2)
    results["floor_rows_per_s"] = round(ROWS / floor)
    read_s, insert_s = plain_insert(xlsx, user)
    results["plain_read_s"] = round(read_s, 2)
    results["plain_insert_s"] = round(insert_s, 2)
    results["plain_rows_per_s"] = round(ROWS / insert_s)
    results["ratio_to_plain"] = round(insert_s / seconds, 3)
    results["ratio_to_read_and_plain"] = round((read_s + insert_s) / seconds, 3)
    results["load_after_plain"] = load()
    fill_customers(user, EXPORT_ROWS)
    results["export_rows"], results["export_s"] = export_csv(user)
    results["export_rows_per_s"] = round(results["export_rows"] / results["export_s"])
    results["load_after_export"] = load()
    Path(out).write_text(json.dumps(results, ensure_ascii=False))


def _raw_insert(model: Any, rows: list[dict[str, Any]], first_id: int) -> None:
    """The rows as they are, with ids from ``first_id`` on: one executemany (SQLite) or COPY
    (PostgreSQL); the id sequence is moved past them."""
    from django.db import connection

    fields = list(model._meta.concrete_fields)
    names = [f.attname for f in fields]
    table = connection.ops.quote_name(model._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            raw = cursor.cursor
            with raw.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for n, row in enumerate(rows):
                    copy.write_row([first_id + n if name == "id" else row[name] for name in names])
            cursor.execute(
                "SELECT setval(pg_get_serial_sequence(%s, 'id'), %s)",
                [model._meta.db_table, first_id + len(rows)],
            )
        return
    now_text = connection.ops.adapt_datetimefield_value
    times = {f.attname for f in fields if f.get_internal_type() == "DateTimeField"}
    marks = ", ".join(["%s"] * len(fields))
    with connection.cursor() as cursor:
        cursor.executemany(
            f"INSERT INTO {table} ({columns}) VALUES ({marks})",  # noqa: S608 - model names
            [
                [
                    first_id + n
                    if name == "id"
                    else now_text(row[name])
                    if name in times
                    else row[name]
                    for name in names
                ]
                for n, row in enumerate(rows)
            ],
        )


def _next_id(model: Any) -> int:
    from django.db.models import Max

    return (model.objects.aggregate(m=Max("id"))["m"] or 0) + 1


def _new_row(model: Any, user: Any, **values: Any) -> dict[str, Any]:
    """A record's values with its defaults, made now by ``user``."""
    from django.utils import timezone

    from kehu.dataops.importing import record_defaults

    now = timezone.now()
    return {
        **record_defaults(model),
        "created_at": now,
        "updated_at": now,
        "created_by_id": user.pk,
        "updated_by_id": user.pk,
        **values,
    }


def _written_tables() -> list[Any]:
    """The tables an import of customers writes, parents first."""
    from kehu.core.models import SearchEntry
    from kehu.customers.models import Contact, Customer
    from kehu.dataops.models import ImportedRecord

    return [
        Customer,
        Customer.tags.through,
        Contact,
        Customer.history.model,  # type: ignore[attr-defined]
        Contact.history.model,  # type: ignore[attr-defined]
        SearchEntry,
        ImportedRecord,
    ]


def write_floor() -> float:
    """What the import stores, stored again with no Python work: every row the import wrote
    (customers, their tags and contacts, the history of both, search entries, the undo
    log) read back, deleted, and inserted as it was — one ``executemany`` per table on
    SQLite (the full-text index fed set-wise, as the import does), ``COPY`` on PostgreSQL.
    No import that keeps history, search and undo can write faster on this machine.
    Returns the seconds of the insert."""
    from django.db import connection, transaction

    from kehu.dataops.importing import _FTS_INSERT_TRIGGER, _FTS_TABLE

    quote = connection.ops.quote_name
    tables = [quote(m._meta.db_table) for m in _written_tables()]
    saved = {}
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"SELECT * FROM {table} ORDER BY 1")  # noqa: S608 - model names
            saved[table] = ([c[0] for c in cursor.description], cursor.fetchall())
        if connection.vendor == "sqlite":
            cursor.execute(
                "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = %s",
                [_FTS_INSERT_TRIGGER],
            )
            (trigger,) = cursor.fetchone()
        for table in reversed(tables):
            cursor.execute(f"DELETE FROM {table}")  # noqa: S608 - model names
    start = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        for table in tables:
            names, rows = saved[table]
            columns = ", ".join(quote(n) for n in names)
            if connection.vendor == "postgresql":
                with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
                continue
            search = table == quote("core_searchentry")
            if search:
                cursor.execute(f"DROP TRIGGER {_FTS_INSERT_TRIGGER}")
            marks = ", ".join(["%s"] * len(names))
            cursor.executemany(f"INSERT INTO {table} ({columns}) VALUES ({marks})", rows)  # noqa: S608
            if search:
                cursor.execute(
                    f"INSERT INTO {_FTS_TABLE}(rowid, tokens) SELECT id, tokens FROM {table}"  # noqa: S608
                )
                cursor.execute(trigger)
    return time.perf_counter() - start


def plain_insert(xlsx: str, user: Any) -> tuple[float, float]:
    """The limit: the same rows read from the same file (timed on their own), then inserted as
    they are into emptied tables. Returns (read seconds, insert seconds)."""
    from django.db import connection, transaction

    from kehu.customers.models import Contact, Customer
    from kehu.dataops import readers

    with connection.cursor() as cursor:
        for model in (Customer.tags.through, Contact, Customer):
            cursor.execute(f"DELETE FROM {connection.ops.quote_name(model._meta.db_table)}")  # noqa: S608
    start = time.perf_counter()
    with readers.open_table(xlsx) as source:
        read = [cells for _n, cells in source.rows()]
    read_s = time.perf_counter() - start
    start = time.perf_counter()
    customer = _new_row(Customer, user, owner_id=user.pk)
    contact = _new_row(Contact, user, is_primary=True)
    with transaction.atomic():
        first = _next_id(Customer)
        _raw_insert(
            Customer,
            [{**customer, "name": c[0], "level": c[1], "city": c[2], "source": c[3]} for c in read],
            first,
        )
        _raw_insert(
            Contact,
            [
                {**contact, "customer_id": first + n, "name": c[6], "mobile": c[7], "email": c[8]}
                for n, c in enumerate(read)
            ],
            _next_id(Contact),
        )
    return read_s, time.perf_counter() - start


def fill_customers(user: Any, total: int) -> None:
    """Generated customers up to ``total`` (not timed), for the export."""
    from django.db import transaction

    from kehu.customers.models import Customer

    row = _new_row(Customer, user, owner_id=user.pk)
    have = Customer.objects.count()
    for start in range(have, total, 100_000):
        with transaction.atomic():
            _raw_insert(
                Customer,
                [
                    {
                        **row,
                        "name": f"导出基准{n:07d}贸易有限公司",
                        "level": "ABCD"[n % 4],
                        "city": CITIES[n % len(CITIES)],
                        "source": "展会",
                    }
                    for n in range(start, min(start + 100_000, total))
                ],
                _next_id(Customer),
            )


def export_csv(user: Any) -> tuple[int, float]:
    """The customer table exported to CSV as a user downloads it: (rows, seconds)."""
    from django.test import Client

    client = Client()
    client.force_login(user)
    start = time.perf_counter()
    response = client.get("/customers/?export=csv")
    lines = sum(chunk.count(b"\n") for chunk in response.streaming_content)
    return lines - 1, round(time.perf_counter() - start, 2)


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
        f"\nKehu import, {ROWS:,} customer rows from XLSX, CSV export of {EXPORT_ROWS:,} · "
        f"{platform.python_implementation()} {platform.python_version()} · {os.cpu_count()} cores"
    )
    for vendor, r in runs.items():
        verdict = "ok" if r["import_rows_per_s"] >= TARGET_ROWS_S else "under target"
        export_verdict = "ok" if r["export_rows_per_s"] >= EXPORT_TARGET_ROWS_S else "under target"
        print(
            f"  {vendor:>10}: dry run {r['dry_run_s']} s · import {r['import_s']} s = "
            f"{r['import_rows_per_s']:,} rows/s ({verdict}; {r['import_rows_per_cpu_s']:,} per "
            f"CPU second) · plain insert {r['plain_insert_s']} s = {r['plain_rows_per_s']:,} "
            f"rows/s after reading in {r['plain_read_s']} s · ratio {r['ratio_to_plain']} "
            f"({r['ratio_to_read_and_plain']} with the read) · all the import stores, inserted "
            f"as it is: {r['floor_s']} s = {r['floor_rows_per_s']:,} rows/s · "
            f"peak RSS {r['peak_rss_mb']} MB · "
            f"CSV export {r['export_rows']:,} rows at {r['export_rows_per_s']:,} rows/s "
            f"({export_verdict}) · load {r['load_at_start']} → {r['load_after_export']}"
        )
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "imports.json").write_text(
        json.dumps(
            {"rows": ROWS, "export_rows": EXPORT_ROWS, "runs": runs}, ensure_ascii=False, indent=2
        )
    )
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(*sys.argv[2:5])
        sys.exit(0)
    sys.exit(main())

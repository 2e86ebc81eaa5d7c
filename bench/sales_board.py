"""`python -m bench.sales_board`: the pipeline board's server-side time with 5,000 open deals.

In a fresh process per database (SQLite always; PostgreSQL when reachable) on a fresh scratch
database: migrate, bulk-create a sales team (a director, a customer manager and eight reps),
500 customers and ``KEHU_BENCH_DEALS`` (default 5,000) open deals spread over the open stages,
then time ``GET /sales/`` through Django's full request handling (middleware, scoping, the
aggregate per stage, templates) as the director (every deal, with money), the team's manager and
one rep, plus the board filtered to overdue deals and the forecast page. Reports p50/p95 over
``KEHU_BENCH_REPEAT`` requests (default 30) and the queries per request; writes
``bench/results/sales-board.json``.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
DEALS = int(os.environ.get("KEHU_BENCH_DEALS", "5000"))
REPEAT = int(os.environ.get("KEHU_BENCH_REPEAT", "30"))
PAGE_TARGET_MS = 50


def scratch_database(vendor: str) -> str | None:
    if vendor != "postgresql":
        return None
    base = os.environ.get("KEHU_BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    import psycopg

    name = "kehu_bench_sales_board"
    with psycopg.connect(base, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
        conn.execute(f'CREATE DATABASE "{name}"')
    return base.rsplit("/", 1)[0] + "/" + name


def child(vendor: str, out: Path) -> None:
    data_dir = Path(tempfile.mkdtemp(prefix=f"kehu-bench-sales-{vendor}-"))
    os.environ["KEHU_DATA_DIR"] = str(data_dir)
    os.environ.setdefault("KEHU_STATIC_MANIFEST", "0")
    os.environ.setdefault("KEHU_QUEUE_IMMEDIATE", "1")
    os.environ["DJANGO_SETTINGS_MODULE"] = "kehu.settings"
    url = scratch_database(vendor)
    if url:
        os.environ["DATABASE_URL"] = url
    else:
        os.environ.pop("DATABASE_URL", None)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    staff = load()
    timings, queries = measure(staff)
    out.write_text(json.dumps({"timings": timings, "queries": queries, "deals": DEALS}))


def load() -> dict[str, Any]:
    """The team, customers and deals, written in bulk (the services are measured elsewhere)."""
    import datetime as dt
    import random
    from decimal import Decimal

    from django.utils import timezone

    from kehu.accounts.models import Role, Team, User
    from kehu.accounts.roles import create_default_roles
    from kehu.customers.models import Customer
    from kehu.sales.defaults import install_default_pipeline
    from kehu.sales.models import Deal, Pipeline, Stage

    create_default_roles(Role)
    roles = {r.code: r for r in Role.objects.all()}

    def person(username: str, role: str) -> User:
        user = User.objects.create(username=username, display_name=username)
        user.roles.add(roles[role])
        return user

    director = person("bench-director", "sales_director")
    manager = person("bench-manager", "customer_manager")
    reps = [person(f"bench-rep{i}", "sales_rep") for i in range(8)]
    team = Team.objects.create(name="基准华东组", leader=manager)
    team.members.add(manager, *reps[:4])
    Team.objects.create(name="基准华南组").members.add(*reps[4:])
    customers = Customer.objects.bulk_create(
        Customer(name=f"基准客户{i:04d}有限公司", owner=reps[i % len(reps)]) for i in range(500)
    )
    pipeline = install_default_pipeline(Pipeline, Stage)
    stages = list(pipeline.stages.filter(kind=Stage.Kind.OPEN).order_by("position"))
    rng = random.Random(5000)
    now = timezone.now()
    batch = []
    for n in range(DEALS):
        customer = customers[n % len(customers)]
        stage = stages[n % len(stages)]
        entered = now - dt.timedelta(days=rng.uniform(0, 30))
        batch.append(
            Deal(
                title=f"基准商机{n:05d}",
                customer=customer,
                pipeline=pipeline,
                stage=stage,
                owner_id=customer.owner_id,
                amount=Decimal(rng.randrange(1, 2000) * 100),
                probability=stage.probability,
                expected_close_on=(now + dt.timedelta(days=rng.randint(0, 180))).date(),
                source=rng.choice(["展会", "官网", "老客户介绍"]),
                stage_entered_at=entered,
                stage_due_at=entered + dt.timedelta(days=7),
                is_overdue=rng.random() < 0.2,
            )
        )
    Deal.objects.bulk_create(batch, batch_size=1000)
    return {"director": director, "manager": manager, "rep": reps[0]}


def measure(staff: dict[str, Any]) -> tuple[dict[str, Any], dict[str, int]]:
    import statistics

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from bench.run import signed_in

    pages = {
        "board · director (all, money)": ("director", "/sales/"),
        "board · manager (team)": ("manager", "/sales/"),
        "board · rep (own)": ("rep", "/sales/"),
        "board · director, overdue only": ("director", "/sales/?overdue=true"),
        "forecast · director": ("director", "/sales/forecast/"),
    }
    clients = {who: signed_in(user) for who, user in staff.items()}
    timings: dict[str, Any] = {}
    queries: dict[str, int] = {}
    for name, (who, url) in pages.items():
        client = clients[who]
        for _ in range(3):
            assert client.get(url).status_code == 200
        with CaptureQueriesContext(connection) as captured:
            client.get(url)
        queries[name] = len(captured)
        samples = []
        for _ in range(REPEAT):
            start = time.perf_counter()
            response = client.get(url)
            samples.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200
        samples.sort()
        timings[name] = {
            "p50_ms": round(statistics.median(samples), 1),
            "p95_ms": round(samples[max(int(len(samples) * 0.95) - 1, 0)], 1),
        }
    return timings, queries


def main() -> int:
    from bench.__main__ import postgres_reachable

    vendors = ["sqlite"] + (["postgresql"] if postgres_reachable() else [])
    load_before = os.getloadavg()[0]
    runs: dict[str, Any] = {}
    for vendor in vendors:
        with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as tmp:
            out = Path(tmp.name)
        subprocess.run(
            [sys.executable, "-m", "bench.sales_board", "child", vendor, str(out)],
            check=True,
            cwd=ROOT,
        )
        runs[vendor] = json.loads(out.read_text())
    names = list(next(iter(runs.values()))["timings"])
    width = max(len(n) for n in names)
    print(
        f"\nKehu pipeline board, {DEALS:,} open deals · {platform.python_implementation()} "
        f"{platform.python_version()} · {os.cpu_count()} cores · {REPEAT} requests each · "
        f"load {load_before:.1f} → {os.getloadavg()[0]:.1f}"
    )
    print(f"  {'':{width}}  " + "  ".join(f"{v + ' p50/p95 ms (queries)':>34}" for v in runs))
    over = 0
    for name in names:
        cells = []
        for vendor in runs:
            t = runs[vendor]["timings"][name]
            q = runs[vendor]["queries"][name]
            over += t["p95_ms"] > PAGE_TARGET_MS
            cells.append(f"{t['p50_ms']:>12.1f} / {t['p95_ms']:>7.1f}  ({q:>3})")
        print(f"  {name:{width}}  " + "  ".join(f"{c:>34}" for c in cells))
    RESULTS.mkdir(exist_ok=True)
    result = {
        "benchmark": "sales-board",
        "deals": DEALS,
        "repeat": REPEAT,
        "target_p95_ms": PAGE_TARGET_MS,
        "python": platform.python_version(),
        "cores": os.cpu_count(),
        # A shared machine's load skews every figure: kept so runs can be compared fairly.
        "load_average": [round(load_before, 2), round(os.getloadavg()[0], 2)],
        "runs": runs,
    }
    (RESULTS / "sales-board.json").write_text(
        json.dumps(result, ensure_ascii=False, indent=2) + "\n"
    )
    print(f"\nwrote {RESULTS / 'sales-board.json'}; {over} figure(s) over {PAGE_TARGET_MS} ms p95")
    return 0


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "child":
        child(sys.argv[2], Path(sys.argv[3]))
    else:
        sys.exit(main())

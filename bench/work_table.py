"""The division table's server-side render time: 20 people, 2,000 tasks, SQLite and PostgreSQL.

``python -m bench.work_table`` runs one child process per database (Django settings are per
process), each on its own scratch database under build/bench (PostgreSQL: ``kehu_bench_work``),
times the table through Django's test client (middleware, scoping, templates) as a director who
sees everything, and writes ``bench/results/work-table.json``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

PEOPLE, TASKS, GOALS = 20, 2000, 8
REPEAT = int(os.environ.get("KEHU_BENCH_REPEAT", "15"))
RESULTS = Path(__file__).resolve().parent / "results"
PAGES = {
    "table by goal": "/work/table/",
    "table by area": "/work/table/?by=area",
    "table transposed": "/work/table/?transpose=1",
    "table one team": "/work/table/?team={team}",
    "kanban by status": "/work/board/",
    "XLSX export": "/work/table/export.xlsx",
}


def setup(vendor: str) -> None:
    root = Path(__file__).resolve().parent.parent
    data_dir = root / "build" / "bench" / f"work-{vendor}"
    data_dir.mkdir(parents=True, exist_ok=True)
    os.environ["KEHU_DATA_DIR"] = str(data_dir)
    os.environ.setdefault("KEHU_STATIC_MANIFEST", "0")
    os.environ.setdefault("KEHU_QUEUE_IMMEDIATE", "1")
    os.environ["DJANGO_SETTINGS_MODULE"] = "kehu.settings"
    if vendor == "postgresql":
        base = os.environ.get(
            "KEHU_BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres"
        )
        import psycopg

        with psycopg.connect(base, autocommit=True) as conn:
            conn.execute('DROP DATABASE IF EXISTS "kehu_bench_work"')
            conn.execute('CREATE DATABASE "kehu_bench_work"')
        os.environ["DATABASE_URL"] = base.rsplit("/", 1)[0] + "/kehu_bench_work"
    else:
        os.environ.pop("DATABASE_URL", None)
        for f in data_dir.glob("*.sqlite3*"):
            f.unlink()
    import django

    django.setup()


def generate() -> dict[str, Any]:
    from kehu.accounts.models import Role, Team, User
    from kehu.accounts.roles import create_default_roles
    from kehu.work.models import Area, Goal, PriorityLabel, Task

    create_default_roles(Role)
    director = User.objects.create(username="bench-director", display_name="基准总监")
    director.roles.set(Role.objects.filter(code="sales_director"))
    team = Team.objects.create(name="基准客服组")
    people = []
    for i in range(PEOPLE):
        person = User.objects.create(username=f"bench-p{i:02d}", display_name=f"员工{i:02d}")
        person.roles.set(Role.objects.filter(code="sales_rep"))
        people.append(person)
    team.members.add(*people[:10])
    goals = [
        Goal.objects.create(owner=director, title=f"基准目标{i}", team=team if i < 4 else None)
        for i in range(GOALS)
    ]
    areas, labels = list(Area.objects.all()), list(PriorityLabel.objects.all())
    today = dt.date.today()
    Task.objects.bulk_create(
        Task(
            title=f"基准任务{i:05d}",
            goal=goals[i % GOALS],
            area=areas[i % len(areas)],
            label=labels[i % len(labels)],
            responsible=people[i % PEOPLE] if i % 50 else None,
            status=["todo", "doing", "blocked", "done"][i % 4],
            progress=(i * 7) % 101,
            start_on=today + dt.timedelta(days=i % 30),
            due_on=today + dt.timedelta(days=i % 30 + 5),
            estimate_hours=4,
            position=i,
            created_by=director,
        )
        for i in range(TASKS)
    )
    return {"director": director, "team": team}


def measure(vendor: str) -> dict[str, Any]:
    from django.core.management import call_command
    from django.db import connection

    from bench.run import signed_in, timed

    setup(vendor)
    call_command("migrate", verbosity=0)
    made = generate()
    client = signed_in(made["director"])
    first = client.get("/work/table/")
    cards = first.content.decode().count("data-task-id=")
    timings = {}
    for name, template in PAGES.items():
        url = template.format(team=made["team"].pk)
        timings[name] = timed(lambda u=url: client.get(u), REPEAT)
        print(f"[{vendor}] {name}: {timings[name]}", flush=True)
    return {"database": connection.vendor, "cards_rendered": cards, "timings": timings}


def main() -> int:
    from bench.__main__ import postgres_reachable

    vendors = ["sqlite"] + (["postgresql"] if postgres_reachable() else [])
    runs = {}
    for vendor in vendors:
        with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as tmp:
            out = Path(tmp.name)
        subprocess.run(
            [sys.executable, "-m", "bench.work_table", "run", vendor, str(out)],
            check=True,
            cwd=Path(__file__).resolve().parent.parent,
        )
        runs[vendor] = json.loads(out.read_text())
    print(
        f"\nKehu division table, {PEOPLE} people × {TASKS:,} tasks · "
        f"{platform.python_implementation()} {platform.python_version()} · {os.cpu_count()} cores"
    )
    print(f"  {'':20}" + "".join(f"{v:>24}" for v in vendors))
    for name in PAGES:
        cells = "".join(
            f"{runs[v]['timings'][name]['p50_ms']:>12} / {runs[v]['timings'][name]['p95_ms']:>7} ms"
            for v in vendors
        )
        print(f"  {name:20}{cells}")
    RESULTS.mkdir(exist_ok=True)
    target = RESULTS / "work-table.json"
    target.write_text(
        json.dumps(
            {"people": PEOPLE, "tasks": TASKS, "repeat": REPEAT, "runs": runs},
            ensure_ascii=False,
            indent=2,
        )
    )
    print(f"written to {target}")
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "run":
        result = measure(sys.argv[2])
        Path(sys.argv[3]).write_text(json.dumps(result))
        sys.exit(0)
    sys.exit(main())

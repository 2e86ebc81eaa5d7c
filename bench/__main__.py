"""`make bench`: the customer table at a million customers, on SQLite and on PostgreSQL.

Generates (once, then reuses) 1,000,000 customers, 2,000,000 contacts and 5,000,000 interactions
per database — ``KEHU_BENCH_SCALE`` shrinks that for a quick look — then times the table's first
page, a deep page, every filter, sorting by last contact, the searches and the customer page as a
director, a customer manager and a sales rep, and the peak memory of a real web process. Prints a
table and writes ``bench/results/customer-table.json``. Targets: p95 ≤ 50 ms for pages, ≤ 100 ms
for searches, ≤ 250 MB for the web process. PostgreSQL runs when ``KEHU_BENCH_DATABASE_URL`` (or
the local server at 127.0.0.1:5432) is reachable; it uses its own scratch databases.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
SCALE = float(os.environ.get("KEHU_BENCH_SCALE", "1.0"))
PAGE_TARGET_MS, SEARCH_TARGET_MS, RSS_TARGET_MB = 50, 100, 250
EXPORT_TARGET_ROWS_S = 50_000


def postgres_reachable() -> bool:
    url = os.environ.get("KEHU_BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    try:
        import psycopg

        with psycopg.connect(url, connect_timeout=3):
            return True
    except Exception:
        return False


def run(vendor: str) -> dict:
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as tmp:
        out = Path(tmp.name)
    subprocess.run(
        [sys.executable, "-m", "bench.run", vendor, str(SCALE), str(out)],
        check=True,
        cwd=Path(__file__).resolve().parent.parent,
    )
    return json.loads(out.read_text())


def verdict(name: str, p95: float) -> str:
    target = SEARCH_TARGET_MS if "search" in name else PAGE_TARGET_MS
    return "ok" if p95 <= target else f"over {target} ms"


def main() -> int:
    vendors = ["sqlite"] + (["postgresql"] if postgres_reachable() else [])
    return report({vendor: run(vendor) for vendor in vendors})


def report(runs: dict[str, dict]) -> int:
    """Print the table of figures and write the results file."""
    vendors = list(runs)
    names = list(next(iter(runs.values()))["timings"])
    width = max(len(n) for n in names)
    print(
        f"\nKehu customer table, {int(1_000_000 * SCALE):,} customers · "
        f"{platform.python_implementation()} {platform.python_version()} · "
        f"{os.cpu_count()} cores"
    )
    header = "  ".join(f"{v:>24}" for v in vendors)
    print(f"  {'':{width}}  {header}")
    print(f"  {'':{width}}  " + "  ".join(f"{'p50 / p95 ms':>24}" for _ in vendors))
    over = 0
    for name in names:
        cells = []
        for vendor in vendors:
            t = runs[vendor]["timings"].get(name)
            if t is None:
                cells.append(f"{'—':>24}")
                continue
            mark = verdict(name, t["p95_ms"])
            over += mark != "ok"
            cells.append(f"{t['p50_ms']:>7} / {t['p95_ms']:>6} {mark:>8}")
        print(f"  {name:{width}}  " + "  ".join(cells))
    rss = "  ".join(
        f"{runs[v]['rss_mb']:>15} MB {'ok' if runs[v]['rss_mb'] <= RSS_TARGET_MB else 'over':>5}"
        for v in vendors
    )
    print(f"  {'web process peak RSS':{width}}  {rss}")
    for vendor in vendors:
        export = runs[vendor].get("export")
        if export:
            rate = export["rows_per_second"]
            print(
                f"  CSV export on {vendor}: {export['rows']:,} rows in {export['seconds']} s, "
                f"{rate:,} rows/s {'ok' if rate >= EXPORT_TARGET_ROWS_S else 'under target'}"
            )
    for vendor in vendors:
        generation = runs[vendor].get("generation")
        if generation:
            print(
                f"  generated on {vendor}: {generation['seconds']} s, "
                f"{generation['rows_per_second']:,} rows/s"
            )
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / "customer-table.json"
    out.write_text(json.dumps({"scale": SCALE, "runs": runs}, ensure_ascii=False, indent=2))
    print(f"\n{over} measurements over target. Written to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""`python -m bench.readers`: how fast the import reads a big CSV and XLSX, and in how much memory.

Writes a 200,000-row customer list (six columns, Chinese text, phones, a quoted field with a
comma) as UTF-8 CSV, as GBK CSV, as an XLSX the way openpyxl's write-only mode saves it (no
``<dimension>`` element) and as the same XLSX with the ``<dimension>`` that Excel and WPS write.
Each file is read through ``open_table(...).rows()`` in a fresh process, once for the time and
the process's peak RSS and once under tracemalloc for the peak of Python allocations. Prints a
table and writes ``bench/results/readers.json``. ``KEHU_BENCH_READER_ROWS`` changes the size.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
ROWS = int(os.environ.get("KEHU_BENCH_READER_ROWS", "200000"))
HEADER = ["客户名称", "联系人", "手机", "邮箱", "城市", "备注"]


def customers() -> Iterator[list[object]]:
    for n in range(ROWS):
        yield [
            f"客户{n}有限公司",
            f"张{n % 97}",
            13_800_000_000 + n,
            f"u{n}@example.com",
            "杭州",
            f"第{n}行, 备注",
        ]


def write_csv(path: Path, encoding: str) -> None:
    import csv

    with open(path, "w", encoding=encoding, newline="") as out:
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(HEADER)
        writer.writerows(customers())


def write_xlsx(path: Path) -> None:
    import openpyxl

    book = openpyxl.Workbook(write_only=True)
    sheet = book.create_sheet("客户")
    sheet.append(HEADER)
    for row in customers():
        sheet.append(row)
    book.save(path)


def add_dimension(source: Path, target: Path) -> None:
    """Copy a workbook, giving its sheet the ``<dimension>`` element Excel writes first."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            if not info.filename.startswith("xl/worksheets/"):
                new.writestr(info, old.read(info))
                continue
            with old.open(info) as part, new.open(info.filename, "w") as out:
                head = part.read(64 * 1024)
                at = min(head.find(tag) for tag in (b"<sheetViews", b"<sheetData") if tag in head)
                out.write(head[:at] + b'<dimension ref="A1:F%d"/>' % (ROWS + 1) + head[at:])
                while chunk := part.read(1 << 20):
                    out.write(chunk)


def measure(path: Path, traced: bool) -> dict:
    """Run in a child process: read every row, report time, memory and what was read."""
    code = f"""
import json, resource, sys, time, tracemalloc
from kehu.dataops.readers import open_table
traced = {traced!r}
if traced:
    tracemalloc.start()
started = time.perf_counter()
with open_table(sys.argv[1]) as table:
    opened = time.perf_counter()
    rows = sum(1 for _ in table.rows())
    kind, encoding = table.kind, table.encoding
done = time.perf_counter()
print(json.dumps({{
    "kind": kind, "encoding": encoding, "rows": rows,
    "open_s": round(opened - started, 3), "total_s": round(done - started, 3),
    "rows_per_s": round(rows / (done - started)),
    "rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    "traced_peak_mb": round(tracemalloc.get_traced_memory()[1] / 2**20, 1) if traced else None,
}}))
"""
    result = subprocess.run(
        [sys.executable, "-c", code, str(path)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    return json.loads(result.stdout)


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="kehu-bench-readers-") as scratch:
        folder = Path(scratch)
        files = {
            "CSV UTF-8": folder / "customers.csv",
            "CSV GBK": folder / "customers-gbk.csv",
            "XLSX, no <dimension>": folder / "customers.xlsx",
            "XLSX as Excel saves it": folder / "customers-excel.xlsx",
        }
        started = time.perf_counter()
        write_csv(files["CSV UTF-8"], "utf-8")
        write_csv(files["CSV GBK"], "gbk")
        write_xlsx(files["XLSX, no <dimension>"])
        add_dimension(files["XLSX, no <dimension>"], files["XLSX as Excel saves it"])
        print(f"wrote the files in {time.perf_counter() - started:.1f} s")
        runs = {}
        for name, path in files.items():
            timed = measure(path, traced=False)
            timed["traced_peak_mb"] = measure(path, traced=True)["traced_peak_mb"]
            timed["file_mb"] = round(path.stat().st_size / 2**20, 1)
            runs[name] = timed
    print(
        f"\nReading {ROWS:,} rows · {platform.python_implementation()} "
        f"{platform.python_version()} · {os.cpu_count()} cores"
    )
    print(
        f"  {'file':24} {'size MB':>8} {'open s':>7} {'total s':>8} {'rows/s':>9} "
        f"{'RSS MB':>7} {'traced peak MB':>15}"
    )
    for name, run in runs.items():
        assert run["rows"] == ROWS, (name, run)
        print(
            f"  {name:24} {run['file_mb']:>8} {run['open_s']:>7} {run['total_s']:>8} "
            f"{run['rows_per_s']:>9,} {run['rss_mb']:>7} {run['traced_peak_mb']:>15}"
        )
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / "readers.json"
    out.write_text(json.dumps({"rows": ROWS, "runs": runs}, ensure_ascii=False, indent=2))
    print(f"\nWritten to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

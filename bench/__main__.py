"""`make bench`: Kehu's speed and memory figures. Prints a table and writes bench/results/.

Each benchmark runs against a fresh SQLite database in a temporary data dir (or the database in
DATABASE_URL, which is then left with the rows it created, so point it at a scratch database).
"""

from __future__ import annotations

import json
import os
import platform
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("KEHU_DATA_DIR", tempfile.mkdtemp(prefix="kehu-bench-"))
os.environ.setdefault("KEHU_STATIC_MANIFEST", "0")
os.environ.setdefault("KEHU_QUEUE_IMMEDIATE", "1")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kehu.settings")

import django

django.setup()

from django.core.management import call_command  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
ROWS = int(os.environ.get("KEHU_BENCH_CUSTOMERS", "50000"))


def timed(fn, repeat: int = 20) -> dict[str, float]:
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return {
        "median_ms": round(statistics.median(samples), 2),
        "p95_ms": round(samples[int(len(samples) * 0.95) - 1], 2),
    }


def seed_customers(owner, n: int) -> None:
    from kehu.customers.models import Customer

    batch = []
    for i in range(n):
        batch.append(
            Customer(
                name=f"基准客户{i:07d}有限公司",
                owner=owner,
                level="ABCD"[i % 4],
                city=["杭州市", "上海市", "深圳市", "北京市"][i % 4],
            )
        )
        if len(batch) == 5000:
            Customer.objects.bulk_create(batch)
            batch = []
    Customer.objects.bulk_create(batch)


def verified_client(user) -> Client:
    """Signed in past both steps (password and, for roles that need it, the 2FA code)."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    client = Client()
    client.force_login(user)
    device, _ = TOTPDevice.objects.get_or_create(user=user, name="bench", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def main() -> int:
    from kehu.accounts.models import User

    setup_test_environment()
    call_command("migrate", verbosity=0)
    results: dict[str, dict[str, float]] = {}

    start = time.perf_counter()
    call_command("demo", stdout=open(os.devnull, "w"))  # noqa: SIM115
    results["demo load (300 customers)"] = {"seconds": round(time.perf_counter() - start, 2)}

    owner = User.objects.get(username="linxue")
    start = time.perf_counter()
    seed_customers(owner, ROWS)
    results[f"bulk insert {ROWS} customers"] = {"seconds": round(time.perf_counter() - start, 2)}

    client = Client()
    client.force_login(owner)
    results["dashboard /"] = timed(lambda: client.get("/"))
    results["customer list, first page"] = timed(lambda: client.get("/customers/"))
    deep = client.get("/customers/?limit=200")
    cursor = deep.context["page"].next_cursor
    for _ in range(50):  # walk 10,000 rows deep
        cursor = client.get(f"/customers/?limit=200&after={cursor}").context["page"].next_cursor
    results["customer list, page 51 (keyset)"] = timed(
        lambda: client.get(f"/customers/?after={cursor}")
    )
    results["customer list, filter level=A city"] = timed(
        lambda: client.get("/customers/?level=A&city=杭州")
    )
    results["api health"] = timed(lambda: client.get("/api/v1/health"))

    # The scoping door's cost: the same list for an own-, a team- and an all-scoped role.
    for username, scope in (("wangfang", "own"), ("linxue", "team"), ("zhouhang", "all")):
        person = User.objects.get(username=username)
        seer = verified_client(person)
        results[f"customer list as {scope}-scope role"] = timed(lambda c=seer: c.get("/customers/"))
        results[f"api customers as {scope}-scope role"] = timed(
            lambda c=seer: c.get("/api/v1/customers?limit=50")
        )
    results["peak memory"] = {
        "max_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)
    }

    width = max(len(k) for k in results)
    print(
        f"\nKehu benchmarks ({ROWS} customers, {platform.python_implementation()} "
        f"{platform.python_version()}, {os.cpu_count()} cores)"
    )
    for name, figures in results.items():
        shown = "  ".join(f"{k}={v}" for k, v in figures.items())
        print(f"  {name.ljust(width)}  {shown}")
    RESULTS.mkdir(exist_ok=True)
    out = RESULTS / "latest.json"
    out.write_text(json.dumps({"rows": ROWS, "results": results}, ensure_ascii=False, indent=2))
    print(f"\nWritten to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

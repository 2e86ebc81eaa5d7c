"""One database's customer-table benchmark: load the data if needed, then time every page.

Run by ``python -m bench`` in a child process per database (Django settings are per process):
``python -m bench.run sqlite|postgresql SCALE OUT.json``. Server-side time is measured in the
process through Django's full request handling (middleware, scoping, templates); the web
process's memory is measured on a real ``kehu serve`` serving the same pages.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

REPEAT = int(os.environ.get("KEHU_BENCH_REPEAT", "20"))


def setup(vendor: str, scale: float) -> Path:
    root = Path(__file__).resolve().parent.parent
    data_dir = root / "build" / "bench" / f"{vendor}-{scale:g}"
    data_dir.mkdir(parents=True, exist_ok=True)
    os.environ["KEHU_DATA_DIR"] = str(data_dir)
    os.environ.setdefault("KEHU_STATIC_MANIFEST", "0")
    os.environ.setdefault("KEHU_QUEUE_IMMEDIATE", "1")
    os.environ["DJANGO_SETTINGS_MODULE"] = "kehu.settings"
    if vendor == "postgresql":
        os.environ["DATABASE_URL"] = bench_database(scale)
    else:
        os.environ.pop("DATABASE_URL", None)
    # The web process's own start-up (Django, URLs, and the collector settled as it does).
    import kehu.asgi  # noqa: F401

    return data_dir


def bench_database(scale: float) -> str:
    """A scratch PostgreSQL database for this scale (created once, never the test database)."""
    base = os.environ.get("KEHU_BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres")
    name = f"kehu_bench_{str(scale).replace('.', '_')}"
    import psycopg

    with psycopg.connect(base, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
    return base.rsplit("/", 1)[0] + "/" + name


def timed(fn: Any, repeat: int = REPEAT) -> dict[str, float]:
    for _ in range(2):
        fn()  # warm-up: caches, prepared plans
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        response = fn()
        samples.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, response.status_code
    samples.sort()
    return {
        "p50_ms": round(statistics.median(samples), 1),
        "p95_ms": round(samples[max(int(len(samples) * 0.95) - 1, 0)], 1),
    }


class Server:
    """A signed-in person's requests handed straight to Django's request handler, as a server
    hands them over. Django's test client, used before, instruments every response for tests
    (a copy of each template context, the response tied to itself): every page became
    garbage only the cycle collector frees, and its runs added up to a third of a page's time
    — time no server spends. ``client`` is the test client itself, for streamed downloads."""

    def __init__(self, client: Any) -> None:
        from django.core.handlers.wsgi import WSGIHandler

        self.client = client
        self.handler = WSGIHandler()
        self.cookie = "; ".join(f"{k}={m.value}" for k, m in client.cookies.items())

    def get(self, path: str) -> Any:
        import io
        from types import SimpleNamespace
        from urllib.parse import quote, unquote_to_bytes, urlsplit

        url = urlsplit(path)
        environ = {  # as WSGI has them: the path as bytes read as Latin-1, the query %-encoded
            "REQUEST_METHOD": "GET",
            "PATH_INFO": unquote_to_bytes(url.path).decode("iso-8859-1"),
            "QUERY_STRING": quote(url.query, safe="=&%+,/:"),
            "SCRIPT_NAME": "",
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "80",
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1",
            "HTTP_HOST": "127.0.0.1",
            "HTTP_COOKIE": self.cookie,
            "wsgi.version": (1, 0),
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(),
            "wsgi.errors": io.StringIO(),
            "wsgi.multithread": True,
            "wsgi.multiprocess": True,
            "wsgi.run_once": False,
        }
        status: list[str] = []
        response = self.handler(environ, lambda s, headers, exc_info=None: status.append(s))
        try:
            content = b"".join(response)
        finally:
            response.close()
        return SimpleNamespace(status_code=int(status[0][:3]), content=content)


def signed_in(user: Any) -> Server:
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    client = Client()
    client.force_login(user)
    device, _ = TOTPDevice.objects.get_or_create(user=user, name="bench", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return Server(client)


# A realistic value for every filter the customer table offers. A filter missing here makes the
# benchmark fail: every filter a user can pick is measured.
def filter_samples(staff: dict[str, Any]) -> dict[str, str]:
    from kehu.accounts.models import Team
    from kehu.customers.models import Tag

    team = Team.objects.get(name="基准销售2组")
    tag = Tag.objects.get(name="重点跟进")
    return {
        "q": "q=云帆",
        "level": "level=A",
        "status": "status=active",
        "kind": "kind=company",
        "owner": f"owner={staff['reps'][3].pk}",
        "team": f"team={team.pk}",
        "tag": f"tag={tag.pk}",
        "city": "city=杭州",
        "source": "source=展会",
        "intent": "intent=high",
        "stale": "stale=180",
        "follow_up": "follow_up=overdue",
        "has_orders": "has_orders=false",
        "open_deal": "open_deal=true",
        # the data audit's fix-it lists
        "missing": "missing=website",
        "duplicate": "duplicate=true",
        "invalid": "invalid=uscc",
    }


def measure(scale: float) -> dict[str, Any]:
    import re

    from django.core.management import call_command
    from django.db import connection

    from bench.generate import generate, people
    from kehu.customers.filters import CustomerFilter
    from kehu.customers.models import Customer

    call_command("migrate", verbosity=0)
    results: dict[str, Any] = {"database": connection.vendor, "scale": scale}
    expected = int(1_000_000 * scale)
    have = Customer.objects.count()
    if have < expected * 0.99:
        print(f"[{connection.vendor}] generating {expected:,} customers…", flush=True)
        results["generation"] = generate(scale, out=lambda m: print(m, flush=True))
    else:
        print(f"[{connection.vendor}] reusing {have:,} customers", flush=True)
    staff = people(scale)
    rep = staff["reps"][3]
    clients = {
        "director (all)": signed_in(staff["director"]),
        "manager (team)": signed_in(staff["managers"][0]),  # leads the rep's team
        "rep (own)": signed_in(rep),
    }
    samples = filter_samples(staff)
    missing = set(CustomerFilter.base_filters) - set(samples)
    if missing:
        raise SystemExit(f"no benchmark value for the customer filters {sorted(missing)}")
    deep_customer = (
        Customer.objects.filter(owner=rep)
        .order_by("-last_contact_at")
        .values_list("pk", flat=True)[5]
    )
    timings: dict[str, dict[str, float]] = {}
    for who, client in clients.items():
        print(f"[{connection.vendor}] timing as {who}", flush=True)
        timings[f"{who}: table, first page"] = timed(lambda c=client: c.get("/customers/"))
        cursor = None
        for _ in range(25):  # 5,000 rows deep by keyset pages of 200
            page = client.get("/customers/?limit=200" + (f"&after={cursor}" if cursor else ""))
            found = re.search(r'after=([^"&]+)"', page.content.decode())
            cursor = found.group(1) if found else None
            if not cursor:
                break
        if cursor:
            timings[f"{who}: table, page 5,000 rows deep"] = timed(
                lambda c=client, k=cursor: c.get(f"/customers/?after={k}")
            )
        timings[f"{who}: sort by last contact"] = timed(
            lambda c=client: c.get("/customers/?sort=-last_contact_at")
        )
        for query in samples.values():
            timings[f"{who}: filter {query}"] = timed(
                lambda c=client, q=query: c.get(f"/customers/?{q}")
            )
        for label, query in (
            ("Chinese substring", "云帆"),
            ("pinyin initials", "zs"),
            ("full pinyin", "zhangwei"),
            ("phone suffix", "8866"),
        ):
            timings[f"{who}: search {label} ({query})"] = timed(
                lambda c=client, q=query: c.get(f"/search/?q={q}")
            )
        timings[f"{who}: contacts by phone suffix"] = timed(
            lambda c=client: c.get("/customers/contacts/?q=8866")
        )
        timings[f"{who}: customer page"] = timed(
            lambda c=client: c.get(f"/customers/{deep_customer}/")
        )
    results["timings"] = timings
    results["export"] = export_rate(clients["director (all)"])
    results["rss_mb"] = serve_rss(staff["director"], deep_customer, samples)
    return results


def export_rate(client: Any) -> dict[str, float]:
    """The whole customer table (default columns) streamed to CSV, as a director."""
    import resource

    print("[export] the whole table to CSV", flush=True)
    start = time.perf_counter()
    response = client.client.get("/customers/?export=csv")
    assert response.status_code == 200, response.status_code
    lines = size = 0
    for chunk in response.streaming_content:
        lines += chunk.count(b"\n")
        size += len(chunk)
    seconds = time.perf_counter() - start
    rows = lines - 1
    return {
        "rows": rows,
        "seconds": round(seconds, 1),
        "rows_per_second": round(rows / seconds),
        "megabytes": round(size / 1e6),
        "bench_process_peak_rss_mb": round(
            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        ),
    }


def serve_rss(user: Any, customer_id: int, samples: dict[str, str]) -> float:
    """Peak resident memory of a real `kehu serve` after serving every benchmarked page."""
    import socket

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session[DEVICE_ID_SESSION_KEY] = TOTPDevice.objects.filter(user=user).first().persistent_id
    session.create()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = dict(os.environ, KEHU_QUEUE_IMMEDIATE="0")
    server = subprocess.Popen(
        [sys.executable, "-m", "kehu", "serve", "--port", str(port), "--log-level", "warning"],
        env=env,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                urllib.request.urlopen(f"{base}/api/v1/health", timeout=2)  # noqa: S310
                break
            except OSError:
                time.sleep(0.3)
        cookie = f"{settings.SESSION_COOKIE_NAME}={session.session_key}"
        paths = ["/customers/", "/customers/?sort=-last_contact_at", f"/customers/{customer_id}/"]
        paths += [f"/customers/?{q}" for q in samples.values()]
        paths += ["/search/?q=云帆", "/search/?q=zs", "/search/?q=8866"]
        for _ in range(3):
            for path in paths:
                url = base + urllib.parse.quote(path, safe="/?=&-")
                request = urllib.request.Request(url, headers={"Cookie": cookie})  # noqa: S310
                with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
                    assert response.status == 200, (path, response.status)
        return peak_rss_mb(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=30)


def peak_rss_mb(pid: int) -> float:
    """VmHWM of the process and of its children (the serve command may run helpers)."""
    total = 0.0
    pids = [pid]
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        pids += [int(p) for p in children.read_text().split()]
    for p in pids:
        for line in Path(f"/proc/{p}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                total = max(total, int(line.split()[1]) / 1024)
    return round(total, 1)


def main() -> int:
    vendor, scale, out = sys.argv[1], float(sys.argv[2]), Path(sys.argv[3])
    setup(vendor, scale)
    import urllib.parse  # noqa: F401 - used by serve_rss

    results = measure(scale)
    out.write_text(json.dumps(results, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Browser tests: Playwright driving Debian's Chromium against a real `kehu serve` (demo data)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import require
from tests.servers import kehu_env, kehu_server, run_kehu

CHROMIUM = os.environ.get("KEHU_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture(scope="session")
def demo_server(tmp_path_factory: Any) -> Any:
    data_dir = tmp_path_factory.mktemp("kehu-e2e")
    env = kehu_env(data_dir)
    for args in (("migrate", "--no-input", "-v0"), ("demo",)):
        result = run_kehu(*args, env=env, timeout=300)
        assert result.returncode == 0, result.stderr
    with kehu_server(env) as server:
        yield server


@pytest.fixture(scope="session")
def browser() -> Any:
    require(Path(CHROMIUM).exists(), f"Chromium at {CHROMIUM} (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        yield browser
        browser.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: Any, call: Any) -> Any:
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.rep_call = report


def _new_page(browser: Any, request: Any, **context_args: Any) -> Any:
    context = browser.new_context(locale="en-US", **context_args)
    context.set_default_timeout(15_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.js_errors = errors  # type: ignore[attr-defined]
    return context, page


@pytest.fixture
def page(browser: Any, request: Any) -> Any:
    context, page = _new_page(browser, request, viewport={"width": 1366, "height": 860})
    yield page
    _finish(request, page, context)


@pytest.fixture
def phone(browser: Any, request: Any) -> Any:
    context, page = _new_page(
        browser, request, viewport={"width": 375, "height": 760}, is_mobile=True, has_touch=True
    )
    yield page
    _finish(request, page, context)


def _finish(request: Any, page: Any, context: Any) -> None:
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"{request.node.name}.png"), full_page=True)
    context.close()
    assert not page.js_errors, f"JavaScript errors: {page.js_errors}"


def sign_in(page: Any, username: str, password: str = "kehu-demo") -> None:
    """Fill and send the sign-in form already open in ``page``."""
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.locator("form.form button[type=submit]").click()

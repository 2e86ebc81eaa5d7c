"""A newcomer's first minute with Kehu."""

import re

import httpx
import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import sign_in
from tests.servers import wait_until

pytestmark = pytest.mark.e2e


def test_newcomer_signs_in_sees_chinese_dashboard_and_switches_to_english(page, demo_server):
    base = demo_server.url
    page.goto(f"{base}/")
    expect(page).to_have_url(f"{base}/login/?next=/")
    # Chinese by default, although the browser asks for English.
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.locator("[data-testid=demo-hint]")).to_contain_text("linxue")
    sign_in(page, "linxue")

    expect(page).to_have_url(f"{base}/")
    greeting = page.locator("[data-testid=greeting]")
    expect(greeting).to_contain_text("林雪")
    expect(greeting).not_to_contain_text("Hello")
    expect(page.locator("[data-nav=customers]")).to_have_text("客户")
    expect(page.locator("[data-testid=follow-ups] li").first).to_be_visible()

    page.locator("[data-testid=user-menu]").click()
    page.locator("button[data-language=en]").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(greeting).to_have_text("Hello, 林雪")
    expect(page.locator("[data-nav=customers]")).to_have_text("Customers")

    # The choice sticks to the person, not only to this browser.
    page.locator("[data-testid=user-menu]").click()
    page.locator("[data-testid=logout]").click()
    expect(page).to_have_url(f"{base}/login/")
    sign_in(page, "linxue")
    expect(greeting).to_have_text("Hello, 林雪")


def test_wrong_password_is_explained_in_chinese(page, demo_server):
    page.goto(f"{demo_server.url}/login/")
    sign_in(page, "wangfang", "not-the-password")
    alert = page.locator("[role=alert]")
    expect(alert).to_be_visible()
    expect(alert).not_to_contain_text("Wrong username")
    expect(page.locator("#id_username")).to_have_value("wangfang")


def test_bell_rings_live_when_a_notification_arrives(page, demo_server):
    base = demo_server.url
    page.goto(f"{base}/login/")
    sign_in(page, "wangfang")
    expect(page.locator("body")).to_have_attribute("data-live", "1")
    badge = page.locator("[data-testid=bell] [data-unread]")
    before = int(badge.get_attribute("data-count") or 0)
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    response = httpx.post(
        f"{base}/api/v1/me/notifications/test",
        cookies=cookies,
        headers={"X-CSRFToken": cookies["csrftoken"], "Referer": f"{base}/"},
    )
    assert response.status_code == 201
    expect(badge).to_have_attribute("data-count", str(before + 1))
    expect(page.locator("#toasts .toast")).to_be_visible()
    page.locator("[data-testid=bell]").click()
    expect(page.locator("#bell-menu")).to_contain_text(response.json()["title"])


def test_customer_table_sorts_and_filters_without_reloading(page, demo_server):
    base = demo_server.url
    page.goto(f"{base}/login/?next=/customers/")
    sign_in(page, "linxue")
    expect(page).to_have_url(f"{base}/customers/")
    rows = page.locator("[data-testid=object-table] tbody tr")
    expect(rows.first).to_be_visible()
    page.select_option("select[name=level]", "A")
    expect(page).to_have_url(re.compile(r"[?&]level=A"))
    expect(page.locator("[data-testid=object-table] tbody .tag-C")).to_have_count(0)
    expect(page.locator("[data-testid=object-table] tbody .tag-A").first).to_be_visible()
    # Sorting by a header swaps the table in place too.
    page.locator("[data-testid=object-table] th a", has_text=re.compile("城市|City")).click()
    expect(page).to_have_url(re.compile(r"sort=city"))
    expect(page.locator("[data-testid=object-table] th", has_text="↑")).to_have_count(1)


def test_phone_layout_has_a_drawer_and_no_sideways_scroll(phone, demo_server):
    base = demo_server.url
    phone.goto(f"{base}/login/")
    sign_in(phone, "linxue")
    expect(phone.locator("[data-testid=greeting]")).to_be_visible()
    sidebar = phone.locator("#sidebar")
    assert sidebar.bounding_box()["x"] < 0  # off-canvas
    phone.locator(".menu-toggle").click()
    expect(phone.locator(".shell")).to_have_class("shell nav-open")
    wait_until(lambda: sidebar.bounding_box()["x"] >= 0, what="the drawer to open")
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 375

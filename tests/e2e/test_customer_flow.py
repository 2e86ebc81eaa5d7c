"""A customer manager's daily loop: add a customer, find it by initials, log a call."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import sign_in

pytestmark = pytest.mark.e2e


def test_create_find_by_initials_and_log_a_call(page, demo_server):
    base = demo_server.url
    page.goto(f"{base}/login/")
    sign_in(page, "chenhao")
    page.goto(f"{base}/customers/")
    page.locator("a.btn-primary", has_text=re.compile("新建|New")).click()
    page.fill("#id_name", "张三")
    page.select_option("#id_kind", "individual")
    page.fill("#id_contact_name", "张三")
    page.fill("#id_contact_mobile", "186 0000 7788")
    page.locator("form.form button[type=submit]").click()
    expect(page.locator("h1")).to_contain_text("张三")

    page.fill("#global-search", "zs")
    page.press("#global-search", "Enter")
    expect(page.locator("[data-group=customer] [data-hit]", has_text="张三")).to_be_visible()
    page.fill("#global-search", "7788")
    page.press("#global-search", "Enter")
    hit = page.locator("[data-group=contact] [data-hit]", has_text="张三")
    expect(hit).to_be_visible()
    hit.click()

    form = page.locator("[data-testid=log-form]")
    form.locator("select[name=kind]").select_option("call")
    form.locator("textarea[name=summary]").fill("电话沟通，客户下周来店")
    form.locator("input[name=next_step]").fill("准备样品")
    form.locator("input[name=next_follow_up_at]").fill("2030-01-15T10:00")
    form.locator("button[type=submit]").click()
    expect(page.locator(".timeline")).to_contain_text("电话沟通，客户下周来店")
    expect(page.locator("[data-testid=follow-up-panel]")).to_contain_text("准备样品")
    expect(page.locator("[data-testid=follow-up-panel]")).to_contain_text("2030-01-15 10:00")


def test_edit_a_cell_in_place(page, demo_server):
    base = demo_server.url
    page.goto(f"{base}/login/?next=/customers/")
    sign_in(page, "linxue")
    row = page.locator("[data-testid=object-table] tbody tr").first
    row.hover()
    row.locator("[data-edit=city]").click()
    editor = row.locator("[data-editor=city]")
    editor.locator("input[name=city]").fill("丽水市")
    editor.locator("button[type=submit]").click()
    expect(row).to_contain_text("丽水市")
    expect(row.locator("[data-editor=city]")).to_have_count(0)
    expect(page.locator("#toasts .toast")).to_be_visible()


def test_save_a_filtered_view_and_open_it_again(page, demo_server):
    base = demo_server.url
    page.goto(f"{base}/login/?next=/customers/")
    sign_in(page, "linxue")
    page.select_option("select[name=level]", "A")
    expect(page).to_have_url(re.compile(r"[?&]level=A"))
    page.locator("[data-testid=views-menu]").click()
    form = page.locator("[data-testid=save-view]")
    form.locator("input[name=name]").fill("A类重点客户")
    form.locator("button[type=submit]").click()
    expect(page.locator("#toasts .toast")).to_contain_text("A类重点客户")
    page.goto(f"{base}/customers/")
    page.locator("[data-testid=views-menu]").click()
    page.locator("[data-view=A类重点客户]").click()
    expect(page).to_have_url(re.compile(r"[?&]level=A"))
    expect(page.locator("[data-testid=object-table] tbody .tag-C")).to_have_count(0)

"""A customer manager's day in the table: find by initials, log a call, edit in place, save a
view; then tag rows in bulk, choose columns, and record an order with a return."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import sign_in
from tests.e2e.test_admin_flow import enrol

pytestmark = pytest.mark.e2e


def _new_customer(page, base, name):
    page.goto(f"{base}/customers/new/")
    page.fill("#id_name", name)
    page.fill("#id_contact_name", "张三")
    page.locator("form.form button[type=submit]").click()
    expect(page.locator("h1")).to_contain_text(name)


def test_search_initials_log_a_call_edit_a_cell_and_save_a_view(page, demo_server):
    base = demo_server.url
    page.goto(f"{base}/login/")
    sign_in(page, "linxue")  # a customer manager
    _new_customer(page, base, "张三商贸有限公司")

    page.goto(f"{base}/")
    page.fill("#global-search", "zs")
    page.press("#global-search", "Enter")
    page.locator("[data-group=customer] [data-hit]", has_text="张三商贸").click()
    expect(page.locator("h1")).to_contain_text("张三商贸有限公司")

    form = page.locator("[data-testid=log-form]")
    form.locator("select[name=kind]").select_option("call")
    form.locator("textarea[name=summary]").fill("电话确认需求：二十个席位")
    form.locator("input[name=next_step]").fill("发报价单")
    form.locator("input[name=next_follow_up_at]").fill("2030-03-02T09:30")
    form.locator("button[type=submit]").click()
    expect(page.locator("[data-testid=timeline]")).to_contain_text("电话确认需求")
    expect(page.locator("[data-testid=follow-up-panel]")).to_contain_text("2030-03-02 09:30")

    page.goto(f"{base}/customers/?q=张三商贸")
    row = page.locator("[data-testid=object-table] tbody tr", has_text="张三商贸")
    row.hover()
    row.locator("[data-edit=level]").click()
    editor = row.locator("[data-editor=level]")
    editor.locator("select[name=level]").select_option("A")
    editor.locator("button[type=submit]").click()
    expect(row.locator(".tag-A")).to_be_visible()

    page.locator("[data-testid=views-menu]").click()
    save = page.locator("[data-testid=save-view]")
    save.locator("input[name=name]").fill("张三商贸跟进")
    save.locator("button[type=submit]").click()
    expect(page.locator("#toasts .toast")).to_contain_text("张三商贸跟进")
    page.goto(f"{base}/customers/")
    page.locator("[data-testid=views-menu]").click()
    page.locator("[data-view=张三商贸跟进]").click()
    expect(page).to_have_url(re.compile(r"q=%E5%BC%A0"))
    expect(page.locator("[data-testid=object-table] tbody tr")).to_have_count(1)


def test_bulk_tag_choose_columns_and_record_an_order_with_a_return(page, demo_server):
    base = demo_server.url
    page.goto(f"{base}/login/")
    sign_in(page, "zhouhang")  # the sales director sees the money; his role needs 2FA
    expect(page).to_have_url(re.compile(r"/account/2fa/setup/"))
    enrol(page)
    _new_customer(page, base, "批量标签测试有限公司")

    page.goto(f"{base}/customers/?q=批量标签测试")
    page.locator("input.row-check").first.check()
    bar = page.locator("[data-testid=bulk-bar]")
    expect(bar).to_contain_text("1")
    bar.locator("select[name=action]").select_option("add_tag")
    bar.locator("input[name=value]").fill("展会线索")
    bar.locator("[data-testid=bulk-apply]").click()
    row = page.locator("[data-testid=object-table] tbody tr", has_text="批量标签测试")
    expect(row).to_contain_text("展会线索")

    page.locator("[data-testid=columns-menu]").click()
    chooser = page.locator("[data-testid=column-chooser]")
    chooser.locator("input[value=orders_count]").check()
    chooser.locator("button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"cols=orders_count"))

    row.locator("a", has_text="批量标签测试").click()
    page.locator("[data-testid=new-order]").click()
    order = page.locator("[data-testid=order-form]")
    order.locator("select[name=lines-0-product]").select_option(
        label="KH-SEAT · 追加用户席位（年）"
    )
    order.locator("input[name=lines-0-quantity]").fill("10")
    order.locator("button[type=submit]").click()
    expect(page.locator("[data-testid=purchase-summary]")).to_contain_text(re.compile(r"6,?800"))
    page.locator("[data-testid=timeline] a", has_text=re.compile("SO")).first.click()
    returns = page.locator("[data-testid=returns]")
    returns.locator("summary").click()
    form = page.locator("[data-testid=return-form]")
    form.locator("select[name=line]").select_option(index=1)
    form.locator("input[name=quantity]").fill("2")
    form.locator("input[name=reason]").fill("多买了两个席位")
    form.locator("button[type=submit]").click()
    expect(returns).to_contain_text("多买了两个席位")
    expect(page.locator("[data-field=returned_amount]")).to_contain_text(re.compile(r"1,?360"))

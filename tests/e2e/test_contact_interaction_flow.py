"""Correcting what was recorded: a contact's details, the next follow-up planned by hand, and an
interaction logged with the wrong words, all from the customer page."""

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import sign_in

pytestmark = pytest.mark.e2e


def test_correct_a_contact_plan_a_follow_up_and_fix_an_interaction(page, demo_server):
    base = demo_server.url
    page.goto(f"{base}/login/?next=/customers/contacts/")
    sign_in(page, "linxue")
    page.locator("[data-testid=object-table] tbody tr").first.locator("td a").first.click()
    expect(page.locator("[data-testid=follow-up-panel]")).to_be_visible()

    page.locator("[data-testid=edit-contact]").first.click()
    page.fill("#id_title", "采购总监")
    page.locator("form.form button[type=submit]").click()
    expect(page.locator("[data-testid=contact]").first).to_contain_text("采购总监")

    page.locator("details.plan-follow-up > summary").click()
    plan = page.locator("[data-testid=follow-up-form]")
    plan.locator("input[name=next_follow_up_at]").fill("2031-03-02T09:30")
    plan.locator("input[name=follow_up_plan]").fill("确认第二季度的采购计划")
    plan.locator("button[type=submit]").click()
    expect(page.locator("[data-testid=follow-up-plan]")).to_have_text("确认第二季度的采购计划")
    expect(page.locator("[data-testid=next-follow-up]")).to_contain_text("2031-03-02 09:30")

    form = page.locator("[data-testid=log-form]")
    form.locator("textarea[name=summary]").fill("电话沟通，客户说下月再谈")
    form.locator("[data-testid=with-contacts] input[type=checkbox]").first.check()
    form.locator("button[type=submit]").click()
    expect(page.locator(".timeline")).to_contain_text("电话沟通，客户说下月再谈")

    page.locator("[data-testid=edit-interaction]").first.click()
    page.fill("#id_summary", "电话沟通，客户说下周来公司面谈")
    page.locator("form.form button[type=submit]").click()
    expect(page.locator(".timeline")).to_contain_text("电话沟通，客户说下周来公司面谈")
    expect(page.locator(".timeline")).not_to_contain_text("电话沟通，客户说下月再谈")

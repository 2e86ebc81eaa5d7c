"""The service flow end to end: an agent answers and resolves a ticket; the customer gets the
survey link by e-mail (a real SMTP server), rates it on a phone without signing in, and the
agent sees the score on the ticket."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import _finish, _new_page, sign_in
from tests.servers import kehu_env, kehu_server, run_kehu, wait_until
from tests.service.smtpsink import smtp_sink

pytestmark = pytest.mark.e2e

CUSTOMER = "kehu-e2e-customer@example.test"


@pytest.fixture(scope="module")
def mail_and_server(tmp_path_factory: Any) -> Any:
    data_dir = tmp_path_factory.mktemp("kehu-e2e-service")
    with smtp_sink() as sink:
        env = kehu_env(data_dir, EMAIL_HOST=sink.host, EMAIL_PORT=str(sink.port))
        for args in (("migrate", "--no-input", "-v0"), ("demo",)):
            result = run_kehu(*args, env=env, timeout=300)
            assert result.returncode == 0, result.stderr
        with kehu_server(env) as server:
            yield sink, server


def _mail_to(sink: Any, address: str, subject_part: str) -> Any:
    from email.header import decode_header, make_header

    for received in sink.messages:
        subject = str(make_header(decode_header(received.message["Subject"])))
        if address in received.recipients and subject_part in subject:
            return received
    return None


def _fits(page: Any) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_agent_resolves_customer_rates_score_shows(browser, request, mail_and_server):
    sink, server = mail_and_server
    base = server.url
    context, agent = _new_page(
        browser, request, viewport={"width": 375, "height": 760}, is_mobile=True, has_touch=True
    )
    customer_context, customer = _new_page(
        browser, request, viewport={"width": 375, "height": 760}, is_mobile=True, has_touch=True
    )
    try:
        agent.goto(f"{base}/login/?next=/service/new/")
        sign_in(agent, "gaoyuan")  # tech support
        agent.fill("#id_subject", "路由器频繁掉线")
        agent.select_option("#id_type", "tech_support")
        agent.fill("#id_requester_name", "周女士")
        agent.fill("#id_requester_email", CUSTOMER)
        agent.locator("form.form button[type=submit]").click()
        expect(agent.locator("[data-testid=ticket-status]")).to_have_text(
            re.compile("受理|Received")
        )
        number = agent.locator("[data-testid=ticket-number]").inner_text()
        assert _fits(agent), "the ticket page is wider than a 375 px phone"

        agent.fill("#reply-body", "请将固件升级到 2.1 版后重启。")
        agent.locator("[data-testid=reply-form] button[type=submit]").click()
        expect(agent.locator("[data-testid=conversation]")).to_contain_text("固件升级")
        reply = wait_until(lambda: _mail_to(sink, CUSTOMER, number), what="the reply e-mail")
        assert "固件升级" in reply.message.get_payload(decode=True).decode()

        agent.locator("button[data-status=resolved]").click()
        expect(agent.locator("[data-testid=ticket-status]")).to_have_text(
            re.compile("已解决|Resolved")
        )
        survey = wait_until(
            lambda: [
                m
                for m in sink.messages
                if CUSTOMER in m.recipients and "/s/" in m.message.get_payload(decode=True).decode()
            ],
            what="the survey e-mail",
        )[0]
        link = re.search(r"https?://\S+/s/\S+/", survey.message.get_payload(decode=True).decode())
        assert link is not None and link.group(0).startswith(base)

        customer.goto(link.group(0))  # not signed in
        expect(customer.locator("h1")).to_be_visible()
        assert _fits(customer), "the survey page is wider than a 375 px phone"
        customer.locator(".rating label", has_text="5").click()
        customer.fill("textarea[name=comment]", "回复很及时")
        customer.locator("[data-testid=survey-form] button[type=submit]").click()
        expect(customer.locator("[data-testid=survey-thanks]")).to_be_visible()
        customer.goto(link.group(0))
        expect(customer.locator("[data-testid=survey-unavailable]")).to_be_visible()

        agent.reload()
        expect(agent.locator("[data-testid=satisfaction]")).to_contain_text("5/5")
        expect(agent.locator("[data-testid=satisfaction]")).to_contain_text("回复很及时")
    finally:
        _finish(request, customer, customer_context)
        _finish(request, agent, context)


def test_phone_ticket_survey_link_handed_over_by_the_agent(browser, request, mail_and_server):
    """A phone ticket has no e-mail address: the agent gets a survey link on the ticket page,
    hands it over (here: opens it in the customer's browser); a low score puts the ticket in
    follow-up."""
    _sink, server = mail_and_server
    base = server.url
    context, agent = _new_page(browser, request)
    customer_context, customer = _new_page(
        browser, request, viewport={"width": 375, "height": 760}, is_mobile=True, has_touch=True
    )
    try:
        agent.goto(f"{base}/login/?next=/service/new/")
        sign_in(agent, "gaoyuan")
        agent.fill("#id_subject", "电话报修：扫码枪无反应")
        agent.select_option("#id_channel", "phone")
        agent.fill("#id_requester_name", "吴先生")
        agent.fill("#id_requester_phone", "13900003333")
        agent.locator("form.form button[type=submit]").click()
        agent.locator("button[data-status=resolved]").click()
        expect(agent.locator("[data-testid=ticket-status]")).to_have_text(
            re.compile("已解决|Resolved")
        )
        agent.locator("[data-testid=survey-link-button]").click()
        field = agent.locator("[data-testid=survey-link] input[data-survey-link]")
        expect(field).to_be_visible()
        link = field.input_value()
        assert link.startswith(base) and "/s/" in link

        customer.goto(link)  # not signed in
        customer.locator(".rating label", has_text="1").click()
        customer.locator("[data-testid=survey-form] button[type=submit]").click()
        expect(customer.locator("[data-testid=survey-thanks]")).to_be_visible()

        agent.reload()
        expect(agent.locator("[data-testid=satisfaction]")).to_contain_text("1/5")
        expect(agent.locator("[data-testid=ticket-status]")).to_have_text(
            re.compile("回访|Follow-up")
        )
        expect(agent.locator("[data-testid=survey-link-button]")).to_have_count(0)
    finally:
        _finish(request, customer, customer_context)
        _finish(request, agent, context)

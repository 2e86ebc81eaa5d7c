"""An administrator brings a new colleague in: team, invitation, password, authenticator."""

import base64
import re

import pytest
from django_otp.oath import totp
from playwright.sync_api import expect

from tests.e2e.conftest import sign_in

pytestmark = pytest.mark.e2e


def code_from(secret: str, drift: int = 0) -> str:
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    return f"{totp(key, drift=drift):06d}"


def enrol(page) -> str:
    """On the set-up page: read the key, confirm with a code, pass the recovery codes."""
    expect(page.locator("[data-testid=qr] svg")).to_be_visible()
    page.locator("details summary").click()
    secret = page.locator("[data-testid=secret]").inner_text().strip()
    page.fill("#id_code", code_from(secret))
    page.locator("form.form button[type=submit]").click()
    expect(page.locator("[data-testid=recovery-codes] li")).to_have_count(10)
    page.locator("a.btn-primary").click()
    return secret


def test_admin_invites_a_director_who_enrols_totp_and_signs_in_with_a_code(page, demo_server):
    base = demo_server.url
    # The administrator's role requires two-factor sign-in: the first sign-in enrols it.
    page.goto(f"{base}/login/")
    sign_in(page, "admin")
    expect(page).to_have_url(re.compile(r"/account/2fa/setup/"))
    enrol(page)
    expect(page.locator("[data-testid=greeting]")).to_be_visible()

    # A new team under the sales department.
    page.goto(f"{base}/settings/teams/new/")
    page.fill("#id_name", "西南销售组")
    page.select_option("#id_kind", "team")
    page.select_option("#id_parent", label="销售部")
    page.locator("form.form button[type=submit]").click()
    expect(page.locator("[data-team=西南销售组]")).to_be_visible()

    # An invitation for the new colleague, as sales director of that team.
    page.goto(f"{base}/settings/invitations/")
    page.fill("#id_email", "liqiang@yunshan-demo.cn")
    page.fill("#id_display_name", "李强")
    page.get_by_label("销售主管").check()
    page.get_by_label("西南销售组").check()
    page.locator("form.form button[type=submit]").click()
    link = page.locator("[data-testid=invite-link]").inner_text().strip()

    # The colleague, in their own browser.
    colleague = page.context.browser.new_context(locale="zh-CN").new_page()
    colleague.goto(link)
    expect(colleague.locator("h1")).to_contain_text("李强")
    colleague.fill("#id_username", "liqiang")
    colleague.fill("#id_password", "Xi-nan-2026!")
    colleague.fill("#id_password2", "Xi-nan-2026!")
    colleague.locator("form.form button[type=submit]").click()
    expect(colleague).to_have_url(re.compile(r"/account/2fa/setup/"))
    secret = enrol(colleague)
    expect(colleague.locator("[data-testid=greeting]")).to_contain_text("李强")

    # Next time: password, then a code from the authenticator.
    colleague.locator("[data-testid=user-menu]").click()
    colleague.locator("[data-testid=logout]").click()
    sign_in(colleague, "liqiang", "Xi-nan-2026!")
    expect(colleague).to_have_url(re.compile(r"/login/verify/"))
    colleague.fill("#id_code", code_from(secret, drift=1))  # the first code was used up
    colleague.locator("form.form button[type=submit]").click()
    expect(colleague.locator("[data-testid=greeting]")).to_contain_text("李强")
    colleague.goto(f"{base}/org/")
    expect(colleague.locator("[data-team=西南销售组]")).to_contain_text("李强")
    colleague.context.close()

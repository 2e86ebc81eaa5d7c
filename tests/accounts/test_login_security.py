"""Lockout, two-factor sign-in and its enforcement per role."""

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from kehu.accounts import twofactor


def code_for(device):
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


def sign_in(client, username, password="s3cret-pass!"):
    return client.post("/login/", {"username": username, "password": password})


@pytest.fixture
def director(make_user):
    return make_user("zhou", roles=("sales_director",))


def test_repeated_failures_lock_the_account_with_a_clear_message(client, user, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, "linxue", "wrong")
    locked = sign_in(client, "linxue")  # even the right password is refused now
    assert locked.status_code == 429
    assert "kehu.css" in locked.content.decode()
    assert client.get("/").status_code == 302


def test_director_must_enrol_before_anything_else(client, director):
    sign_in(client, "zhou")
    response = client.get("/customers/")
    assert response.status_code == 302
    assert response["Location"].startswith("/account/2fa/setup/")
    api = client.get("/api/v1/me")
    assert api.status_code == 403 and api["Content-Type"] == "application/problem+json"


@pytest.fixture
def no_throttle(settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    settings.OTP_STATIC_THROTTLE_FACTOR = 0


def test_enrolment_with_a_wrong_code_is_refused_then_a_right_one_turns_it_on(
    client, director, no_throttle
):
    sign_in(client, "zhou")
    page = client.get("/account/2fa/setup/")
    assert page.status_code == 200 and "<svg" in page.content.decode()
    device = TOTPDevice.objects.get(user=director, confirmed=False)
    bad = "000000" if code_for(device) != "000000" else "111111"
    wrong = client.post("/account/2fa/setup/", {"code": bad})
    assert wrong.status_code == 400
    right = client.post("/account/2fa/setup/", {"code": code_for(device)})
    assert right.status_code == 200
    assert 'data-testid="recovery-codes"' in right.content.decode()
    assert client.get("/customers/").status_code == 200  # this session is verified


def test_next_sign_in_asks_for_the_code_and_accepts_a_recovery_code_once(
    client, director, no_throttle
):
    device = TOTPDevice.objects.create(user=director, name="authenticator", confirmed=True)
    codes = twofactor.regenerate_recovery_codes(director)
    sign_in(client, "zhou")
    response = client.get("/")
    assert response["Location"].startswith("/login/verify/")
    assert client.post("/login/verify/", {"code": "123"}).status_code == 400
    assert client.post("/login/verify/", {"code": codes[0], "next": "/"}).status_code == 302
    assert client.get("/").status_code == 200
    client.logout()
    sign_in(client, "zhou")
    assert client.post("/login/verify/", {"code": codes[0]}).status_code == 400  # used up
    assert client.post("/login/verify/", {"code": code_for(device)}).status_code == 302


def test_sales_rep_is_not_asked_for_2fa(client, user):
    sign_in(client, "linxue")
    assert client.get("/").status_code == 200


def test_turning_off_the_role_requirement_stops_the_redirect(client, director):
    from kehu.accounts.models import Role

    Role.objects.filter(code="sales_director").update(require_2fa=False)
    sign_in(client, "zhou")
    assert client.get("/").status_code == 200


def test_a_role_that_starts_to_require_2fa_takes_effect_within_a_minute(
    client, director, monkeypatch
):
    from kehu.accounts.middleware import TwoFactorMiddleware
    from kehu.accounts.models import Role

    Role.objects.filter(code="sales_director").update(require_2fa=False)
    sign_in(client, "zhou")
    assert client.get("/").status_code == 200
    Role.objects.filter(code="sales_director").update(require_2fa=True)
    assert client.get("/").status_code == 200  # found free a moment ago: not asked yet
    monkeypatch.setattr(TwoFactorMiddleware, "RECHECK_AFTER", 0.0)
    response = client.get("/")
    assert response.status_code == 302 and "/account/2fa/setup/" in response["Location"]


def test_guessing_codes_is_throttled(client, director):
    device = TOTPDevice.objects.create(user=director, name="authenticator", confirmed=True)
    sign_in(client, "zhou")
    client.post("/login/verify/", {"code": "000001"})
    response = client.post("/login/verify/", {"code": code_for(device)})
    assert response.status_code == 400  # even the right code waits out the delay
    assert "Wait" in response.content.decode() or "等" in response.content.decode()


def test_moving_2fa_to_a_new_phone_needs_the_password_again(client, director):
    import time

    from tests.conftest import force_login_verified

    force_login_verified(client, director)
    session = client.session
    session["kehu_auth_at"] = time.time() - 3600
    session.save()
    response = client.get("/account/2fa/setup/")
    assert response.status_code == 302 and "confirm-password" in response["Location"]
    session = client.session
    session["kehu_auth_at"] = time.time()
    session.save()
    assert client.get("/account/2fa/setup/").status_code == 200

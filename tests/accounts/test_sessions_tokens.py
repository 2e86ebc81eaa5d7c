"""Sessions that end, tokens that are scoped, and deactivation that cuts everything at once."""

import datetime as dt
import time

import pytest
from django.test import Client
from django.utils import timezone

from kehu.accounts import services
from kehu.accounts.models import ApiToken, UserSession


def sign_in(client, username="linxue", password="s3cret-pass!"):
    response = client.post("/login/", {"username": username, "password": password})
    assert response.status_code == 302
    return client


def bearer(raw):
    return {"Authorization": f"Bearer {raw}"}


def test_each_sign_in_is_listed_and_can_be_ended_from_another_browser(user):
    laptop, phone = sign_in(Client()), sign_in(Client(HTTP_USER_AGENT="iPhone"))
    assert UserSession.objects.filter(user=user).count() == 2
    page = laptop.get("/account/security/").content.decode()
    assert "iPhone" in page
    phone_session = UserSession.objects.get(user=user, user_agent="iPhone")
    laptop.post(f"/account/sessions/{phone_session.pk}/end/")
    assert phone.get("/").status_code == 302  # signed out
    assert laptop.get("/").status_code == 200


def test_nobody_can_end_someone_elses_session(user, other_user):
    victim = sign_in(Client(), "chenhao")
    attacker = sign_in(Client())
    session = UserSession.objects.get(user=other_user)
    attacker.post(f"/account/sessions/{session.pk}/end/")
    assert victim.get("/").status_code == 200


def test_logout_forgets_the_session(user):
    client = sign_in(Client())
    client.post("/logout/")
    assert not UserSession.objects.filter(user=user).exists()


def test_idle_and_absolute_timeouts_end_the_session(user, settings):
    client = sign_in(Client())
    session = client.session
    session["kehu_seen_at"] = time.time() - settings.KEHU_SESSION_IDLE - 1
    session.save()
    response = client.get("/customers/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    client = sign_in(Client())
    session = client.session
    session["kehu_auth_at"] = time.time() - settings.KEHU_SESSION_MAX_AGE - 1
    session.save()
    assert client.get("/api/v1/me").status_code == 401


def test_token_is_shown_once_and_stored_hashed(user):
    token, raw = services.create_token(
        user=user, name="ERP", scopes=["customers:read"], expires_at=None
    )
    assert raw.startswith("kehu_") and raw not in (token.key_hash, token.prefix)
    assert ApiToken.objects.filter(key_hash__contains=raw).count() == 0


def test_token_scopes_read_write_and_area(client, user, make_customer):
    make_customer(user, name="令牌可见客户")
    _, reader = services.create_token(
        user=user, name="r", scopes=["customers:read"], expires_at=None
    )
    listed = client.get("/api/v1/customers", headers=bearer(reader))
    assert listed.status_code == 200 and listed.json()["items"][0]["name"] == "令牌可见客户"
    refused = client.post(
        "/api/v1/customers",
        '{"name": "x"}',
        content_type="application/json",
        headers=bearer(reader),
    )
    assert refused.status_code == 403
    assert client.get("/api/v1/me", headers=bearer(reader)).status_code == 403
    _, writer = services.create_token(
        user=user, name="w", scopes=["customers:write"], expires_at=None
    )
    created = client.post(
        "/api/v1/customers",
        '{"name": "令牌新建客户"}',
        content_type="application/json",
        headers=bearer(writer),
    )
    assert created.status_code == 201


def test_tokens_see_exactly_what_their_owner_sees(client, user, other_user, make_customer):
    make_customer(other_user, name="别人的客户")
    _, raw = services.create_token(user=user, name="r", scopes=["customers:read"], expires_at=None)
    assert client.get("/api/v1/customers", headers=bearer(raw)).json()["items"] == []


def test_expired_revoked_and_bogus_tokens_are_refused(client, user):
    _, expired = services.create_token(
        user=user,
        name="old",
        scopes=["account:read"],
        expires_at=timezone.now() - dt.timedelta(seconds=1),
    )
    token, revoked = services.create_token(
        user=user, name="x", scopes=["account:read"], expires_at=None
    )
    services.revoke_token(user=user, token_id=token.pk)
    for raw in (expired, revoked, "kehu_nope", "nonsense"):
        assert client.get("/api/v1/me", headers=bearer(raw)).status_code == 401


def test_token_use_is_recorded(client, user):
    token, raw = services.create_token(
        user=user, name="r", scopes=["account:read"], expires_at=None
    )
    assert client.get("/api/v1/me", headers=bearer(raw)).status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_creating_a_token_needs_a_recent_password(user):
    client = sign_in(Client())
    session = client.session
    session["kehu_auth_at"] = time.time() - 3600
    session.save()
    data = {"name": "ERP", "scopes": ["customers:read"], "expires_in_days": 30}
    response = client.post("/account/tokens/", data)
    assert response.status_code == 302 and "confirm-password" in response["Location"]
    assert client.post("/account/confirm-password/", {"password": "wrong"}).status_code == 400
    client.post("/account/confirm-password/", {"password": "s3cret-pass!"})
    created = client.post("/account/tokens/", data)
    assert created.status_code == 200
    assert 'data-testid="token-secret"' in created.content.decode()


@pytest.mark.django_db
def test_deactivation_ends_sessions_revokes_tokens_and_hands_over_work(
    user, other_user, admin_user, make_customer
):
    customer = make_customer(user)
    client = sign_in(Client())
    _, raw = services.create_token(user=user, name="r", scopes=["account:read"], expires_at=None)
    result = services.deactivate_user(actor=admin_user, user=user, reassign_to=other_user)
    assert result == {"sessions": 1, "tokens": 1, "reassigned": 1}
    assert client.get("/").status_code == 302
    assert Client().get("/api/v1/me", headers=bearer(raw)).status_code == 401
    customer.refresh_from_db()
    assert customer.owner == other_user
    assert customer.history.first().history_user == admin_user

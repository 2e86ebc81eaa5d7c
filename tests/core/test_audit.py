"""The global audit log and the per-record history tab."""

import pytest
from django.test import Client

from kehu.accounts import services as account_services
from kehu.core.models import AuditEvent
from kehu.customers import services
from tests.conftest import force_login_verified


@pytest.fixture
def auditor(make_user):
    return make_user("auditor", roles=("sales_director",))


def test_sign_ins_failures_and_sign_outs_are_logged(user):
    client = Client()
    client.post("/login/", {"username": "linxue", "password": "wrong"})
    client.post("/login/", {"username": "linxue", "password": "s3cret-pass!"})
    client.post("/logout/")
    actions = list(AuditEvent.objects.order_by("id").values_list("action", flat=True))
    assert actions == ["login_failed", "login", "logout"]
    failed = AuditEvent.objects.get(action="login_failed")
    assert failed.summary == "linxue" and failed.ip_address == "127.0.0.1"


def test_token_lifecycle_is_logged(user, client):
    token, raw = account_services.create_token(
        user=user, name="ERP", scopes=["account:read"], expires_at=None
    )
    client.get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"})
    client.get("/api/v1/me", headers={"Authorization": f"Bearer {raw}"})  # within a minute
    account_services.revoke_token(user=user, token_id=token.pk)
    actions = list(
        AuditEvent.objects.filter(object_type="apitoken").values_list("action", flat=True)
    )
    assert sorted(actions) == ["token_created", "token_revoked", "token_used"]


def test_audit_log_page_needs_the_permission_and_filters(client, user, auditor):
    Client().post("/login/", {"username": "linxue", "password": "wrong"})
    client.force_login(user)
    assert client.get("/audit/").status_code == 403
    force_login_verified(client, auditor)
    page = client.get("/audit/?action=login_failed").content.decode()
    assert "linxue" in page
    other = client.get("/audit/?action=export").content.decode()
    assert "linxue" not in other


def test_history_tab_shows_who_changed_what(client, user, make_customer):
    customer = make_customer(user, name="杭州启明贸易有限公司", city="杭州市")
    services.update_customer(
        actor=user, customer=customer, expected_version=1, city="宁波市", level="A"
    )
    client.force_login(user)
    page = client.get(f"/customers/{customer.pk}/history/").content.decode()
    assert "杭州市" in page and "宁波市" in page
    assert "A · key account" in page or "A · 重点客户" in page


def test_history_hides_money_from_those_who_may_not_see_it(client, user, auditor, make_customer):
    customer = make_customer(user, credit_limit=10000)
    services.update_customer(
        actor=auditor, customer=customer, expected_version=1, credit_limit=77777
    )
    client.force_login(user)
    assert "77777" not in client.get(f"/customers/{customer.pk}/history/").content.decode()
    force_login_verified(client, auditor)
    assert "77777" in client.get(f"/customers/{customer.pk}/history/").content.decode()


def test_deactivation_is_logged(user, other_user, admin_user):
    account_services.deactivate_user(actor=admin_user, user=user, reassign_to=other_user)
    event = AuditEvent.objects.get(action="user_deactivated")
    assert event.actor == admin_user and event.object_id == str(user.pk)

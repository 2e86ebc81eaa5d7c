import json

from kehu.accounts import services
from kehu.accounts.models import ApiToken
from kehu.core.models import AuditEvent
from tests.conftest import force_login_verified


def test_colleagues_teams_and_roles_are_listed(client, user, other_user):
    client.force_login(user)
    users = client.get("/api/v1/users").json()["items"]
    assert {u["username"] for u in users} == {"linxue", "chenhao"}
    assert users[1]["roles"] == ["sales_rep"]
    roles = {r["code"]: r for r in client.get("/api/v1/roles").json()}
    assert roles["sales_director"]["require_2fa"] is True
    assert roles["sales_rep"]["scopes"]["customer"] == "own"
    assert client.get("/api/v1/teams").status_code == 200


def test_only_user_managers_set_roles(client, user, other_user, make_user):
    body = json.dumps({"roles": ["sales_director"]})
    client.force_login(user)
    refused = client.put(
        f"/api/v1/users/{other_user.pk}/roles", body, content_type="application/json"
    )
    assert refused.status_code == 403
    force_login_verified(client, make_user("root", roles=("administrator",)))
    done = client.put(f"/api/v1/users/{other_user.pk}/roles", body, content_type="application/json")
    assert done.status_code == 200 and done.json()["roles"] == ["sales_director"]
    assert AuditEvent.objects.filter(action="user_roles_changed").count() == 1
    bad = client.put(
        f"/api/v1/users/{other_user.pk}/roles",
        json.dumps({"roles": ["nope"]}),
        content_type="application/json",
    )
    assert bad.status_code == 422


def test_tokens_through_the_api(client, user):
    client.force_login(user)
    created = client.post(
        "/api/v1/me/tokens",
        json.dumps({"name": "BI", "scopes": ["customers:read"]}),
        content_type="application/json",
    )
    assert created.status_code == 201
    secret = created.json()["secret"]
    listed = client.get("/api/v1/me/tokens").json()
    assert [t["name"] for t in listed] == ["BI"] and "secret" not in listed[0]
    bad = client.post(
        "/api/v1/me/tokens",
        json.dumps({"name": "x", "scopes": ["root"]}),
        content_type="application/json",
    )
    assert bad.status_code == 422
    # A token may not mint tokens, even with account:write.
    _, writer = services.create_token(
        user=user, name="w", scopes=["account:write"], expires_at=None
    )
    minted = client.post(
        "/api/v1/me/tokens",
        json.dumps({"name": "y", "scopes": []}),
        content_type="application/json",
        headers={"Authorization": f"Bearer {writer}"},
    )
    assert minted.status_code == 403
    token_id = created.json()["id"]
    assert client.delete(f"/api/v1/me/tokens/{token_id}").status_code == 204
    assert ApiToken.objects.get(pk=token_id).revoked_at is not None
    assert (
        client.get("/api/v1/customers", headers={"Authorization": f"Bearer {secret}"}).status_code
        == 401
    )

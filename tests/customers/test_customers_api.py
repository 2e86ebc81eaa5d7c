import json

import pytest

from tests.conftest import force_login_verified


@pytest.fixture
def director(make_user):
    return make_user("zhou", roles=("sales_director",))


def api(client, method, path, body=None, **headers):
    if method == "get":
        return client.get(f"/api/v1{path}", headers=headers)
    data = json.dumps(body) if body is not None else None
    return getattr(client, method)(
        f"/api/v1{path}", data=data, content_type="application/json", headers=headers
    )


def test_rep_lists_only_own_customers_without_money(client, user, other_user, make_customer):
    make_customer(user, name="我的客户", credit_limit=50000)
    make_customer(other_user, name="别人的客户")
    client.force_login(user)
    body = api(client, "get", "/customers").json()
    assert [c["name"] for c in body["items"]] == ["我的客户"]
    assert "credit_limit" not in body["items"][0]


def test_director_sees_everything_and_the_money(client, director, user, make_customer):
    make_customer(user, name="林雪的客户", credit_limit=50000)
    force_login_verified(client, director)
    item = api(client, "get", "/customers").json()["items"][0]
    assert item["credit_limit"] == "50000.00"


def test_foreign_customer_is_404_not_403(client, user, other_user, make_customer):
    theirs = make_customer(other_user)
    client.force_login(user)
    for method in ("get", "patch", "delete"):
        response = api(client, method, f"/customers/{theirs.pk}", {"version": 1})
        assert response.status_code == 404, method


def test_rep_cannot_smuggle_money_or_owner(client, user, other_user, make_customer):
    mine = make_customer(user)
    client.force_login(user)
    response = api(client, "patch", f"/customers/{mine.pk}", {"credit_limit": "1", "version": 1})
    assert response.status_code == 403
    assert response.json()["fields"] == ["credit_limit"]
    response = api(
        client, "patch", f"/customers/{mine.pk}", {"owner_id": other_user.pk, "version": 1}
    )
    assert response.status_code == 403
    mine.refresh_from_db()
    assert (mine.owner, mine.credit_limit, mine.version) == (user, None, 1)
    created = api(client, "post", "/customers", {"name": "新客户", "credit_limit": "9"})
    assert created.status_code == 403


def test_patch_with_stale_version_is_409(client, user, make_customer):
    mine = make_customer(user)
    client.force_login(user)
    ok = api(client, "patch", f"/customers/{mine.pk}", {"city": "杭州市"}, **{"If-Match": '"1"'})
    assert ok.status_code == 200 and ok.json()["version"] == 2
    stale = api(client, "patch", f"/customers/{mine.pk}", {"city": "上海市", "version": 1})
    assert stale.status_code == 409
    assert stale.json()["current_version"] == 2
    missing = api(client, "patch", f"/customers/{mine.pk}", {"city": "上海市"})
    assert missing.status_code == 428


def test_create_validates_choices_with_a_clear_422(client, user):
    client.force_login(user)
    response = api(client, "post", "/customers", {"name": "新客户", "level": "Z"})
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "level"]


def test_rep_cannot_delete_but_director_can(client, user, director, make_customer):
    mine = make_customer(user)
    client.force_login(user)
    assert api(client, "delete", f"/customers/{mine.pk}").status_code == 404
    force_login_verified(client, director)
    assert api(client, "delete", f"/customers/{mine.pk}").status_code == 204


def test_list_filters_and_search(client, user, make_customer):
    make_customer(user, name="杭州启明贸易有限公司", level="A", city="杭州市")
    make_customer(user, name="宁波恒泰电子有限公司", level="C", city="宁波市")
    client.force_login(user)
    by_q = api(client, "get", "/customers?q=qm").json()["items"]
    assert [c["name"] for c in by_q] == ["杭州启明贸易有限公司"]
    by_level = api(client, "get", "/customers?level=C").json()["items"]
    assert [c["name"] for c in by_level] == ["宁波恒泰电子有限公司"]
    bad = api(client, "get", "/customers?level=Z")
    assert bad.status_code == 422 and bad.json()["errors"][0]["loc"] == ["body", "level"]


def test_bulk_create_reports_each_item(client, user, other_user, make_customer):
    make_customer(other_user, name="已存在的客户")
    client.force_login(user)
    body = [
        {"name": "批量一"},
        {"name": "已存在的客户"},
        {"name": "批量三", "level": "Z"},
        {"name": "批量四", "credit_limit": "1"},
    ]
    response = api(client, "post", "/customers/bulk", body)
    assert response.status_code == 200
    result = response.json()
    assert len(result["created"]) == 1
    assert set(result["errors"]) == {"1", "2", "3"}
    assert "chenhao" in result["errors"]["1"] or "陈浩" in result["errors"]["1"]

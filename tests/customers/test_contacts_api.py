"""The contacts and interactions API, and the customer API's follow-up and collaborators."""

import datetime as dt

import pytest
from django.utils import timezone

from kehu.customers import services
from kehu.customers.models import Contact, Customer, Interaction
from tests.conftest import force_login_verified
from tests.customers.test_customers_api import api


@pytest.fixture
def director(make_user):
    return make_user("zhou", roles=("sales_director",))


def _iso(when):
    return when.isoformat()


def test_contacts_crud_with_versions(client, user, make_customer):
    c = make_customer(user)
    client.force_login(user)
    created = api(
        client,
        "post",
        "/contacts",
        {"customer_id": c.pk, "name": "王芳", "mobile": "138 0013 8000", "email": "w@ex.com"},
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["mobile"] == "+8613800138000" and body["is_primary"] is True
    url = f"/contacts/{body['id']}"
    assert api(client, "get", url).json()["name"] == "王芳"
    missing = api(client, "patch", url, {"title": "经理"})
    assert missing.status_code == 428
    ok = api(client, "patch", url, {"title": "经理"}, **{"If-Match": f'"{body["version"]}"'})
    assert ok.status_code == 200 and ok.json()["version"] == body["version"] + 1
    stale = api(client, "patch", url, {"title": "总监", "version": body["version"]})
    assert stale.status_code == 409
    assert stale.json()["current_version"] == body["version"] + 1
    bad = api(client, "patch", url, {"mobile": "12", "version": body["version"] + 1})
    assert bad.status_code == 422
    assert Contact.objects.get(pk=body["id"]).title == "经理"
    # reps may not delete contacts
    assert api(client, "delete", url).status_code == 404


def test_contact_list_filters_search_and_scope(client, user, other_user, make_customer):
    mine, theirs = make_customer(user), make_customer(other_user)
    services.add_contact(actor=user, customer=mine, name="王芳", mobile="13800138000")
    services.add_contact(actor=user, customer=mine, name="李强", email="li@huawei.com")
    services.add_contact(actor=other_user, customer=theirs, name="王五", mobile="13900138000")
    client.force_login(user)
    names = lambda q: {c["name"] for c in api(client, "get", f"/contacts?{q}").json()["items"]}  # noqa: E731
    assert names("") == {"王芳", "李强"}
    assert names("q=38000") == {"王芳"}  # the other customer's contact stays out of scope
    assert names("q=huawei") == {"李强"}
    assert names("is_primary=true") == {"王芳"}
    assert names(f"customer_id={theirs.pk}") == set()
    assert api(client, "get", "/contacts?birthday=someday").status_code == 422


def test_contact_bulk_reports_refusals_by_position(client, user, other_user, make_customer):
    mine, theirs = make_customer(user), make_customer(other_user)
    client.force_login(user)
    body = api(
        client,
        "post",
        "/contacts/bulk",
        [
            {"customer_id": mine.pk, "name": "王芳"},
            {"customer_id": mine.pk, "name": "李强", "mobile": "12"},
            {"customer_id": theirs.pk, "name": "外人"},
            {"customer_id": mine.pk, "name": "赵敏", "email": "not-an-email"},
        ],
    ).json()
    assert len(body["created"]) == 1
    assert set(body["errors"]) == {"1", "2", "3"}
    assert Contact.objects.filter(customer=mine).count() == 1


def test_interactions_crud_moves_the_customers_dates(client, user, director, make_customer):
    c = make_customer(user)
    wang = services.add_contact(actor=user, customer=c, name="王芳")
    other = services.add_contact(actor=user, customer=make_customer(user), name="外人")
    client.force_login(user)
    when = timezone.now() - dt.timedelta(hours=3)
    follow = timezone.now() + dt.timedelta(days=2)
    refused = api(
        client,
        "post",
        "/interactions",
        {
            "customer_id": c.pk,
            "occurred_at": _iso(when),
            "summary": "电话",
            "contact_ids": [other.pk],
        },
    )
    assert refused.status_code == 422
    created = api(
        client,
        "post",
        "/interactions",
        {
            "customer_id": c.pk,
            "kind": "visit",
            "occurred_at": _iso(when),
            "summary": "上门拜访",
            "next_step": "寄样品",
            "next_follow_up_at": _iso(follow),
            "contact_ids": [wang.pk],
        },
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["contact_ids"] == [wang.pk]
    c.refresh_from_db()
    assert c.last_contact_at == when and c.follow_up_plan == "寄样品"
    url = f"/interactions/{body['id']}"
    assert api(client, "patch", url, {"summary": "改"}).status_code == 428
    earlier = when - dt.timedelta(days=1)
    ok = api(
        client,
        "patch",
        url,
        {"occurred_at": _iso(earlier), "next_step": "寄样品和合同", "version": body["version"]},
    )
    assert ok.status_code == 200, ok.content
    c.refresh_from_db()
    assert c.last_contact_at == earlier and c.follow_up_plan == "寄样品和合同"
    assert api(client, "patch", url, {"summary": "x", "version": 1}).status_code == 409
    assert api(client, "delete", url).status_code == 404  # reps may not delete
    force_login_verified(client, director)
    assert api(client, "delete", url).status_code == 204
    c.refresh_from_db()
    assert c.last_contact_at is None and c.next_follow_up_at is None
    assert not Interaction.objects.filter(pk=body["id"]).exists()


def test_interaction_list_filters_and_search(client, user, other_user, make_customer):
    a = make_customer(user, name="杭州启明贸易有限公司")
    b = make_customer(user, name="宁波恒泰电子有限公司")
    services.add_contact(actor=user, customer=b, name="李强", mobile="13800138000")
    theirs = make_customer(other_user, name="宁波别家有限公司")
    services.add_contact(actor=other_user, customer=theirs, name="王五", mobile="13900138000")
    now = timezone.now()
    for customer, kind, actor in (
        (a, "call", user),
        (b, "visit", user),
        (theirs, "call", other_user),
    ):
        services.log_interaction(
            actor=actor, customer=customer, kind=kind, occurred_at=now, summary=f"和{customer}沟通"
        )
    client.force_login(user)

    def customers(q):
        body = api(client, "get", f"/interactions?{q}").json()
        assert "items" in body, body
        items = body["items"]
        return {i["customer_id"] for i in items}

    assert customers("") == {a.pk, b.pk}
    assert customers("q=启明") == {a.pk}
    assert customers("q=38000") == {b.pk}  # through the contact's phone; never the outsider's
    assert customers("kind=visit") == {b.pk}
    assert customers(f"customer_id={a.pk}") == {a.pk}


def test_interaction_bulk_reports_refusals_by_position(client, user, make_customer):
    c = make_customer(user)
    client.force_login(user)
    now = timezone.now()
    body = api(
        client,
        "post",
        "/interactions/bulk",
        [
            {"customer_id": c.pk, "occurred_at": _iso(now), "summary": "一"},
            {
                "customer_id": c.pk,
                "occurred_at": _iso(now + dt.timedelta(days=3)),
                "summary": "未来",
            },
            {"customer_id": c.pk, "occurred_at": _iso(now), "summary": "二", "kind": "fax"},
            {"customer_id": 999999, "occurred_at": _iso(now), "summary": "三"},
        ],
    ).json()
    assert len(body["created"]) == 1 and set(body["errors"]) == {"1", "2", "3"}


def test_customer_api_sets_the_follow_up_by_hand(client, user, make_customer):
    c = make_customer(user)
    client.force_login(user)
    when = (timezone.now() + dt.timedelta(days=5)).replace(microsecond=0)
    ok = api(
        client,
        "patch",
        f"/customers/{c.pk}",
        {"next_follow_up_at": _iso(when), "follow_up_plan": "确认报价", "version": c.version},
    )
    assert ok.status_code == 200, ok.content
    assert ok.json()["follow_up_plan"] == "确认报价"
    c.refresh_from_db()
    assert c.next_follow_up_at == when
    past = api(
        client,
        "patch",
        f"/customers/{c.pk}",
        {"next_follow_up_at": _iso(when - dt.timedelta(days=30)), "version": c.version},
    )
    assert past.status_code == 422
    cleared = api(
        client, "patch", f"/customers/{c.pk}", {"next_follow_up_at": None, "version": c.version}
    )
    assert cleared.status_code == 200 and cleared.json()["next_follow_up_at"] is None


def test_collaborators_through_the_api_need_the_assign_right(
    client, user, other_user, director, make_customer
):
    c = make_customer(user)
    client.force_login(user)
    refused = api(
        client,
        "patch",
        f"/customers/{c.pk}",
        {"collaborator_ids": [other_user.pk], "version": c.version},
    )
    assert refused.status_code == 403
    force_login_verified(client, director)
    ok = api(
        client,
        "patch",
        f"/customers/{c.pk}",
        {"collaborator_ids": [other_user.pk], "version": c.version},
    )
    assert ok.status_code == 200 and ok.json()["collaborator_ids"] == [other_user.pk]
    assert list(Customer.objects.get(pk=c.pk).collaborators.all()) == [other_user]
    unknown = api(
        client,
        "patch",
        f"/customers/{c.pk}",
        {"collaborator_ids": [987654], "version": ok.json()["version"]},
    )
    assert unknown.status_code == 422
    # the collaborator now sees the customer
    force_login_verified(client, other_user)
    assert api(client, "get", f"/customers/{c.pk}").status_code == 200

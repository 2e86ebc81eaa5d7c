"""A deal's contacts: set on creation and editing (pages and API), only the deal customer's
people, only those the user may see; shown on the deal page."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import ValidationError

from kehu.sales import services
from kehu.sales.models import Deal
from tests.conftest import force_login_verified


@pytest.fixture
def rep(make_user):
    return make_user("rep-contacts", roles=("sales_rep",))


@pytest.fixture
def people(rep, make_customer):
    """The rep's customer with two contacts, and another of the rep's customers with one."""
    from kehu.customers import services as customer_services

    customer = make_customer(rep, name="联系人测试客户有限公司")
    other = make_customer(rep, name="别家客户有限公司")
    return {
        "customer": customer,
        "other": other,
        "li": customer_services.add_contact(
            actor=rep, customer=customer, name="李经理", title="采购经理", mobile="13812345678"
        ),
        "wang": customer_services.add_contact(actor=rep, customer=customer, name="王工"),
        "zhao": customer_services.add_contact(actor=rep, customer=other, name="赵总"),
    }


def _ids(deal):
    return sorted(deal.contacts.values_list("pk", flat=True))


# -- services -------------------------------------------------------------------------------


def test_create_refuses_another_customers_contact(rep, people, pipeline):
    with pytest.raises(ValidationError) as exc:
        services.create_deal(
            actor=rep, customer=people["customer"], title="x", contacts=[people["zhao"]]
        )
    assert "赵总" in str(exc.value.message_dict["contacts"])
    assert not Deal.objects.exists()


def test_update_replaces_contacts_and_counts_as_a_change(rep, people, pipeline):
    deal = services.create_deal(
        actor=rep, customer=people["customer"], title="x", contacts=[people["li"]]
    )
    assert _ids(deal) == [people["li"].pk]
    updated = services.update_deal(
        actor=rep, deal=deal, expected_version=deal.version, contacts=[people["wang"]]
    )
    assert _ids(updated) == [people["wang"].pk]
    assert updated.version == 2
    with pytest.raises(ValidationError):
        services.update_deal(
            actor=rep, deal=updated, expected_version=updated.version, contacts=[people["zhao"]]
        )
    assert _ids(Deal.objects.get(pk=deal.pk)) == [people["wang"].pk]
    unchanged = services.update_deal(
        actor=rep, deal=updated, expected_version=updated.version, title="改名"
    )
    assert _ids(unchanged) == [people["wang"].pk]


# -- pages ----------------------------------------------------------------------------------


def test_create_page_offers_the_customers_contacts(client, rep, people, stages):
    force_login_verified(client, rep)
    page = client.get(f"/sales/deals/new/?customer={people['customer'].pk}").content.decode()
    assert "李经理" in page and "王工" in page and "赵总" not in page
    response = client.post(
        "/sales/deals/new/",
        {
            "title": "带联系人的商机",
            "customer": people["customer"].pk,
            "stage": stages["Lead"].pk,
            "probability": 10,
            "contacts": [people["li"].pk, people["wang"].pk],
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    deal = Deal.objects.get(title="带联系人的商机")
    assert _ids(deal) == sorted([people["li"].pk, people["wang"].pk])
    html = client.get(f"/sales/deals/{deal.pk}/").content.decode()
    assert 'data-testid="deal-contacts"' in html
    assert "李经理" in html and "采购经理" in html and "王工" in html


def test_create_page_refuses_another_customers_contact(client, rep, people, stages):
    force_login_verified(client, rep)
    response = client.post(
        "/sales/deals/new/",
        {
            "title": "错配联系人",
            "customer": people["customer"].pk,
            "stage": stages["Lead"].pk,
            "probability": 10,
            "contacts": [people["zhao"].pk],
        },
    )
    assert response.status_code == 400
    assert "赵总" in response.context["form"].errors["contacts"][0]
    assert not Deal.objects.filter(title="错配联系人").exists()


def test_edit_page_changes_contacts(client, rep, people, pipeline):
    deal = services.create_deal(
        actor=rep, customer=people["customer"], title="编辑联系人", contacts=[people["li"]]
    )
    force_login_verified(client, rep)
    page = client.get(f"/sales/deals/{deal.pk}/edit/").content.decode()
    assert "王工" in page and "赵总" not in page
    data = {
        "version": deal.version,
        "title": deal.title,
        "probability": deal.probability,
        "contacts": [people["wang"].pk],
    }
    response = client.post(f"/sales/deals/{deal.pk}/edit/", data)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert _ids(Deal.objects.get(pk=deal.pk)) == [people["wang"].pk]
    data["version"] = deal.version + 1
    data["contacts"] = [people["zhao"].pk]
    refused = client.post(f"/sales/deals/{deal.pk}/edit/", data)
    assert refused.status_code == 400
    assert _ids(Deal.objects.get(pk=deal.pk)) == [people["wang"].pk]


# -- API ------------------------------------------------------------------------------------


def _send(client, method, url, data):
    return getattr(client, method)(url, json.dumps(data), content_type="application/json")


def test_api_sets_and_changes_contacts(client, rep, people, pipeline):
    force_login_verified(client, rep)
    created = _send(
        client,
        "post",
        "/api/v1/deals",
        {
            "title": "API 联系人",
            "customer_id": people["customer"].pk,
            "contact_ids": [people["li"].pk],
        },
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["contact_ids"] == [people["li"].pk]
    patched = _send(
        client,
        "patch",
        f"/api/v1/deals/{body['id']}",
        {"version": body["version"], "contact_ids": [people["wang"].pk, people["li"].pk]},
    )
    assert patched.status_code == 200, patched.content
    assert patched.json()["contact_ids"] == sorted([people["li"].pk, people["wang"].pk])
    listed = client.get("/api/v1/deals").json()["items"]
    assert listed[0]["contact_ids"] == sorted([people["li"].pk, people["wang"].pk])


def test_api_refuses_foreign_and_invisible_contacts(client, rep, make_user, people, pipeline):
    from kehu.customers import services as customer_services

    stranger = make_user("stranger-contacts", roles=("sales_rep",))
    hidden_customer = customer_services.create_customer(
        actor=stranger, owner=stranger, name="看不见的客户有限公司"
    )
    hidden = customer_services.add_contact(actor=stranger, customer=hidden_customer, name="钱总")
    force_login_verified(client, rep)
    foreign = _send(
        client,
        "post",
        "/api/v1/deals",
        {"title": "x", "customer_id": people["customer"].pk, "contact_ids": [people["zhao"].pk]},
    )
    assert foreign.status_code in (400, 422)
    invisible = _send(
        client,
        "post",
        "/api/v1/deals",
        {"title": "x", "customer_id": people["customer"].pk, "contact_ids": [hidden.pk]},
    )
    assert invisible.status_code in (400, 422)
    assert "钱总" not in invisible.content.decode()
    assert not Deal.objects.exists()

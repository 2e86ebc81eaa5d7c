"""Winning a deal by any path — the won button, dragging on the board, the API's move and win —
records its order in the customer's purchase history; a won deal without one keeps an action
to record it."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from kehu.sales import services
from kehu.sales.models import Deal
from tests.conftest import force_login_verified


@pytest.fixture
def product(director):
    from kehu.customers import services as customer_services

    return customer_services.create_product(
        actor=director, code="P-WIN", name="收银一体机", price="2000"
    )


@pytest.fixture
def lined_deal(director, make_deal, product):
    """A deal of the director's with two lines worth 2 × 2,000 + 1 × 1,500."""

    def make(owner=None):
        deal = make_deal(owner or director)
        services.set_deal_lines(
            actor=director,
            deal=deal,
            lines=[(product, 2, None), (product, 1, "1500")],
            expected_version=None,
        )
        return Deal.objects.get(pk=deal.pk)

    return make


@pytest.fixture
def mover(make_user):
    """Someone who may move every deal but not record orders."""
    from kehu.accounts.models import Role
    from kehu.accounts.roles import create_default_roles

    create_default_roles(Role)
    role = Role.objects.create(
        code="deal-mover",
        name="Deal mover",
        permissions=["deal.view", "deal.change", "customer.view"],
        scopes={"deal": "all", "customer": "all"},
    )
    person = make_user("deal-mover")
    person.roles.set([role])
    return person


def _assert_ordered(deal):
    deal.refresh_from_db()
    assert deal.status == Deal.Status.WON
    assert deal.order is not None
    assert deal.order.customer_id == deal.customer_id
    assert deal.order.total_amount == Decimal("5500.00")
    assert deal.order.lines.count() == 2
    deal.customer.refresh_from_db()
    assert deal.customer.orders_count == 1
    assert deal.customer.purchase_total == Decimal("5500.00")


# -- services -------------------------------------------------------------------------------


def test_moving_to_won_stage_records_the_order(director, lined_deal, stages):
    deal = lined_deal()
    services.move_deal(actor=director, deal=deal, stage=stages["Signed"])
    _assert_ordered(deal)


def test_moving_to_won_without_create_order_records_none(director, lined_deal, stages):
    deal = lined_deal()
    services.move_deal(actor=director, deal=deal, stage=stages["Signed"], create_order=False)
    deal.refresh_from_db()
    assert deal.status == Deal.Status.WON and deal.order is None
    assert services.may_record_order(director, deal)


def test_moving_to_an_open_stage_records_no_order(director, lined_deal, stages):
    deal = lined_deal()
    services.move_deal(actor=director, deal=deal, stage=stages["Negotiation"])
    deal.refresh_from_db()
    assert deal.order is None


def test_winner_who_may_not_record_orders_leaves_it_to_record(director, mover, lined_deal):
    deal = lined_deal()
    won = services.win_deal(actor=mover, deal=deal)
    assert won.status == Deal.Status.WON and won.order is None
    assert not services.may_record_order(mover, won)
    with pytest.raises(PermissionDenied):
        services.record_deal_order(actor=mover, deal=won)
    assert services.may_record_order(director, won)
    services.record_deal_order(actor=director, deal=won)
    _assert_ordered(deal)


def test_record_order_is_refused_twice_and_for_open_deals(director, lined_deal, make_deal):
    deal = lined_deal()
    with pytest.raises(ValidationError) as exc:
        services.record_deal_order(actor=director, deal=deal)
    assert exc.value.code == "not_won"
    services.win_deal(actor=director, deal=deal)
    with pytest.raises(ValidationError) as exc:
        services.record_deal_order(actor=director, deal=deal)
    assert exc.value.code == "has_order"
    empty = services.win_deal(actor=director, deal=make_deal(director))
    with pytest.raises(ValidationError) as exc:
        services.record_deal_order(actor=director, deal=empty)
    assert exc.value.code == "no_lines"


# -- pages ----------------------------------------------------------------------------------


def test_dragging_to_won_on_the_board_records_the_order(client, director, lined_deal, stages):
    deal = lined_deal()
    force_login_verified(client, director)
    response = client.post(
        f"/sales/deals/{deal.pk}/move/", {"stage": stages["Signed"].pk, "version": deal.version}
    )
    assert response.status_code == 200, response.content
    body = response.json()
    _assert_ordered(deal)
    assert body["order"] == deal.order.get_absolute_url()
    assert deal.order.number in body["message"]


def test_won_deal_without_order_offers_to_record_it(client, director, mover, lined_deal):
    deal = lined_deal()
    services.win_deal(actor=mover, deal=deal)
    force_login_verified(client, mover)
    html = client.get(f"/sales/deals/{deal.pk}/").content.decode()
    assert 'data-testid="record-order"' not in html  # the mover may not record orders
    force_login_verified(client, director)
    html = client.get(f"/sales/deals/{deal.pk}/").content.decode()
    assert 'data-testid="record-order"' in html
    response = client.post(f"/sales/deals/{deal.pk}/order/")
    assert response.status_code == 302
    _assert_ordered(deal)
    html = client.get(f"/sales/deals/{deal.pk}/").content.decode()
    assert 'data-testid="record-order"' not in html
    assert deal.order.number in html


def test_record_order_page_refuses_a_mover(client, mover, lined_deal):
    deal = services.win_deal(actor=mover, deal=lined_deal())
    force_login_verified(client, mover)
    response = client.post(f"/sales/deals/{deal.pk}/order/", follow=True)
    assert Deal.objects.get(pk=deal.pk).order is None
    assert [m.level_tag for m in response.context["messages"]] == ["error"]


# -- API ------------------------------------------------------------------------------------


def _post(client, url, data):
    return client.post(url, json.dumps(data), content_type="application/json")


def test_api_move_to_won_records_the_order(client, director, lined_deal, stages):
    deal = lined_deal()
    force_login_verified(client, director)
    response = _post(
        client,
        f"/api/v1/deals/{deal.pk}/move",
        {"stage_id": stages["Signed"].pk, "version": deal.version},
    )
    assert response.status_code == 200, response.content
    _assert_ordered(deal)
    assert response.json()["order_id"] == deal.order_id


def test_api_win_records_the_order_on_the_given_day(client, director, lined_deal):
    deal = lined_deal()
    force_login_verified(client, director)
    assert _post(client, f"/api/v1/deals/{deal.pk}/win", {}).status_code == 428
    response = _post(
        client,
        f"/api/v1/deals/{deal.pk}/win",
        {"version": deal.version, "ordered_on": "2026-01-05"},
    )
    assert response.status_code == 200, response.content
    _assert_ordered(deal)
    assert str(deal.order.ordered_on) == "2026-01-05"
    assert response.json()["order_id"] == deal.order_id


def test_api_win_without_order_then_record_it(client, director, lined_deal):
    deal = lined_deal()
    force_login_verified(client, director)
    response = _post(
        client,
        f"/api/v1/deals/{deal.pk}/win",
        {"version": deal.version, "create_order": False},
    )
    assert response.status_code == 200 and response.json()["order_id"] is None
    recorded = _post(client, f"/api/v1/deals/{deal.pk}/order", {})
    assert recorded.status_code == 201, recorded.content
    _assert_ordered(deal)
    again = _post(client, f"/api/v1/deals/{deal.pk}/order", {})
    assert again.status_code in (400, 422)


def test_api_record_order_needs_order_create(client, mover, lined_deal):
    deal = services.win_deal(actor=mover, deal=lined_deal())
    force_login_verified(client, mover)
    assert _post(client, f"/api/v1/deals/{deal.pk}/order", {}).status_code == 403
    assert Deal.objects.get(pk=deal.pk).order is None

"""Products, orders with lines, returns, the purchase summary and the customer timeline."""

import datetime as dt
import json
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from kehu.customers import services
from kehu.customers.models import Customer, Order, Return

TODAY = dt.date.today()


@pytest.fixture
def director(make_user):
    return make_user("zhouhang", roles=("sales_director",))


@pytest.fixture
def catalogue(director):
    return [
        services.create_product(actor=director, code="kb-01", name="机械键盘", price="299.00"),
        services.create_product(actor=director, code="ms-02", name="无线鼠标", price="89.50"),
    ]


def _order(actor, customer, products, **kw):
    return services.create_order(
        actor=actor,
        customer=customer,
        ordered_on=kw.pop("ordered_on", TODAY - dt.timedelta(days=3)),
        lines=[services.LineInput(products[0], 2), services.LineInput(products[1], 3, "80")],
        **kw,
    )


def test_an_order_totals_its_lines_and_updates_the_purchase_summary(user, make_customer, catalogue):
    customer = make_customer(user)
    order = _order(user, customer, catalogue)
    assert catalogue[0].code == "KB-01"  # codes are kept in capitals
    assert [line.amount for line in order.lines.all()] == [Decimal("598.00"), Decimal("240.00")]
    assert order.total_amount == Decimal("838.00")
    assert order.number.startswith(f"SO{order.ordered_on:%Y%m%d}-")
    customer.refresh_from_db()
    assert (customer.orders_count, customer.purchase_total) == (1, Decimal("838.00"))
    assert customer.last_order_on == order.ordered_on
    assert order.history.count() == 1


def test_bad_orders_are_refused_with_every_reason(user, make_customer, catalogue):
    customer = make_customer(user)
    with pytest.raises(ValidationError) as exc:
        services.create_order(
            actor=user,
            customer=customer,
            ordered_on=TODAY + dt.timedelta(days=2),
            lines=[services.LineInput(catalogue[0], 0), services.LineInput(catalogue[1], 1, "-5")],
        )
    errors = exc.value.message_dict
    assert "ordered_on" in errors
    assert len(errors["lines"]) == 2
    assert not Order.objects.exists()
    with pytest.raises(ValidationError) as empty:
        services.create_order(actor=user, customer=customer, ordered_on=TODAY, lines=[])
    assert "lines" in empty.value.message_dict


def test_returns_are_bounded_by_what_was_bought(user, make_customer, catalogue):
    customer = make_customer(user)
    order = _order(user, customer, catalogue)
    line = order.lines.get(product=catalogue[0])
    services.record_return(actor=user, line=line, quantity=1, reason="按键失灵", returned_on=TODAY)
    with pytest.raises(ValidationError) as exc:
        services.record_return(actor=user, line=line, quantity=2, reason="再退", returned_on=TODAY)
    assert "quantity" in exc.value.message_dict
    with pytest.raises(ValidationError) as early:
        services.record_return(
            actor=user,
            line=line,
            quantity=1,
            reason="",
            returned_on=order.ordered_on - dt.timedelta(days=1),
        )
    assert {"reason", "returned_on"} <= set(early.value.message_dict)
    customer.refresh_from_db()
    order.refresh_from_db()
    assert order.returned_amount == Decimal("299.00")
    assert customer.returns_total == Decimal("299.00")
    # an order with returns is history: it cannot be deleted or cancelled
    with pytest.raises(ValidationError):
        services.delete_order(actor=user, order=order)
    with pytest.raises(ValidationError):
        services.set_order_status(
            actor=user, order=order, status="cancelled", expected_version=order.version
        )


def test_cancelled_orders_leave_the_summary(user, make_customer, catalogue):
    customer = make_customer(user)
    order = _order(user, customer, catalogue)
    services.set_order_status(
        actor=user, order=order, status="cancelled", expected_version=order.version
    )
    customer.refresh_from_db()
    assert (customer.orders_count, customer.purchase_total) == (0, Decimal(0))


def test_a_customer_with_orders_cannot_be_deleted(user, make_customer, catalogue):
    customer = make_customer(user)
    _order(user, customer, catalogue)
    with pytest.raises(ValidationError):
        services.delete_customer(actor=user, customer=customer)
    assert Customer.objects.filter(pk=customer.pk).exists()


def test_recording_an_order_and_a_return_through_the_pages(client, user, make_customer, catalogue):
    client.force_login(user)
    customer = make_customer(user)
    page = client.get(f"/customers/{customer.pk}/orders/new/")
    assert page.status_code == 200
    form = {
        "ordered_on": (TODAY - dt.timedelta(days=1)).isoformat(),
        "status": "confirmed",
        "number": "",
        "notes": "",
        "lines-TOTAL_FORMS": "4",
        "lines-INITIAL_FORMS": "0",
        "lines-MIN_NUM_FORMS": "0",
        "lines-MAX_NUM_FORMS": "50",
        "lines-0-product": str(catalogue[0].pk),
        "lines-0-quantity": "2",
        "lines-0-unit_price": "1",  # a rep cannot see money: the list price applies
    }
    response = client.post(f"/customers/{customer.pk}/orders/new/", form)
    assert response.status_code == 302
    order = Order.objects.get(customer=customer)
    assert order.total_amount == Decimal("598.00")
    # a line without quantity is explained, and nothing is saved
    bad = dict(form, **{"lines-0-quantity": ""})
    response = client.post(f"/customers/{customer.pk}/orders/new/", bad)
    assert response.status_code == 400
    assert Order.objects.filter(customer=customer).count() == 1
    detail = client.get(f"/customers/orders/{order.pk}/").content.decode()
    assert "机械键盘" in detail and 'data-field="total_amount"' not in detail
    line = order.lines.get()
    response = client.post(
        f"/customers/orders/{order.pk}/returns/",
        {"line": line.pk, "quantity": "5", "returned_on": TODAY.isoformat(), "reason": "坏了"},
    )
    assert response.status_code == 400
    assert "最多还能退" in response.content.decode() or "At most" in response.content.decode()
    response = client.post(
        f"/customers/orders/{order.pk}/returns/",
        {"line": line.pk, "quantity": "1", "returned_on": TODAY.isoformat(), "reason": "坏了"},
    )
    assert response.status_code == 302
    assert Return.objects.filter(line=line).count() == 1
    customer_page = client.get(f"/customers/{customer.pk}/").content.decode()
    assert order.number in customer_page and "坏了" in customer_page  # on the timeline


def test_orders_api_hides_money_from_reps_and_shows_it_to_directors(
    client, user, director, make_customer, catalogue
):
    from tests.conftest import force_login_verified

    customer = make_customer(user)
    client.force_login(user)
    payload = {
        "customer_id": customer.pk,
        "ordered_on": TODAY.isoformat(),
        "lines": [{"product_id": catalogue[1].pk, "quantity": "2"}],
    }
    response = client.post("/api/v1/orders", json.dumps(payload), content_type="application/json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert "total_amount" not in body and "amount" not in json.dumps(body["lines"])
    priced = dict(payload, lines=[{"product_id": catalogue[1].pk, "quantity": 1, "unit_price": 1}])
    response = client.post("/api/v1/orders", json.dumps(priced), content_type="application/json")
    assert response.status_code == 403
    force_login_verified(client, director)
    body = client.get(f"/api/v1/orders?customer_id={customer.pk}").json()
    assert body["items"][0]["total_amount"] == "179.00"
    line_id = body["items"][0]["lines"][0]["id"]
    response = client.post(
        "/api/v1/returns",
        json.dumps(
            {"line_id": line_id, "quantity": 3, "reason": "多发了", "returned_on": str(TODAY)}
        ),
        content_type="application/json",
    )
    assert response.status_code == 422
    assert "quantity" in json.dumps(response.json())


def test_timeline_merges_interactions_orders_returns_and_changes(user, make_customer, catalogue):
    from django.utils import timezone

    from kehu.customers.selectors import customer_timeline

    customer = make_customer(user, level="C")
    services.log_interaction(
        actor=user,
        customer=customer,
        kind="call",
        occurred_at=timezone.now() - dt.timedelta(days=5),
        summary="初次电话沟通",
    )
    order = _order(user, customer, catalogue)
    services.record_return(
        actor=user, line=order.lines.first(), quantity=1, reason="包装破损", returned_on=TODAY
    )
    customer.refresh_from_db()
    services.update_customer(actor=user, customer=customer, expected_version=None, level="A")
    kinds = [e.kind for e in customer_timeline(user, customer)]
    assert kinds[0] in {"change", "return"}
    assert {"interaction", "order", "return", "change"} <= set(kinds)
    change = next(e for e in customer_timeline(user, customer) if e.kind == "change" and e.body)
    assert "C" in change.body and "A" in change.body
    # a rep cannot see money: the order line of the timeline carries no amount
    order_entry = next(e for e in customer_timeline(user, customer) if e.kind == "order")
    assert "¥" not in order_entry.title


def test_orders_and_products_are_found_by_the_global_search(
    client, user, other_user, make_customer, catalogue
):
    from kehu.core import search

    mine = _order(user, make_customer(user), catalogue, number="HT-2026-0815")
    theirs = _order(other_user, make_customer(other_user), catalogue, number="HT-2026-0816")
    groups = {s.key: hits for s, hits in search.search(user, "0815")}
    assert groups["order"] == [mine]
    assert theirs not in groups.get("order", [])
    assert not search.search(user, "0816")  # someone else's order stays invisible
    keyboards = {s.key: hits for s, hits in search.search(user, "jianpan")}
    assert catalogue[0] in keyboards["product"]
    services.delete_order(actor=user, order=mine)
    assert not search.search(user, "0815")

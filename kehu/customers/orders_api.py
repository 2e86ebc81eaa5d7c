"""Products, orders and returns API: the same selectors, services and field rules as the pages."""

import datetime as dt
from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Schema, Status
from ninja.errors import HttpError
from ninja.pagination import paginate

from kehu.core import scoping
from kehu.core.apisupport import KeysetPagination, expected_version, require_perm
from kehu.core.fieldrules import check_writable, hidden_fields, redact
from kehu.customers import selectors, services
from kehu.customers.models import Order, OrderLine, Product, Return

router = Router(tags=["orders"])


# ---- products -------------------------------------------------------------------------------


class ProductOut(Schema):
    id: int
    code: str
    name: str
    category: str
    unit: str
    is_active: bool
    price: Decimal | None = None  # financial
    version: int


class ProductIn(Schema):
    code: str
    name: str
    category: str = ""
    unit: str = ""
    price: Decimal
    is_active: bool = True


class ProductPatch(Schema):
    code: str | None = None
    name: str | None = None
    category: str | None = None
    unit: str | None = None
    price: Decimal | None = None
    is_active: bool | None = None
    version: int | None = None


def product_out(user: Any, product: Product) -> dict[str, Any]:
    data = {name: getattr(product, name) for name in ProductOut.model_fields}
    return redact(user, Product, data)


@router.get("/products", response=list[ProductOut], exclude_unset=True, summary="List products")
@paginate(KeysetPagination, ordering=["code"], serialize=product_out)
def list_products(request: HttpRequest, active: bool | None = None) -> Any:
    qs = selectors.products_visible_to(request.auth)  # type: ignore[attr-defined]
    return qs if active is None else qs.filter(is_active=active)


@router.post("/products", response={201: ProductOut}, exclude_unset=True, summary="Add a product")
def create_product(request: HttpRequest, payload: ProductIn) -> Any:
    user = request.auth  # type: ignore[attr-defined]
    require_perm(request, "product.create")
    check_writable(user, Product, ["price"])
    product = services.create_product(actor=user, **payload.dict())
    return Status(201, product_out(user, product))


@router.get(
    "/products/{product_id}", response=ProductOut, exclude_unset=True, summary="One product"
)
def get_product(request: HttpRequest, product_id: int) -> Any:
    user = request.auth  # type: ignore[attr-defined]
    return product_out(user, selectors.get_product_for(user, product_id))


@router.patch(
    "/products/{product_id}", response=ProductOut, exclude_unset=True, summary="Change a product"
)
def patch_product(request: HttpRequest, product_id: int, payload: ProductPatch) -> Any:
    user = request.auth  # type: ignore[attr-defined]
    product = selectors.get_product_for(user, product_id, "change")
    data = payload.dict(exclude_unset=True)
    expected = expected_version(request, data)
    product = services.update_product(
        actor=user, product=product, expected_version=expected, **data
    )
    return product_out(user, product)


@router.delete("/products/{product_id}", response={204: None}, summary="Delete a product")
def delete_product(request: HttpRequest, product_id: int) -> Any:
    user = request.auth  # type: ignore[attr-defined]
    product = selectors.get_product_for(user, product_id, "delete")
    services.delete_product(actor=user, product=product)
    return Status(204, None)


# ---- orders ---------------------------------------------------------------------------------


class LineOut(Schema):
    id: int
    product_id: int
    product_code: str
    product_name: str
    quantity: Decimal
    unit_price: Decimal | None = None  # financial
    amount: Decimal | None = None  # financial


class OrderOut(Schema):
    id: int
    number: str
    customer_id: int
    ordered_on: dt.date
    status: str
    sales_rep_id: int | None
    currency: str
    notes: str
    lines: list[LineOut]
    total_amount: Decimal | None = None  # financial
    returned_amount: Decimal | None = None  # financial
    version: int
    created_at: dt.datetime


class LineIn(Schema):
    product_id: int
    quantity: Decimal
    unit_price: Decimal | None = None  # empty: the list price; needs view_financials to set


class OrderIn(Schema):
    customer_id: int
    ordered_on: dt.date
    lines: list[LineIn]
    number: str = ""
    status: str = Order.Status.CONFIRMED
    notes: str = ""


class OrderPatch(Schema):
    status: str
    version: int | None = None


def order_out(user: Any, order: Order) -> dict[str, Any]:
    money = not hidden_fields(user, Order)
    lines = []
    for line in order.lines.all():
        item: dict[str, Any] = {
            "id": line.pk,
            "product_id": line.product_id,
            "product_code": line.product.code,
            "product_name": line.product.name,
            "quantity": line.quantity,
        }
        if money:
            item |= {"unit_price": line.unit_price, "amount": line.amount}
        lines.append(item)
    data = {
        name: getattr(order, name)
        for name in OrderOut.model_fields
        if name not in {"lines", "customer_id", "sales_rep_id"}
    }
    data |= {"customer_id": order.customer_id, "sales_rep_id": order.sales_rep_id, "lines": lines}
    return redact(user, Order, data)


def _orders(user: Any) -> Any:
    return selectors.orders_visible_to(user).prefetch_related("lines__product")


@router.get("/orders", response=list[OrderOut], exclude_unset=True, summary="List orders")
@paginate(KeysetPagination, ordering=["-ordered_on", "-id"], serialize=order_out)
def list_orders(
    request: HttpRequest,
    customer_id: int | None = None,
    status: str | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> Any:
    qs = _orders(request.auth)  # type: ignore[attr-defined]
    if customer_id is not None:
        qs = qs.filter(customer_id=customer_id)
    if status:
        qs = qs.filter(status=status)
    if date_from:
        qs = qs.filter(ordered_on__gte=date_from)
    if date_to:
        qs = qs.filter(ordered_on__lte=date_to)
    return qs


@router.post("/orders", response={201: OrderOut}, exclude_unset=True, summary="Record an order")
def create_order(request: HttpRequest, payload: OrderIn) -> Any:
    user = request.auth  # type: ignore[attr-defined]
    require_perm(request, "order.create")
    customer = selectors.get_customer_for(user, payload.customer_id)
    if any(line.unit_price is not None for line in payload.lines):
        # Line prices are money of the order: without view_financials the list price applies.
        check_writable(user, Order, ["total_amount"])
    products = {
        p.pk: p for p in Product.objects.filter(pk__in=[line.product_id for line in payload.lines])
    }
    missing = [line.product_id for line in payload.lines if line.product_id not in products]
    if missing:
        raise HttpError(422, f"Unknown products: {missing}")
    order = services.create_order(
        actor=user,
        customer=customer,
        ordered_on=payload.ordered_on,
        number=payload.number,
        status=payload.status,
        notes=payload.notes,
        lines=[
            services.LineInput(products[line.product_id], line.quantity, line.unit_price)
            for line in payload.lines
        ],
    )
    return Status(201, order_out(user, _orders(user).get(pk=order.pk)))


@router.get("/orders/{order_id}", response=OrderOut, exclude_unset=True, summary="One order")
def get_order(request: HttpRequest, order_id: int) -> Any:
    user = request.auth  # type: ignore[attr-defined]
    order = get_object_or_404(_orders(user), pk=order_id)
    return order_out(user, order)


@router.patch(
    "/orders/{order_id}",
    response=OrderOut,
    exclude_unset=True,
    summary="Change an order's status",
    description="Send the `version` you read; a stale write answers 409.",
)
def patch_order(request: HttpRequest, order_id: int, payload: OrderPatch) -> Any:
    user = request.auth  # type: ignore[attr-defined]
    order = selectors.get_order_for(user, order_id, "change")
    data = payload.dict(exclude_unset=True)
    expected = expected_version(request, data)
    services.set_order_status(
        actor=user, order=order, status=data["status"], expected_version=expected
    )
    return order_out(user, _orders(user).get(pk=order.pk))


@router.delete("/orders/{order_id}", response={204: None}, summary="Delete an order")
def delete_order(request: HttpRequest, order_id: int) -> Any:
    user = request.auth  # type: ignore[attr-defined]
    order = selectors.get_order_for(user, order_id, "delete")
    services.delete_order(actor=user, order=order)
    return Status(204, None)


# ---- returns --------------------------------------------------------------------------------


class ReturnOut(Schema):
    id: int
    customer_id: int
    order_id: int
    line_id: int
    product_id: int
    quantity: Decimal
    reason: str
    returned_on: dt.date
    amount: Decimal | None = None  # financial
    version: int


class ReturnIn(Schema):
    line_id: int
    quantity: Decimal
    reason: str
    returned_on: dt.date


def return_out(user: Any, returned: Return) -> dict[str, Any]:
    data = {
        "id": returned.pk,
        "customer_id": returned.customer_id,
        "order_id": returned.line.order_id,
        "line_id": returned.line_id,
        "product_id": returned.line.product_id,
        "quantity": returned.quantity,
        "reason": returned.reason,
        "returned_on": returned.returned_on,
        "amount": returned.amount,
        "version": returned.version,
    }
    return redact(user, Return, data)


@router.get("/returns", response=list[ReturnOut], exclude_unset=True, summary="List returns")
@paginate(KeysetPagination, ordering=["-returned_on", "-id"], serialize=return_out)
def list_returns(request: HttpRequest, customer_id: int | None = None) -> Any:
    qs = selectors.returns_visible_to(request.auth)  # type: ignore[attr-defined]
    return qs if customer_id is None else qs.filter(customer_id=customer_id)


@router.post("/returns", response={201: ReturnOut}, exclude_unset=True, summary="Record a return")
def create_return(request: HttpRequest, payload: ReturnIn) -> Any:
    user = request.auth  # type: ignore[attr-defined]
    require_perm(request, "return.create")
    line = get_object_or_404(
        OrderLine.objects.filter(order__in=scoping.restrict(Order.objects.all(), user)),
        pk=payload.line_id,
    )
    returned = services.record_return(
        actor=user,
        line=line,
        quantity=payload.quantity,
        reason=payload.reason,
        returned_on=payload.returned_on,
    )
    return Status(201, return_out(user, returned))


@router.get("/returns/{return_id}", response=ReturnOut, exclude_unset=True, summary="One return")
def get_return(request: HttpRequest, return_id: int) -> Any:
    user = request.auth  # type: ignore[attr-defined]
    return return_out(user, get_object_or_404(selectors.returns_visible_to(user), pk=return_id))


@router.delete("/returns/{return_id}", response={204: None}, summary="Undo a return")
def delete_return(request: HttpRequest, return_id: int) -> Any:
    user = request.auth  # type: ignore[attr-defined]
    returned = scoping.get_visible_or_404(
        Return.objects.select_related("line__order__customer"), user, "delete", pk=return_id
    )
    services.delete_return(actor=user, returned=returned)
    return Status(204, None)

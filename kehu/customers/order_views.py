"""Pages of the product catalogue, orders (purchase history) and returns."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Model
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kehu.core.fieldrules import hidden_fields
from kehu.core.generic import (
    CellEditView,
    Column,
    ObjectCreateView,
    ObjectEditView,
    ObjectListView,
    add_service_errors,
)
from kehu.core.locking import StaleWriteError
from kehu.core.permissions import has_perm
from kehu.customers import cells, selectors, services
from kehu.customers.filters import OrderFilter
from kehu.customers.forms import (
    OrderCellForm,
    OrderForm,
    OrderLineFormSet,
    ProductForm,
    ReturnForm,
)
from kehu.customers.models import Order, Product


class ProductListView(ObjectListView):
    title = gettext_lazy("Products")
    export_name = "products"
    template_name = "customers/product_list.html"
    default_ordering = ["code"]
    columns = [
        Column("code", gettext_lazy("Code"), link=True),
        Column("name", gettext_lazy("Name")),
        Column("category", gettext_lazy("Category")),
        Column("unit", gettext_lazy("Unit")),
        Column("price", gettext_lazy("List price"), template="customers/_cells.html#price"),
        Column("is_active", gettext_lazy("On sale"), template="customers/_cells.html#active"),
    ]

    @staticmethod
    def selector(user: Any) -> Any:
        return selectors.products_visible_to(user)

    def extra_context(self) -> dict[str, Any]:
        return {"may_create": has_perm(self.request.user, "product.create")}


class ProductCreateView(ObjectCreateView):
    form_class = ProductForm
    title = gettext_lazy("New product")
    required_perm = "product.create"

    def create(self, form: forms.Form) -> Model:
        data = {k: v for k, v in form.cleaned_data.items() if k != "version"}
        if "price" not in data:
            raise ValidationError(_("A product needs a list price, which you may not set."))
        return services.create_product(actor=self.request.user, **data)


class ProductEditView(ObjectEditView):
    form_class = ProductForm
    title = gettext_lazy("Edit product")
    get_for = staticmethod(lambda user, pk: selectors.get_product_for(user, pk, "change"))

    def save(self, obj: Model, form: forms.Form) -> Model:
        assert isinstance(obj, Product)
        data = {k: v for k, v in form.cleaned_data.items() if k != "version"}
        return services.update_product(
            actor=self.request.user,
            product=obj,
            expected_version=form.cleaned_data.get("version"),
            **data,
        )


class OrderListView(ObjectListView):
    title = gettext_lazy("Orders")
    export_name = "orders"
    template_name = "customers/order_list.html"
    filterset_class = OrderFilter
    default_ordering = ["-ordered_on", "-id"]
    columns = [
        Column("select", "", sortable=False, render=cells.select, hideable=False, export=""),
        Column("number", gettext_lazy("Order number"), link=True),
        Column("ordered_on", gettext_lazy("Order date"), edit_url="customers:order_cell"),
        Column(
            "customer",
            gettext_lazy("Customer"),
            order_by="customer__name",
            template="customers/_cells.html#customer",
        ),
        Column(
            "status",
            gettext_lazy("Status"),
            template="customers/_cells.html#order_status",
            edit_url="customers:order_cell",
        ),
        Column(
            "sales_rep",
            gettext_lazy("Sales rep"),
            order_by="sales_rep__username",
            template="customers/_cells.html#sales_rep",
        ),
        Column(
            "total_amount", gettext_lazy("Amount"), template="customers/_cells.html#order_total"
        ),
        Column(
            "returned_amount",
            gettext_lazy("Returned"),
            template="customers/_cells.html#order_returned",
        ),
    ]

    @staticmethod
    def selector(user: Any) -> Any:
        return selectors.orders_visible_to(user)

    def extra_context(self) -> dict[str, Any]:
        user = self.request.user
        return {
            "bulk_actions": {
                "status": has_perm(user, "order.change"),
                "export": has_perm(user, "order.export"),
            },
            "statuses": Order.Status.choices,
        }


class OrderCellEditView(CellEditView):
    """The status or date of an order edited in place, with the order's version."""

    form_class = OrderCellForm
    fields = {c.name: c for c in OrderListView.columns if c.edit_url}
    get_for = staticmethod(lambda user, pk: selectors.get_order_for(user, pk, "change"))

    def save(self, obj: Model, field: str, value: Any, version: int) -> Model:
        assert isinstance(obj, Order)
        return services.update_order(
            actor=self.request.user, order=obj, expected_version=version, **{field: value}
        )


def order_bulk(request: HttpRequest) -> HttpResponse:
    """Set the status of the ticked orders, or export them. Only orders the user may change
    (export: see) are touched; the rest are reported, never silently skipped."""
    from kehu.core import scoping
    from kehu.customers import bulk

    ticked = bulk.read(
        request, "/customers/orders/", {"export": "order.export", "set_status": "order.change"}
    )
    if isinstance(ticked, HttpResponse):
        return ticked
    if ticked.action == "export":
        rows = selectors.orders_visible_to(request.user)
        return bulk.export(request, ticked, rows, OrderListView, ["-ordered_on", "-id"])
    if ticked.value not in Order.Status.values:
        messages.error(request, _("Choose a status."))
        return HttpResponseRedirect(ticked.back)
    found = list(
        scoping.restrict(Order.objects.select_related("customer"), request.user, "change")
        .filter(pk__in=ticked.ids)
        .order_by("-ordered_on", "-id")
    )

    def set_status(order: Order) -> bool:
        if order.status == ticked.value:
            return False
        services.update_order(
            actor=request.user, order=order, expected_version=order.version, status=ticked.value
        )
        return True

    return bulk.apply(
        request,
        ticked,
        found,
        set_status,
        _("%(n)d ticked orders are not yours to change and were left alone."),
    )


def order_detail(request: HttpRequest, pk: int) -> HttpResponse:
    order = selectors.get_order_for(request.user, pk)
    return _render_order(request, order, ReturnForm(order=order, initial=_return_initial()))


def _return_initial() -> dict[str, Any]:
    return {"returned_on": timezone.localdate().isoformat()}


def _render_order(
    request: HttpRequest, order: Order, return_form: ReturnForm, status: int = 200
) -> HttpResponse:
    from kehu.core import scoping

    user = request.user
    lines = list(order.lines.select_related("product").prefetch_related("returns"))
    for line in lines:
        line.returned_quantity = sum((r.quantity for r in line.returns.all()), 0)  # type: ignore[attr-defined]
    context = {
        "object": order,
        "lines": lines,
        "returns": list(
            selectors.returns_visible_to(user).filter(line__order=order).order_by("-returned_on")
        ),
        "hidden_fields": hidden_fields(user, Order),
        "return_form": return_form,
        "may_return": has_perm(user, "return.create") and order.status != Order.Status.CANCELLED,
        "may_change": scoping.can(user, "change", order),
        "statuses": Order.Status.choices,
    }
    return render(request, "customers/order_detail.html", context, status=status)


def record_return(request: HttpRequest, pk: int) -> HttpResponse:
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    order = selectors.get_order_for(request.user, pk)
    if not has_perm(request.user, "return.create"):
        raise PermissionDenied
    form = ReturnForm(request.POST, order=order)
    if form.is_valid():
        try:
            services.record_return(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Return recorded."))
            return HttpResponseRedirect(order.get_absolute_url())
    return _render_order(request, order, form, status=400)


def set_order_status(request: HttpRequest, pk: int) -> HttpResponse:
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    order = selectors.get_order_for(request.user, pk, "change")
    try:
        version = int(request.POST.get("version", ""))
    except ValueError:
        version = None
    try:
        services.set_order_status(
            actor=request.user,
            order=order,
            status=request.POST.get("status", ""),
            expected_version=version,
        )
    except ValidationError as exc:
        for error in exc.messages:
            messages.error(request, error)
    except StaleWriteError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("Saved."))
    return HttpResponseRedirect(order.get_absolute_url())


def new_order(request: HttpRequest, pk: int) -> HttpResponse:
    """Record a purchase for a customer: the date, then one row per product."""
    customer = selectors.get_customer_for(request.user, pk)
    if not has_perm(request.user, "order.create"):
        raise PermissionDenied
    if request.method == "POST":
        form = OrderForm(request.POST)
        lines = OrderLineFormSet(request.POST, prefix="lines")
        if form.is_valid() and lines.is_valid():
            inputs = [
                services.LineInput(
                    product=row["product"],
                    quantity=row["quantity"],
                    unit_price=row.get("unit_price"),
                )
                for row in lines.cleaned_data
                if row.get("product")
            ]
            if not has_perm(request.user, "view_financials"):
                # Without the money permission the list price applies, whatever was posted.
                for line in inputs:
                    line.unit_price = None
            try:
                order = services.create_order(
                    actor=request.user,
                    customer=customer,
                    ordered_on=form.cleaned_data["ordered_on"],
                    status=form.cleaned_data["status"],
                    notes=form.cleaned_data["notes"],
                    number=form.cleaned_data["number"],
                    lines=inputs,
                )
            except ValidationError as exc:
                add_service_errors(form, exc)
            else:
                messages.success(
                    request, _("Order %(number)s recorded.") % {"number": order.number}
                )
                return HttpResponseRedirect(customer.get_absolute_url())
        status = 400
    else:
        form = OrderForm(
            initial={"ordered_on": timezone.localdate().isoformat(), "status": "confirmed"}
        )
        lines = OrderLineFormSet(prefix="lines")
        status = 200
    context = {
        "customer": customer,
        "form": form,
        "lines": lines,
        "show_money": has_perm(request.user, "view_financials"),
        "products": list(Product.objects.filter(is_active=True).order_by("code")[:500]),
    }
    return render(request, "customers/order_form.html", context, status=status)

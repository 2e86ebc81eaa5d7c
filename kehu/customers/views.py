from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Model
from django.utils.translation import gettext_lazy as _

from kehu.core.generic import (
    Column,
    ObjectCreateView,
    ObjectDetailView,
    ObjectEditView,
    ObjectHistoryView,
    ObjectListView,
)
from kehu.customers import selectors, services
from kehu.customers.filters import CustomerFilter
from kehu.customers.forms import CustomerCreateForm, CustomerForm
from kehu.customers.models import Customer


class CustomerListView(ObjectListView):
    title = _("Customers")
    create_url = "/customers/new/"
    template_name = "customers/customer_list.html"
    filterset_class = CustomerFilter
    default_ordering = ["name"]
    columns = [
        Column("name", _("Customer"), link=True),
        Column("level", _("Level"), template="customers/_cells.html#level"),
        Column("status", _("Status"), template="customers/_cells.html#status"),
        Column("city", _("City")),
        Column(
            "owner",
            _("Customer manager"),
            order_by="owner__username",
            template="customers/_cells.html#owner",
        ),
        Column("last_contact_at", _("Last contact"), template="customers/_cells.html#last_contact"),
        Column(
            "next_follow_up_at", _("Next follow-up"), template="customers/_cells.html#follow_up"
        ),
    ]

    @staticmethod
    def selector(user: Any) -> Any:
        return selectors.customers_visible_to(user)


class CustomerDetailView(ObjectDetailView):
    template_name = "customers/customer_detail.html"
    get_for = staticmethod(selectors.get_customer_for)

    def extra_context(self, obj: Model) -> dict[str, Any]:
        assert isinstance(obj, Customer)
        return {
            "contacts": list(obj.contacts.all()),
            "interactions": list(
                obj.interactions.select_related("user").prefetch_related("contacts")[:50]
            ),
        }


class CustomerEditView(ObjectEditView):
    form_class = CustomerForm
    title = _("Edit customer")
    get_for = staticmethod(lambda user, pk: selectors.get_customer_for(user, pk))

    def get_object(self) -> Model:
        # Writes need the "change" scope, which may be narrower than "view".
        from kehu.core import scoping

        obj = super().get_object()
        return scoping.get_visible_or_404(
            Customer.objects.all(), self.request.user, "change", pk=obj.pk
        )

    def save(self, obj: Model, form: forms.Form) -> Model:
        assert isinstance(obj, Customer)
        data = {k: form.cleaned_data[k] for k in services.EDITABLE_FIELDS if k in form.cleaned_data}
        customer = services.update_customer(
            actor=self.request.user,
            customer=obj,
            expected_version=form.cleaned_data["version"],
            **data,
        )
        from django.contrib import messages

        for warning in getattr(customer, "warnings", []):
            messages.warning(self.request, warning)
        return customer


class CustomerHistoryView(ObjectHistoryView):
    get_for = staticmethod(selectors.get_customer_for)


class CustomerCreateView(ObjectCreateView):
    form_class = CustomerCreateForm
    title = _("New customer")

    def dispatch(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        from django.core.exceptions import PermissionDenied

        from kehu.core.permissions import has_perm

        if request.user.is_authenticated and not has_perm(request.user, "customer.create"):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def create(self, form: forms.Form) -> Model:
        from django.contrib import messages

        data = form.cleaned_data
        contact = {
            key: data.pop(f"contact_{key}", "") for key in ("name", "title", "mobile", "email")
        }
        contact = {k: v for k, v in contact.items() if v}
        customer = services.create_customer_with_contact(
            actor=self.request.user, customer_fields=data, contact_fields=contact
        )
        for warning in getattr(customer, "warnings", []):
            messages.warning(self.request, warning)
        return customer

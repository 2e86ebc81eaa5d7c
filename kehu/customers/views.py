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
from kehu.customers.filters import ContactFilter, CustomerFilter, InteractionFilter
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
        from django.utils import timezone

        from kehu.customers.forms import ContactForm, InteractionForm

        now = timezone.localtime().replace(second=0, microsecond=0)
        return {
            "interaction_form": InteractionForm(
                initial={"kind": "call", "occurred_at": now.strftime("%Y-%m-%dT%H:%M")}
            ),
            "contact_form": ContactForm(),
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


def _customer_for_child(request: Any, pk: int, code: str) -> Customer:
    """The visible customer a new contact or interaction is added to (404/403 otherwise)."""
    from django.core.exceptions import PermissionDenied

    from kehu.core.permissions import has_perm

    customer = selectors.get_customer_for(request.user, pk)
    if not has_perm(request.user, code):
        raise PermissionDenied
    return customer


def _errors_to_messages(request: Any, form: forms.Form) -> None:
    from django.contrib import messages

    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        for error in errors:
            messages.error(request, f"{label}: {error}" if label else error)


def log_interaction(request: Any, pk: int) -> Any:
    """The follow-up panel: log what happened and when to follow up next."""
    from django.contrib import messages
    from django.core.exceptions import ValidationError
    from django.http import HttpResponseNotAllowed, HttpResponseRedirect

    from kehu.customers.forms import InteractionForm

    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    customer = _customer_for_child(request, pk, "interaction.create")
    form = InteractionForm(request.POST)
    if form.is_valid():
        try:
            services.log_interaction(actor=request.user, customer=customer, **form.cleaned_data)
        except ValidationError as exc:
            for error in exc.messages:
                messages.error(request, error)
        else:
            messages.success(request, _("Interaction logged."))
    else:
        _errors_to_messages(request, form)
    return HttpResponseRedirect(customer.get_absolute_url())


def add_contact(request: Any, pk: int) -> Any:
    from django.contrib import messages
    from django.core.exceptions import ValidationError
    from django.http import HttpResponseNotAllowed, HttpResponseRedirect

    from kehu.customers.forms import ContactForm

    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    customer = _customer_for_child(request, pk, "contact.create")
    form = ContactForm(request.POST)
    if form.is_valid():
        try:
            services.add_contact(actor=request.user, customer=customer, **form.cleaned_data)
        except ValidationError as exc:
            for error in exc.messages:
                messages.error(request, error)
        else:
            messages.success(request, _("Contact added."))
    else:
        _errors_to_messages(request, form)
    return HttpResponseRedirect(customer.get_absolute_url())


class ContactListView(ObjectListView):
    title = _("Contacts")
    template_name = "customers/contact_list.html"
    filterset_class = ContactFilter
    default_ordering = ["name"]
    columns = [
        Column("name", _("Name"), template="customers/_cells.html#contact_name"),
        Column(
            "customer",
            _("Customer"),
            order_by="customer__name",
            template="customers/_cells.html#customer",
        ),
        Column("title", _("Job title")),
        Column("mobile", _("Mobile"), template="customers/_cells.html#mobile"),
        Column("email", _("E-mail")),
        Column("wechat", _("WeChat ID")),
    ]

    @staticmethod
    def selector(user: Any) -> Any:
        return selectors.contacts_visible_to(user)


class InteractionListView(ObjectListView):
    title = _("Interactions")
    template_name = "customers/interaction_list.html"
    filterset_class = InteractionFilter
    default_ordering = ["-occurred_at"]
    columns = [
        Column("occurred_at", _("When"), template="customers/_cells.html#when"),
        Column("kind", _("Kind"), template="customers/_cells.html#kind"),
        Column(
            "customer",
            _("Customer"),
            order_by="customer__name",
            template="customers/_cells.html#customer",
        ),
        Column(
            "summary", _("What was said"), sortable=False, template="customers/_cells.html#summary"
        ),
        Column("next_step", _("Next step"), sortable=False),
        Column("user", _("By"), sortable=False, template="customers/_cells.html#by"),
    ]

    @staticmethod
    def selector(user: Any) -> Any:
        return selectors.interactions_visible_to(user)

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Model
from django.utils.translation import gettext_lazy as _

from kehu.core.generic import (
    CellEditView,
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
        Column(
            "level", _("Level"), template="customers/_cells.html#level", edit_url="customers:cell"
        ),
        Column(
            "status",
            _("Status"),
            template="customers/_cells.html#status",
            edit_url="customers:cell",
        ),
        Column("city", _("City"), edit_url="customers:cell"),
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
    required_perm = "customer.create"

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


def _add_to_customer(
    request: Any,
    pk: int,
    *,
    permission: str,
    form_class: type[forms.Form],
    write: Any,
    done: str,
) -> Any:
    """POST a small form that adds a child record (contact, interaction) to a visible customer:
    404 out of scope, 403 without the permission, every problem shown as a message."""
    from django.contrib import messages
    from django.core.exceptions import PermissionDenied, ValidationError
    from django.http import HttpResponseNotAllowed, HttpResponseRedirect

    from kehu.core.permissions import has_perm

    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    customer = selectors.get_customer_for(request.user, pk)
    if not has_perm(request.user, permission):
        raise PermissionDenied
    form = form_class(request.POST)
    if form.is_valid():
        try:
            write(actor=request.user, customer=customer, **form.cleaned_data)
        except ValidationError as exc:
            for error in exc.messages:
                messages.error(request, error)
        else:
            messages.success(request, done)
    else:
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            for error in errors:
                messages.error(request, f"{label}: {error}" if label else error)
    return HttpResponseRedirect(customer.get_absolute_url())


def log_interaction(request: Any, pk: int) -> Any:
    """The follow-up panel: log what happened and when to follow up next."""
    from kehu.customers.forms import InteractionForm

    return _add_to_customer(
        request,
        pk,
        permission="interaction.create",
        form_class=InteractionForm,
        write=services.log_interaction,
        done=_("Interaction logged."),
    )


def add_contact(request: Any, pk: int) -> Any:
    from kehu.customers.forms import ContactForm

    return _add_to_customer(
        request,
        pk,
        permission="contact.create",
        form_class=ContactForm,
        write=services.add_contact,
        done=_("Contact added."),
    )


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


class CustomerCellEditView(CellEditView):
    form_class = CustomerForm
    fields = {c.name: c for c in CustomerListView.columns if c.edit_url}

    def get_object(self) -> Model:
        from kehu.core import scoping

        return scoping.get_visible_or_404(
            Customer.objects.select_related("owner"),
            self.request.user,
            "change",
            pk=self.kwargs["pk"],
        )

    def save(self, obj: Model, field: str, value: Any, version: int) -> Model:
        assert isinstance(obj, Customer)
        return services.update_customer(
            actor=self.request.user, customer=obj, expected_version=version, **{field: value}
        )

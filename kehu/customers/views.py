from __future__ import annotations

import functools
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Model, Prefetch
from django.utils import translation
from django.utils.safestring import SafeString
from django.utils.translation import gettext_lazy as _

from kehu.core.generic import (
    CellEditView,
    Column,
    ObjectCreateView,
    ObjectDeleteView,
    ObjectDetailView,
    ObjectEditView,
    ObjectHistoryView,
    ObjectListView,
    add_service_errors,
)
from kehu.core.templatetags.kehu import form_fields
from kehu.customers import cells, selectors, services
from kehu.customers.filters import ContactFilter, CustomerFilter
from kehu.customers.forms import (
    ContactEditForm,
    CustomerCreateForm,
    CustomerForm,
    FollowUpForm,
    InteractionEditForm,
)
from kehu.customers.models import Contact, Customer, Interaction, Tag


class CustomerListView(ObjectListView):
    title = _("Customers")
    export_name = "customers"
    create_url = "/customers/new/"
    template_name = "customers/customer_list.html"
    filterset_class = CustomerFilter
    default_ordering = ["name"]
    columns = [
        Column("select", "", sortable=False, render=cells.select, hideable=False, export=""),
        Column("name", _("Customer"), link=True, hideable=False),
        Column("level", _("Level"), render=cells.level, edit_url="customers:cell"),
        Column(
            "status",
            _("Status"),
            render=cells.status,
            edit_url="customers:cell",
        ),
        Column("tags", _("Tags"), sortable=False, render=cells.tags),
        Column("city", _("City"), edit_url="customers:cell"),
        Column("source", _("Source"), default=False),
        Column(
            "purchase_intent",
            _("Purchase intent"),
            render=cells.intent,
            edit_url="customers:cell",
            default=False,
        ),
        Column(
            "owner",
            _("Customer manager"),
            order_by="owner__username",
            render=cells.owner,
        ),
        Column("last_contact_at", _("Last contact"), render=cells.last_contact),
        Column(
            "next_follow_up_at",
            _("Next follow-up"),
            render=cells.follow_up,
            edit_url="customers:cell",
        ),
        Column("industry", _("Industry"), default=False),
        Column("orders_count", _("Orders"), default=False),
        Column(
            "purchase_total",
            _("Purchases"),
            render=cells.purchases,
            default=False,
        ),
        Column("last_order_on", _("Last order"), default=False),
        Column("returns_total", _("Returns"), default=False),
        Column("credit_limit", _("Credit limit"), default=False),
        Column("short_name", _("Short name"), default=False),
        Column("kind", _("Kind"), default=False),
        Column("province", _("Province"), default=False),
        Column("district", _("District"), default=False),
        Column("address", _("Address"), default=False),
        Column("uscc", _("Unified Social Credit Code"), default=False),
        Column("website", _("Website"), default=False),
        Column("satisfaction", _("Satisfaction"), default=False),
        Column(
            "follow_up_plan",
            _("Follow-up plan"),
            default=False,
            edit_url="customers:cell",
        ),
        Column("created_at", _("Created"), render=cells.created, default=False),
    ]

    @staticmethod
    def selector(user: Any) -> Any:
        # Tags as a plain list on each row: a prefetched queryset refers back to its row, which
        # made every row of every page garbage that only the cycle collector frees
        return selectors.customers_visible_to(user).prefetch_related(
            Prefetch("tags", queryset=Tag.objects.all(), to_attr="tag_list")
        )

    def extra_context(self) -> dict[str, Any]:
        from kehu.accounts.models import NAME_FIELDS, Team, User
        from kehu.core.permissions import has_perm
        from kehu.customers.models import Tag

        user = self.request.user
        # Each list once per page, as (value, label) pairs the filter form and the bulk bar
        # both draw from.
        owners = [
            (u.pk, str(u))
            for u in User.objects.filter(is_active=True)
            .order_by("username")
            .only("pk", *NAME_FIELDS)
        ]
        return {
            "owner_options": owners,
            "owner_filter_options": [("none", _("No customer manager")), *owners],
            "team_options": list(Team.objects.order_by("name").values_list("pk", "name")),
            "tag_options": list(Tag.objects.order_by("name").values_list("pk", "name")),
            "bulk_actions": {
                "assign": has_perm(user, "customer.assign"),
                "change": has_perm(user, "customer.change"),
                "export": has_perm(user, "customer.export"),
            },
            "levels": Customer.Level.choices,
            "statuses": Customer.Status.choices,
        }


class CustomerDetailView(ObjectDetailView):
    template_name = "customers/customer_detail.html"
    get_for = staticmethod(selectors.get_customer_for)

    def extra_context(self, obj: Model) -> dict[str, Any]:
        assert isinstance(obj, Customer)
        from django.utils import timezone

        from kehu.customers.forms import ContactForm, InteractionForm

        refused = self.refused_form
        now = timezone.localtime().replace(second=0, microsecond=0)
        from kehu.core import scoping
        from kehu.core.permissions import has_perm

        user = self.request.user
        contacts = list(obj.contacts.all())
        return {
            "contacts": contacts,
            "contact_rights": _rights_on(user, Contact, contacts),
            "follow_up_form": self.follow_up_form
            or FollowUpForm(
                initial={
                    "version": obj.version,
                    "next_follow_up_at": obj.next_follow_up_at,
                    "follow_up_plan": obj.follow_up_plan,
                }
            ),
            "may_plan": bool(scoping.permitted_among(Customer, user, [obj.pk])),
            "collaborators": list(obj.collaborators.all()),
            "timeline": selectors.customer_timeline(user, obj),
            "purchase_lines": selectors.purchase_lines(user, obj),
            # the customer was fetched within the user's view: only the right to order counts
            "may_order": has_perm(user, "order.create"),
            "duplicates": selectors.possible_duplicates(user, obj, contacts=contacts),
            "may_merge": has_perm(user, "customer.delete"),
            "interaction_form": (
                interaction_form := refused
                if isinstance(refused, InteractionForm)
                else InteractionForm(
                    initial={"kind": "call", "occurred_at": now.strftime("%Y-%m-%dT%H:%M")},
                    customer=obj,
                    contacts=contacts,
                )
            ),
            "interaction_widgets": _interaction_widgets(interaction_form),
            "contact_fields": form_fields(refused)
            if isinstance(refused, ContactForm)
            else _blank_contact_fields(translation.get_language()),
            "contact_form_open": isinstance(refused, ContactForm),
        }

    follow_up_form: FollowUpForm | None = None
    refused_form: forms.Form | None = None  # a contact or interaction form sent back


# The log form's fields that are the same on every customer page while nothing was sent: the
# kind (a call), what was said, the outcome, the next step and its date, all empty.
_SAME_ON_EVERY_PAGE = ("kind", "summary", "outcome", "next_step", "next_follow_up_at")


def _interaction_widgets(form: forms.Form) -> dict[str, SafeString]:
    """The log form's inputs by field name: a form sent back with errors drawn as it is; a
    blank one from the inputs drawn once per language, with only the time and the contacts
    drawn for this page (Django's widget templates take a millisecond a field)."""
    if form.is_bound:
        return {name: SafeString(form[name]) for name in form.fields}
    return {
        **_blank_interaction_widgets(translation.get_language()),
        "occurred_at": SafeString(form["occurred_at"]),
        "contacts": SafeString(form["contacts"]),
    }


@functools.lru_cache(maxsize=8)
def _blank_interaction_widgets(language: str | None) -> dict[str, SafeString]:
    from kehu.customers.forms import InteractionForm

    form = InteractionForm(initial={"kind": "call"})
    return {name: SafeString(form[name]) for name in _SAME_ON_EVERY_PAGE}


@functools.lru_cache(maxsize=8)
def _blank_contact_fields(language: str | None) -> SafeString:
    """The empty "add a contact" form's fields: the same on every customer page, so drawn once
    per language (Django's widget templates take milliseconds a form)."""
    from kehu.customers.forms import ContactForm

    return form_fields(ContactForm())


def _rights_on(user: Any, model: Any, rows: list[Any]) -> dict[str, set[Any]]:
    """The ids among ``rows`` the user may change and may delete (at most two queries)."""
    from kehu.core import scoping

    ids = [r.pk for r in rows]
    return {
        action: scoping.permitted_among(model, user, ids, action) for action in ("change", "delete")
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

    def initial(self, obj: Model) -> dict[str, Any]:
        assert isinstance(obj, Customer)
        return {**super().initial(obj), "tag_names": ", ".join(t.name for t in obj.tags.all())}

    def save(self, obj: Model, form: forms.Form) -> Model:
        assert isinstance(obj, Customer)
        data = {k: form.cleaned_data[k] for k in services.EDITABLE_FIELDS if k in form.cleaned_data}
        customer = services.update_customer(
            actor=self.request.user,
            customer=obj,
            expected_version=form.cleaned_data["version"],
            **data,
        )
        names = services.clean_tag_names(form.cleaned_data.get("tag_names", ""))
        if names != [t.name for t in customer.tags.all()]:
            services.set_tags(actor=self.request.user, customer=customer, names=names)
        if "collaborators" in form.cleaned_data:
            services.set_collaborators(
                actor=self.request.user,
                customer=customer,
                users=form.cleaned_data["collaborators"],
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
    template_name = "customers/customer_create.html"

    def create(self, form: forms.Form) -> Model:
        from django.contrib import messages

        data = dict(form.cleaned_data)
        tag_names = services.clean_tag_names(data.pop("tag_names", ""))
        contact = {
            key: data.pop(f"contact_{key}", "") for key in ("name", "title", "mobile", "email")
        }
        contact = {k: v for k, v in contact.items() if v}
        customer = services.create_customer_with_contact(
            actor=self.request.user, customer_fields=data, contact_fields=contact
        )
        if tag_names:
            services.set_tags(actor=self.request.user, customer=customer, names=tag_names)
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
    form_kwargs: Any = lambda customer: {},
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
    form = form_class(request.POST, **form_kwargs(customer))
    if form.is_valid():
        try:
            write(actor=request.user, customer=customer, **form.cleaned_data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, done)
            return HttpResponseRedirect(customer.get_absolute_url())
    # Refused: the page again, with what was typed and each reason next to its field.
    messages.error(request, _("Nothing was saved: please correct the marked fields."))
    view = CustomerDetailView()
    view.setup(request, pk=pk)
    view.refused_form = form
    response = view.get(request, pk=pk)
    response.status_code = 400
    return response


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
        form_kwargs=lambda customer: {"customer": customer},
    )


def plan_follow_up(request: Any, pk: int) -> Any:
    """The follow-up panel: set (or clear) the next follow-up date and plan by hand, without
    logging an interaction. Refusals re-show the page with what was typed."""
    from django.contrib import messages
    from django.http import HttpResponseNotAllowed, HttpResponseRedirect

    from kehu.core import scoping
    from kehu.core.locking import StaleWriteError

    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    customer = scoping.get_visible_or_404(
        Customer.objects.select_related("owner"), request.user, "change", pk=pk
    )
    form = FollowUpForm(request.POST)
    status = 400
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.update_customer(
                actor=request.user,
                customer=customer,
                expected_version=data["version"],
                next_follow_up_at=data["next_follow_up_at"],
                follow_up_plan=data["follow_up_plan"].strip(),
            )
        except StaleWriteError as exc:
            # Keep what was typed; the next save answers the newer values shown on the page.
            fresh = request.POST.copy()
            fresh["version"] = str(exc.current_version)
            form = FollowUpForm(fresh)
            form.is_valid()
            form.add_error(None, str(exc.message))
            status = 409
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("Next follow-up planned."))
            return HttpResponseRedirect(customer.get_absolute_url())
    view = CustomerDetailView()
    view.setup(request, pk=pk)
    view.follow_up_form = form
    response = view.get(request, pk=pk)
    response.status_code = status
    return response


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
    export_name = "contacts"
    template_name = "customers/contact_list.html"
    filterset_class = ContactFilter
    default_ordering = ["name"]
    columns = [
        Column("select", "", sortable=False, render=cells.select, hideable=False, export=""),
        Column("name", _("Name"), render=cells.contact_name, hideable=False),
        Column(
            "customer",
            _("Customer"),
            order_by="customer__name",
            render=cells.customer,
        ),
        Column("title", _("Job title"), edit_url="customers:contact_cell"),
        Column("mobile", _("Mobile"), render=cells.mobile, edit_url="customers:contact_cell"),
        Column("phone", _("Landline"), default=False, edit_url="customers:contact_cell"),
        Column("email", _("E-mail"), edit_url="customers:contact_cell"),
        Column("wechat", _("WeChat ID"), edit_url="customers:contact_cell"),
        Column("birthday", _("Birthday"), default=False, edit_url="customers:contact_cell"),
        Column(
            "actions",
            "",
            sortable=False,
            render=cells.row_actions("contacts", "/customers/contacts/"),
            hideable=False,
            export="",
        ),
    ]

    @staticmethod
    def selector(user: Any) -> Any:
        return selectors.contacts_visible_to(user)

    def extra_context(self) -> dict[str, Any]:
        from kehu.core.permissions import has_perm

        user = self.request.user
        return {
            "bulk_actions": {
                "delete": has_perm(user, "contact.delete"),
                "export": has_perm(user, "contact.export"),
            }
        }


def bulk_change(request: Any) -> Any:
    """Apply one action to the customers ticked in the table: assign a manager, add or remove a
    tag, set the level or status, or export them. Only customers the user may change (export:
    see) are touched; the rest are reported, never silently skipped."""
    from django.contrib import messages
    from django.core.exceptions import PermissionDenied
    from django.http import HttpResponseNotAllowed, HttpResponseRedirect

    from kehu.core import scoping
    from kehu.core.permissions import has_perm

    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    back, ids = _ticked(request, "/customers/")
    action = request.POST.get("action", "")
    if not ids:
        messages.warning(request, _("Tick at least one customer first."))
        return HttpResponseRedirect(back)
    if action == "export":
        if not has_perm(request.user, "customer.export"):
            raise PermissionDenied
        return export_selection(request, ids)
    needed = "customer.assign" if action == "assign_owner" else "customer.change"
    if action not in services.BULK_ACTIONS or not has_perm(request.user, needed):
        raise PermissionDenied
    value: Any = request.POST.get("value", "").strip()
    problem = ""
    if action == "assign_owner":
        from kehu.accounts.models import User

        value = User.objects.filter(is_active=True, pk=value if value.isdigit() else 0).first()
        problem = "" if value else str(_("Choose the new customer manager."))
    elif action in {"add_tag", "remove_tag"}:
        problem = "" if value else str(_("Type the tag."))
    elif action == "set_level":
        problem = "" if value in Customer.Level.values else str(_("Choose a level."))
    elif action == "set_status":
        problem = "" if value in Customer.Status.values else str(_("Choose a status."))
    if problem:
        messages.error(request, problem)
        return HttpResponseRedirect(back)
    changeable = scoping.restrict(
        Customer.objects.select_related("owner"), request.user, "change"
    ).filter(pk__in=ids)
    found = list(changeable)
    try:
        outcome = services.bulk_change_customers(
            actor=request.user, customers=found, action=action, value=value
        )
    except ValidationError as exc:
        messages.error(request, "; ".join(exc.messages))
        return HttpResponseRedirect(back)
    out_of_reach = len(set(ids)) - len(found)
    messages.success(
        request,
        _("%(changed)d changed, %(unchanged)d already so.")
        % {"changed": outcome.changed, "unchanged": outcome.unchanged},
    )
    if out_of_reach:
        messages.warning(
            request,
            _("%(n)d ticked customers are not yours to change and were left alone.")
            % {"n": out_of_reach},
        )
    for customer, reason in outcome.refused[:10]:
        messages.error(request, f"{customer}: {reason}")
    return HttpResponseRedirect(back)


def _ticked(request: Any, default: str) -> tuple[str, list[int]]:
    """The page to go back to (same site only) and the ids ticked in a table (at most 1,000)."""
    ids = [int(v) for v in request.POST.getlist("ids") if v.isdigit()][:1000]
    return _back(request, default), ids


def contact_bulk(request: Any) -> Any:
    """Export or delete the contacts ticked in the table. Only contacts the user may delete
    (export: see) are touched; the rest are reported, never silently skipped."""
    from django.contrib import messages
    from django.core.exceptions import PermissionDenied
    from django.db import transaction
    from django.http import HttpResponseNotAllowed, HttpResponseRedirect

    from kehu.core import scoping
    from kehu.core.permissions import has_perm

    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    back, ids = _ticked(request, "/customers/contacts/")
    action = request.POST.get("action", "")
    if action not in {"export", "delete"} or not has_perm(request.user, f"contact.{action}"):
        raise PermissionDenied
    if not ids:
        messages.warning(request, _("Tick at least one contact first."))
        return HttpResponseRedirect(back)
    if action == "export":
        from kehu.dataops import exports

        fmt = request.POST.get("format", "csv")
        return exports.export_response(
            request,
            exports.ExportRequest(
                queryset=selectors.contacts_visible_to(request.user).filter(pk__in=ids),
                ordering=["name", "id"],
                columns=list(ContactListView.columns),
                fmt=fmt if fmt in exports.FORMATS else "csv",
                name="contacts",
                title=str(_("Contacts")),
                query="ids=" + ",".join(map(str, ids[:50])),
            ),
        )
    found = list(
        scoping.restrict(Contact.objects.all(), request.user, "delete")
        .filter(pk__in=ids)
        .select_related("customer")
    )
    deleted = 0
    for contact in found:
        with transaction.atomic():
            services.delete_contact(actor=request.user, contact=contact)
        deleted += 1
    messages.success(request, _("%(n)d contacts deleted.") % {"n": deleted})
    if len(set(ids)) > len(found):
        messages.warning(
            request,
            _("%(n)d ticked contacts are not yours to delete and were left alone.")
            % {"n": len(set(ids)) - len(found)},
        )
    return HttpResponseRedirect(back)


def export_selection(request: Any, ids: list[int]) -> Any:
    """The ticked customers with every column the user may see (not only the shown ones)."""
    from kehu.core.fieldrules import hidden_fields
    from kehu.dataops import exports

    rows = selectors.customers_visible_to(request.user).filter(pk__in=ids)
    hidden = hidden_fields(request.user, Customer)
    fmt = request.POST.get("format", "csv")
    return exports.export_response(
        request,
        exports.ExportRequest(
            queryset=rows,
            ordering=["name"],
            columns=[c for c in CustomerListView.columns if c.name not in hidden],
            fmt=fmt if fmt in exports.FORMATS else "csv",
            name="customers",
            title=str(_("Customers")),
            query="ids=" + ",".join(map(str, ids[:50])),
        ),
    )


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


# ---- contacts and interactions: edit, delete, history ------------------------------------------


def _back(request: Any, default: str) -> str:
    """Where to go after a change: the page that asked (``next``, same site only) or ``default``."""
    from django.utils.http import url_has_allowed_host_and_scheme

    back = request.POST.get("next") or request.GET.get("next") or ""
    if back and url_has_allowed_host_and_scheme(back, {request.get_host()}):
        return str(back)
    return default


class ContactEditView(ObjectEditView):
    form_class = ContactEditForm
    title = _("Edit contact")
    get_for = staticmethod(lambda user, pk: selectors.get_contact_for(user, pk, "change"))

    def save(self, obj: Model, form: forms.Form) -> Model:
        assert isinstance(obj, Contact)
        data = {k: form.cleaned_data[k] for k in services.CONTACT_FIELDS if k in form.cleaned_data}
        return services.update_contact(
            actor=self.request.user,
            contact=obj,
            expected_version=form.cleaned_data["version"],
            **data,
        )


class ContactDeleteView(ObjectDeleteView):
    get_for = staticmethod(lambda user, pk: selectors.get_contact_for(user, pk, "delete"))

    def delete(self, obj: Model) -> None:
        assert isinstance(obj, Contact)
        self.success_url = _back(self.request, obj.customer.get_absolute_url())
        services.delete_contact(actor=self.request.user, contact=obj)


class ContactHistoryView(ObjectHistoryView):
    get_for = staticmethod(selectors.get_contact_for)


class InteractionEditView(ObjectEditView):
    form_class = InteractionEditForm
    title = _("Edit interaction")
    get_for = staticmethod(lambda user, pk: selectors.get_interaction_for(user, pk, "change"))

    def initial(self, obj: Model) -> dict[str, Any]:
        assert isinstance(obj, Interaction)
        initial = super().initial(obj)
        if services.follow_up_came_from(obj.customer, obj):
            initial["next_follow_up_at"] = obj.customer.next_follow_up_at
        return initial

    def save(self, obj: Model, form: forms.Form) -> Model:
        assert isinstance(obj, Interaction)
        data = {k: form.cleaned_data[k] for k in services.INTERACTION_FIELDS}
        when = form.cleaned_data.get("next_follow_up_at")
        return services.update_interaction(
            actor=self.request.user,
            interaction=obj,
            expected_version=form.cleaned_data["version"],
            contacts=form.cleaned_data["contacts"],
            **({"next_follow_up_at": when} if when else {}),
            **data,
        )


class InteractionDeleteView(ObjectDeleteView):
    get_for = staticmethod(lambda user, pk: selectors.get_interaction_for(user, pk, "delete"))

    def delete(self, obj: Model) -> None:
        assert isinstance(obj, Interaction)
        self.success_url = _back(self.request, obj.customer.get_absolute_url())
        services.delete_interaction(actor=self.request.user, interaction=obj)


class InteractionHistoryView(ObjectHistoryView):
    get_for = staticmethod(selectors.get_interaction_for)


class ContactCellEditView(CellEditView):
    """One cell of the contacts table edited in place, with the contact's version."""

    form_class = ContactEditForm
    fields = {c.name: c for c in ContactListView.columns if c.edit_url}
    get_for = staticmethod(lambda user, pk: selectors.get_contact_for(user, pk, "change"))

    def save(self, obj: Model, field: str, value: Any, version: int) -> Model:
        assert isinstance(obj, Contact)
        return services.update_contact(
            actor=self.request.user, contact=obj, expected_version=version, **{field: value}
        )

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kehu.core.fieldrules import FieldRulesFormMixin
from kehu.sales.models import Deal, Pipeline, Stage

DEAL_FIELDS = [
    "title",
    "amount",
    "probability",
    "expected_close_on",
    "owner",
    "source",
    "competitor",
    "notes",
]
CUSTOMER_CHOICES = 300  # the select offers this many; any visible customer is accepted


def _owner_field(form: forms.Form) -> None:
    from kehu.accounts.models import User

    if "owner" in form.fields:
        form.fields["owner"].queryset = User.objects.filter(is_active=True).order_by("username")  # type: ignore[attr-defined]


CONTACT_CHOICES = 300  # contacts offered before a customer is chosen


def _contacts_field() -> forms.ModelMultipleChoiceField:
    from kehu.customers.models import Contact

    return forms.ModelMultipleChoiceField(
        queryset=Contact.objects.none(),
        required=False,
        label=_("Contacts"),
        help_text=_("The customer's people who take part in this deal."),
        widget=forms.CheckboxSelectMultiple,
    )


def _offer_contacts(form: forms.Form, user: Any, customer: Any) -> None:
    """Offer the contacts the user may see: the customer's, or (no customer chosen yet) the
    first few hundred, grouped by customer. Any visible contact passes the field; the form and
    the service refuse one of another customer with a clear message."""
    from kehu.customers.selectors import contacts_visible_to

    visible = contacts_visible_to(user)
    field = form.fields["contacts"]
    field.queryset = visible  # type: ignore[attr-defined]
    if customer is not None:
        field.widget.choices = [  # type: ignore[attr-defined]
            (c.pk, f"{c.name} · {c.title}" if c.title else c.name)
            for c in visible.filter(customer=customer).order_by("-is_primary", "name", "id")
        ]
        return
    groups: dict[str, list[tuple[int, str]]] = {}
    for contact in visible.order_by("customer__name", "name", "id")[:CONTACT_CHOICES]:
        groups.setdefault(str(contact.customer), []).append((contact.pk, contact.name))
    field.widget = forms.SelectMultiple(attrs={"size": 6})
    field.widget.choices = list(groups.items())


def _clean_contacts(form: forms.Form, customer: Any) -> None:
    contacts = form.cleaned_data.get("contacts") or []
    strangers = [c for c in contacts if customer is not None and c.customer_id != customer.pk]
    if strangers:
        form.add_error(
            "contacts",
            _("%(contacts)s is not a contact of %(customer)s.")
            % {"contacts": "、".join(str(c) for c in strangers), "customer": customer},
        )


class DealForm(FieldRulesFormMixin, forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput)
    contacts = _contacts_field()

    class Meta:
        model = Deal
        fields = DEAL_FIELDS
        widgets = {
            "expected_close_on": forms.DateInput(attrs={"type": "date"}),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _owner_field(self)
        _offer_contacts(self, self.user, self.instance.customer)
        if self.instance.pk and "contacts" not in self.initial:
            self.initial["contacts"] = [c.pk for c in self.instance.contacts.all()]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        _clean_contacts(self, self.instance.customer)
        return cleaned


class DealCreateForm(FieldRulesFormMixin, forms.ModelForm):
    customer = forms.ModelChoiceField(queryset=None, label=_("Customer"))  # type: ignore[arg-type]
    stage = forms.ModelChoiceField(queryset=None, label=_("Stage"))  # type: ignore[arg-type]
    contacts = _contacts_field()

    class Meta:
        model = Deal
        fields = ["title", "customer", "stage", "contacts", *DEAL_FIELDS[1:]]
        widgets = DealForm.Meta.widgets

    def __init__(self, *args: Any, customer_id: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from kehu.customers.selectors import customers_visible_to

        visible = customers_visible_to(self.user).order_by("name")
        field = self.fields["customer"]
        field.queryset = visible  # type: ignore[attr-defined]
        shown = list(visible.select_related(None).only("pk", "name")[:CUSTOMER_CHOICES])
        if customer_id:
            chosen = visible.filter(pk=customer_id).first() if str(customer_id).isdigit() else None
            if chosen is not None and chosen not in shown:
                shown.insert(0, chosen)
            if chosen is not None:
                self.initial["customer"] = chosen.pk
        field.widget.choices = [("", "—"), *((c.pk, c.name) for c in shown)]  # type: ignore[attr-defined]
        chosen_id = self.data.get("customer") if self.is_bound else self.initial.get("customer")
        chosen = visible.filter(pk=chosen_id).first() if str(chosen_id or "").isdigit() else None
        _offer_contacts(self, self.user, chosen)
        self.fields["stage"].queryset = Stage.objects.filter(  # type: ignore[attr-defined]
            kind=Stage.Kind.OPEN
        ).select_related("pipeline")
        default = Stage.objects.filter(pipeline__is_default=True, kind=Stage.Kind.OPEN).first()
        if default is not None:
            self.initial.setdefault("stage", default.pk)
        _owner_field(self)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        _clean_contacts(self, cleaned.get("customer"))
        return cleaned


class StageForm(forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Stage
        fields = [
            "name",
            "name_en",
            "kind",
            "probability",
            "color",
            "owner_role",
            "owner_user",
            "time_limit",
            "time_limit_unit",
        ]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from kehu.accounts.models import User

        self.fields["owner_user"].queryset = User.objects.filter(is_active=True).order_by(  # type: ignore[attr-defined]
            "username"
        )


class PipelineForm(forms.ModelForm):
    class Meta:
        model = Pipeline
        fields = ["name", "name_en", "is_default"]

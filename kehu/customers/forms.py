from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from kehu.core.fieldrules import FieldRulesFormMixin
from kehu.customers.models import Contact, Customer, Interaction, Order, OrderLine, Product
from kehu.customers.services import CONTACT_FIELDS, EDITABLE_FIELDS, INTERACTION_FIELDS

TAGS_HELP = _("Separate tags with commas, e.g. 老客户, 展会")


DATETIME = forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


def _people() -> forms.ModelMultipleChoiceField:
    from kehu.accounts.models import User

    return forms.ModelMultipleChoiceField(
        label=_("Collaborators"),
        queryset=User.objects.filter(is_active=True).order_by("username"),
        required=False,
        help_text=_("Colleagues who work on this customer with its customer manager."),
    )


class CustomerForm(FieldRulesFormMixin, forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput)
    tag_names = forms.CharField(
        label=_("Tags"), required=False, max_length=500, help_text=TAGS_HELP
    )

    class Meta:
        model = Customer
        fields = [*EDITABLE_FIELDS, "collaborators"]
        widgets = {
            "need_description": forms.Textarea(attrs={"rows": 3}),
            "preferences": forms.Textarea(attrs={"rows": 2}),
            "notes": forms.Textarea(attrs={"rows": 3}),
            "next_follow_up_at": DATETIME,
        }

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        if "collaborators" in self.fields:
            self.fields["collaborators"] = _people()


class FollowUpForm(forms.Form):
    """The follow-up panel's "plan the next follow-up" form: a date and what to do."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    next_follow_up_at = forms.DateTimeField(
        label=_("Next follow-up"), required=False, widget=DATETIME
    )
    follow_up_plan = forms.CharField(label=_("Plan"), max_length=255, required=False)


class CustomerCreateForm(FieldRulesFormMixin, forms.ModelForm):
    """A new customer with its first contact, in one step."""

    contact_name = forms.CharField(label=_("Contact"), max_length=64, required=False)
    contact_title = forms.CharField(label=_("Contact's job title"), max_length=64, required=False)
    contact_mobile = forms.CharField(label=_("Contact's mobile"), max_length=32, required=False)
    contact_email = forms.EmailField(label=_("Contact's e-mail"), required=False)
    tag_names = forms.CharField(
        label=_("Tags"), required=False, max_length=500, help_text=TAGS_HELP
    )

    class Meta:
        model = Customer
        # What a new customer needs; the owner is whoever creates it.
        fields = [
            f
            for f in EDITABLE_FIELDS
            if f not in {"owner", "preferences", "notes", "next_follow_up_at", "follow_up_plan"}
        ]
        widgets = {
            "need_description": forms.Textarea(attrs={"rows": 3}),
            # Customers with similar names appear below the form as the name is typed.
            "name": forms.TextInput(
                attrs={
                    "hx-get": "/customers/similar/",
                    "hx-trigger": "keyup changed delay:500ms, change",
                    "hx-target": "#similar-names",
                    "autocomplete": "off",
                }
            ),
        }

    def clean_contact_mobile(self) -> str:
        from kehu.customers.validators import normalize_phone

        return normalize_phone(self.cleaned_data.get("contact_mobile", ""))


def _contacts_of(customer_id: int | None) -> forms.ModelMultipleChoiceField:
    """The "with which contacts" picker: only the contacts of that customer."""
    return forms.ModelMultipleChoiceField(
        label=_("With"),
        queryset=Contact.objects.filter(customer_id=customer_id or 0).order_by(
            "-is_primary", "name"
        ),
        required=False,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "checks"}),
    )


class InteractionForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=Interaction.Kind.choices)
    occurred_at = forms.DateTimeField(label=_("When"), widget=DATETIME)
    summary = forms.CharField(label=_("What was said"), widget=forms.Textarea(attrs={"rows": 2}))
    outcome = forms.CharField(label=_("Outcome"), max_length=255, required=False)
    next_step = forms.CharField(label=_("Next step"), max_length=255, required=False)
    next_follow_up_at = forms.DateTimeField(
        label=_("Next follow-up"), required=False, widget=DATETIME
    )

    def __init__(
        self,
        *args: object,
        customer: Customer | None = None,
        contacts: list[Contact] | None = None,
        **kwargs: object,
    ) -> None:
        """``contacts``: the customer's contacts, in their usual order, when the caller has
        read them already; the picker then offers them without asking again (a checked value
        is still tested against the customer's contacts when the form is sent)."""
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        field = _contacts_of(customer.pk if customer else None)
        if contacts is not None:
            field.choices = [(c.pk, field.label_from_instance(c)) for c in contacts]
        self.fields["contacts"] = field


class InteractionEditForm(forms.ModelForm):
    """Correct an interaction; the follow-up date is the customer's, shown when this
    interaction planned it."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    next_follow_up_at = forms.DateTimeField(
        label=_("Next follow-up"),
        required=False,
        widget=DATETIME,
        help_text=_("Sets the customer's next follow-up, with the next step as its plan."),
    )

    class Meta:
        model = Interaction
        fields = [*INTERACTION_FIELDS, "contacts"]
        widgets = {
            "occurred_at": DATETIME,
            "summary": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["contacts"] = _contacts_of(self.instance.customer_id)


class ContactForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=64)
    title = forms.CharField(label=_("Job title"), max_length=64, required=False)
    mobile = forms.CharField(label=_("Mobile"), max_length=32, required=False)
    mobile2 = forms.CharField(label=_("Second mobile"), max_length=32, required=False)
    phone = forms.CharField(label=_("Landline"), max_length=32, required=False)
    email = forms.EmailField(label=_("E-mail"), required=False)
    wechat = forms.CharField(label=_("WeChat ID"), max_length=64, required=False)
    birthday = forms.DateField(
        label=_("Birthday"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    is_primary = forms.BooleanField(label=_("Primary contact"), required=False)


class ContactEditForm(forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput)

    class Meta:
        model = Contact
        fields = list(CONTACT_FIELDS)
        labels = {"phone": _("Landline")}
        widgets = {"birthday": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}


class ProductForm(FieldRulesFormMixin, forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        from kehu.customers.services import PRODUCT_FIELDS

        model = Product
        fields = list(PRODUCT_FIELDS)


class OrderForm(forms.Form):
    ordered_on = forms.DateField(
        label=_("Order date"), widget=forms.DateInput(attrs={"type": "date"})
    )
    number = forms.CharField(
        label=_("Order number"),
        max_length=32,
        required=False,
        help_text=_("Leave empty to number it automatically."),
    )
    status = forms.ChoiceField(label=_("Status"), choices=Order.Status.choices)
    notes = forms.CharField(
        label=_("Notes"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )


class OrderCellForm(FieldRulesFormMixin, forms.ModelForm):
    """The cells of the orders table edited in place: status and order date (amounts follow
    from the lines and returns and are never edited here)."""

    class Meta:
        model = Order
        fields = ["status", "ordered_on"]
        widgets = {"ordered_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}


class OrderLineForm(forms.Form):
    product = forms.ModelChoiceField(
        label=_("Product"), queryset=Product.objects.filter(is_active=True), required=False
    )
    quantity = forms.DecimalField(
        label=_("Quantity"), max_digits=12, decimal_places=2, min_value=0, required=False
    )
    unit_price = forms.DecimalField(
        label=_("Unit price"),
        max_digits=14,
        decimal_places=2,
        min_value=0,
        required=False,
        help_text=_("Empty: the list price."),
    )

    def clean(self) -> dict[str, object]:
        data = super().clean() or {}
        if data.get("product") and data.get("quantity") in (None, ""):
            raise forms.ValidationError(
                _("Give the quantity of %(product)s.") % {"product": data["product"]}
            )
        if data.get("quantity") and not data.get("product"):
            raise forms.ValidationError(_("Choose the product of this line."))
        return data


OrderLineFormSet = forms.formset_factory(OrderLineForm, extra=4, max_num=50, validate_max=True)


class ReturnForm(forms.Form):
    line = forms.ModelChoiceField(label=_("Order line"), queryset=OrderLine.objects.none())
    quantity = forms.DecimalField(label=_("Quantity"), max_digits=12, decimal_places=2, min_value=0)
    returned_on = forms.DateField(
        label=_("Return date"), widget=forms.DateInput(attrs={"type": "date"})
    )
    reason = forms.CharField(label=_("Reason"), max_length=255)

    def __init__(self, *args: object, order: Order, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["line"].queryset = order.lines.select_related("product")  # type: ignore[attr-defined]

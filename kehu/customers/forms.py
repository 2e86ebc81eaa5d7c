from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from kehu.core.fieldrules import FieldRulesFormMixin
from kehu.customers.models import Customer


class CustomerForm(FieldRulesFormMixin, forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput)

    class Meta:
        model = Customer
        fields = [
            "name",
            "short_name",
            "kind",
            "level",
            "status",
            "source",
            "industry",
            "province",
            "city",
            "address",
            "uscc",
            "owner",
            "purchase_intent",
            "credit_limit",
            "need_description",
            "preferences",
            "notes",
        ]
        widgets = {
            "need_description": forms.Textarea(attrs={"rows": 3}),
            "preferences": forms.Textarea(attrs={"rows": 2}),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }


class CustomerCreateForm(FieldRulesFormMixin, forms.ModelForm):
    """A new customer with its first contact, in one step."""

    contact_name = forms.CharField(label=_("Contact"), max_length=64, required=False)
    contact_title = forms.CharField(label=_("Contact's job title"), max_length=64, required=False)
    contact_mobile = forms.CharField(label=_("Contact's mobile"), max_length=32, required=False)
    contact_email = forms.EmailField(label=_("Contact's e-mail"), required=False)

    class Meta:
        model = Customer
        fields = [
            "name",
            "short_name",
            "kind",
            "level",
            "status",
            "source",
            "industry",
            "province",
            "city",
            "address",
            "uscc",
            "purchase_intent",
            "credit_limit",
            "need_description",
        ]
        widgets = {"need_description": forms.Textarea(attrs={"rows": 3})}

    def clean_contact_mobile(self) -> str:
        from kehu.customers.validators import normalize_phone

        return normalize_phone(self.cleaned_data.get("contact_mobile", ""))

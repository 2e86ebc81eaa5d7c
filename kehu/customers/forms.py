from __future__ import annotations

from django import forms

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

from __future__ import annotations

from django import forms

from kehu.customers.models import Customer


class CustomerForm(forms.ModelForm):
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
            "purchase_intent",
            "need_description",
            "preferences",
            "notes",
        ]
        widgets = {
            "need_description": forms.Textarea(attrs={"rows": 3}),
            "preferences": forms.Textarea(attrs={"rows": 2}),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

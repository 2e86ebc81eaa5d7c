from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from kehu.core.fieldrules import FieldRulesFormMixin
from kehu.customers.models import Customer
from kehu.customers.services import EDITABLE_FIELDS


class CustomerForm(FieldRulesFormMixin, forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput)

    class Meta:
        model = Customer
        fields = list(EDITABLE_FIELDS)
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
        # What a new customer needs; the owner is whoever creates it.
        fields = [f for f in EDITABLE_FIELDS if f not in {"owner", "preferences", "notes"}]
        widgets = {"need_description": forms.Textarea(attrs={"rows": 3})}

    def clean_contact_mobile(self) -> str:
        from kehu.customers.validators import normalize_phone

        return normalize_phone(self.cleaned_data.get("contact_mobile", ""))


class InteractionForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=[])
    occurred_at = forms.DateTimeField(
        label=_("When"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    summary = forms.CharField(label=_("What was said"), widget=forms.Textarea(attrs={"rows": 2}))
    outcome = forms.CharField(label=_("Outcome"), max_length=255, required=False)
    next_step = forms.CharField(label=_("Next step"), max_length=255, required=False)
    next_follow_up_at = forms.DateTimeField(
        label=_("Next follow-up"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        from kehu.customers.models import Interaction

        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.fields["kind"].choices = Interaction.Kind.choices  # type: ignore[attr-defined]


class ContactForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=64)
    title = forms.CharField(label=_("Job title"), max_length=64, required=False)
    mobile = forms.CharField(label=_("Mobile"), max_length=32, required=False)
    email = forms.EmailField(label=_("E-mail"), required=False)
    wechat = forms.CharField(label=_("WeChat ID"), max_length=64, required=False)

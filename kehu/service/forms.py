from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from kehu.core.fieldrules import FieldRulesFormMixin
from kehu.service.models import SLAPolicy, Ticket
from kehu.service.services import EDITABLE_FIELDS, POLICY_FIELDS


def _scoped_choices(form: forms.ModelForm, user: Any) -> None:
    """Customers, contacts and orders to link: only those the user may see."""
    from kehu.core import scoping
    from kehu.customers.models import Contact, Customer, Order

    for name, model in (("customer", Customer), ("contact", Contact), ("order", Order)):
        if name in form.fields:
            form.fields[name].queryset = scoping.restrict(model.objects.all(), user)  # type: ignore[attr-defined]
    if "assignee" in form.fields:
        from kehu.accounts.models import User

        form.fields["assignee"].queryset = User.objects.filter(is_active=True).order_by("username")  # type: ignore[attr-defined]


class TicketCreateForm(FieldRulesFormMixin, forms.ModelForm):
    class Meta:
        model = Ticket
        fields = [*EDITABLE_FIELDS, "assignee"]
        widgets = {"description": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        _scoped_choices(self, user)


class TicketForm(FieldRulesFormMixin, forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput)

    class Meta:
        model = Ticket
        fields = list(EDITABLE_FIELDS)
        widgets = {"description": forms.Textarea(attrs={"rows": 4})}

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        _scoped_choices(self, user)


class MessageForm(forms.Form):
    body = forms.CharField(
        label=_("Message"), widget=forms.Textarea(attrs={"rows": 3}), max_length=20000
    )


class SLAPolicyForm(forms.ModelForm):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = SLAPolicy
        fields = list(POLICY_FIELDS)


class SurveyForm(forms.Form):
    score = forms.TypedChoiceField(
        label=_("Your rating"),
        coerce=int,
        choices=[(i, str(i)) for i in range(5, 0, -1)],
        widget=forms.RadioSelect,
        error_messages={"required": _("Choose a rating from 1 to 5.")},
    )
    comment = forms.CharField(
        label=_("Anything to tell us? (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

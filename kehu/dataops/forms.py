from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from kehu.dataops.models import DataAuditSchedule


class ScheduleForm(forms.Form):
    period = forms.ChoiceField(
        label=_("Audit the whole organisation"), choices=DataAuditSchedule.Period.choices
    )
    stale_days = forms.IntegerField(
        label=_("A customer is stale after (days without contact)"), min_value=7, max_value=730
    )
    version = forms.IntegerField(widget=forms.HiddenInput)

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _

from kehu.core.models import AuditEvent


class AuditEventFilter(django_filters.FilterSet):
    action = django_filters.MultipleChoiceFilter(
        choices=AuditEvent.Action.choices, label=_("Action")
    )
    actor = django_filters.NumberFilter(field_name="actor_id", label=_("Who"))
    q = django_filters.CharFilter(field_name="summary", lookup_expr="icontains", label=_("Search"))
    date_from = django_filters.DateFilter(
        field_name="created_at", lookup_expr="date__gte", label=_("From")
    )
    date_to = django_filters.DateFilter(
        field_name="created_at", lookup_expr="date__lte", label=_("To")
    )

    class Meta:
        model = AuditEvent
        fields = ["action", "actor", "q", "date_from", "date_to"]

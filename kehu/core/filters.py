from __future__ import annotations

from typing import Any, ClassVar

import django_filters
from django.utils.translation import gettext_lazy as _

from kehu.core.models import AuditEvent


class FormOnceMixin:
    """The filter form's class built once per filter set, not on every page.

    django-filter makes a new form class, and a field for every filter, each time a form is
    asked for; with a dozen filters that is a couple of milliseconds a page. Only for filter
    sets whose choices do not depend on the request (a callable ``queryset`` is called with
    the first request and its query reused, evaluated afresh by every form)."""

    _form_classes: ClassVar[dict[type, type]] = {}

    def get_form_class(self) -> Any:
        cls = type(self)
        form_class = FormOnceMixin._form_classes.get(cls)
        if form_class is None:
            form_class = super().get_form_class()  # type: ignore[misc]
            FormOnceMixin._form_classes[cls] = form_class
        return form_class


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

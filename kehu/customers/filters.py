from __future__ import annotations

import datetime as dt
from typing import Any

import django_filters
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kehu.customers.models import Contact, Customer, Interaction


class CustomerFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    level = django_filters.MultipleChoiceFilter(choices=Customer.Level.choices, label=_("Level"))
    status = django_filters.MultipleChoiceFilter(choices=Customer.Status.choices, label=_("Status"))
    city = django_filters.CharFilter(lookup_expr="icontains", label=_("City"))
    follow_up = django_filters.ChoiceFilter(
        method="follow_up_state",
        label=_("Follow-up"),
        choices=[("overdue", _("Overdue")), ("week", _("Due within 7 days"))],
    )

    class Meta:
        model = Customer
        fields = ["q", "level", "status", "city", "follow_up"]

    def search(self, queryset: QuerySet[Customer], name: str, value: str) -> QuerySet[Customer]:
        """Chinese substrings, pinyin and initials, USCC (see kehu.core.search)."""
        from kehu.core import search

        return search.filter_queryset(queryset, value)

    def follow_up_state(self, queryset: QuerySet[Customer], name: str, value: Any) -> Any:
        now = timezone.now()
        if value == "overdue":
            return queryset.filter(next_follow_up_at__lt=now)
        if value == "week":
            return queryset.filter(
                next_follow_up_at__gte=now, next_follow_up_at__lte=now + dt.timedelta(days=7)
            )
        return queryset


class ContactFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    is_primary = django_filters.BooleanFilter(label=_("Primary contact"))

    class Meta:
        model = Contact
        fields = ["q", "is_primary"]

    def search(self, queryset: QuerySet[Contact], name: str, value: str) -> QuerySet[Contact]:
        from kehu.core import search

        return search.filter_queryset(queryset, value)


class InteractionFilter(django_filters.FilterSet):
    kind = django_filters.MultipleChoiceFilter(choices=Interaction.Kind.choices, label=_("Kind"))
    date_from = django_filters.DateFilter(
        field_name="occurred_at", lookup_expr="date__gte", label=_("From")
    )
    date_to = django_filters.DateFilter(
        field_name="occurred_at", lookup_expr="date__lte", label=_("To")
    )
    mine = django_filters.BooleanFilter(method="by_me", label=_("Logged by me"))

    class Meta:
        model = Interaction
        fields = ["kind", "date_from", "date_to", "mine"]

    def by_me(self, queryset: QuerySet[Interaction], name: str, value: bool) -> Any:
        return queryset.filter(user=self.request.user) if value else queryset

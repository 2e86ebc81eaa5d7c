"""Deal filters, shared by the board, the deals table and the forecast."""

from __future__ import annotations

import datetime as dt
from typing import Any

import django_filters
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from kehu.sales.models import Deal, Stage


def _active_users(request: Any) -> QuerySet[Any]:
    from kehu.accounts.models import User

    return User.objects.filter(is_active=True).order_by("username")


def _teams(request: Any) -> QuerySet[Any]:
    from kehu.accounts.models import Team

    return Team.objects.order_by("name")


def _stages(request: Any) -> QuerySet[Stage]:
    return Stage.objects.select_related("pipeline").order_by("pipeline", "position")


class DealFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    owner = django_filters.ModelMultipleChoiceFilter(
        queryset=_active_users, label=_("Owner"), distinct=False
    )
    team = django_filters.ModelChoiceFilter(queryset=_teams, method="in_team", label=_("Team"))
    source = django_filters.CharFilter(lookup_expr="iexact", label=_("Source"))
    month = django_filters.CharFilter(method="closing_in", label=_("Expected close month"))
    overdue = django_filters.BooleanFilter(field_name="is_overdue", label=_("Overdue"))
    status = django_filters.MultipleChoiceFilter(
        choices=Deal.Status.choices, label=_("Status"), distinct=False
    )
    stage = django_filters.ModelMultipleChoiceFilter(
        queryset=_stages, label=_("Stage"), distinct=False
    )
    customer = django_filters.NumberFilter(field_name="customer_id", label=_("Customer"))

    class Meta:
        model = Deal
        fields = ["q", "owner", "team", "source", "month", "overdue", "status", "stage", "customer"]

    def search(self, queryset: QuerySet[Deal], name: str, value: str) -> QuerySet[Deal]:
        from django.db.models import Q

        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(title__icontains=value) | Q(customer__name__icontains=value))

    def in_team(self, queryset: QuerySet[Deal], name: str, value: Any) -> QuerySet[Deal]:
        """Deals owned by a member of the team or of any team below it."""
        if not value:
            return queryset
        from kehu.accounts.models import User
        from kehu.accounts.selectors import team_subtree_ids

        members = User.objects.filter(teams__in=team_subtree_ids({value.pk})).values("pk")
        return queryset.filter(owner__in=members)

    def closing_in(self, queryset: QuerySet[Deal], name: str, value: str) -> QuerySet[Deal]:
        """``YYYY-MM``: deals expected to close in that month."""
        try:
            first = dt.datetime.strptime(value.strip()[:7], "%Y-%m").date()
        except ValueError:
            return queryset
        following = (first.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
        return queryset.filter(expected_close_on__gte=first, expected_close_on__lt=following)

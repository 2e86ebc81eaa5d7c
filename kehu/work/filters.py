from __future__ import annotations

import datetime as dt
from typing import Any

import django_filters
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kehu.work.models import Area, Goal, PriorityLabel, Task


def _people(request: Any) -> QuerySet[Any]:
    from kehu.accounts.models import User

    return User.objects.filter(is_active=True).order_by("username")


def _teams(request: Any) -> QuerySet[Any]:
    from kehu.accounts.models import Team

    return Team.objects.order_by("name")


def _goals(request: Any) -> QuerySet[Goal]:
    from kehu.work.selectors import goals_visible_to

    return goals_visible_to(getattr(request, "user", None)).order_by("title")


class TaskFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    status = django_filters.MultipleChoiceFilter(
        choices=Task.Status.choices, label=_("Status"), distinct=False
    )
    responsible = django_filters.ModelMultipleChoiceFilter(
        queryset=_people,
        label=_("Responsible"),
        distinct=False,
        null_value="none",
        null_label=_("Nobody"),
    )
    goal = django_filters.ModelChoiceFilter(queryset=_goals, label=_("Goal"))
    area = django_filters.ModelMultipleChoiceFilter(
        queryset=Area.objects.all(), label=_("Area"), distinct=False
    )
    label = django_filters.ModelMultipleChoiceFilter(
        queryset=PriorityLabel.objects.all(), label=_("Priority"), distinct=False
    )
    customer = django_filters.NumberFilter(field_name="customer_id", label=_("Customer"))
    team = django_filters.ModelChoiceFilter(
        queryset=_teams, field_name="goal__team", label=_("Team")
    )
    due_from = django_filters.DateFilter(
        field_name="due_on", lookup_expr="gte", label=_("Due from")
    )
    due_to = django_filters.DateFilter(field_name="due_on", lookup_expr="lte", label=_("Due to"))
    overdue = django_filters.BooleanFilter(method="only_overdue", label=_("Overdue"))
    mine = django_filters.BooleanFilter(method="only_mine", label=_("Mine"))

    class Meta:
        model = Task
        fields: list[str] = []

    def search(self, qs: QuerySet[Task], name: str, value: str) -> QuerySet[Task]:
        value = value.strip()
        return (
            qs.filter(Q(title__icontains=value) | Q(description__icontains=value)) if value else qs
        )

    def only_overdue(self, qs: QuerySet[Task], name: str, value: bool) -> QuerySet[Task]:
        if not value:
            return qs
        return qs.filter(due_on__lt=timezone.localdate()).exclude(status=Task.Status.DONE)

    def only_mine(self, qs: QuerySet[Task], name: str, value: bool) -> QuerySet[Task]:
        user = getattr(self.request, "user", None)
        if not value or user is None:
            return qs
        return qs.filter(Q(responsible=user) | Q(collaborators=user)).distinct()


class GoalFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(field_name="title", lookup_expr="icontains", label=_("Search"))
    status = django_filters.MultipleChoiceFilter(
        choices=Goal.Status.choices, label=_("Status"), distinct=False
    )
    owner = django_filters.ModelMultipleChoiceFilter(
        queryset=_people, label=_("Owner"), distinct=False
    )
    team = django_filters.ModelChoiceFilter(queryset=_teams, label=_("Team"))
    top = django_filters.BooleanFilter(
        field_name="parent", lookup_expr="isnull", label=_("Top-level goals only")
    )
    due_before = django_filters.DateFilter(
        field_name="due_on", lookup_expr="lte", label=_("Due before")
    )

    class Meta:
        model = Goal
        fields: list[str] = []


def week_start(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())

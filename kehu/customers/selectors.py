"""Reads of customers for a user; every one goes through the scoping door."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from kehu.core import scoping
from kehu.customers.models import Contact, Customer, Interaction


def customers_visible_to(user: Any) -> QuerySet[Customer]:
    return scoping.restrict(Customer.objects.select_related("owner"), user)


def get_customer_for(user: Any, customer_id: int) -> Customer:
    return scoping.get_visible_or_404(
        Customer.objects.select_related("owner"), user, pk=customer_id
    )


def follow_ups_due(user: Any, *, within_days: int = 7) -> QuerySet[Customer]:
    """The user's own customers whose next follow-up is overdue or due within ``within_days``."""
    horizon = timezone.now() + dt.timedelta(days=within_days)
    return (
        customers_visible_to(user)
        .filter(owner=user, next_follow_up_at__isnull=False, next_follow_up_at__lte=horizon)
        .order_by("next_follow_up_at", "id")
    )


def recent_interactions(user: Any, *, limit: int = 8) -> list[Interaction]:
    qs = scoping.restrict(Interaction.objects.select_related("customer", "user"), user)
    return list(qs.order_by("-occurred_at", "-id")[:limit])


def contacts_visible_to(user: Any) -> QuerySet[Contact]:
    return scoping.restrict(Contact.objects.select_related("customer", "customer__owner"), user)


def get_contact_for(user: Any, contact_id: int) -> Contact:
    return scoping.get_visible_or_404(
        Contact.objects.select_related("customer"), user, pk=contact_id
    )


def interactions_visible_to(user: Any) -> QuerySet[Interaction]:
    return scoping.restrict(Interaction.objects.select_related("customer", "user"), user)

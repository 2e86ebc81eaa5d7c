"""Reads of customers for a user; every one goes through the scoping door."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from kehu.core import scoping
from kehu.customers.models import Contact, Customer, Interaction, Order, OrderLine, Product, Return


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


@dataclass(frozen=True)
class TimelineEntry:
    """One thing that happened to a customer, as the customer page lists it."""

    kind: str  # interaction | order | return | change | merge
    at: dt.datetime
    title: str
    body: str = ""
    detail: str = ""
    by: str = ""
    url: str = ""


def _as_datetime(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(12, 0)))


def customer_timeline(user: Any, customer: Customer, *, limit: int = 60) -> list[TimelineEntry]:
    """Interactions, orders, returns, merges and changes of the profile, newest first; each
    kind only as far as the user may see it (money only with view_financials)."""
    from django.utils.translation import gettext as _

    from kehu.core.fieldrules import hidden_fields

    entries: list[TimelineEntry] = []
    interactions = scoping.restrict(
        customer.interactions.select_related("user").prefetch_related("contacts"), user
    )[:limit]
    for i in interactions:
        with_whom = "、".join(c.name for c in i.contacts.all())
        detail = " · ".join(
            x
            for x in (
                f"{_('Outcome')}: {i.outcome}" if i.outcome else "",
                f"{_('Next step')}: {i.next_step}" if i.next_step else "",
            )
            if x
        )
        entries.append(
            TimelineEntry(
                "interaction",
                i.occurred_at,
                i.get_kind_display() + (f" · {with_whom}" if with_whom else ""),
                i.summary,
                detail,
                str(i.user or ""),
            )
        )
    show_money = not hidden_fields(user, Order)
    orders = scoping.restrict(
        Order.objects.filter(customer=customer)
        .select_related("sales_rep")
        .prefetch_related("lines__product"),
        user,
    )[:limit]
    for o in orders:
        lines = "、".join(
            f"{line.product.name} × {line.quantity.normalize():f}" for line in o.lines.all()
        )
        money = f" · ¥{o.total_amount:,.2f}" if show_money else ""
        entries.append(
            TimelineEntry(
                "order",
                _as_datetime(o.ordered_on),
                f"{_('Order')} {o.number}{money}",
                lines,
                o.get_status_display(),
                str(o.sales_rep or ""),
                o.get_absolute_url(),
            )
        )
    returns = scoping.restrict(
        Return.objects.filter(customer=customer).select_related("line__product", "line__order"),
        user,
    )[:limit]
    for r in returns:
        money = f" · ¥{r.amount:,.2f}" if show_money else ""
        entries.append(
            TimelineEntry(
                "return",
                _as_datetime(r.returned_on),
                f"{_('Return')} · {r.line.product.name} × {r.quantity.normalize():f}{money}",
                r.reason,
                r.line.order.number,
                "",
                r.line.order.get_absolute_url(),
            )
        )
    for m in customer.merges.select_related("merged_by")[:limit]:
        entries.append(
            TimelineEntry(
                "merge",
                m.merged_at,
                _("Merged with %(name)s") % {"name": m.merged_name},
                "",
                "",
                str(m.merged_by or ""),
            )
        )
    entries.extend(_profile_changes(user, customer, limit=limit))
    entries.sort(key=lambda e: e.at, reverse=True)
    return entries[:limit]


def _profile_changes(user: Any, customer: Customer, *, limit: int) -> list[TimelineEntry]:
    """The customer's own history as readable changes ("Level: C → A"), money hidden."""
    from django.utils.translation import gettext as _

    from kehu.core.fieldrules import field_label, hidden_fields

    skip = {
        "version",
        "updated_at",
        "updated_by",
        "name_key",
        "last_contact_at",
        "orders_count",
        "purchase_total",
        "returns_total",
        "last_order_on",
    } | hidden_fields(user, Customer)
    records = list(
        customer.history.select_related("history_user").order_by("-history_id")[: limit + 1]
    )
    entries = []
    for newer, older in zip(records, [*records[1:], None], strict=False):
        if older is None:
            if newer.history_type == "+":
                entries.append(
                    TimelineEntry(
                        "change",
                        newer.history_date,
                        _("Customer created"),
                        "",
                        "",
                        str(newer.history_user or ""),
                    )
                )
            continue
        delta = newer.diff_against(older)
        parts = []
        for change in delta.changes:
            if change.field in skip:
                continue
            field = Customer._meta.get_field(change.field)
            old, new = change.old, change.new
            choices = dict(getattr(field, "choices", None) or [])
            if choices:
                old, new = choices.get(old, old), choices.get(new, new)
            if change.field == "owner":
                from kehu.accounts.models import User

                names = dict(
                    User.objects.filter(pk__in=[x for x in (old, new) if x]).values_list(
                        "pk", "username"
                    )
                )
                old, new = names.get(old, old), names.get(new, new)
            if hasattr(old, "astimezone"):
                old = timezone.localtime(old).strftime("%Y-%m-%d %H:%M")
            if hasattr(new, "astimezone"):
                new = timezone.localtime(new).strftime("%Y-%m-%d %H:%M")
            parts.append(f"{field_label(Customer, change.field)}: {old or '—'} → {new or '—'}")
        if parts:
            entries.append(
                TimelineEntry(
                    "change",
                    newer.history_date,
                    _("Profile changed"),
                    "；".join(parts),
                    "",
                    str(newer.history_user or ""),
                )
            )
    return entries


def purchase_lines(user: Any, customer: Customer) -> list[dict[str, Any]]:
    """What the customer bought, per product: quantity, amount and returns (money as allowed)."""
    from django.db.models import Sum

    lines = (
        OrderLine.objects.filter(order__customer=customer)
        .exclude(order__status=Order.Status.CANCELLED)
        .values("product__code", "product__name")
        .annotate(quantity=Sum("quantity"), amount=Sum("amount"))
        .order_by("-amount")[:20]
    )
    return [dict(row) for row in lines]


def orders_visible_to(user: Any) -> QuerySet[Order]:
    return scoping.restrict(Order.objects.select_related("customer", "sales_rep"), user)


def get_order_for(user: Any, order_id: int, action: str = "view") -> Order:
    return scoping.get_visible_or_404(
        Order.objects.select_related("customer", "sales_rep"), user, action, pk=order_id
    )


def products_visible_to(user: Any) -> QuerySet[Product]:
    return scoping.restrict(Product.objects.all(), user)


def get_product_for(user: Any, product_id: int, action: str = "view") -> Product:
    return scoping.get_visible_or_404(Product.objects.all(), user, action, pk=product_id)


def returns_visible_to(user: Any) -> QuerySet[Return]:
    return scoping.restrict(
        Return.objects.select_related("customer", "line__product", "line__order"), user
    )

"""Reads of customers for a user; every one goes through the scoping door."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import models
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


def get_contact_for(user: Any, contact_id: int, action: str = "view") -> Contact:
    """The contact if ``user`` may ``action`` it (404 otherwise)."""
    return scoping.get_visible_or_404(
        Contact.objects.select_related("customer"), user, action, pk=contact_id
    )


def interactions_visible_to(user: Any) -> QuerySet[Interaction]:
    return scoping.restrict(Interaction.objects.select_related("customer", "user"), user)


def get_interaction_for(user: Any, interaction_id: int, action: str = "view") -> Interaction:
    """The interaction if ``user`` may ``action`` it (404 otherwise)."""
    return scoping.get_visible_or_404(
        Interaction.objects.select_related("customer", "user"), user, action, pk=interaction_id
    )


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
    anchor: str = ""  # the element id, so a link can point at this entry
    edit_url: str = ""  # shown when the user may correct the entry
    delete_url: str = ""  # shown when the user may delete it


# Other apps (deals, tickets, tasks, group messages) add their entries to the customer page's
# timeline by registering a provider: ``provider(user, customer, limit) -> list[TimelineEntry]``,
# scoped to what ``user`` may see. Registered in the app's ``AppConfig.ready``.
TimelineProvider = Callable[[Any, Customer, int], list[TimelineEntry]]
_timeline_providers: list[TimelineProvider] = []


def register_timeline_provider(provider: TimelineProvider) -> TimelineProvider:
    if provider not in _timeline_providers:
        _timeline_providers.append(provider)
    return provider


def _as_datetime(day: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(day, dt.time(12, 0)))


def customer_timeline(user: Any, customer: Customer, *, limit: int = 60) -> list[TimelineEntry]:
    """Interactions, orders, returns, merges and changes of the profile, newest first; each
    kind only as far as the user may see it (money only with view_financials). ``customer``
    is one the user sees."""
    from django.db.models import Prefetch
    from django.utils.translation import gettext as _

    from kehu.accounts.models import name_fields
    from kehu.core.fieldrules import hidden_fields

    # Each kind's query selects what its entries show: every column of every joined table
    # cost more to ask for than the rows themselves.
    entries: list[TimelineEntry] = []
    interactions = list(
        scoping.restrict_under(
            customer.interactions.select_related("user")
            .only(
                "customer",
                "kind",
                "occurred_at",
                "summary",
                "outcome",
                "next_step",
                *name_fields("user"),
            )
            .prefetch_related(Prefetch("contacts", queryset=Contact.objects.only("name"))),
            user,
            Customer,
        )[:limit]
    )
    ids = [i.pk for i in interactions]
    may = {
        action: scoping.permitted_among(Interaction, user, ids, action)
        for action in ("change", "delete")
    }
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
                anchor=f"interaction-{i.pk}",
                edit_url=f"/customers/interactions/{i.pk}/edit/" if i.pk in may["change"] else "",
                delete_url=(
                    f"/customers/interactions/{i.pk}/delete/" if i.pk in may["delete"] else ""
                ),
            )
        )
    show_money = not hidden_fields(user, Order)
    orders = scoping.restrict_under(
        Order.objects.filter(customer=customer)
        .select_related("sales_rep")
        .only(
            "customer", "number", "ordered_on", "status", "total_amount", *name_fields("sales_rep")
        )
        .prefetch_related(
            Prefetch(
                "lines",
                queryset=OrderLine.objects.select_related("product").only(
                    "order", "quantity", "product__name"
                ),
            )
        ),
        user,
        Customer,
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
    returns = scoping.restrict_under(
        Return.objects.filter(customer=customer)
        .select_related("line__product", "line__order")
        .only(
            "customer",
            "returned_on",
            "quantity",
            "amount",
            "reason",
            "line__product__name",
            "line__order__number",
        ),
        user,
        Customer,
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
    merges = customer.merges.select_related("merged_by").only(
        "survivor", "merged_name", "merged_at", *name_fields("merged_by")
    )
    for m in merges[:limit]:
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
    for provider in _timeline_providers:
        entries.extend(provider(user, customer, limit))
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
        "possible_duplicate",
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


@dataclass
class DuplicateGroup:
    """Customers that are probably one and the same, and why."""

    reason: str
    key: str
    customers: list[Customer]


# What makes customers probable duplicates: a shared value of the customer's own column, or a
# contact detail shared by contacts of different customers.
DUPLICATE_CUSTOMER_FIELDS = ("uscc", "name_key", "core_key")
DUPLICATE_CONTACT_FIELDS = ("mobile", "email")


def _repeated_keys(visible: QuerySet[Customer], field: str) -> QuerySet[Any]:
    """Values of ``field`` that more than one customer of ``visible`` has (one GROUP BY over
    an indexed column), most repeated first."""
    from django.db.models import Count

    return (
        visible.exclude(**{field: ""})
        .order_by()
        .values(field)
        .annotate(n=Count("id"))
        .filter(n__gt=1)
        .order_by("-n", field)
    )


def _shared_contact_keys(
    visible: QuerySet[Customer], field: str
) -> tuple[QuerySet[Any], QuerySet[Any]]:
    """Contacts of ``visible`` with their key ``k`` for ``field`` (e-mails compared in lower
    case), and the keys that contacts of more than one customer share."""
    from django.db.models import Count
    from django.db.models.functions import Lower

    expr = models.F(field) if field == "mobile" else Lower(field)
    rows = (
        Contact.objects.filter(customer__in=visible.values("pk"))
        .exclude(**{field: ""})
        .annotate(k=expr)
    )
    keys = (
        rows.order_by()
        .values("k")
        .annotate(n=Count("customer", distinct=True))
        .filter(n__gt=1)
        .order_by("-n", "k")
    )
    return rows, keys


def duplicate_conditions(visible: QuerySet[Customer]) -> list[models.Q]:
    """One condition per duplicate rule: the customers of ``visible`` that
    :func:`duplicate_groups` would put in a group for that rule (all of them, not only the first
    groups). Kept apart so each can be its own statement: PostgreSQL turns one ``IN (…)`` into a
    hashed semi-join, but an OR of several large ones into a subquery scanned for every row."""
    conditions = []
    for field in DUPLICATE_CUSTOMER_FIELDS:
        keys = _repeated_keys(visible, field).values(field)
        conditions.append(models.Q(**{f"{field}__in": keys}))
    for field in DUPLICATE_CONTACT_FIELDS:
        rows, shared = _shared_contact_keys(visible, field)
        conditions.append(
            models.Q(pk__in=rows.filter(k__in=shared.values("k")).values("customer_id"))
        )
    return conditions


def duplicate_condition(visible: QuerySet[Customer]) -> models.Q:
    """Any of :func:`duplicate_conditions` (for small sets; a million rows want one statement
    per rule, as :func:`kehu.customers.duplicates.refresh_all` does)."""
    condition = models.Q(pk__in=[])
    for part in duplicate_conditions(visible):
        condition |= part
    return condition


def duplicate_groups(user: Any, *, limit: int = 50, per_group: int = 8) -> list[DuplicateGroup]:
    """Groups of probable duplicates among the customers ``user`` may see: the same Unified
    Social Credit Code, name, distinctive name, contact mobile or e-mail. Each check is one
    GROUP BY over an indexed column, so the report stays usable on large tables."""
    from django.utils.translation import gettext as _

    visible = customers_visible_to(user)
    found: list[tuple[str, str, list[int]]] = []
    seen: set[frozenset[int]] = set()

    def add(reason: str, key: str, ids: list[int]) -> None:
        group = frozenset(ids)
        if len(group) > 1 and group not in seen:
            seen.add(group)
            found.append((reason, key, sorted(group)))

    reasons = {
        "uscc": _("Same Unified Social Credit Code"),
        "name_key": _("Same name"),
        "core_key": _("Similar name"),
        "mobile": _("Same contact mobile"),
        "email": _("Same contact e-mail"),
    }
    for field in DUPLICATE_CUSTOMER_FIELDS:
        for key in _repeated_keys(visible, field).values_list(field, flat=True)[:limit]:
            ids = list(visible.filter(**{field: key}).values_list("pk", flat=True)[:per_group])
            add(reasons[field], key, ids)
    for field in DUPLICATE_CONTACT_FIELDS:
        rows, shared = _shared_contact_keys(visible, field)
        for key in shared.values_list("k", flat=True)[:limit]:
            ids = list(
                rows.filter(k=key).values_list("customer_id", flat=True).distinct()[:per_group]
            )
            add(reasons[field], key, ids)
    customers = visible.in_bulk([pk for _r, _k, ids in found for pk in ids])
    return [
        DuplicateGroup(reason, key, [customers[pk] for pk in ids if pk in customers])
        for reason, key, ids in found[:limit]
    ]


def possible_duplicates(
    user: Any, customer: Customer, *, limit: int = 5, contacts: list[Contact] | None = None
) -> list[Customer]:
    """Customers the user may see that look like this one (name, or a shared mobile/e-mail);
    ``contacts``: the customer's contacts when the caller has them already."""
    from kehu.accounts.models import name_fields
    from kehu.customers.services import similar_customer_ids

    # Looked up live, not taken from the stored possible_duplicate flag: the page must warn
    # even where the flag lags (an edit in the admin site, two people creating the same
    # company at the same moment).
    ids = similar_customer_ids(customer.name, exclude=customer.pk, limit=limit)
    if contacts is None:
        contacts = list(customer.contacts.only("mobile", "email"))
    phones = [c.mobile for c in contacts if c.mobile]
    emails = [c.email.lower() for c in contacts if c.email]
    if phones or emails:
        # read apart, as a list: as a sub-select beside the names' ids, PostgreSQL walks
        # every customer to test it (seconds at a million)
        shared = Contact.objects.exclude(customer=customer).filter(
            models.Q(mobile__in=phones) | models.Q(email__in=emails)
        )
        ids += list(shared.values_list("customer_id", flat=True)[:limit])
    # what the warning shows: the name, linked, and who manages it
    shown = customers_visible_to(user).only("name", *name_fields("owner"))
    return list(shown.filter(pk__in=ids)[:limit])

from __future__ import annotations

import datetime as dt
from typing import Any

import django_filters
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from kehu.core.filters import FormOnceMixin
from kehu.customers import quality
from kehu.customers.models import Contact, Customer, Interaction, Order, Tag


def _active_users(request: Any) -> QuerySet[Any]:
    from kehu.accounts.models import User

    return User.objects.filter(is_active=True).order_by("username")


def _teams(request: Any) -> QuerySet[Any]:
    from kehu.accounts.models import Team

    return Team.objects.order_by("name")


def _tags(request: Any) -> QuerySet[Tag]:
    return Tag.objects.order_by("name")


def customers_matching(text: str) -> Q | None:
    """Customers whose own entry (name, short name, city, USCC) or one of whose contacts' entry
    (name, mobiles, landline, e-mail, WeChat) matches ``text``; None for an empty query.

    Both come from the search index: a rare query (a phone suffix, an e-mail) is a short list
    of customer ids, fetched by key; a common one stays two sub-selects on ids, so the
    database never reads the customer or contact tables whole."""
    from kehu.core import search

    query = search.parse_query(text)
    if query.empty:
        return None
    conditions = search.conditions([Customer, Contact], query)
    own, through = conditions[Customer], conditions[Contact]
    own_ids, contact_ids = own.children[0][1], through.children[0][1]  # type: ignore[index]
    if isinstance(contact_ids, list):
        holders = set(
            Contact.objects.filter(pk__in=contact_ids)
            .order_by()
            .values_list("customer_id", flat=True)
        )
        if isinstance(own_ids, list):
            return search.compact(Q(pk__in=sorted(set(own_ids) | holders)))
        return own | search.compact(Q(pk__in=sorted(holders)))
    return own | Q(pk__in=Contact.objects.filter(through).order_by().values("customer_id"))


class CustomerFilter(FormOnceMixin, django_filters.FilterSet):
    scan_note = ""  # set when the "invalid" list does not show every invalid record
    q = django_filters.CharFilter(method="search", label=_("Search"))
    # distinct=False: none of these can repeat a row, and DISTINCT would stop the database from
    # walking the sort index on a million customers.
    level = django_filters.MultipleChoiceFilter(
        choices=Customer.Level.choices, label=_("Level"), distinct=False
    )
    status = django_filters.MultipleChoiceFilter(
        choices=Customer.Status.choices, label=_("Status"), distinct=False
    )
    kind = django_filters.ChoiceFilter(choices=Customer.Kind.choices, label=_("Kind"))
    owner = django_filters.ModelMultipleChoiceFilter(
        queryset=_active_users,
        label=_("Customer manager"),
        method="owned",
        distinct=False,
        null_value="none",
        null_label=_("No customer manager"),
    )
    team = django_filters.ModelChoiceFilter(queryset=_teams, method="in_team", label=_("Team"))
    tag = django_filters.ModelMultipleChoiceFilter(
        queryset=_tags, label=_("Tag"), method="tagged", distinct=False
    )
    city = django_filters.CharFilter(method="in_city", label=_("City"))
    source = django_filters.CharFilter(lookup_expr="iexact", label=_("Source"))
    intent = django_filters.MultipleChoiceFilter(
        field_name="purchase_intent",
        choices=Customer.Intent.choices,
        label=_("Purchase intent"),
        distinct=False,
    )
    stale = django_filters.NumberFilter(
        method="not_contacted_for", label=_("No contact for more than (days)"), min_value=1
    )
    follow_up = django_filters.ChoiceFilter(
        method="follow_up_state",
        label=_("Follow-up"),
        choices=[
            ("overdue", _("Overdue")),
            ("today", _("Due today")),
            ("week", _("Due within 7 days")),
            ("none", _("No follow-up planned")),
        ],
    )
    has_orders = django_filters.BooleanFilter(method="with_orders", label=_("Has bought"))
    open_deal = django_filters.BooleanFilter(method="with_open_deal", label=_("Has an open deal"))
    missing = django_filters.ChoiceFilter(
        method="missing_value", label=_("Missing"), choices=quality.CUSTOMER_MISSING
    )
    duplicate = django_filters.BooleanFilter(
        method="possible_duplicate", label=_("Possible duplicate")
    )
    # Last: it reads the rows the other filters left, in Python (see kehu.customers.quality).
    invalid = django_filters.ChoiceFilter(
        method="invalid_value", label=_("Not valid"), choices=quality.CUSTOMER_INVALID
    )

    class Meta:
        model = Customer
        fields = [
            "q",
            "level",
            "status",
            "kind",
            "owner",
            "team",
            "tag",
            "city",
            "source",
            "intent",
            "stale",
            "follow_up",
            "has_orders",
            "open_deal",
            "missing",
            "duplicate",
            "invalid",
        ]

    def missing_value(self, queryset: QuerySet[Customer], name: str, value: str) -> Any:
        return queryset.filter(quality.customer_missing(value)) if value else queryset

    def possible_duplicate(self, queryset: QuerySet[Customer], name: str, value: Any) -> Any:
        """Customers sharing a credit code, name, distinctive name, contact mobile or e-mail
        with another customer (what the duplicates report groups; 撞单 across owners counts,
        though the report shows only the customers the user may see). Read from the flag
        :mod:`kehu.customers.duplicates` keeps current."""
        if value is None:
            return queryset
        return queryset.filter(possible_duplicate=bool(value))

    def invalid_value(self, queryset: QuerySet[Customer], name: str, value: str) -> Any:
        """The invalid ones, a list to work through (bounded, see ``quality.Scan``)."""
        if not value:
            return queryset
        return queryset.filter(quality.customer_invalid(value))

    def in_city(self, queryset: QuerySet[Customer], name: str, value: str) -> Any:
        """The city as written in the profile; ``杭州`` finds ``杭州市``. An exact match walks the
        (city, name) index in table order, where a substring match would read every row."""
        city = value.strip()
        if city and city[-1] not in "市区县盟旗":
            city += "市"
        return queryset.filter(city=city) if city else queryset

    def tagged(self, queryset: QuerySet[Customer], name: str, value: Any) -> Any:
        """Customers with any of the tags: a correlated EXISTS, so no duplicate rows and no
        DISTINCT, and the database walks the table's sort index probing the (customer, tag)
        index per row instead of first collecting every tagged customer (a hundred thousand
        for a common tag) to show fifty."""
        if not value:
            return queryset
        from django.db.models import Exists, OuterRef

        links = Customer.tags.through.objects.filter(customer_id=OuterRef("pk"), tag__in=value)
        return queryset.filter(Exists(links))

    def owned(self, queryset: QuerySet[Customer], name: str, value: Any) -> Any:
        """Customers of the chosen managers, and/or with none ("none")."""
        from kehu.core.scoping import owned_by

        if not value:
            return queryset
        ids = {u.pk for u in value if hasattr(u, "pk")}
        condition = owned_by("owner", ids) if ids else Q(pk__in=[])
        if any(not hasattr(u, "pk") for u in value):
            condition |= Q(owner__isnull=True)
        return queryset.filter(condition)

    def in_team(self, queryset: QuerySet[Customer], name: str, value: Any) -> Any:
        """Customers owned by a member of the team or of any team below it."""
        if not value:
            return queryset
        from kehu.accounts.models import User
        from kehu.accounts.selectors import team_subtree_ids

        members = set(
            User.objects.filter(teams__in=team_subtree_ids({value.pk})).values_list("pk", flat=True)
        )
        user = getattr(self.request, "user", None)
        if user is not None:
            from kehu.core.permissions import Scope, rights_for
            from kehu.core.scoping import team_member_ids

            scope = rights_for(user).scope("customer")
            if scope == Scope.TEAM:
                members &= team_member_ids(user)
            elif scope == Scope.OWN:
                members &= {user.pk}
        # (records shared with the user stay visible only when their owner is in the team too)
        from kehu.core.scoping import owned_by

        return queryset.filter(owned_by("owner", members)) if members else queryset.none()

    def not_contacted_for(self, queryset: QuerySet[Customer], name: str, value: Any) -> Any:
        """Last contact longer ago than ``value`` days, or never contacted."""
        if value in (None, ""):
            return queryset
        cutoff = timezone.now() - dt.timedelta(days=int(value))
        return queryset.filter(quality.not_contacted_since(cutoff))

    def with_orders(self, queryset: QuerySet[Customer], name: str, value: Any) -> Any:
        if value is None:
            return queryset
        return queryset.filter(orders_count__gt=0) if value else queryset.filter(orders_count=0)

    def with_open_deal(self, queryset: QuerySet[Customer], name: str, value: Any) -> Any:
        """Customers with (or without) a deal still open in the pipeline. "With" starts from
        the open deals (an IN over the deals' status index: few rows, however large the table);
        "without" is a correlated NOT EXISTS on the deals' customer index, which most customers
        pass, so the table keeps walking its sort order."""
        if value is None:
            return queryset
        from django.apps import apps
        from django.db.models import Exists, OuterRef

        if not apps.is_installed("kehu.sales"):
            return queryset.none() if value else queryset
        from kehu.sales.models import Deal

        if value:
            open_ids = Deal.objects.filter(status=Deal.Status.OPEN).values("customer_id")
            return queryset.filter(pk__in=open_ids)
        open_deals = Deal.objects.filter(customer_id=OuterRef("pk"), status=Deal.Status.OPEN)
        return queryset.filter(~Exists(open_deals))

    def search(self, queryset: QuerySet[Customer], name: str, value: str) -> QuerySet[Customer]:
        """Chinese substrings, pinyin and initials, USCC, and the customer's contacts by name,
        phone (any four or more last digits) and e-mail (see kehu.core.search)."""
        condition = customers_matching(value)
        return queryset if condition is None else queryset.filter(condition)

    def follow_up_state(self, queryset: QuerySet[Customer], name: str, value: Any) -> Any:
        now = timezone.now()
        if value == "overdue":
            return queryset.filter(quality.follow_up_overdue(now))
        if value == "today":
            end = timezone.localtime(now).replace(hour=23, minute=59, second=59)
            return queryset.filter(next_follow_up_at__gte=now, next_follow_up_at__lte=end)
        if value == "none":
            return queryset.filter(next_follow_up_at__isnull=True)
        if value == "week":
            return queryset.filter(
                next_follow_up_at__gte=now, next_follow_up_at__lte=now + dt.timedelta(days=7)
            )
        return queryset


class ContactFilter(FormOnceMixin, django_filters.FilterSet):
    scan_note = ""  # set when the "invalid" list does not show every invalid record
    q = django_filters.CharFilter(method="search", label=_("Search"))
    is_primary = django_filters.BooleanFilter(label=_("Primary contact"))
    owner = django_filters.ModelMultipleChoiceFilter(
        field_name="customer__owner",
        queryset=_active_users,
        label=_("Customer manager"),
        distinct=False,
    )
    birthday = django_filters.ChoiceFilter(
        method="birthday_in",
        label=_("Birthday"),
        choices=[("month", _("This month")), ("next_month", _("Next month"))],
    )
    reachable = django_filters.ChoiceFilter(
        method="reachable_by",
        label=_("Reachable by"),
        choices=[("mobile", _("Mobile")), ("email", _("E-mail")), ("none", _("Nothing on file"))],
    )
    missing = django_filters.ChoiceFilter(
        method="missing_value", label=_("Missing"), choices=quality.CONTACT_MISSING
    )
    # Last: it reads the rows the other filters left, in Python (see kehu.customers.quality).
    invalid = django_filters.ChoiceFilter(
        method="invalid_value", label=_("Not valid"), choices=quality.CONTACT_INVALID
    )

    class Meta:
        model = Contact
        fields = ["q", "is_primary", "owner", "birthday", "reachable", "missing", "invalid"]

    def missing_value(self, queryset: QuerySet[Contact], name: str, value: str) -> Any:
        return queryset.filter(quality.contact_missing(value)) if value else queryset

    def invalid_value(self, queryset: QuerySet[Contact], name: str, value: str) -> Any:
        """The invalid ones, a list to work through (bounded, see ``quality.Scan``)."""
        if not value:
            return queryset
        scan = quality.invalid_contacts(queryset, value)
        self.scan_note = scan.note(str(_("contacts")))
        return queryset.filter(pk__in=scan.ids)

    def birthday_in(self, queryset: QuerySet[Contact], name: str, value: str) -> Any:
        today = timezone.localdate()
        month = today.month if value == "month" else today.month % 12 + 1
        return queryset.filter(birthday__month=month)

    def reachable_by(self, queryset: QuerySet[Contact], name: str, value: str) -> Any:
        if value == "mobile":
            return queryset.exclude(mobile="")
        if value == "email":
            return queryset.exclude(email="")
        if value == "none":
            return queryset.filter(mobile="", mobile2="", phone="", email="")
        return queryset

    def search(self, queryset: QuerySet[Contact], name: str, value: str) -> QuerySet[Contact]:
        from kehu.core import search

        return search.filter_queryset(queryset, value)


class InteractionFilter(FormOnceMixin, django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    kind = django_filters.MultipleChoiceFilter(
        choices=Interaction.Kind.choices, label=_("Kind"), distinct=False
    )
    date_from = django_filters.DateFilter(
        field_name="occurred_at", lookup_expr="date__gte", label=_("From")
    )
    date_to = django_filters.DateFilter(
        field_name="occurred_at", lookup_expr="date__lte", label=_("To")
    )
    mine = django_filters.BooleanFilter(method="by_me", label=_("Logged by me"))
    user = django_filters.ModelMultipleChoiceFilter(
        queryset=_active_users, label=_("By"), distinct=False
    )
    customer = django_filters.CharFilter(method="of_customer", label=_("Customer"))

    class Meta:
        model = Interaction
        fields = ["q", "kind", "date_from", "date_to", "mine", "user", "customer"]

    def search(self, queryset: QuerySet[Interaction], name: str, value: str) -> Any:
        """Interactions with customers found as the customer table's search finds them: by
        their name, or by a contact's name, phone or e-mail."""
        condition = customers_matching(value)
        if condition is None:
            return queryset
        return queryset.filter(
            customer__in=Customer.objects.filter(condition).order_by().values("pk")
        )

    def of_customer(self, queryset: QuerySet[Interaction], name: str, value: str) -> Any:
        """Interactions with customers matching ``value`` as the customer search reads it."""
        from kehu.core import search

        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            customer__in=search.filter_queryset(Customer.objects.all(), value).values("pk")
        )

    def by_me(self, queryset: QuerySet[Interaction], name: str, value: bool) -> Any:
        return queryset.filter(user=self.request.user) if value else queryset


class OrderFilter(FormOnceMixin, django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label=_("Search"))
    status = django_filters.MultipleChoiceFilter(
        choices=Order.Status.choices, label=_("Status"), distinct=False
    )
    date_from = django_filters.DateFilter(
        field_name="ordered_on", lookup_expr="gte", label=_("From")
    )
    date_to = django_filters.DateFilter(field_name="ordered_on", lookup_expr="lte", label=_("To"))
    sales_rep = django_filters.ModelMultipleChoiceFilter(
        queryset=_active_users, label=_("Sales rep"), distinct=False
    )
    has_returns = django_filters.BooleanFilter(method="with_returns", label=_("Has returns"))

    class Meta:
        model = Order
        fields = ["q", "status", "date_from", "date_to", "sales_rep", "has_returns"]

    def search(self, queryset: QuerySet[Order], name: str, value: str) -> QuerySet[Order]:
        """An order number, or the customer's name as the customer search understands it."""
        from kehu.core import search

        value = value.strip()
        customers = search.filter_queryset(Customer.objects.all(), value).values("pk")
        return queryset.filter(Q(number__icontains=value) | Q(customer__in=customers))

    def with_returns(self, queryset: QuerySet[Order], name: str, value: Any) -> Any:
        if value is None:
            return queryset
        return (
            queryset.filter(returned_amount__gt=0) if value else queryset.filter(returned_amount=0)
        )

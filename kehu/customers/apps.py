from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    name = "kehu.customers"
    label = "customers"
    verbose_name = _("Customers")

    def ready(self) -> None:
        from kehu.core import permissions, scoping
        from kehu.core.permissions import RecordType
        from kehu.customers.models import (
            Contact,
            Customer,
            CustomerMerge,
            Interaction,
            Order,
            OrderLine,
            Product,
            Return,
            Tag,
        )

        permissions.register(
            RecordType(
                "customer",
                _("Customers"),
                Customer,
                owner_field="owner",
                collaborators_field="collaborators",
                financial_fields=("credit_limit", "purchase_total", "returns_total"),
                # Who looks after a customer is chosen with the right to assign customers.
                restricted_fields=("owner", "collaborators"),
            )
        )
        for key, label, model, money in (
            ("order", _("Orders"), Order, ("total_amount", "returned_amount")),
            ("return", _("Returns"), Return, ("amount",)),
        ):
            permissions.register(
                RecordType(
                    key,
                    label,
                    model,
                    owner_field="customer__owner",
                    collaborators_field="customer__collaborators",
                    share_target="customer",
                    actions=("view", "create", "change", "delete", "export"),
                    financial_fields=money,
                    restricted_fields=(),
                )
            )
        permissions.register(
            RecordType(
                "product",
                _("Products"),
                Product,
                owner_field="created_by",
                actions=("view", "create", "change", "delete", "export"),
                financial_fields=("price",),
                restricted_fields=(),
            )
        )
        # Order lines are seen with their order; tags by everyone signed in; a merge record
        # with the customer it was merged into.
        scoping.register(
            OrderLine,
            lambda qs, user, action: qs.filter(
                order__in=scoping.restrict(Order.objects.all(), user, action)
            ),
        )
        scoping.register(Tag, lambda qs, user, action: qs)
        scoping.register(
            CustomerMerge,
            lambda qs, user, action: qs.filter(
                survivor__in=scoping.restrict(Customer.objects.all(), user, action)
            ),
        )
        permissions.register(
            RecordType(
                "contact",
                _("Contacts"),
                Contact,
                owner_field="customer__owner",
                collaborators_field="customer__collaborators",
                share_target="customer",
                actions=("view", "create", "change", "delete", "export"),
                restricted_fields=(),
            )
        )
        permissions.register(
            RecordType(
                "interaction",
                _("Interactions"),
                Interaction,
                owner_field="customer__owner",
                collaborators_field="customer__collaborators",
                share_target="customer",
                actions=("view", "create", "change", "delete", "export"),
                restricted_fields=(),
            )
        )

        from kehu.core import search
        from kehu.customers import subscribers  # noqa: F401 - keeps the search index current

        search.register(
            search.Searchable(
                "customer",
                _("Customers"),
                Customer,
                tokens=lambda c: search.combine(
                    search.text_tokens(c.name),
                    search.text_tokens(c.short_name),
                    search.text_tokens(c.city),
                    {c.uscc.lower()} if c.uscc else set(),
                ),
                title=lambda c: c.name,
                url=lambda c: c.get_absolute_url(),
                subtitle=lambda c: " · ".join(x for x in (c.city, str(c.owner or "")) if x),
                select_related=("owner",),
            )
        )
        search.register(
            search.Searchable(
                "contact",
                _("Contacts"),
                Contact,
                tokens=lambda c: search.combine(
                    search.text_tokens(c.name),
                    search.phone_tokens(c.mobile),
                    search.phone_tokens(c.mobile2),
                    search.phone_tokens(c.phone),
                    search.email_tokens(c.email),
                    search.text_tokens(c.wechat),
                ),
                title=lambda c: c.name,
                url=lambda c: c.customer.get_absolute_url(),
                subtitle=lambda c: " · ".join(x for x in (str(c.customer), c.title, c.mobile) if x),
                select_related=("customer",),
            )
        )

        def code_tokens(text: str) -> set[str]:
            import re

            lowered = (text or "").lower()
            return set(re.findall(r"[a-z0-9]+", lowered)) | set(re.findall(r"\d+", lowered))

        search.register(
            search.Searchable(
                "order",
                _("Orders"),
                Order,
                tokens=lambda o: code_tokens(o.number),
                title=lambda o: o.number,
                url=lambda o: o.get_absolute_url(),
                subtitle=lambda o: f"{o.customer} · {o.ordered_on:%Y-%m-%d}",
                select_related=("customer",),
            )
        )
        search.register(
            search.Searchable(
                "product",
                _("Products"),
                Product,
                tokens=lambda p: search.combine(code_tokens(p.code), search.text_tokens(p.name)),
                title=lambda p: p.name,
                url=lambda p: p.get_absolute_url(),
                subtitle=lambda p: " · ".join(x for x in (p.code, p.category) if x),
            )
        )

        from kehu.core.navigation import NavItem, register

        register(NavItem("customers", _("Customers"), "customers:list", "contact", order=20))
        register(NavItem("contacts", _("Contacts"), "customers:contacts", "book-user", order=21))
        register(
            NavItem(
                "interactions",
                _("Interactions"),
                "customers:interactions",
                "message-square",
                order=22,
            )
        )
        register(NavItem("orders", _("Orders"), "customers:orders", "receipt", order=23))
        register(NavItem("products", _("Products"), "customers:products", "package", order=24))

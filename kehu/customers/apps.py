from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    name = "kehu.customers"
    label = "customers"
    verbose_name = _("Customers")

    def ready(self) -> None:
        from kehu.core import permissions
        from kehu.core.permissions import RecordType
        from kehu.customers.models import Contact, Customer, Interaction

        permissions.register(
            RecordType(
                "customer",
                _("Customers"),
                Customer,
                owner_field="owner",
                collaborators_field="collaborators",
                financial_fields=("credit_limit",),
            )
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

        from kehu.core.navigation import NavItem, register

        register(NavItem("customers", _("Customers"), "customers:list", "contact", order=20))

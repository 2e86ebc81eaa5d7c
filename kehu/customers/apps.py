from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    name = "kehu.customers"
    label = "customers"
    verbose_name = _("Customers")

    def ready(self) -> None:
        from kehu.core import scoping
        from kehu.customers.models import Contact, Customer, Interaction

        scoping.register(Customer, scoping.owned_by("owner"))
        scoping.register(Contact, scoping.owned_by("customer__owner"))
        scoping.register(Interaction, scoping.owned_by("customer__owner"))

        from kehu.core.navigation import NavItem, register

        register(NavItem("customers", _("Customers"), "customers:list", "contact", order=20))

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DataopsConfig(AppConfig):
    name = "kehu.dataops"
    label = "dataops"
    verbose_name = _("Data in and out")

    def ready(self) -> None:
        from kehu.core import scoping
        from kehu.core.navigation import NavItem, register
        from kehu.dataops import selectors
        from kehu.dataops.models import DataAudit

        scoping.register(DataAudit, selectors.audit_policy)
        register(
            NavItem(
                "data_audit",
                _("Data audit"),
                "dataops:audit",
                "clipboard-check",
                order=60,
                visible=selectors.may_audit,
            )
        )

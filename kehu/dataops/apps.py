from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DataopsConfig(AppConfig):
    name = "kehu.dataops"
    label = "dataops"
    verbose_name = _("Data in and out")

    def ready(self) -> None:
        from kehu.core import scoping
        from kehu.core.navigation import NavItem, register
        from kehu.dataops import audit_selectors
        from kehu.dataops.models import DataAudit

        scoping.register(DataAudit, audit_selectors.audit_policy)
        register(
            NavItem(
                "data_audit",
                _("Data audit"),
                "dataops:audit",
                "clipboard-check",
                order=60,
                visible=audit_selectors.may_audit,
            )
        )

        register(
            NavItem(
                "imports",
                _("Import"),
                "dataops:imports",
                "upload",
                order=26,
                visible=_may_import,
            )
        )


def _may_import(user: object) -> bool:
    from kehu.core.permissions import has_perm

    return any(
        has_perm(user, code)
        for code in ("customer.create", "contact.create", "interaction.create", "product.create")
    )

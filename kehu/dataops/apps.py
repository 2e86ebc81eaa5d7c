from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DataopsConfig(AppConfig):
    name = "kehu.dataops"
    label = "dataops"
    verbose_name = _("Data in and out")

    def ready(self) -> None:
        from kehu.core.navigation import NavItem, register

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

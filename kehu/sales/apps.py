from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SalesConfig(AppConfig):
    name = "kehu.sales"
    label = "sales"
    verbose_name = _("Sales")

    def ready(self) -> None:
        from kehu.core import permissions, scoping
        from kehu.core.navigation import NavItem, register
        from kehu.core.permissions import RecordType, has_perm
        from kehu.sales.models import Deal, DealLine, Pipeline, Stage, StageChange

        permissions.register(
            RecordType(
                "deal",
                _("Deals"),
                Deal,
                owner_field="owner",
                financial_fields=("amount", "weighted_amount"),
            )
        )
        # Pipelines and stages are the company's configuration: every member reads them;
        # writing them needs manage_pipelines (checked by the services).
        scoping.register(Pipeline, lambda qs, user, action: qs)
        scoping.register(Stage, lambda qs, user, action: qs)
        for model in (DealLine, StageChange):
            scoping.register(
                model,
                lambda qs, user, action: qs.filter(
                    deal__in=scoping.restrict(Deal.objects.all(), user, action)
                ),
            )

        from kehu.customers.selectors import register_timeline_provider
        from kehu.sales import selectors

        register_timeline_provider(selectors.deal_timeline)

        def sees_deals(user):
            return has_perm(user, "deal.view")

        register(
            NavItem("sales", _("Pipeline"), "sales:board", "kanban", order=30, visible=sees_deals)
        )
        register(
            NavItem("deals", _("Deals"), "sales:deals", "handshake", order=31, visible=sees_deals)
        )
        register(
            NavItem(
                "forecast",
                _("Forecast"),
                "sales:forecast",
                "trending-up",
                order=32,
                visible=sees_deals,
            )
        )
        register(
            NavItem(
                "sales_map",
                _("Sales flow map"),
                "sales:map",
                "workflow",
                order=33,
                visible=sees_deals,
            )
        )
        register(
            NavItem(
                "pipeline_settings",
                _("Pipeline settings"),
                "sales:settings",
                "settings-2",
                order=93,
                section="admin",
                visible=lambda user: has_perm(user, "manage_pipelines"),
            )
        )

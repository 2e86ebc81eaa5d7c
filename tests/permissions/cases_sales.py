"""The permission matrix for deals; pipeline configuration routes need manage_pipelines."""

from __future__ import annotations

import itertools

from tests.permissions.harness import EXEMPT, ModelCase, register

_n = itertools.count(1)


def _deal(owner):
    from kehu.customers import services as customer_services
    from kehu.sales import services
    from kehu.sales.defaults import install_default_pipeline
    from kehu.sales.models import Deal, Pipeline, Stage

    install_default_pipeline(Pipeline, Stage)
    customer = customer_services.create_customer(
        actor=owner, owner=owner, name=f"商机所属客户{next(_n):04d}"
    )
    deal = services.create_deal(
        actor=owner, customer=customer, owner=owner, title=f"矩阵商机{next(_n):04d}"
    )
    Deal.objects.filter(pk=deal.pk).update(amount=66000)  # money the matrix must not leak
    return Deal.objects.get(pk=deal.pk)


register(
    ModelCase(
        record_type="deal",
        make=_deal,
        label=lambda d: d.title,
        list_url="/sales/deals/",
        create_url="/sales/deals/new/",
        detail_url=lambda d: f"/sales/deals/{d.pk}/",
        edit_url=lambda d: f"/sales/deals/{d.pk}/edit/",
        history_url=lambda d: f"/sales/deals/{d.pk}/history/",
        api_list="/api/v1/deals",
        api_item=lambda d: f"/api/v1/deals/{d.pk}",
        api_patch={"title": "矩阵改名"},
        routes={
            "sales:deals",
            "sales:deal_create",
            "sales:deal",
            "sales:deal_edit",
            "sales:deal_history",
            "GET /api/v1/deals",
            "GET /api/v1/deals/{deal_id}",
            "PATCH /api/v1/deals/{deal_id}",
            "DELETE /api/v1/deals/{deal_id}",
        },
    )
)

EXEMPT.update(
    {
        "sales:board": "deals through deals_visible_to; money hidden (tests/sales/test_pages.py)",
        "sales:deal_move": "needs the deal in the change scope, else 404 (test_pages.py)",
        "sales:deal_win": "needs the deal in the change scope, else 404 (get_deal_for)",
        "sales:deal_order": "change scope, else 404; needs order.create (test_won_orders.py)",
        "sales:deal_lines": "change scope, else 404; amounts need view_financials (test_pages)",
        "sales:forecast": "aggregates deals_visible_to only; money hidden (test_pages.py)",
        "sales:map": "counts deals_visible_to only (test_pages.py)",
        "sales:settings": "needs manage_pipelines (test_pages.py)",
        "POST /api/v1/deals": "needs deal.create and a visible customer (test_api.py)",
        "POST /api/v1/deals/{deal_id}/move": "change scope, else 404; 409 when stale",
        "POST /api/v1/deals/{deal_id}/win": "change scope, else 404; 409 when stale; the order "
        "only with order.create (test_won_orders.py)",
        "POST /api/v1/deals/{deal_id}/order": "change scope, else 404; needs order.create "
        "(test_won_orders.py)",
        "GET /api/v1/pipelines/{pipeline_id}/board": "counts deals_visible_to; money hidden",
        "GET /api/v1/pipelines": "configuration every deal viewer reads",
        "POST /api/v1/pipelines": "needs manage_pipelines (test_api.py)",
        "PATCH /api/v1/pipelines/{pipeline_id}": "needs manage_pipelines",
        "DELETE /api/v1/pipelines/{pipeline_id}": "needs manage_pipelines",
        "POST /api/v1/pipelines/{pipeline_id}/stages": "needs manage_pipelines (test_api.py)",
        "PUT /api/v1/pipelines/{pipeline_id}/stages/order": "needs manage_pipelines",
        "PATCH /api/v1/stages/{stage_id}": "needs manage_pipelines (test_api.py)",
        "DELETE /api/v1/stages/{stage_id}": "needs manage_pipelines",
    }
)

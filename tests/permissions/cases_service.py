"""The service desk's cases for the permission matrix."""

from __future__ import annotations

import itertools

from tests.permissions.harness import EXEMPT, ModelCase, register

_n = itertools.count(1)


def _ticket(owner):
    from kehu.service import services

    return services.open_ticket(
        actor=owner, assignee=owner, subject=f"矩阵工单{next(_n):04d}", priority="normal"
    )


register(
    ModelCase(
        record_type="ticket",
        make=_ticket,
        label=lambda t: t.number,
        list_url="/service/",
        create_url="/service/new/",
        detail_url=lambda t: f"/service/{t.pk}/",
        edit_url=lambda t: f"/service/{t.pk}/edit/",
        history_url=lambda t: f"/service/{t.pk}/history/",
        api_list="/api/v1/tickets",
        api_item=lambda t: f"/api/v1/tickets/{t.pk}",
        api_create={"subject": "矩阵新工单"},
        api_patch={"priority": "high"},
        routes={
            "service:list",
            "service:create",
            "service:detail",
            "service:edit",
            "service:history",
            "GET /api/v1/tickets",
            "POST /api/v1/tickets",
            "GET /api/v1/tickets/{ticket_id}",
            "PATCH /api/v1/tickets/{ticket_id}",
            "DELETE /api/v1/tickets/{ticket_id}",
        },
    )
)

EXEMPT.update(
    {
        "service:action": "change scope on the ticket, else 404 (tests/service/test_views.py)",
        "service:survey_link": "change scope on the ticket, else 404 (test_survey_link.py)",
        "service:map": "needs ticket.view; counts only visible tickets (test_views.py)",
        "service:map_svg": "needs ticket.view; counts only visible tickets (test_views.py)",
        "service:sla_list": "needs manage_service (tests/service/test_views.py)",
        "service:sla_create": "needs manage_service",
        "service:sla_edit": "needs manage_service",
        "service:routing": "needs manage_service",
        "survey": "public, guarded by the survey link's secret (tests/service/test_public.py)",
        "inquiry": "public web form: rate-limited, challenge (tests/service/test_public.py)",
        "POST /api/v1/tickets/{ticket_id}/status": "change scope, else 404 (test_api.py)",
        "POST /api/v1/tickets/{ticket_id}/messages": "change scope, else 404 (test_api.py)",
        "GET /api/v1/tickets/{ticket_id}/messages": "view scope, else 404 (test_api.py)",
        "POST /api/v1/tickets/{ticket_id}/assign": "ticket.assign and change scope (test_api.py)",
        "POST /api/v1/tickets/{ticket_id}/survey-link": "change scope on the ticket, else 404 "
        "(tests/service/test_survey_link.py)",
        "GET /api/v1/sla-policies": "every signed-in user reads them (test_api.py)",
        "POST /api/v1/sla-policies": "needs manage_service (test_api.py)",
        "GET /api/v1/sla-policies/{policy_id}": "every signed-in user reads them",
        "PATCH /api/v1/sla-policies/{policy_id}": "needs manage_service (test_api.py)",
        "DELETE /api/v1/sla-policies/{policy_id}": "needs manage_service (test_api.py)",
    }
)

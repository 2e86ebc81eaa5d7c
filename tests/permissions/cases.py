"""Each scoped model's case for the permission matrix (a few lines per model)."""

from __future__ import annotations

import itertools

from kehu.customers import services as customer_services
from tests.permissions.harness import EXEMPT, ModelCase, register

_n = itertools.count(1)

register(
    ModelCase(
        record_type="customer",
        make=lambda owner: customer_services.create_customer(
            actor=owner, owner=owner, name=f"矩阵客户{next(_n):04d}有限公司", credit_limit=88000
        ),
        label=lambda c: c.name,
        list_url="/customers/",
        create_url="/customers/new/",
        detail_url=lambda c: f"/customers/{c.pk}/",
        edit_url=lambda c: f"/customers/{c.pk}/edit/",
        history_url=lambda c: f"/customers/{c.pk}/history/",
        cell_url=lambda c: f"/customers/{c.pk}/cell/city/",
        api_list="/api/v1/customers",
        api_item=lambda c: f"/api/v1/customers/{c.pk}",
        api_create={"name": "矩阵新客户"},
        api_patch={"city": "杭州市"},
        routes={
            "customers:list",
            "customers:create",
            "customers:detail",
            "customers:edit",
            "customers:history",
            "customers:cell",
            "customers:log",
            "customers:add_contact",
            "customers:follow_up",
            "GET /api/v1/customers",
            "POST /api/v1/customers",
            "POST /api/v1/customers/bulk",
            "GET /api/v1/customers/{customer_id}",
            "PATCH /api/v1/customers/{customer_id}",
            "DELETE /api/v1/customers/{customer_id}",
        },
    )
)


def _contact(owner):
    customer = customer_services.create_customer(
        actor=owner, owner=owner, name=f"联系人所属客户{next(_n):04d}"
    )
    return customer_services.add_contact(
        actor=owner, customer=customer, name=f"矩阵联系人{next(_n):04d}"
    )


def _interaction(owner):
    from django.utils import timezone

    customer = customer_services.create_customer(
        actor=owner, owner=owner, name=f"沟通所属客户{next(_n):04d}"
    )
    return customer_services.log_interaction(
        actor=owner,
        customer=customer,
        kind="call",
        occurred_at=timezone.now(),
        summary=f"矩阵沟通记录{next(_n):04d}",
    )


def _actors_customer(world):
    """A customer of the acting user's own, for creating a contact or interaction under it."""
    actor = world["actor"]
    customer = customer_services.create_customer(
        actor=actor, owner=actor, name=f"矩阵上级客户{next(_n):04d}"
    )
    return customer.pk


register(
    ModelCase(
        record_type="contact",
        make=_contact,
        label=lambda c: c.name,
        list_url="/customers/contacts/",
        edit_url=lambda c: f"/customers/contacts/{c.pk}/edit/",
        cell_url=lambda c: f"/customers/contacts/{c.pk}/cell/title/",
        delete_url=lambda c: f"/customers/contacts/{c.pk}/delete/",
        history_url=lambda c: f"/customers/contacts/{c.pk}/history/",
        api_list="/api/v1/contacts",
        api_item=lambda c: f"/api/v1/contacts/{c.pk}",
        api_create=lambda world: {"customer_id": _actors_customer(world), "name": "矩阵新联系人"},
        api_patch={"title": "采购经理"},
        routes={
            "customers:contacts",
            "customers:contact_edit",
            "customers:contact_cell",
            "customers:contact_delete",
            "customers:contact_history",
            "GET /api/v1/contacts",
            "POST /api/v1/contacts",
            "POST /api/v1/contacts/bulk",
            "GET /api/v1/contacts/{contact_id}",
            "PATCH /api/v1/contacts/{contact_id}",
            "DELETE /api/v1/contacts/{contact_id}",
        },
    )
)
register(
    ModelCase(
        record_type="interaction",
        make=_interaction,
        label=lambda i: i.summary,
        list_url="/customers/interactions/",
        edit_url=lambda i: f"/customers/interactions/{i.pk}/edit/",
        delete_url=lambda i: f"/customers/interactions/{i.pk}/delete/",
        history_url=lambda i: f"/customers/interactions/{i.pk}/history/",
        cell_url=lambda i: f"/customers/interactions/{i.pk}/cell/outcome/",
        api_list="/api/v1/interactions",
        api_item=lambda i: f"/api/v1/interactions/{i.pk}",
        api_create=lambda world: {
            "customer_id": _actors_customer(world),
            "occurred_at": "2024-05-01T10:00:00+08:00",
            "summary": "矩阵新沟通",
        },
        api_patch={"outcome": "已报价"},
        routes={
            "customers:interactions",
            "customers:interaction_edit",
            "customers:interaction_delete",
            "customers:interaction_history",
            "customers:interaction_cell",
            "GET /api/v1/interactions",
            "POST /api/v1/interactions",
            "POST /api/v1/interactions/bulk",
            "GET /api/v1/interactions/{interaction_id}",
            "PATCH /api/v1/interactions/{interaction_id}",
            "DELETE /api/v1/interactions/{interaction_id}",
        },
    )
)


def _product(owner):
    return customer_services.create_product(
        actor=owner, code=f"MX{next(_n):05d}", name=f"矩阵产品{next(_n):04d}", price=99
    )


def _order(owner):
    import datetime as dt

    customer = customer_services.create_customer(
        actor=owner, owner=owner, name=f"订单所属客户{next(_n):04d}"
    )
    product = _product(owner)
    return customer_services.create_order(
        actor=owner,
        customer=customer,
        ordered_on=dt.date.today(),
        number=f"MXO-{next(_n):05d}",
        lines=[customer_services.LineInput(product, 3)],
    )


def _return(owner):
    import datetime as dt

    order = _order(owner)
    return customer_services.record_return(
        actor=owner,
        line=order.lines.get(),
        quantity=1,
        reason=f"矩阵退货{next(_n):04d}",
        returned_on=dt.date.today(),
    )


register(
    ModelCase(
        record_type="product",
        make=_product,
        label=lambda p: p.code,
        list_url="/customers/products/",
        create_url="/customers/products/new/",
        edit_url=lambda p: f"/customers/products/{p.pk}/",
        api_list="/api/v1/products",
        api_item=lambda p: f"/api/v1/products/{p.pk}",
        api_create={"code": "MX-NEW", "name": "矩阵新产品", "price": "12.50"},
        api_patch={"category": "配件"},
        routes={
            "customers:products",
            "customers:product_create",
            "customers:product_edit",
            "GET /api/v1/products",
            "POST /api/v1/products",
            "GET /api/v1/products/{product_id}",
            "PATCH /api/v1/products/{product_id}",
            "DELETE /api/v1/products/{product_id}",
        },
    )
)
register(
    ModelCase(
        record_type="order",
        make=_order,
        label=lambda o: o.number,
        list_url="/customers/orders/",
        detail_url=lambda o: f"/customers/orders/{o.pk}/",
        cell_url=lambda o: f"/customers/orders/{o.pk}/cell/status/",
        api_list="/api/v1/orders",
        api_item=lambda o: f"/api/v1/orders/{o.pk}",
        api_patch={"status": "delivered"},
        routes={
            "customers:orders",
            "customers:order",
            "customers:order_status",
            "customers:order_cell",
            "customers:new_order",
            "customers:order_return",
            "GET /api/v1/orders",
            "POST /api/v1/orders",
            "GET /api/v1/orders/{order_id}",
            "PATCH /api/v1/orders/{order_id}",
            "DELETE /api/v1/orders/{order_id}",
        },
    )
)
register(
    ModelCase(
        record_type="return",
        make=_return,
        label=lambda r: r.reason,
        api_list="/api/v1/returns",
        api_item=lambda r: f"/api/v1/returns/{r.pk}",
        routes={
            "GET /api/v1/returns",
            "POST /api/v1/returns",
            "GET /api/v1/returns/{return_id}",
            "DELETE /api/v1/returns/{return_id}",
        },
    )
)

EXEMPT.update(
    {
        "home": "the dashboard: every block on it reads through the scoped selectors",
        "login": "public",
        "logout": "the caller's own session",
        "switch_language": "the caller's own preference",
        "notifications": "the caller's own inbox (tested in tests/core)",
        "notifications_bell": "the caller's own inbox",
        "notifications_read": "the caller's own inbox",
        "audit_log": "needs view_audit_log (tested in tests/core/test_audit.py)",
        "org_chart": "every signed-in member sees the organisation",
        "customers:duplicates": "lists only customers in the caller's scope (test_merge.py)",
        "customers:merge": "needs customer.delete, change scope on both (test_merge.py)",
        "customers:similar": "names and owners only, like the duplicate refusal (test_merge.py)",
        "POST /api/v1/customers/{customer_id}/merge": "needs customer.delete (test_merge.py)",
        "customers:bulk": "acts only on customers in the caller's change scope (test_table.py)",
        "customers:contact_bulk": "acts only on contacts in the caller's delete scope "
        "(test_contact_interaction_edits.py)",
        "dataops:imports": "needs the type's create permission (tests/dataops/test_import_views)",
        "dataops:import": "the importer's own jobs only, 404 for others (test_import_views)",
        "dataops:import_progress": "the importer's own jobs only (test_import_views)",
        "dataops:import_action": "the importer's own jobs only (test_import_views)",
        "dataops:invalid_rows": "the importer's own jobs only (test_import_views)",
        "dataops:template": "needs the type's create permission (test_import_views)",
        "GET /api/v1/imports": "the caller's own imports (test_import_views)",
        "POST /api/v1/imports": "needs the type's create permission (test_import_views)",
        "GET /api/v1/imports/{job_id}": "the caller's own imports, 404 for others",
        "PATCH /api/v1/imports/{job_id}": "the caller's own imports, 404 for others",
        "POST /api/v1/imports/{job_id}/check": "the caller's own imports, 404 for others",
        "POST /api/v1/imports/{job_id}/run": "the caller's own imports, 404 for others",
        "POST /api/v1/imports/{job_id}/cancel": "the caller's own imports, 404 for others",
        "POST /api/v1/imports/{job_id}/undo": "the caller's own imports, 404 for others",
        "search": "results pass through the scoping door (tests/core/test_search.py)",
        "save_view": "the caller's own views (tests/core/test_saved_views.py)",
        "delete_view": "the caller's own views",
        "accept_invitation": "public, guarded by the invitation's secret",
        "admin_users": "needs manage_users (tests/accounts/test_admin.py)",
        "admin_user_edit": "needs manage_users",
        "admin_user_deactivate": "needs manage_users",
        "admin_invitations": "needs manage_users",
        "admin_teams": "needs manage_teams",
        "admin_team_new": "needs manage_teams",
        "admin_team_edit": "needs manage_teams",
        "admin_roles": "needs manage_roles",
        "working_calendar": "needs manage_calendar (tests/core/test_workcalendar.py)",
        "GET /api/v1/calendar": "working hours and holidays are visible to every member",
        "PUT /api/v1/calendar": "needs manage_calendar (tests/core/test_workcalendar.py)",
        "POST /api/v1/calendar/days": "needs manage_calendar (tests/core/test_workcalendar.py)",
        "DELETE /api/v1/calendar/days/{day}": "needs manage_calendar",
        "admin_role_edit": "needs manage_roles",
        "twofactor_verify": "the caller's own sign-in",
        "security": "the caller's own security page",
        "profile": "the caller's own profile",
        "password_change": "the caller's own password (asks for the current one)",
        "admin_user_unlock": "needs manage_users",
        "confirm_password": "the caller's own sign-in",
        "end_session": "the caller's own sessions (tested in tests/accounts)",
        "end_other_sessions": "the caller's own sessions",
        "create_token": "the caller's own tokens (tested in tests/accounts)",
        "revoke_token": "the caller's own tokens (tested in tests/accounts)",
        "disable_twofactor": "the caller's own sign-in",
        "twofactor_setup": "the caller's own sign-in",
        "twofactor_recovery_codes": "the caller's own sign-in",
        "admin:*": "Django admin: staff only, for operators",
        "api:api-root": "the API root",
        "api:openapi-json": "the API schema (public description, no data)",
        "api:openapi-view": "the API documentation page",
        "GET /api/v1/health": "public health check, reveals no data",
        "GET /api/v1/me": "the caller's own identity",
        "GET /api/v1/users": "colleagues are visible to every member",
        "GET /api/v1/users/{user_id}": "colleagues are visible to every member",
        "PUT /api/v1/users/{user_id}/roles": "needs manage_users (test_accounts_api.py)",
        "GET /api/v1/teams": "the organisation is visible to every member",
        "GET /api/v1/roles": "role definitions are visible to every member",
        "GET /api/v1/me/tokens": "the caller's own tokens",
        "POST /api/v1/me/tokens": "the caller's own tokens",
        "DELETE /api/v1/me/tokens/{token_id}": "the caller's own tokens",
        "GET /api/v1/me/notifications": "the caller's own inbox",
        "POST /api/v1/me/notifications/read": "the caller's own inbox",
        "POST /api/v1/me/notifications/test": "the caller's own inbox",
        # Data audits are not owned records: reading and running them needs run_data_audit; a
        # personal audit is its runner's, organisation-wide ones need customer scope "all"
        # (tests/dataops/test_audit_views.py: 403 without the permission, 404 out of scope).
        "dataops:audit": "needs run_data_audit; shows the caller's own scope (test_audit_views)",
        "dataops:audit_detail": "needs run_data_audit; 404 for another scope (test_audit_views)",
        "dataops:audit_status": "needs run_data_audit; 404 for another scope (test_audit_views)",
        "dataops:audit_export": "needs run_data_audit; 404 for another scope (test_audit_views)",
        "dataops:audit_run": "needs run_data_audit; audits the caller's scope (test_audit.py)",
        "dataops:audit_schedule": "needs run_data_audit and customer scope all (test_audit_views)",
        "GET /api/v1/data-audits": "needs run_data_audit; lists the caller's scope only",
        "GET /api/v1/data-audits/{audit_id}": "needs run_data_audit; 404 for another scope",
        "POST /api/v1/data-audits": "needs run_data_audit; audits the caller's scope",
    }
)
from tests.permissions import (  # noqa: E402
    cases_customer_tables,  # noqa: F401 - the interactions and orders tables' bulk bars
    cases_sales,  # noqa: F401 - deals
    cases_service,  # noqa: F401
    cases_work,  # noqa: F401 - the work app's cases
    cases_work_views,  # noqa: F401 - the work boards' routes
)

"""What the shipped roles may do with tickets (granted by this app's data migration, so
kehu.accounts.roles need not know the service desk).

tech_support works the tickets: all of them, every action but delete. Customer managers and
project managers follow their team's tickets; sales reps see (and open) the tickets assigned to
them; directors read everything; admin assistants take calls and enter tickets for everyone;
marketing has no business in tickets. SLA policies and routing: administrators.
"""

from __future__ import annotations

from typing import Any

WORK = ("view", "create", "change", "export", "assign")

# role code: (ticket actions, ticket scope, global permissions)
TICKET_GRANTS: dict[str, tuple[tuple[str, ...], str, tuple[str, ...]]] = {
    "administrator": ((*WORK, "delete"), "all", ("manage_service",)),
    "sales_director": (("view", "export"), "all", ()),
    "customer_manager": (WORK, "team", ()),
    "sales_rep": (("view", "create"), "own", ()),
    "tech_support": (WORK, "all", ()),
    "project_manager": (("view", "create", "change", "export"), "team", ()),
    "admin_assistant": (("view", "create", "change"), "all", ()),
}


def grant_tickets(role_model: Any) -> None:
    """Add the ticket rights to the shipped roles (keeps whatever an administrator changed)."""
    for role in role_model.objects.filter(code__in=list(TICKET_GRANTS)):
        actions, scope, extra = TICKET_GRANTS[role.code]
        role.permissions = sorted(
            set(role.permissions or []) | {f"ticket.{a}" for a in actions} | set(extra)
        )
        scopes = dict(role.scopes or {})
        scopes.setdefault("ticket", scope)
        role.scopes = scopes
        role.save(update_fields=["permissions", "scopes"])


def revoke_tickets(role_model: Any) -> None:
    for role in role_model.objects.filter(code__in=list(TICKET_GRANTS)):
        role.permissions = sorted(
            p
            for p in (role.permissions or [])
            if not p.startswith("ticket.") and p != "manage_service"
        )
        scopes = dict(role.scopes or {})
        scopes.pop("ticket", None)
        role.scopes = scopes
        role.save(update_fields=["permissions", "scopes"])

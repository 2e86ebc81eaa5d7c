"""What the shipped roles may do with goals and tasks (granted by migration 0002)."""

from __future__ import annotations

from typing import Any

ALL = ("view", "create", "change", "delete", "export")
WORK = ("view", "create", "change", "export")

# role code: ({record type: actions}, {record type: scope})
WORK_GRANTS: dict[str, tuple[dict[str, tuple[str, ...]], dict[str, str]]] = {
    "administrator": ({"goal": ALL, "task": ALL}, {"goal": "all", "task": "all"}),
    "sales_director": ({"goal": ALL, "task": ALL}, {"goal": "all", "task": "all"}),
    "customer_manager": ({"goal": WORK, "task": ALL}, {"goal": "team", "task": "team"}),
    "project_manager": ({"goal": WORK, "task": ALL}, {"goal": "team", "task": "team"}),
    "sales_rep": ({"goal": ("view",), "task": WORK}, {"goal": "team", "task": "own"}),
    "tech_support": ({"goal": ("view",), "task": WORK}, {"goal": "team", "task": "own"}),
    "marketing_specialist": ({"goal": ("view",), "task": WORK}, {"goal": "team", "task": "own"}),
    "admin_assistant": ({"goal": ("view",), "task": WORK}, {"goal": "team", "task": "team"}),
}


def grant_work(role_model: Any) -> None:
    """Add the goal/task permissions and scopes to the shipped roles (keeps admins' edits)."""
    for role in role_model.objects.filter(code__in=list(WORK_GRANTS)):
        actions, scopes = WORK_GRANTS[role.code]
        new = {f"{key}.{a}" for key, acts in actions.items() for a in acts}
        role.permissions = sorted(set(role.permissions or []) | new)
        merged = dict(role.scopes or {})
        for key, scope in scopes.items():
            merged.setdefault(key, scope)
        role.scopes = merged
        role.save(update_fields=["permissions", "scopes"])


def revoke_work(role_model: Any) -> None:
    for role in role_model.objects.filter(code__in=list(WORK_GRANTS)):
        role.permissions = sorted(
            p for p in (role.permissions or []) if p.split(".")[0] not in {"goal", "task"}
        )
        role.scopes = {k: v for k, v in (role.scopes or {}).items() if k not in {"goal", "task"}}
        role.save(update_fields=["permissions", "scopes"])

"""The roles Kehu ships (seed 002 and 004), as data.

A data migration creates them once; administrators edit them afterwards. Apps that add record
types extend the shipped roles in their own data migrations with :func:`grant`.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

CRUD = ("view", "create", "change", "delete", "export", "assign")
CUSTOMER_TYPES = ("customer", "contact", "interaction", "order", "return")
# The product catalogue: everyone reads it; directors and administrators keep it.
PRODUCT_READ = ["product.view", "product.export"]
PRODUCT_WRITE = ["product.create", "product.change", "product.delete"]
ADMIN_PERMISSIONS = ("manage_users", "manage_teams", "manage_roles", "view_audit_log")
# Monthly or quarterly data-quality audits (seed 004): whoever answers for the data.
DATA_AUDIT = "run_data_audit"
# The working calendar deadlines and SLA clocks count in (hours, holidays, make-up days).
CALENDAR = "manage_calendar"


def _perms(types: tuple[str, ...], actions: tuple[str, ...]) -> list[str]:
    return [f"{t}.{a}" for t in types for a in actions if not (t != "customer" and a == "assign")]


# code: (name, description, permissions, scope for the customer types, 2FA required)
DEFAULT_ROLES: dict[str, tuple[Any, Any, list[str], str, bool]] = {
    "administrator": (
        _("Administrator"),
        _("Runs Kehu: people, teams, roles, settings; sees everything."),
        [
            *_perms(CUSTOMER_TYPES, CRUD),
            *PRODUCT_READ,
            *PRODUCT_WRITE,
            "view_financials",
            *ADMIN_PERMISSIONS,
            DATA_AUDIT,
            CALENDAR,
        ],
        "all",
        True,
    ),
    "sales_director": (
        _("Sales director"),
        _("Leads sales: sees every customer and the money."),
        [
            *_perms(CUSTOMER_TYPES, CRUD),
            *PRODUCT_READ,
            *PRODUCT_WRITE,
            "view_financials",
            "view_audit_log",
            DATA_AUDIT,
            CALENDAR,
        ],
        "all",
        True,
    ),
    "customer_manager": (
        _("Customer manager"),
        _("Owns customer relationships and project progress for a team."),
        [*_perms(CUSTOMER_TYPES, ("view", "create", "change", "export", "assign")), DATA_AUDIT],
        "team",
        False,
    ),
    "sales_rep": (
        _("Sales rep"),
        _("Finds new customers and follows them up."),
        # Export too: a rep takes their own customers to a spreadsheet (never amounts).
        _perms(CUSTOMER_TYPES, ("view", "create", "change", "export")),
        "own",
        False,
    ),
    "tech_support": (
        _("Tech support"),
        _("Solves customers' technical problems; reads every customer, logs interactions."),
        [
            "customer.view",
            "contact.view",
            "interaction.view",
            "interaction.create",
            "interaction.change",
            "order.view",
            "return.view",
            "return.create",
        ],
        "all",
        False,
    ),
    "marketing_specialist": (
        _("Marketing specialist"),
        _("Brings in leads; reads customers for campaigns."),
        [*_perms(CUSTOMER_TYPES, ("view", "export")), "customer.create", "contact.create"],
        "all",
        False,
    ),
    "project_manager": (
        _("Project manager"),
        _("Plans and tracks the team's work and its customers' projects."),
        _perms(CUSTOMER_TYPES, ("view", "create", "change", "export")),
        "team",
        False,
    ),
    "admin_assistant": (
        _("Admin assistant"),
        _("Enters and tidies customer data; never sees the money."),
        _perms(CUSTOMER_TYPES, ("view", "create", "change", "export")),
        "all",
        False,
    ),
}


# Record types and permissions other apps add to the shipped roles:
# type -> role code -> (actions, scope); global permission -> role codes.
EXTRA_TYPES: dict[str, dict[str, tuple[tuple[str, ...], str]]] = {
    "deal": {
        "administrator": (CRUD, "all"),
        "sales_director": (CRUD, "all"),
        "customer_manager": (("view", "create", "change", "export", "assign"), "team"),
        "sales_rep": (("view", "create", "change", "export"), "own"),
        "tech_support": (("view",), "all"),
        "marketing_specialist": (("view", "create", "export"), "all"),
        "project_manager": (("view", "create", "change", "export"), "team"),
        "admin_assistant": (("view", "create", "change", "export"), "all"),
    },
}
EXTRA_PERMISSIONS: dict[str, tuple[str, ...]] = {
    "manage_pipelines": ("administrator", "sales_director"),
    "manage_work": ("administrator", "sales_director", "customer_manager", "project_manager"),
}


def role_defaults(code: str) -> dict[str, Any]:
    name, description, permissions, scope, require_2fa = DEFAULT_ROLES[code]
    extra = [f"{t}.{a}" for t, roles in EXTRA_TYPES.items() for a in roles.get(code, ((), ""))[0]]
    extra += [p for p, holders in EXTRA_PERMISSIONS.items() if code in holders]
    extra_scopes = {t: roles[code][1] for t, roles in EXTRA_TYPES.items() if code in roles}
    return {
        "name": str(name),
        "description": str(description),
        "permissions": sorted({*permissions, *PRODUCT_READ, *extra}),
        "scopes": {**dict.fromkeys(CUSTOMER_TYPES, scope), "product": "all", **extra_scopes},
        "require_2fa": require_2fa,
        "is_system": True,
    }


def create_default_roles(role_model: Any) -> None:
    """Create the shipped roles that do not exist yet (never overwrites an admin's edits)."""
    for code in DEFAULT_ROLES:
        if not role_model.objects.filter(code=code).exists():
            role_model.objects.create(code=code, **role_defaults(code))


def grant(role_model: Any, types: tuple[str, ...]) -> None:
    """Give the shipped roles their defaults for record types added after they were created
    (adds permissions and scopes; keeps whatever an administrator changed)."""
    for role in role_model.objects.filter(code__in=list(DEFAULT_ROLES)):
        defaults = role_defaults(role.code)
        new = {p for p in defaults["permissions"] if p.split(".")[0] in types}
        role.permissions = sorted(set(role.permissions or []) | new)
        scopes = dict(role.scopes or {})
        for key in types:
            scopes.setdefault(key, defaults["scopes"].get(key, "none"))
        role.scopes = scopes
        role.save(update_fields=["permissions", "scopes"])


def grant_permissions(role_model: Any, codes: tuple[str, ...]) -> None:
    """Give the shipped roles the global permissions ``codes`` their defaults include, for
    permissions added after the roles were created (keeps an administrator's other changes)."""
    for role in role_model.objects.filter(code__in=list(DEFAULT_ROLES)):
        new = set(codes) & set(role_defaults(role.code)["permissions"])
        if new - set(role.permissions or []):
            role.permissions = sorted(set(role.permissions or []) | new)
            role.save(update_fields=["permissions"])


def revoke_permissions(role_model: Any, codes: tuple[str, ...]) -> None:
    """Undo :func:`grant_permissions`: take ``codes`` from the shipped roles."""
    for role in role_model.objects.filter(code__in=list(DEFAULT_ROLES)):
        if set(codes) & set(role.permissions or []):
            role.permissions = sorted(set(role.permissions or []) - set(codes))
            role.save(update_fields=["permissions"])

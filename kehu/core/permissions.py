"""The permission catalogue: record types, actions, global permissions and scopes.

A role (``kehu.accounts.models.Role``) is a set of permission codes plus a scope per record
type. A user's rights are the union of their roles: every permission any role grants, and for
each record type the widest scope any role gives. Apps declare their record types here in
``AppConfig.ready``; the role editor, the scoping door and the permission-matrix tests all read
this one catalogue.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db import models
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

ACTIONS: dict[str, Promise] = {
    "view": _("View"),
    "create": _("Create"),
    "change": _("Edit"),
    "delete": _("Delete"),
    "export": _("Export"),
    "assign": _("Assign owner"),
}


class Scope(models.TextChoices):
    NONE = "none", _("None")
    OWN = "own", _("Own")
    TEAM = "team", _("Team")
    ALL = "all", _("All")


SCOPE_RANK: dict[str, int] = {Scope.NONE: 0, Scope.OWN: 1, Scope.TEAM: 2, Scope.ALL: 3}

GLOBAL_PERMISSIONS: dict[str, Promise] = {
    "view_financials": _("See amounts, prices, margins, credit limits and lifetime value"),
    "manage_users": _("Manage users and invitations"),
    "manage_teams": _("Manage teams"),
    "manage_roles": _("Manage roles and permissions"),
    "view_audit_log": _("View the audit log"),
    "run_data_audit": _("Run and read data-quality audits of the customers one can see"),
    "manage_pipelines": _("Manage sales pipelines: stages, order, owners and time limits"),
    "manage_calendar": _("Edit the working calendar: working hours, holidays and make-up days"),
    "manage_service": _("Set SLA policies and how each team's tickets are assigned"),
    "manage_work": _(
        "Set up the division of labour: areas, priority labels, WIP limits, capacity and skills"
    ),
}


@dataclass(frozen=True)
class RecordType:
    """A kind of record whose visibility is scoped.

    ``owner_field`` is the path to the owning user; ``collaborators_field`` (optional) a path to
    a many-to-many of users who see the record whatever their scope; ``share_target`` the path
    to the record whose shares apply (empty: the record itself).
    """

    key: str
    label: Promise | str
    model: type[models.Model]
    owner_field: str = "owner"
    collaborators_field: str | None = None
    share_target: str = ""
    actions: tuple[str, ...] = ("view", "create", "change", "delete", "export", "assign")
    financial_fields: tuple[str, ...] = field(default_factory=tuple)
    restricted_fields: tuple[str, ...] = ("owner",)  # writable only with "<key>.assign"

    def code(self, action: str) -> str:
        return f"{self.key}.{action}"


_record_types: dict[str, RecordType] = {}


def register(record_type: RecordType) -> RecordType:
    _record_types[record_type.key] = record_type
    return record_type


def record_types() -> list[RecordType]:
    return list(_record_types.values())


def record_type(key: str) -> RecordType:
    return _record_types[key]


def record_type_for(model: type[models.Model]) -> RecordType | None:
    for rt in _record_types.values():
        if rt.model is model or issubclass(model, rt.model):
            return rt
    return None


def all_permission_codes() -> set[str]:
    codes = set(GLOBAL_PERMISSIONS)
    for rt in _record_types.values():
        codes |= {rt.code(a) for a in rt.actions}
    return codes


@dataclass
class Rights:
    permissions: frozenset[str]
    scopes: dict[str, str]
    superuser: bool = False

    def has(self, code: str) -> bool:
        return self.superuser or code in self.permissions

    def scope(self, key: str) -> str:
        if self.superuser:
            return Scope.ALL
        return self.scopes.get(key, Scope.NONE)


def combine(roles: list[Any], *, superuser: bool = False) -> Rights:
    permissions: set[str] = set()
    scopes: dict[str, str] = {}
    for role in roles:
        permissions |= set(role.permissions or [])
        for key, scope in (role.scopes or {}).items():
            if SCOPE_RANK.get(scope, 0) > SCOPE_RANK.get(scopes.get(key, Scope.NONE), 0):
                scopes[key] = scope
    return Rights(frozenset(permissions), scopes, superuser)


def rights_for(user: Any) -> Rights:
    """The user's effective rights, computed once per user object (i.e. per request)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return Rights(frozenset(), {}, False)
    cached = getattr(user, "_kehu_rights", None)
    if cached is None:
        cached = combine(list(user.roles.all()), superuser=user.is_superuser)
        user._kehu_rights = cached
    return cached


def has_perm(user: Any, code: str) -> bool:
    return rights_for(user).has(code)


def forget_rights(user: Any) -> None:
    if hasattr(user, "_kehu_rights"):
        del user._kehu_rights

"""The permission-matrix harness.

An app registers each scoped model with a :class:`ModelCase`: how to make a record for an owner,
the pages and API routes that act on it. :func:`check_matrix` then plays every action for a user
holding one role against three records — the user's own, a teammate's and an outsider's — and
asserts what the role's permissions and scope allow: the record appears or answers 404, writes
succeed with exactly one history row or change nothing, and financial fields never show without
``view_financials``.

Every URL and API route must be named in :data:`COVERED` (by a case) or :data:`EXEMPT` (with
the reason); `test_every_route_is_covered` fails for a route that is neither.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from kehu.core.permissions import SCOPE_RANK, Scope, combine, record_type


@dataclass
class ModelCase:
    record_type: str
    make: Callable[[Any], Any]  # owner -> record
    label: Callable[[Any], str]  # record -> text that identifies it on a list page
    list_url: str | None = None
    detail_url: Callable[[Any], str] | None = None
    edit_url: Callable[[Any], str] | None = None
    edit_form: Callable[[Any], dict[str, Any]] | None = None  # record -> valid POST data
    history_url: Callable[[Any], str] | None = None
    cell_url: Callable[[Any], str] | None = None  # in-place editing of one cell
    api_list: str | None = None
    api_item: Callable[[Any], str] | None = None
    # the body POSTed to ``api_list``, or world -> body (for a record that needs a parent the
    # actor may see)
    api_create: dict[str, Any] | Callable[[dict[str, Any]], dict[str, Any]] | None = None
    delete_url: Callable[[Any], str] | None = None  # the page confirming a deletion
    create_url: str | None = None  # the page with the creation form
    api_patch: dict[str, Any] | None = None
    routes: set[str] = field(default_factory=set)  # route names / API paths this case covers


CASES: dict[str, ModelCase] = {}


@dataclass
class RoleCase:
    """Routes about something that is not a scoped record (e.g. work templates): ``check`` plays
    them for a holder of ``role`` in the same world (actor, teammate, outsider) and asserts what
    the role allows."""

    name: str
    check: Callable[..., None]  # (role, client=, world=) -> None
    routes: set[str] = field(default_factory=set)


ROLE_CASES: dict[str, RoleCase] = {}

# Routes that are not about a scoped record, with the reason they need no matrix.
EXEMPT: dict[str, str] = {}


def register(case: ModelCase) -> None:
    CASES[case.record_type] = case


def register_role_case(case: RoleCase) -> None:
    ROLE_CASES[case.name] = case


def covered_routes() -> set[str]:
    out: set[str] = set(EXEMPT)
    for case in [*CASES.values(), *ROLE_CASES.values()]:
        out |= case.routes
    return out


def expected(role_codes: tuple[str, ...], rt_key: str, action: str, relation: str) -> bool:
    """Whether a holder of ``role_codes`` may ``action`` a record owned as ``relation``
    (``own``, ``team`` or ``other``)."""
    from kehu.accounts.models import Role

    rights = combine(list(Role.objects.filter(code__in=role_codes)))
    if not rights.has(f"{rt_key}.{action}"):
        return False
    needed = {"own": Scope.OWN, "team": Scope.TEAM, "other": Scope.ALL}[relation]
    return SCOPE_RANK[rights.scope(rt_key)] >= SCOPE_RANK[needed]


def history_count(obj: Any) -> int:
    return type(obj).history.filter(id=obj.pk).count()


def check_matrix(case: ModelCase, role: str, *, client: Any, world: dict[str, Any]) -> None:
    rt = record_type(case.record_type)
    actor = world["actor"]
    records = {
        rel: case.make(world[owner])
        for rel, owner in (("own", "actor"), ("team", "teammate"), ("other", "outsider"))
    }
    roles = (role,)
    may_see_money = combine(list(actor.roles.all())).has("view_financials")
    from tests.conftest import force_login_verified

    force_login_verified(client, actor)

    def no_money(payload: Any) -> None:
        if may_see_money:
            return
        text = json.dumps(payload) if not isinstance(payload, str) else payload
        for name in rt.financial_fields:
            assert f'"{name}"' not in text, f"{role}: financial field {name} leaked"

    # -- pages -------------------------------------------------------------------------------
    if case.list_url:
        page = client.get(case.list_url).content.decode()
        for rel, obj in records.items():
            shown = case.label(obj) in page
            assert shown == expected(roles, rt.key, "view", rel), f"{role} list {rel}"
        for name in rt.financial_fields:
            if not may_see_money:
                assert f'data-field="{name}"' not in page
    for rel, obj in records.items():
        can_view = expected(roles, rt.key, "view", rel)
        can_change = expected(roles, rt.key, "change", rel)
        if case.detail_url:
            response = client.get(case.detail_url(obj))
            assert response.status_code == (200 if can_view else 404), f"{role} view {rel}"
            if can_view:
                for name in rt.financial_fields:
                    shown = f'data-field="{name}"' in response.content.decode()
                    assert shown == may_see_money, f"{role} detail shows {name}"
        if case.history_url:
            response = client.get(case.history_url(obj))
            assert response.status_code == (200 if can_view else 404), f"{role} history {rel}"
        if case.cell_url:
            response = client.get(case.cell_url(obj))
            assert response.status_code == (200 if can_change else 404), f"{role} cell {rel}"
        if case.edit_url:
            response = client.get(case.edit_url(obj))
            assert response.status_code == (200 if can_change else 404), f"{role} edit {rel}"
        if case.delete_url:
            can_delete = expected(roles, rt.key, "delete", rel)
            response = client.get(case.delete_url(obj))
            assert response.status_code == (200 if can_delete else 404), f"{role} delete {rel}"

    # -- API -------------------------------------------------------------------------------------
    if case.api_list:
        body = client.get(case.api_list).json()
        no_money(body)
        ids = {item["id"] for item in body["items"]}
        for rel, obj in records.items():
            assert (obj.pk in ids) == expected(roles, rt.key, "view", rel), f"{role} api list {rel}"
    if case.api_item:
        for rel, obj in records.items():
            can_view = expected(roles, rt.key, "view", rel)
            response = client.get(case.api_item(obj))
            assert response.status_code == (200 if can_view else 404), f"{role} api get {rel}"
            if can_view:
                no_money(response.json())
            if case.api_patch is not None:
                can_change = expected(roles, rt.key, "change", rel)
                before = history_count(obj)
                version = type(obj).objects.get(pk=obj.pk).version
                response = client.patch(
                    case.api_item(obj),
                    json.dumps({**case.api_patch, "version": version}),
                    content_type="application/json",
                )
                assert response.status_code == (200 if can_change else 404), (
                    f"{role} api patch {rel}: {response.status_code}"
                )
                after = type(obj).objects.get(pk=obj.pk)
                assert history_count(obj) == before + (1 if can_change else 0)
                assert after.version == version + (1 if can_change else 0)
                if can_change:
                    no_money(response.json())
        # delete last: it removes records
        for rel, obj in records.items():
            can_delete = expected(roles, rt.key, "delete", rel)
            response = client.delete(case.api_item(obj))
            assert response.status_code == (204 if can_delete else 404), f"{role} delete {rel}"
            assert type(obj).objects.filter(pk=obj.pk).exists() is not can_delete
    if case.create_url:
        may_create = combine(list(actor.roles.all())).has(rt.code("create"))
        response = client.get(case.create_url)
        assert response.status_code == (200 if may_create else 403), f"{role} create page"
        if may_create and not may_see_money:
            for name in rt.financial_fields:
                assert f'name="{name}"' not in response.content.decode()
    if case.api_create is not None and case.api_list:
        may_create = combine(list(actor.roles.all())).has(rt.code("create"))
        body = case.api_create(world) if callable(case.api_create) else case.api_create
        response = client.post(case.api_list, json.dumps(body), content_type="application/json")
        assert response.status_code == (201 if may_create else 403), f"{role} create"
        if may_create:
            no_money(response.json())

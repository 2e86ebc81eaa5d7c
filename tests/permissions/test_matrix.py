"""Every role × every scoped model × every action, pages and API (see harness.py)."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from kehu.accounts.roles import DEFAULT_ROLES
from tests.permissions import cases  # noqa: F401 - registers the cases
from tests.permissions.harness import CASES, ROLE_CASES, check_matrix, covered_routes


@pytest.fixture
def world(make_user):
    from kehu.accounts.models import Team

    def build(role):
        actor = make_user(f"actor-{role}", roles=(role,))
        teammate = make_user(f"mate-{role}", roles=("sales_rep",))
        outsider = make_user(f"out-{role}", roles=("sales_rep",))
        east = Team.objects.create(name=f"华东-{role}")
        east.members.add(actor, teammate)
        Team.objects.create(name=f"华南-{role}").members.add(outsider)
        return {"actor": actor, "teammate": teammate, "outsider": outsider}

    return build


@pytest.mark.parametrize("role", sorted(DEFAULT_ROLES))
@pytest.mark.parametrize("case", sorted(CASES))
def test_permission_matrix(client, world, role, case):
    check_matrix(CASES[case], role, client=client, world=world(role))


@pytest.mark.parametrize("role", sorted(DEFAULT_ROLES))
@pytest.mark.parametrize("case", sorted(ROLE_CASES))
def test_role_matrix(client, world, role, case):
    ROLE_CASES[case].check(role, client=client, world=world(role))


def _route_names(patterns, namespace=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = f"{namespace}{p.namespace}:" if p.namespace else namespace
            yield from _route_names(p.url_patterns, ns)
        elif isinstance(p, URLPattern) and p.name:
            yield f"{namespace}{p.name}"


def test_every_route_is_covered():
    from kehu.api import api

    covered = covered_routes()
    wildcards = {c[:-1] for c in covered if c.endswith("*")}
    missing = []
    for name in _route_names(get_resolver().url_patterns):
        if name.startswith("api:") and name not in {
            "api:api-root",
            "api:openapi-json",
            "api:openapi-view",
        }:
            continue  # API operations are checked by method and path below
        if name not in covered and not any(name.startswith(w) for w in wildcards):
            missing.append(name)
    for path, operations in api.get_openapi_schema()["paths"].items():
        for method in operations:
            key = f"{method.upper()} {path}"
            if key not in covered:
                missing.append(key)
    assert not missing, f"routes with no permission test (add to tests/permissions): {missing}"

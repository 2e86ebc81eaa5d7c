"""Accounts API: people, teams, roles, and the caller's own tokens."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Router, Schema, Status
from ninja.errors import HttpError
from ninja.pagination import paginate

from kehu.accounts import services
from kehu.accounts.models import ApiToken, Role, Team, User
from kehu.core import scoping
from kehu.core.apisupport import KeysetPagination
from kehu.core.permissions import has_perm

router = Router(tags=["accounts"])


class UserOut(Schema):
    id: int
    username: str
    display_name: str
    title: str
    email: str
    mobile: str
    is_active: bool
    roles: list[str]
    teams: list[int]


def user_out(user: User) -> dict[str, Any]:
    return {
        "id": user.pk,
        "username": user.username,
        "display_name": str(user),
        "title": user.title,
        "email": user.email,
        "mobile": user.mobile,
        "is_active": user.is_active,
        "roles": [r.code for r in user.roles.all()],
        "teams": [t.pk for t in user.teams.all()],
    }


@router.get("/users", response=list[UserOut], summary="Colleagues")
@paginate(KeysetPagination, ordering=["username"], serialize=lambda user, obj: user_out(obj))
def list_users(request: HttpRequest, active: bool | None = None) -> Any:
    qs = scoping.restrict(User.objects.prefetch_related("roles", "teams"), request.auth)  # type: ignore[attr-defined]
    return qs if active is None else qs.filter(is_active=active)


@router.get("/users/{user_id}", response=UserOut, summary="One colleague")
def get_user(request: HttpRequest, user_id: int) -> Any:
    user = scoping.get_visible_or_404(
        User.objects.prefetch_related("roles", "teams"),
        request.auth,
        pk=user_id,  # type: ignore[attr-defined]
    )
    return user_out(user)


class UserRolesIn(Schema):
    roles: list[str]


@router.put("/users/{user_id}/roles", response=UserOut, summary="Set a person's roles")
def set_roles(request: HttpRequest, user_id: int, payload: UserRolesIn) -> Any:
    actor = request.auth  # type: ignore[attr-defined]
    if not has_perm(actor, "manage_users"):
        raise HttpError(403, "Permission denied.")
    person = get_object_or_404(User, pk=user_id)
    roles = list(Role.objects.filter(code__in=payload.roles))
    if len(roles) != len(set(payload.roles)):
        raise HttpError(422, "Unknown role code.")
    services.set_user_roles(actor=actor, user=person, roles=roles)
    return user_out(person)


class TeamOut(Schema):
    id: int
    name: str
    kind: str
    parent_id: int | None
    leader_id: int | None
    members: list[int]


@router.get("/teams", response=list[TeamOut], summary="The team tree, flat")
def list_teams(request: HttpRequest) -> Any:
    teams = Team.objects.prefetch_related("members").order_by("id")
    return [
        {
            "id": t.pk,
            "name": t.name,
            "kind": t.kind,
            "parent_id": t.parent_id,
            "leader_id": t.leader_id,
            "members": [m.pk for m in t.members.all()],
        }
        for t in teams
    ]


class RoleOut(Schema):
    id: int
    code: str
    name: str
    description: str
    permissions: list[str]
    scopes: dict[str, str]
    require_2fa: bool


@router.get("/roles", response=list[RoleOut], summary="Roles with their permissions and scopes")
def list_roles(request: HttpRequest) -> Any:
    return list(Role.objects.all())


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    scopes: list[str]
    created_at: dt.datetime
    expires_at: dt.datetime | None
    last_used_at: dt.datetime | None


class TokenIn(Schema):
    name: str
    scopes: list[str]
    expires_at: dt.datetime | None = None


class TokenCreated(TokenOut):
    secret: str


@router.get("/me/tokens", response=list[TokenOut], summary="My active API tokens")
def my_tokens(request: HttpRequest) -> Any:
    return list(ApiToken.objects.filter(user=request.auth, revoked_at__isnull=True))  # type: ignore[attr-defined]


@router.post(
    "/me/tokens",
    response={201: TokenCreated},
    summary="Create an API token",
    description="The secret is in this response only. A token cannot create tokens.",
)
def create_my_token(request: HttpRequest, payload: TokenIn) -> Any:
    if getattr(request, "api_token", None) is not None:
        raise HttpError(403, "A token cannot create tokens; sign in in the browser.")
    try:
        token, raw = services.create_token(
            user=request.auth,  # type: ignore[attr-defined]
            name=payload.name,
            scopes=payload.scopes,
            expires_at=payload.expires_at,
        )
    except ValueError as exc:
        raise HttpError(422, str(exc)) from None
    data = TokenOut.from_orm(token).dict()
    return Status(201, {**data, "secret": raw})


@router.delete("/me/tokens/{token_id}", response={204: None}, summary="Revoke an API token")
def revoke_my_token(request: HttpRequest, token_id: int) -> Any:
    if not services.revoke_token(user=request.auth, token_id=token_id):  # type: ignore[attr-defined]
        raise HttpError(404, "Not found.")
    return Status(204, None)

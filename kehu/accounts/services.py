"""Writes about people: sessions, API tokens, deactivation."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from typing import Any

from django.contrib.sessions.backends.cached_db import SessionStore
from django.db import transaction
from django.utils import timezone

from kehu.accounts.models import ApiToken, User, UserSession
from kehu.core.audit import audit
from kehu.core.events import Event, publish
from kehu.core.models import AuditEvent

TOKEN_PREFIX = "kehu_"  # noqa: S105 - a public marker, not a secret

# Token scopes: "<area>:read" or "<area>:write" (write implies read).
TOKEN_AREAS = ("account", "customers", "sales")


def client_ip(request: Any) -> str | None:
    return request.META.get("REMOTE_ADDR") or None


@transaction.atomic
def record_sign_in(*, request: Any, user: User) -> UserSession:
    """Called on every sign-in: remembers the session so its owner can list and end it."""
    now = timezone.now()
    request.session["kehu_auth_at"] = now.timestamp()
    request.session["kehu_seen_at"] = now.timestamp()
    if request.session.session_key is None:
        request.session.save()
    session, _ = UserSession.objects.update_or_create(
        session_key=request.session.session_key,
        defaults={
            "user": user,
            "ip_address": client_ip(request),
            "user_agent": request.headers.get("User-Agent", "")[:300],
            "last_seen_at": now,
        },
    )
    return session


def forget_session(*, session_key: str | None) -> None:
    if session_key:
        UserSession.objects.filter(session_key=session_key).delete()


@transaction.atomic
def end_session(*, user: User, session_id: int) -> bool:
    """End one of ``user``'s sessions (only their own)."""
    session = UserSession.objects.filter(user=user, pk=session_id).first()
    if session is None:
        return False
    SessionStore(session_key=session.session_key).delete()
    session.delete()
    return True


@transaction.atomic
def end_all_sessions(*, user: User, keep: str | None = None) -> int:
    count = 0
    for session in UserSession.objects.filter(user=user).exclude(session_key=keep or ""):
        SessionStore(session_key=session.session_key).delete()
        session.delete()
        count += 1
    return count


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def valid_scopes(scopes: list[str]) -> list[str]:
    allowed = {f"{a}:{m}" for a in TOKEN_AREAS for m in ("read", "write")}
    unknown = sorted(set(scopes) - allowed)
    if unknown:
        raise ValueError(f"unknown scopes: {unknown}")
    return sorted(set(scopes))


@transaction.atomic
def create_token(
    *, user: User, name: str, scopes: list[str], expires_at: dt.datetime | None
) -> tuple[ApiToken, str]:
    """A new token and its secret, which is returned this once and never stored."""
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user,
        name=name.strip()[:100],
        prefix=raw[: len(TOKEN_PREFIX) + 6],
        key_hash=_hash(raw),
        scopes=valid_scopes(scopes),
        expires_at=expires_at,
    )
    audit(
        AuditEvent.Action.TOKEN_CREATED,
        actor=user,
        obj=token,
        summary=token.name,
        scopes=token.scopes,
    )
    publish(Event("token.created", actor_id=user.pk, object_type="api_token", object_id=token.pk))
    return token, raw


@transaction.atomic
def revoke_token(*, user: User, token_id: int) -> bool:
    token = ApiToken.objects.filter(user=user, pk=token_id, revoked_at__isnull=True).first()
    if token is None:
        return False
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit(AuditEvent.Action.TOKEN_REVOKED, actor=user, obj=token, summary=token.name)
    return True


def token_user(raw: str) -> tuple[User, ApiToken] | None:
    """The active user and token for a presented secret, or None."""
    if not raw.startswith(TOKEN_PREFIX):
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=_hash(raw), revoked_at__isnull=True)
        .first()
    )
    now = timezone.now()
    if token is None or not token.user.is_active:
        return None
    if token.expires_at is not None and token.expires_at <= now:
        return None
    if token.last_used_at is None or now - token.last_used_at > dt.timedelta(minutes=1):
        # Recorded at most once a minute per token, so a busy integration does not flood the log.
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
        audit(AuditEvent.Action.TOKEN_USED, actor=token.user, obj=token, summary=token.name)
    return token.user, token


def token_allows(token: ApiToken, area: str, write: bool) -> bool:
    scopes = set(token.scopes or [])
    return f"{area}:write" in scopes or (not write and f"{area}:read" in scopes)


@transaction.atomic
def deactivate_user(*, actor: User, user: User, reassign_to: User | None) -> dict[str, int]:
    """Deactivate ``user``: every session and token ends at once, their records stay, and
    their open work moves to ``reassign_to``."""
    from kehu.customers.models import Customer

    if reassign_to is not None and (reassign_to.pk == user.pk or not reassign_to.is_active):
        raise ValueError("reassign to an active colleague")
    user.is_active = False
    user.save(update_fields=["is_active"])
    sessions = end_all_sessions(user=user)
    tokens = ApiToken.objects.filter(user=user, revoked_at__isnull=True).update(
        revoked_at=timezone.now()
    )
    moved = 0
    if reassign_to is not None:
        for customer in Customer.objects.filter(owner=user):
            customer.owner = reassign_to
            customer.version += 1
            customer._history_user = actor  # type: ignore[attr-defined]
            customer.save(update_fields=["owner", "version", "updated_at"])
            moved += 1
    audit(
        AuditEvent.Action.USER_DEACTIVATED,
        actor=actor,
        obj=user,
        summary=str(user),
        sessions=sessions,
        tokens=tokens,
        reassigned=moved,
        reassigned_to=getattr(reassign_to, "pk", None),
    )
    publish(
        Event(
            "user.deactivated",
            actor_id=actor.pk,
            object_type="user",
            object_id=user.pk,
            data={"sessions": sessions, "tokens": tokens, "reassigned": moved},
        )
    )
    return {"sessions": sessions, "tokens": tokens, "reassigned": moved}


# ---- administration -------------------------------------------------------------------------

INVITATION_DAYS = 7


@transaction.atomic
def invite(
    *,
    actor: User,
    email: str,
    display_name: str = "",
    title: str = "",
    roles: list[Any] | None = None,
    teams: list[Any] | None = None,
) -> tuple[Any, str]:
    """An invitation and the secret part of its link (returned this once, stored hashed)."""
    from kehu.accounts.models import Invitation

    raw = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        email=email.strip().lower(),
        display_name=display_name.strip(),
        title=title.strip(),
        token_hash=_hash(raw),
        invited_by=actor,
        expires_at=timezone.now() + dt.timedelta(days=INVITATION_DAYS),
    )
    invitation.roles.set(roles or [])
    invitation.teams.set(teams or [])
    audit(
        AuditEvent.Action.USER_INVITED,
        actor=actor,
        obj=invitation,
        summary=invitation.email,
        roles=[r.code for r in roles or []],
    )
    return invitation, raw


def open_invitation(raw: str) -> Any:
    """The pending, unexpired invitation for a link's secret, or None."""
    from kehu.accounts.models import Invitation

    return Invitation.objects.filter(
        token_hash=_hash(raw), accepted_at__isnull=True, expires_at__gt=timezone.now()
    ).first()


@transaction.atomic
def accept_invitation(*, invitation: Any, username: str, password: str) -> User:
    """Create the invited member's account with the roles and teams chosen for them."""
    from django.contrib.auth.password_validation import validate_password

    invitation = type(invitation).objects.select_for_update().get(pk=invitation.pk)
    if invitation.accepted_at is not None:
        raise ValueError("invitation already used")
    user = User(
        username=username.strip(),
        email=invitation.email,
        display_name=invitation.display_name,
        title=invitation.title,
    )
    validate_password(password, user)
    user.set_password(password)
    user.full_clean(exclude=["password"])
    user.save()
    user.roles.set(invitation.roles.all())
    for team in invitation.teams.all():
        team.members.add(user)
    invitation.accepted_at = timezone.now()
    invitation.user = user
    invitation.save(update_fields=["accepted_at", "user"])
    audit(
        AuditEvent.Action.USER_JOINED,
        actor=user,
        obj=user,
        summary=str(user),
        invitation=invitation.pk,
    )
    return user


@transaction.atomic
def set_user_roles(*, actor: User, user: User, roles: list[Any]) -> None:
    before = sorted(user.roles.values_list("code", flat=True))
    user.roles.set(roles)
    after = sorted(r.code for r in roles)
    if before != after:
        audit(
            AuditEvent.Action.USER_ROLES_CHANGED,
            actor=actor,
            obj=user,
            summary=str(user),
            old=before,
            new=after,
        )
        from kehu.core.permissions import forget_rights

        forget_rights(user)


@transaction.atomic
def update_role(
    *,
    actor: User,
    role: Any,
    name: str,
    description: str,
    permissions: list[str],
    scopes: dict[str, str],
    require_2fa: bool,
) -> Any:
    """Change a role's permissions and scopes; the change is audited with old and new."""
    from kehu.core.permissions import Scope, all_permission_codes, record_types

    unknown = set(permissions) - all_permission_codes()
    if unknown:
        raise ValueError(f"unknown permissions: {sorted(unknown)}")
    keys = {rt.key for rt in record_types()}
    if set(scopes) - keys or set(scopes.values()) - set(Scope.values):
        raise ValueError("unknown record type or scope")
    old = {"permissions": role.permissions, "scopes": role.scopes, "require_2fa": role.require_2fa}
    role.name = name.strip() or role.name
    role.description = description.strip()
    role.permissions = sorted(set(permissions))
    role.scopes = dict(sorted(scopes.items()))
    role.require_2fa = require_2fa
    role.updated_by = actor
    role.version += 1
    role._history_user = actor
    role.save()
    new = {"permissions": role.permissions, "scopes": role.scopes, "require_2fa": role.require_2fa}
    if old != new:
        audit(
            AuditEvent.Action.ROLE_CHANGED,
            actor=actor,
            obj=role,
            summary=role.name,
            old=old,
            new=new,
        )
    return role


@transaction.atomic
def save_team(
    *,
    actor: User,
    team: Any,
    name: str,
    kind: str,
    parent: Any,
    leader: User | None,
    members: list[User],
) -> Any:
    """Create or change a team; a team cannot be placed under itself or its descendants."""
    from kehu.accounts.selectors import team_subtree_ids

    if team.pk and parent is not None and parent.pk in team_subtree_ids({team.pk}):
        from django.core.exceptions import ValidationError
        from django.utils.translation import gettext as _

        raise ValidationError({"parent": _("A team cannot be placed under itself.")})
    team.name = name.strip()
    team.kind = kind
    team.parent = parent
    team.leader = leader
    if not team.pk:
        team.created_by = actor
    team.updated_by = actor
    team._history_user = actor
    team.full_clean()
    team.save()
    team.members.set(members)
    return team

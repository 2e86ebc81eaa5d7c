"""One door for visibility.

Every queryset shown on behalf of a user goes through :func:`restrict`. For a model declared as
a record type (:mod:`kehu.core.permissions`), a record is in the user's reach for an action when

* the user's roles grant ``<type>.<action>`` and the record is within their scope for the type:
  *own* (they own it), *team* (its owner is in one of their teams or the teams below them),
  *all*; or
* for viewing, the user is a collaborator on the record, or it was shared with them or with one
  of their teams; for editing, the same when they may edit that type at all, or the share allows
  editing.

A model that is not a record type may register its own policy; one with neither is visible to
superusers only, so forgetting to declare hides data instead of leaking it. Pages and the API
answer 404 for records out of reach through :func:`get_visible_or_404`.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from contextvars import ContextVar
from typing import Any, TypeVar

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import F, Q, QuerySet
from django.db.models.lookups import In
from django.http import Http404

from kehu.core.permissions import SCOPE_RANK, RecordType, Scope, record_type_for, rights_for

M = TypeVar("M", bound=models.Model)
Policy = Callable[[QuerySet[Any], Any, str], QuerySet[Any]]

_policies: dict[type[models.Model], Policy] = {}

# While a request that changes nothing (GET, HEAD) is answered, each person's collaborations
# and shares are read once, not once per question asked about them.
_reads: ContextVar[dict[Any, Any] | None] = ContextVar("kehu_scoping_reads", default=None)


@contextlib.contextmanager
def reads_remembered() -> Iterator[None]:
    token = _reads.set({})
    try:
        yield
    finally:
        _reads.reset(token)


def register(model: type[models.Model], policy: Policy) -> None:
    """A custom visibility rule for a model that is not a scoped record type (it applies to
    superusers too: a personal inbox is nobody else's)."""
    _policies[model] = policy


def policy_for(model: type[models.Model]) -> Policy | None:
    for klass in model.__mro__:
        if klass in _policies:
            return _policies[klass]
    return None


def team_member_ids(user: Any) -> set[int]:
    """The user and everyone in the user's teams and the teams below them (cached per user)."""
    cached = getattr(user, "_kehu_team_member_ids", None)
    if cached is None:
        from kehu.accounts.selectors import members_of_teams_below

        cached = members_of_teams_below(user) | {user.pk}
        user._kehu_team_member_ids = cached
    return cached


def _share_target(rt: RecordType) -> type[models.Model]:
    if rt.share_target:
        return rt.model._meta.get_field(rt.share_target).related_model  # type: ignore[return-value]
    return rt.model


def _shares(target: type[models.Model], user: Any) -> list[tuple[Any, bool]]:
    """(record id, may edit) of every share of a ``target`` with ``user`` or their teams."""
    from kehu.core.models import Share

    shares = Share.objects.filter(content_type=ContentType.objects.get_for_model(target)).filter(
        Q(user=user) | Q(team__in=user.teams.all())
    )
    return list(shares.values_list("object_id", "can_edit"))


def _shares_with(target: type[models.Model], user: Any) -> list[tuple[Any, bool]]:
    """:func:`_shares`; while reads are remembered, every share with the user (of any type)
    is read at once, the first time any is asked for: a customer page asks about customers,
    tasks, deals and tickets, one query instead of four."""
    memo = _reads.get()
    if memo is None:
        return _shares(target, user)
    key = ("shares", user.pk)
    if key not in memo:
        from kehu.core.models import Share

        grouped: dict[int, list[tuple[Any, bool]]] = {}
        rows = Share.objects.filter(Q(user=user) | Q(team__in=user.teams.all())).values_list(
            "content_type_id", "object_id", "can_edit"
        )
        for content_type_id, object_id, can_edit in rows:
            grouped.setdefault(content_type_id, []).append((object_id, can_edit))
        memo[key] = grouped
    return memo[key].get(ContentType.objects.get_for_model(target).pk, [])


def _owned_by(rt: RecordType, owner_ids: set[int]) -> Q:
    return owned_by(rt.owner_field, owner_ids)


def owned_by(owner_field: str, owner_ids: set[int] | list[int]) -> Q:
    """Records whose owner is one of ``owner_ids``, phrased so the database walks an index in
    the table's order and stops after one page.

    One owner: a plain equality, which uses the (owner, sort column) indexes — a sales rep's
    twenty thousand customers are walked in name order. Several owners: the column is
    compared as ``owner_id + 0``, the same values, but the planner no longer reaches for the
    owner index. It walks the table's sort index instead, or starts from another condition's
    few rows (a search's list of keys); with the owner index SQLite would fetch and sort every
    row of the team (a sixth of a million customers) to show fifty, and PostgreSQL ANDs a
    bitmap of those three hundred thousand rows with the search's two thousand (50 ms instead
    of 5).
    """
    ids = sorted(owner_ids)
    if len(ids) == 1:
        return Q(**{f"{owner_field}_id": ids[0]})
    return Q(In(F(f"{owner_field}_id") + 0, ids))


def _collaborating(rt: RecordType, user: Any) -> tuple[str, list[Any]]:
    """The records of ``rt`` the user collaborates on, as a lookup and its ids. A type seen
    through its parent's collaborators (a customer's contacts, interactions, orders) is
    answered with the parent's ids — the same list the parent's own question reads — instead
    of every child record of those parents."""
    field = rt.collaborators_field or ""
    parent = _share_parent(rt)
    if parent is not None and field == f"{rt.share_target}__{parent.collaborators_field}":
        return f"{rt.share_target}__in", _collaborating(parent, user)[1]
    memo = _reads.get()
    if memo is None or "__" in field:
        return "pk__in", list(
            rt.model._default_manager.filter(**{field: user}).values_list("pk", flat=True)
        )
    key = ("collaborating", user.pk)
    if key not in memo:
        memo[key] = _all_collaborations(user)
    return "pk__in", memo[key].get(rt.key, [])


def _all_collaborations(user: Any) -> dict[str, list[Any]]:
    """While reads are remembered: every record the user collaborates on, of every type with
    its own collaborators, read from the link tables in one query the first time any is asked
    for (a customer page asks about customers and tasks)."""
    from django.db.models import CharField, Value

    from kehu.core.permissions import record_types

    parts = []
    for rt in record_types():
        if not rt.collaborators_field or "__" in rt.collaborators_field:
            continue
        m2m: Any = rt.model._meta.get_field(rt.collaborators_field)
        parts.append(
            m2m.remote_field.through.objects.filter(**{m2m.m2m_reverse_name(): user.pk})
            .order_by()
            .values_list(Value(rt.key, output_field=CharField()), m2m.m2m_column_name())
        )
    found: dict[str, list[Any]] = {}
    if parts:
        for key, pk in parts[0].union(*parts[1:], all=True):
            found.setdefault(key, []).append(pk)
    return found


def _share_parent(rt: RecordType) -> RecordType | None:
    """The record type of ``rt``'s share target when that is another scoped type."""
    if not rt.share_target:
        return None
    parent = record_type_for(_share_target(rt))
    return parent if parent is not None and parent is not rt else None


def _record_filter(rt: RecordType, user: Any, action: str) -> Q | None:
    """The condition on ``rt.model`` for ``user`` to ``action``; None means everything."""
    rights = rights_for(user)
    scope = rights.scope(rt.key) if rights.has(rt.code(action)) else Scope.NONE
    if scope == Scope.ALL:
        return None
    condition = Q(pk__in=[])
    if scope == Scope.TEAM:
        condition |= _owned_by(rt, team_member_ids(user))
    elif scope == Scope.OWN:
        condition |= _owned_by(rt, {user.pk})
    if action in {"view", "change"}:
        # Collaborations and shares are few per person: fetch their ids (two indexed queries)
        # and add them only when there are any, so the common case stays a plain indexed filter
        # instead of an OR of sub-selects that makes the database scan the whole table.
        may_edit_type = rights.has(rt.code("change"))
        collaborators_field = rt.collaborators_field
        if collaborators_field and (action == "view" or may_edit_type):
            path, collaborating = _collaborating(rt, user)
            if collaborating:
                condition |= Q(**{path: collaborating})
        # Keyed by what is shared: a customer's contacts, orders and returns follow its shares.
        target = _share_target(rt)
        shares = _shares_with(target, user)
        editable = action == "change"
        shared = sorted({pk for pk, can_edit in shares if can_edit or not editable})
        if shared:
            share_path = f"{rt.share_target}__in" if rt.share_target else "pk__in"
            condition |= Q(**{share_path: shared})
    return condition


def restrict(queryset: QuerySet[M], user: Any, action: str = "view") -> QuerySet[M]:
    """The part of ``queryset`` that ``user`` may ``action``."""
    if user is None or not user.is_authenticated or not user.is_active:
        return queryset.none()
    rt = record_type_for(queryset.model)
    if rt is not None:
        condition = _record_filter(rt, user, action)
        return queryset if condition is None else queryset.filter(condition)
    policy = policy_for(queryset.model)
    if policy is not None:
        return policy(queryset, user, action)
    return queryset if user.is_superuser else queryset.none()


def restrict_under(
    queryset: QuerySet[M], user: Any, parent: type[models.Model], action: str = "view"
) -> QuerySet[M]:
    """``queryset`` — records of one ``parent`` record the user may already ``action`` —
    restricted for ``user``. When the type is seen through its parent (the parent's owner,
    collaborators and shares decide) and the user's scope for it is no narrower than for the
    parent, every record passes and nothing is added to the query; otherwise :func:`restrict`.
    """
    rt, prt = record_type_for(queryset.model), record_type_for(parent)
    if (
        rt is not None
        and prt is not None
        and user is not None
        and user.is_authenticated
        and user.is_active
        and rt.share_target
        and _share_target(rt) is parent
        and rt.owner_field == f"{rt.share_target}__{prt.owner_field}"
        and rt.collaborators_field == f"{rt.share_target}__{prt.collaborators_field}"
        and not prt.share_target
    ):
        rights = rights_for(user)
        if (
            rights.has(rt.code(action))
            and rights.has(prt.code(action))
            and SCOPE_RANK[rights.scope(rt.key)] >= SCOPE_RANK[rights.scope(prt.key)]
        ):
            return queryset
    return restrict(queryset, user, action)


def permitted_among(
    model: type[models.Model], user: Any, ids: list[Any], action: str = "change"
) -> set[Any]:
    """Which of ``ids`` (records ``user`` sees) ``user`` may ``action``; asks the database only
    when the answer depends on the rows (a limited scope, collaborations, shares)."""
    if not ids:
        return set()
    rt = record_type_for(model)
    if rt is not None and user is not None and user.is_authenticated and user.is_active:
        rights = rights_for(user)
        if not rights.has(rt.code(action)):
            return set()
        if rights.scope(rt.key) == Scope.ALL:
            return set(ids)
        if _record_filter(rt, user, action) == _record_filter(rt, user, "view"):
            return set(ids)  # the same owners, collaborations and shares: all of them
    return set(
        restrict(model._default_manager.filter(pk__in=ids), user, action).values_list(
            "pk", flat=True
        )
    )


def can(user: Any, action: str, obj: models.Model) -> bool:
    """Whether ``user`` may ``action`` this one record."""
    return restrict(type(obj)._default_manager.filter(pk=obj.pk), user, action).exists()


def get_visible_or_404(queryset: QuerySet[M], user: Any, action: str = "view", **lookup: Any) -> M:
    try:
        return restrict(queryset, user, action).get(**lookup)
    except queryset.model.DoesNotExist as exc:  # type: ignore[attr-defined]
        raise Http404 from exc

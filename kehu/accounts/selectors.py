"""Reads about people and teams."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from kehu.accounts.models import Team, User


def team_subtree_ids(root_ids: set[int]) -> set[int]:
    """The given teams and all teams below them, in one query however deep the tree."""
    if not root_ids:
        return set()
    marks = ", ".join(["%s"] * len(root_ids))
    roots = f"SELECT id FROM {_TEAM} WHERE id IN ({marks})"  # noqa: S608 - placeholders only
    sql = f"{_below(roots)} SELECT id FROM below"  # noqa: S608 - table names and placeholders
    return _read_ids(sql, sorted(root_ids))


_TEAM = Team._meta.db_table
_MEMBERS = Team.members.through._meta.db_table


def _below(roots_sql: str) -> str:
    """``WITH RECURSIVE below(id)``: the teams ``roots_sql`` selects (one column of team ids)
    and every team under them, for one query on either database where walking the tree level
    by level asked once per level and once more. ``UNION`` ends at a loop in the tree."""
    return (
        f"WITH RECURSIVE below(id) AS (SELECT id FROM ({roots_sql}) AS roots "  # noqa: S608
        f"UNION SELECT t.id FROM {_TEAM} t JOIN below b ON t.parent_id = b.id)"
    )


def _read_ids(sql: str, params: list[Any]) -> set[int]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {row[0] for row in cursor.fetchall()}


def active_users() -> QuerySet[User]:
    return User.objects.filter(is_active=True).order_by("username")


def members_of_teams_below(user: Any) -> set[int]:
    """Members of the teams the user belongs to or leads, and of every team below those (one
    query: this is asked on every page a team-scoped person opens)."""
    roots = (  # table names only, nothing from the user
        f"SELECT team_id AS id FROM {_MEMBERS} WHERE user_id = %s "  # noqa: S608
        f"UNION SELECT id FROM {_TEAM} WHERE leader_id = %s"
    )
    sql = (
        f"{_below(roots)} SELECT DISTINCT m.user_id FROM {_MEMBERS} m "  # noqa: S608
        "JOIN below b ON m.team_id = b.id"
    )
    return _read_ids(sql, [user.pk, user.pk])

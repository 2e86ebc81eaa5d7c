"""Reads about people and teams."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from kehu.accounts.models import Team, User


def team_subtree_ids(root_ids: set[int]) -> set[int]:
    """The given teams and all teams below them (the tree is small: one query per level)."""
    found = set(root_ids)
    frontier = set(root_ids)
    while frontier:
        frontier = (
            set(Team.objects.filter(parent_id__in=frontier).values_list("id", flat=True)) - found
        )
        found |= frontier
    return found


def active_users() -> QuerySet[User]:
    return User.objects.filter(is_active=True).order_by("username")


def members_of_teams_below(user: Any) -> set[int]:
    """Members of the teams the user belongs to or leads, and of every team below those."""
    own = set(user.teams.values_list("id", flat=True)) | set(
        Team.objects.filter(leader=user).values_list("id", flat=True)
    )
    if not own:
        return set()
    teams = team_subtree_ids(own)
    return set(User.objects.filter(teams__in=teams).values_list("id", flat=True))

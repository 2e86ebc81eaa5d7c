"""Counting the data-quality checks over a set of customers and their contacts.

Every SQL check of a subject is one conditional ``COUNT`` in a single aggregate query grouped
by customer manager, so the whole set is read once per subject, not once per check; duplicates
are one more grouped query over the duplicates report's keys. Only the format checks look at
rows in Python, streaming just the columns they validate, ``chunk_size`` rows at a time.
Per-team figures add up the figures of the team's members and of the teams below it, as the
customer table's team filter reads a team.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from django.db.models import Count, QuerySet

from kehu.customers import quality
from kehu.customers.models import Contact, Customer
from kehu.dataops.checks import CHECKS, TOTALS, Context, score, total_condition, worst

Tally = dict[str, list[int]]  # check key -> [count, total]
CHUNK = 2000
BY_KEY_ORDER = [c.key for c in CHECKS]


def measure(
    customers: QuerySet[Customer],
    contacts: QuerySet[Contact],
    *,
    stale_days: int,
    now: dt.datetime,
) -> dict[str, Any]:
    """The results of one audit of ``customers`` and ``contacts`` (plain JSON)."""
    ctx = Context(now=now, stale_days=stale_days)
    totals: dict[Any, dict[str, int]] = defaultdict(lambda: dict.fromkeys(TOTALS, 0))
    counts: dict[Any, dict[str, int]] = defaultdict(lambda: dict.fromkeys(BY_KEY_ORDER, 0))

    _sql_counts("customer", customers.order_by(), "owner_id", ctx, totals, counts)
    _sql_counts("contact", contacts.order_by(), "customer__owner_id", ctx, totals, counts)
    _duplicate_counts(customers, counts)
    _format_counts(customers, contacts, counts)

    per_owner: dict[Any, Tally] = {owner: _tally(counts[owner], totals[owner]) for owner in totals}
    overall_counts = {key: sum(c[key] for c in counts.values()) for key in BY_KEY_ORDER}
    overall_totals = {key: sum(t[key] for t in totals.values()) for key in TOTALS}
    overall = _tally(overall_counts, overall_totals)
    return {
        "stale_days": stale_days,
        "customers": overall_totals["customers"],
        "contacts": overall_totals["contacts"],
        "checks": {key: {"count": c, "total": t} for key, (c, t) in overall.items()},
        "score": score(overall),
        "worst": worst(overall),
        "owners": _owner_rows(per_owner, totals),
        "teams": _team_rows(counts, totals),
    }


def _tally(counts: dict[str, int], totals: dict[str, int]) -> Tally:
    return {c.key: [counts.get(c.key, 0), totals.get(c.of, 0)] for c in CHECKS}


def _sql_counts(
    subject: str,
    queryset: QuerySet[Any],
    owner_path: str,
    ctx: Context,
    totals: dict[Any, dict[str, int]],
    counts: dict[Any, dict[str, int]],
) -> None:
    """One grouped query: every total and every SQL check of ``subject``, per manager."""
    annotations: dict[str, Any] = {}
    for key, (of_subject, _label) in TOTALS.items():
        if of_subject == subject:
            condition = total_condition(key)
            annotations[f"total__{key}"] = Count("pk", filter=condition)
    for check in CHECKS:
        if check.subject == subject and check.how == "sql":
            annotations[check.key] = Count("pk", filter=check.condition(ctx))
    for row in queryset.values(owner_path).annotate(**annotations):
        owner = row[owner_path]
        for name, value in row.items():
            if name.startswith("total__"):
                totals[owner][name.removeprefix("total__")] += value
            elif name != owner_path:
                counts[owner][name] += value


def _duplicate_counts(customers: QuerySet[Customer], counts: dict[Any, dict[str, int]]) -> None:
    """Customers flagged as possible duplicates, after bringing every flag up to date (bulk
    writes that bypassed the services are caught here), so the count is exact and equals what
    the table's "possible duplicate" filter lists."""
    from kehu.customers.duplicates import refresh_all

    refresh_all()
    rows = (
        customers.filter(possible_duplicate=True)
        .order_by()
        .values("owner_id")
        .annotate(n=Count("pk"))
    )
    for row in rows:
        counts[row["owner_id"]]["duplicates"] += row["n"]


def _format_counts(
    customers: QuerySet[Customer],
    contacts: QuerySet[Contact],
    counts: dict[Any, dict[str, int]],
) -> None:
    """Phone numbers, e-mails and credit codes checked by the forms' validators, streamed."""
    on_file = quality.contact_has("phone") | quality.contact_has("email")
    rows = (
        contacts.filter(on_file)
        .order_by()
        .values_list("customer__owner_id", *quality.PHONE_FIELDS, "email")
        .iterator(chunk_size=CHUNK)
    )
    for owner, mobile, mobile2, phone, email in rows:
        if quality.phones_invalid(mobile, mobile2, phone):
            counts[owner]["invalid_phone"] += 1
        if quality.email_invalid(email):
            counts[owner]["invalid_email"] += 1
    flagged = (
        customers.filter(quality.customer_invalid("uscc"))
        .order_by()
        .values("owner_id")
        .annotate(n=Count("pk"))
        .values_list("owner_id", "n")
    )
    for owner, n in flagged:
        counts[owner]["invalid_uscc"] += n


def _owner_rows(
    per_owner: dict[Any, Tally], totals: dict[Any, dict[str, int]]
) -> list[dict[str, Any]]:
    from kehu.accounts.models import User

    people = {u.pk: str(u) for u in User.objects.filter(pk__in=[o for o in per_owner if o])}
    rows = [
        {
            "id": owner,
            "name": people.get(owner, "") if owner else "",
            "customers": totals[owner]["customers"],
            "contacts": totals[owner]["contacts"],
            "score": score(tally),
            "worst": worst(tally),
        }
        for owner, tally in per_owner.items()
    ]
    return sorted(rows, key=_by_score)


def _team_rows(
    counts: dict[Any, dict[str, int]], totals: dict[Any, dict[str, int]]
) -> list[dict[str, Any]]:
    """Each team with customers in the audit: its members' and sub-teams' figures added up."""
    from kehu.accounts.models import Team

    teams = list(Team.objects.values_list("id", "name", "parent_id"))
    children: dict[int, set[int]] = defaultdict(set)
    for team_id, _name, parent_id in teams:
        if parent_id is not None:
            children[parent_id].add(team_id)
    members: dict[int, set[int]] = defaultdict(set)
    for team_id, user_id in Team.members.through.objects.values_list("team_id", "user_id"):
        members[team_id].add(user_id)
    rows = []
    for team_id, name, _parent in teams:
        subtree, frontier = {team_id}, {team_id}
        while frontier:
            frontier = set().union(*(children[t] for t in frontier)) - subtree
            subtree |= frontier
        owners = set().union(*(members[t] for t in subtree)) & set(totals)
        if not owners:
            continue
        team_counts = {k: sum(counts[o][k] for o in owners) for k in BY_KEY_ORDER}
        team_totals = {k: sum(totals[o][k] for o in owners) for k in TOTALS}
        if not team_totals["customers"] and not team_totals["contacts"]:
            continue
        tally = _tally(team_counts, team_totals)
        rows.append(
            {
                "id": team_id,
                "name": name,
                "owners": len(owners),
                "customers": team_totals["customers"],
                "contacts": team_totals["contacts"],
                "score": score(tally),
                "worst": worst(tally),
            }
        )
    return sorted(rows, key=_by_score)


def _by_score(row: dict[str, Any]) -> tuple[float, str]:
    """Weakest first (what needs attention), rows without a score last."""
    value = row["score"]
    return (101.0 if value is None else value, row["name"])

"""Reads of data audits for a user, and of the records an audit covers.

Who sees what: reading and running audits needs ``run_data_audit``. An audit covers what the
person who ran it can see; when that is every customer (customer view scope *all*), and for the
scheduled and command-line runs, it is an organisation-wide audit. Organisation-wide audits —
and, since every customer is in their reach anyway, everyone's audits — are visible to holders
of the permission who see every customer; anyone else sees only the audits they ran.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet

from kehu.core import scoping
from kehu.core.permissions import Scope, has_perm, rights_for
from kehu.customers.models import Contact, Customer
from kehu.dataops.checks import CHECKS, GROUPS, TOTALS
from kehu.dataops.models import DataAudit, DataAuditSchedule

RUN_DATA_AUDIT = "run_data_audit"


def may_audit(user: Any) -> bool:
    return has_perm(user, RUN_DATA_AUDIT)


def sees_every_customer(user: Any) -> bool:
    rights = rights_for(user)
    return rights.has("customer.view") and rights.scope("customer") == Scope.ALL


def may_change_schedule(user: Any) -> bool:
    """The schedule runs organisation-wide audits: it is theirs who may read those."""
    return may_audit(user) and sees_every_customer(user)


def audit_policy(queryset: QuerySet[Any], user: Any, action: str) -> QuerySet[Any]:
    """The scoping rule for :class:`DataAudit` (registered in the app config)."""
    if action != "view" or not may_audit(user):
        return queryset.none()
    if sees_every_customer(user):
        return queryset
    return queryset.filter(scope=DataAudit.Scope.PERSONAL, started_by=user)


def audits_visible_to(user: Any) -> QuerySet[DataAudit]:
    return scoping.restrict(DataAudit.objects.select_related("started_by"), user)


def get_audit_for(user: Any, audit_id: int) -> DataAudit:
    return scoping.get_visible_or_404(
        DataAudit.objects.select_related("started_by", "previous"), user, pk=audit_id
    )


def _own_scope(queryset: QuerySet[DataAudit], user: Any) -> QuerySet[DataAudit]:
    """The audits of the scope ``user`` would audit now (see :func:`scope_for`)."""
    if sees_every_customer(user):
        return queryset.filter(scope=DataAudit.Scope.ORGANISATION)
    return queryset.filter(scope=DataAudit.Scope.PERSONAL, started_by=user)


def scope_for(user: Any) -> str:
    """What an audit run by ``user`` covers: everything when they see every customer."""
    if sees_every_customer(user):
        return DataAudit.Scope.ORGANISATION
    return DataAudit.Scope.PERSONAL


def latest_audit_for(user: Any) -> DataAudit | None:
    """The newest finished audit of the user's own scope, with the one before it."""
    done = audits_visible_to(user).filter(status=DataAudit.Status.DONE)
    return _own_scope(done, user).select_related("previous").first()


def pending_audit_for(user: Any) -> DataAudit | None:
    """An audit of the user's own scope that is waiting or running, if any."""
    waiting = audits_visible_to(user).filter(
        status__in=[DataAudit.Status.QUEUED, DataAudit.Status.RUNNING]
    )
    return _own_scope(waiting, user).defer("results").first()


def audit_history(user: Any, *, limit: int = 36) -> list[DataAudit]:
    """The newest audits the user may read (without their results)."""
    return list(audits_visible_to(user).defer("results")[:limit])


def previous_audit(audit: DataAudit) -> DataAudit | None:
    """The latest finished audit of the same scope that started before ``audit`` (for a
    personal audit: run by the same person)."""
    same = DataAudit.objects.filter(scope=audit.scope, status=DataAudit.Status.DONE)
    if audit.scope == DataAudit.Scope.PERSONAL:
        same = same.filter(started_by_id=audit.started_by_id)
    # Audits are created in the order they start: an earlier one has a smaller id.
    return same.filter(pk__lt=audit.pk).order_by("-pk").defer("results").first()


def audit_population(audit: DataAudit) -> tuple[QuerySet[Customer], QuerySet[Contact]]:
    """The customers and contacts an audit counts.

    A personal audit reads through the customer selectors of the person who ran it, so it
    never counts a record outside their scope. The organisation-wide audit is run by the
    schedule or the command line on behalf of nobody, and is shown only to people who see
    every customer: it counts every record.
    """
    from kehu.customers.selectors import contacts_visible_to, customers_visible_to

    if audit.scope == DataAudit.Scope.ORGANISATION:
        return Customer.objects.all(), Contact.objects.all()
    user = audit.started_by
    if user is None:
        return Customer.objects.none(), Contact.objects.none()
    return customers_visible_to(user), contacts_visible_to(user)


def audit_schedule() -> DataAuditSchedule:
    """The schedule; its defaults until someone saves it."""
    return DataAuditSchedule.objects.filter(pk=1).first() or DataAuditSchedule(pk=1)


def scheduled_audit_exists(period_start: dt.date) -> bool:
    return DataAudit.objects.filter(
        trigger=DataAudit.Trigger.SCHEDULE, period_start=period_start
    ).exists()


def audit_recipients() -> list[Any]:
    """Active people who may read organisation-wide audits (they are told of scheduled ones)."""
    from kehu.accounts.models import Role, User

    roles = [
        pk
        for pk, permissions in Role.objects.values_list("pk", "permissions")
        if RUN_DATA_AUDIT in (permissions or [])
    ]
    people = (
        User.objects.filter(is_active=True)
        .filter(Q(roles__in=roles) | Q(is_superuser=True))
        .distinct()
        .prefetch_related("roles")
        .order_by("pk")
    )
    return [person for person in people if may_change_schedule(person)]


@dataclass(frozen=True)
class CheckRow:
    """One line of an audit's checks table, as a reader sees it."""

    key: str
    label: str
    group: str
    group_label: str
    count: int
    total: int
    of: str
    percent: float | None
    change: int | None  # against the previous audit of the same scope
    url: str  # the fix-it link; empty when it would not show the counted records


def links_apply(audit: DataAudit, user: Any) -> bool:
    """Whether the fix-it links, which open the reader's own view of the tables, list exactly
    what the audit counted: the reader's scope must be the audit's."""
    if audit.scope == DataAudit.Scope.ORGANISATION:
        return sees_every_customer(user)
    return audit.started_by_id == user.pk and not sees_every_customer(user)


def check_rows(audit: DataAudit, user: Any) -> list[CheckRow]:
    """The audit's checks with their trend and fix-it links (labels in the reader's language)."""
    results = audit.results or {}
    counted = results.get("checks", {})
    before = (audit.previous.results or {}).get("checks", {}) if audit.previous else {}
    stale_days = int(results.get("stale_days", audit.stale_days))
    if audit.previous and audit.previous.stale_days != stale_days:
        # "No contact in 60 days" then and "in 90 days" now are not the same question.
        before = {k: v for k, v in before.items() if k != "stale"}
    linked = links_apply(audit, user)
    rows = []
    for check in CHECKS:
        if check.key not in counted:
            continue
        count, total = counted[check.key]["count"], counted[check.key]["total"]
        earlier = before.get(check.key)
        rows.append(
            CheckRow(
                key=check.key,
                label=check.label_for(stale_days),
                group=check.group,
                group_label=str(GROUPS[check.group]),
                count=count,
                total=total,
                of=str(TOTALS[check.of][1]),
                percent=round(100 * count / total, 1) if total else None,
                change=count - earlier["count"] if earlier else None,
                url=check.fix_url(stale_days) if linked and count else "",
            )
        )
    return rows


def score_change(audit: DataAudit) -> float | None:
    if audit.score is None or audit.previous is None or audit.previous.score is None:
        return None
    return round(audit.score - audit.previous.score, 1)


def score_band(value: float | None) -> str:
    """good / fair / poor, for colouring a score."""
    if value is None:
        return ""
    return "good" if value >= 85 else "fair" if value >= 60 else "poor"

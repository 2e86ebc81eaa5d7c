"""Data-audit API: the same selectors and services as the pages."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from ninja import Router, Schema, Status
from ninja.pagination import paginate

from kehu.core.apisupport import KeysetPagination
from kehu.dataops import audit_selectors as selectors
from kehu.dataops import audit_services as services
from kehu.dataops.models import DataAudit

router = Router(tags=["data audits"])


class AuditCheckOut(Schema):
    key: str
    label: str
    group: str
    count: int
    total: int
    percent: float | None
    change: int | None  # against the previous audit of the same scope
    fix_url: str  # the customer or contact table filtered to exactly these records ("": none)


class ScoreOut(Schema):
    id: int | None  # the customer manager (None: customers without one) or the team
    name: str
    customers: int
    contacts: int
    score: float | None
    fix_first: str | None  # the key of the check that costs the most points


class DataAuditSummaryOut(Schema):
    id: int
    status: str
    scope: str
    scope_description: str
    trigger: str
    started_by_id: int | None
    period: str
    period_start: dt.date | None
    started_at: dt.datetime
    finished_at: dt.datetime | None
    stale_days: int
    score: float | None


class DataAuditOut(DataAuditSummaryOut):
    previous_id: int | None
    score_change: float | None
    customers: int
    contacts: int
    checks: list[AuditCheckOut]
    owners: list[ScoreOut]
    teams: list[ScoreOut]
    error: str


def _summary(user: Any, audit: DataAudit) -> dict[str, Any]:
    return {
        "id": audit.pk,
        "status": audit.status,
        "scope": audit.scope,
        "scope_description": audit.scope_description,
        "trigger": audit.trigger,
        "started_by_id": audit.started_by_id,
        "period": audit.period,
        "period_start": audit.period_start,
        "started_at": audit.started_at,
        "finished_at": audit.finished_at,
        "stale_days": audit.stale_days,
        "score": audit.score,
    }


def _scores(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [
        {
            "id": row["id"],
            "name": row["name"],
            "customers": row["customers"],
            "contacts": row["contacts"],
            "score": row["score"],
            "fix_first": row.get("worst"),
        }
        for row in rows
    ]


def serialize(user: Any, audit: DataAudit) -> dict[str, Any]:
    results = audit.results or {}
    return {
        **_summary(user, audit),
        "previous_id": audit.previous_id,
        "score_change": selectors.score_change(audit),
        "customers": results.get("customers", 0),
        "contacts": results.get("contacts", 0),
        "checks": [
            {
                "key": row.key,
                "label": row.label,
                "group": row.group,
                "count": row.count,
                "total": row.total,
                "percent": row.percent,
                "change": row.change,
                "fix_url": row.url,
            }
            for row in selectors.check_rows(audit, user)
        ],
        "owners": _scores(results.get("owners", [])),
        "teams": _scores(results.get("teams", [])),
        "error": audit.error,
    }


def _require(user: Any) -> None:
    if not selectors.may_audit(user):
        raise PermissionDenied


@router.get("/data-audits", response=list[DataAuditSummaryOut], summary="List data-quality audits")
@paginate(KeysetPagination, ordering=["-started_at"], serialize=_summary)
def list_audits(request: HttpRequest) -> Any:
    """Newest first: the audits the caller may read (needs ``run_data_audit``)."""
    _require(request.auth)  # type: ignore[attr-defined]
    return selectors.audits_visible_to(request.auth).defer("results")  # type: ignore[attr-defined]


@router.get("/data-audits/{audit_id}", response=DataAuditOut, summary="One data-quality audit")
def get_audit(request: HttpRequest, audit_id: int) -> Any:
    user = request.auth  # type: ignore[attr-defined]
    _require(user)
    return serialize(user, selectors.get_audit_for(user, audit_id))


@router.post(
    "/data-audits",
    response={201: DataAuditOut},
    summary="Run a data-quality audit now",
    description="Audits the customers the caller can see (every customer when their scope is "
    "*all*). The audit runs as a background job: poll it until `status` is `done` or "
    "`failed`. While one is waiting or running, its scope's audit is returned instead.",
)
def run_audit(request: HttpRequest) -> Any:
    user = request.auth  # type: ignore[attr-defined]
    _require(user)
    audit = services.request_audit(actor=user)
    return Status(201, serialize(user, selectors.get_audit_for(user, audit.pk)))

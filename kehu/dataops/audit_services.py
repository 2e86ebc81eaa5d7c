"""Every write of the data audit: starting and finishing runs, the schedule."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from kehu.core.events import Event, publish
from kehu.core.locking import save_versioned
from kehu.dataops import audit_selectors as selectors
from kehu.dataops.models import DataAudit, DataAuditSchedule

logger = logging.getLogger(__name__)

# A scheduled audit missed on the 1st (the worker was down over 国庆) still runs within the
# first days of its period; later it waits for the next period.
CATCH_UP_DAYS = 7


def _emit(name: str, actor: Any, audit: DataAudit | DataAuditSchedule) -> None:
    publish(
        Event(
            name,
            actor_id=getattr(actor, "pk", None),
            object_type=type(audit)._meta.model_name or "",
            object_id=audit.pk,
        )
    )


def period_start(day: dt.date, period: str) -> dt.date:
    """The first day of the month or quarter ``day`` falls in."""
    if period == DataAuditSchedule.Period.QUARTERLY:
        return dt.date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
    return day.replace(day=1)


def due_period(day: dt.date, period: str) -> dt.date | None:
    """The period whose scheduled audit should run on ``day`` (its first day, or one of the
    catch-up days after it), or None."""
    start = period_start(day, period)
    return start if (day - start).days < CATCH_UP_DAYS else None


@transaction.atomic
def start_audit(*, actor: Any) -> tuple[DataAudit, bool]:
    """Queue an audit of what ``actor`` can see; one waiting or running audit per scope, so a
    second click returns the first (``created`` is False then)."""
    if not selectors.may_audit(actor):
        raise PermissionDenied
    pending = selectors.pending_audit_for(actor)
    if pending is not None:
        return pending, False
    audit = DataAudit.objects.create(
        scope=selectors.scope_for(actor),
        trigger=DataAudit.Trigger.MANUAL,
        started_by=actor,
        stale_days=selectors.audit_schedule().stale_days,
    )
    _emit("data_audit.started", actor, audit)
    return audit, True


def request_audit(*, actor: Any) -> DataAudit:
    """Queue an audit of what ``actor`` can see and hand it to a job worker (in embedded test
    mode the queue runs it at once). Returns the audit as it stands afterwards."""
    from kehu.dataops.tasks import run_data_audit

    audit, created = start_audit(actor=actor)
    if created:
        # Enqueued after the row is committed, so a worker in another process finds it.
        run_data_audit(audit.pk)
        audit.refresh_from_db()
    return audit


def perform_audit(*, audit_id: int, now: dt.datetime | None = None) -> DataAudit | None:
    """Count every check for a queued audit and store the results (the job's work).

    Only one worker gets to run an audit: the first to move it from queued to running.
    A failure is recorded on the audit, never lost in a log only.
    """
    claimed = DataAudit.objects.filter(pk=audit_id, status=DataAudit.Status.QUEUED).update(
        status=DataAudit.Status.RUNNING
    )
    audit = DataAudit.objects.select_related("started_by").filter(pk=audit_id).first()
    if not claimed or audit is None:
        return audit
    from kehu.dataops.measure import measure

    try:
        customers, contacts = selectors.audit_population(audit)
        results = measure(
            customers, contacts, stale_days=audit.stale_days, now=now or timezone.now()
        )
    except Exception as exc:
        logger.exception("data audit %s failed", audit_id)
        return _finish(audit, status=DataAudit.Status.FAILED, error=str(exc) or type(exc).__name__)
    return _finish(audit, status=DataAudit.Status.DONE, results=results)


@transaction.atomic
def _finish(
    audit: DataAudit,
    *,
    status: str,
    results: dict[str, Any] | None = None,
    error: str = "",
) -> DataAudit:
    audit.status = status
    audit.finished_at = timezone.now()
    audit.error = error[:500]
    fields = ["status", "finished_at", "error"]
    if results is not None:
        audit.results = results
        audit.score = results["score"]
        audit.previous = selectors.previous_audit(audit)
        fields += ["results", "score", "previous"]
    audit.save(update_fields=fields)
    _emit(f"data_audit.{'finished' if status == DataAudit.Status.DONE else 'failed'}", None, audit)
    _notify(audit)
    return audit


def _notify(audit: DataAudit) -> None:
    """Tell whoever waits for the audit: the organisation's auditors for a scheduled one, the
    person who ran it for one run by hand. Each reads it in their own language."""
    from kehu.core.models import Notification
    from kehu.core.services import notify
    from kehu.dataops.checks import BY_KEY

    if audit.trigger == DataAudit.Trigger.SCHEDULE:
        recipients = selectors.audit_recipients()
    elif audit.trigger == DataAudit.Trigger.MANUAL and audit.started_by is not None:
        recipients = [audit.started_by]
    else:
        return
    worst = (audit.results or {}).get("worst")
    for person in recipients:
        with translation.override(person.language or settings.LANGUAGE_CODE):
            if audit.status == DataAudit.Status.DONE:
                title = _("Data audit finished: score %(score)s") % {
                    "score": "—" if audit.score is None else f"{audit.score:g}"
                }
                body = audit.scope_description
                if worst in BY_KEY:
                    body += " · " + _("Fix first: %(check)s") % {
                        "check": BY_KEY[worst].label_for(audit.stale_days)
                    }
                level = Notification.Level.INFO
            else:
                title = _("The data audit failed")
                body = audit.error
                level = Notification.Level.WARNING
            notify(
                recipient=person,
                title=title,
                body=body,
                url=audit.get_absolute_url(),
                level=level,
                kind="data_audit",
            )


def run_scheduled_audit(*, today: dt.date, now: dt.datetime | None = None) -> DataAudit | None:
    """The organisation-wide audit of the period ``today`` falls in, when it is due and has not
    run yet (the daily job calls this; two workers never both run it)."""
    schedule = selectors.audit_schedule()
    start = due_period(today, schedule.period)
    if start is None or selectors.scheduled_audit_exists(start):
        return None
    try:
        with transaction.atomic():
            audit = DataAudit.objects.create(
                scope=DataAudit.Scope.ORGANISATION,
                trigger=DataAudit.Trigger.SCHEDULE,
                period=schedule.period,
                period_start=start,
                stale_days=schedule.stale_days,
            )
    except IntegrityError:
        return None  # another worker started this period's audit a moment ago
    _emit("data_audit.started", None, audit)
    return perform_audit(audit_id=audit.pk, now=now)


def run_organisation_audit(*, now: dt.datetime | None = None) -> DataAudit | None:
    """An organisation-wide audit, run here and now (``kehu audit``)."""
    audit = DataAudit.objects.create(
        scope=DataAudit.Scope.ORGANISATION,
        trigger=DataAudit.Trigger.COMMAND,
        stale_days=selectors.audit_schedule().stale_days,
    )
    _emit("data_audit.started", None, audit)
    return perform_audit(audit_id=audit.pk, now=now)


@transaction.atomic
def update_schedule(
    *, actor: Any, period: str, stale_days: int, expected_version: int | None
) -> DataAuditSchedule:
    """Change how often the organisation is audited and when a customer counts as stale."""
    if not selectors.may_change_schedule(actor):
        raise PermissionDenied
    schedule, _created = DataAuditSchedule.objects.get_or_create(
        pk=1, defaults={"created_by": actor, "updated_by": actor}
    )
    changes = {"period": period, "stale_days": stale_days}
    changed = [name for name, value in changes.items() if getattr(schedule, name) != value]
    for name in changed:
        setattr(schedule, name, changes[name])
    if not changed:
        return schedule
    schedule.full_clean()
    save_versioned(schedule, expected_version=expected_version, update_fields=changed, user=actor)
    _emit("data_audit.schedule_changed", actor, schedule)
    return schedule

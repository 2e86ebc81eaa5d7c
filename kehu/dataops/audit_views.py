"""The data-audit pages: the latest audit of one's scope, any earlier one, running one now,
the schedule and the report as a spreadsheet."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kehu.core.locking import StaleWriteError
from kehu.dataops import audit_export as export
from kehu.dataops import audit_selectors as selectors
from kehu.dataops import audit_services as services
from kehu.dataops.forms import ScheduleForm
from kehu.dataops.models import DataAudit

# Score bands as the stylesheet's coloured tags: green, amber, red.
BAND_TAGS = {"good": "tag-active", "fair": "tag-dormant", "poor": "tag-A"}


def _require_auditor(request: HttpRequest) -> None:
    if not selectors.may_audit(request.user):
        raise PermissionDenied


def audit_page(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """The latest audit of the reader's scope (or audit ``pk``), its history and schedule."""
    _require_auditor(request)
    user = request.user
    audit = selectors.get_audit_for(user, pk) if pk else selectors.latest_audit_for(user)
    schedule = selectors.audit_schedule()
    may_schedule = selectors.may_change_schedule(user)
    context: dict[str, Any] = {
        "audit": audit,
        "is_latest": pk is None,
        "pending": selectors.pending_audit_for(user),
        "history": selectors.audit_history(user),
        "schedule": schedule,
        "may_schedule": may_schedule,
        "schedule_form": ScheduleForm(
            initial={
                "period": schedule.period,
                "stale_days": schedule.stale_days,
                "version": schedule.version,
            }
        )
        if may_schedule
        else None,
        "scope_now": selectors.scope_for(user),
    }
    if audit is not None:
        context.update(_report_context(audit, user))
    return render(request, "dataops/audit.html", context)


def _report_context(audit: DataAudit, user: Any) -> dict[str, Any]:
    from kehu.dataops.checks import BY_KEY

    results = audit.results or {}

    def rows(kind: str) -> list[dict[str, Any]]:
        out = []
        for row in results.get(kind, []):
            worst = BY_KEY.get(row.get("worst") or "")
            out.append(
                {
                    **row,
                    "tag": BAND_TAGS.get(selectors.score_band(row.get("score")), ""),
                    "fix_first": worst.label_for(audit.stale_days) if worst else "",
                }
            )
        return out

    checks = selectors.check_rows(audit, user)
    return {
        "checks": checks,
        "links": selectors.links_apply(audit, user),
        "band": selectors.score_band(audit.score),
        "score_change": selectors.score_change(audit),
        "owners": rows("owners"),
        "teams": rows("teams"),
        "results": results,
    }


@require_POST
def run_audit(request: HttpRequest) -> HttpResponse:
    _require_auditor(request)
    audit = services.request_audit(actor=request.user)
    if audit.status == DataAudit.Status.DONE:
        messages.success(
            request,
            _("Data audit finished: score %(score)s")
            % {"score": "—" if audit.score is None else f"{audit.score:g}"},
        )
        return HttpResponseRedirect(audit.get_absolute_url())
    if audit.status == DataAudit.Status.FAILED:
        messages.error(request, _("The audit failed: %(error)s") % {"error": audit.error})
    else:
        messages.info(request, _("The audit is running; this page shows it when it is done."))
    return HttpResponseRedirect(reverse("dataops:audit"))


def audit_status(request: HttpRequest, pk: int) -> HttpResponse:
    """Polled by the page while an audit runs: reloads the page once it is finished."""
    _require_auditor(request)
    audit = selectors.get_audit_for(request.user, pk)
    response = render(request, "dataops/audit.html#status", {"pending": audit})
    if audit.is_finished:
        response.headers["HX-Refresh"] = "true"
    return response


@require_POST
def save_schedule(request: HttpRequest) -> HttpResponse:
    _require_auditor(request)
    if not selectors.may_change_schedule(request.user):
        raise PermissionDenied
    form = ScheduleForm(request.POST)
    if form.is_valid():
        try:
            services.update_schedule(
                actor=request.user,
                period=form.cleaned_data["period"],
                stale_days=form.cleaned_data["stale_days"],
                expected_version=form.cleaned_data["version"],
            )
        except StaleWriteError:
            messages.error(
                request, _("Someone changed the schedule meanwhile; check it and save again.")
            )
        except ValidationError as exc:
            for problem in exc.messages:
                messages.error(request, problem)
        else:
            messages.success(request, _("Schedule saved."))
    else:
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            for error in errors:
                messages.error(request, f"{label}: {error}" if label else str(error))
    return HttpResponseRedirect(reverse("dataops:audit") + "#schedule")


def export_audit(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    from kehu.core.audit import audit as log
    from kehu.core.models import AuditEvent

    _require_auditor(request)
    if fmt not in {"xlsx", "csv"}:
        raise Http404
    found = selectors.get_audit_for(request.user, pk)
    if found.status != DataAudit.Status.DONE:
        raise Http404
    response = (
        export.as_xlsx(found, request.user) if fmt == "xlsx" else export.as_csv(found, request.user)
    )
    log(
        AuditEvent.Action.EXPORT,
        actor=request.user,
        request=request,
        obj=found,
        summary=f"{found} ({fmt})",
    )
    return response

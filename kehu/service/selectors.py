"""Reads of the service desk for a user; every one goes through the scoping door."""

from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from kehu.core import scoping
from kehu.core.workcalendar import working_calendar
from kehu.service.models import SLAPolicy, Ticket, TicketMessage, TicketStatusChange


def tickets_visible_to(user: Any, action: str = "view") -> QuerySet[Ticket]:
    return scoping.restrict(
        Ticket.objects.select_related("customer", "assignee", "team", "sla_policy"), user, action
    )


def inquiry_team() -> Any:
    """The team that receives the public inquiry form's tickets, or None."""
    from kehu.service.models import InquirySettings

    row = InquirySettings.objects.select_related("team").filter(pk=1).first()
    return row.team if row is not None else None


def latest_survey(ticket: Ticket) -> Any:
    """The ticket's newest satisfaction survey invitation, or None."""
    return ticket.survey_invites.order_by("-created_at", "-id").first()


def get_ticket_for(user: Any, ticket_id: int, action: str = "view") -> Ticket:
    return scoping.get_visible_or_404(
        Ticket.objects.select_related(
            "customer",
            "contact",
            "product",
            "order",
            "assignee",
            "team",
            "sla_policy",
            "merged_into",
        ),
        user,
        action,
        pk=ticket_id,
    )


def conversation(ticket: Ticket) -> list[TicketMessage]:
    return list(ticket.messages.select_related("author").order_by("created_at", "id"))


def policies_visible_to(user: Any) -> QuerySet[SLAPolicy]:
    return scoping.restrict(
        SLAPolicy.objects.select_related("escalate_to_role", "escalate_to_user"), user
    )


@dataclass
class Clock:
    """One SLA clock as the ticket page shows it, in working time."""

    key: str  # response | resolution
    label: str
    due: dt.datetime | None
    remaining: dt.timedelta  # working time left (negative: overdue by)
    state: str  # met | running | warning | overdue | paused | none
    done_at: dt.datetime | None = None

    @property
    def remaining_text(self) -> str:
        return format_working(abs(self.remaining))


def format_working(delta: dt.timedelta) -> str:
    from django.utils.translation import gettext as _

    minutes = int(delta.total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return _("%(h)d h %(m)02d min") % {"h": hours, "m": minutes}
    return _("%(m)d min") % {"m": minutes}


def sla_clocks(ticket: Ticket, now: dt.datetime | None = None) -> list[Clock]:
    from django.utils.translation import gettext as _

    now = now or timezone.now()
    cal = working_calendar()
    policy = ticket.sla_policy
    warn = dt.timedelta(minutes=policy.warn_before_minutes if policy else 30)
    # While paused the clocks stand still at the moment the pause began.
    at = ticket.paused_at or now
    clocks = []
    for key, label, due, done in (
        ("response", _("First response"), ticket.first_response_due_at, ticket.first_responded_at),
        ("resolution", _("Resolution"), ticket.resolution_due_at, ticket.resolved_at),
    ):
        if due is None:
            clocks.append(Clock(key, label, None, dt.timedelta(0), "none", done))
            continue
        if done is not None:
            left = cal.between(done, due) - cal.between(due, done)
            clocks.append(Clock(key, label, due, left, "met" if done <= due else "overdue", done))
            continue
        left = cal.between(at, due) - cal.between(due, at)
        if ticket.paused_at is not None:
            state = "paused"
        elif left <= dt.timedelta(0):
            state = "overdue"
        elif left <= warn:
            state = "warning"
        else:
            state = "running"
        clocks.append(Clock(key, label, due, left, state))
    return clocks


def overdue_condition(now: dt.datetime) -> Q:
    return Q(paused_at__isnull=True) & (
        Q(first_responded_at__isnull=True, first_response_due_at__lt=now)
        | Q(resolved_at__isnull=True, resolution_due_at__lt=now)
    )


def customer_ticket_timeline(user: Any, customer: Any, limit: int) -> list[Any]:
    """The customer page's timeline entries for the tickets the viewer may see."""
    from django.utils.translation import gettext as _

    from kehu.accounts.models import name_fields
    from kehu.customers.selectors import TimelineEntry

    tickets = (
        tickets_visible_to(user)
        .filter(customer=customer)
        .select_related(None)
        .select_related("assignee", "created_by")  # what an entry shows, nothing more
        .only(
            "number",
            "subject",
            "description",
            "type",
            "status",
            "satisfaction_score",
            "created_at",
            *name_fields("assignee"),
            *name_fields("created_by"),
        )
        .order_by("-created_at")[:limit]
    )
    entries = []
    for t in tickets:
        detail = " · ".join(
            str(x)
            for x in (
                t.get_type_display(),
                t.get_status_display(),
                t.assignee or "",
                _("satisfaction %(score)s/5") % {"score": t.satisfaction_score}
                if t.satisfaction_score
                else "",
            )
            if x
        )
        entries.append(
            TimelineEntry(
                kind="ticket",
                at=t.created_at,
                title=f"{_('Ticket')} {t.number} · {t.subject}",
                body=t.description[:200],
                detail=detail,
                by=str(t.created_by or ""),
                url=t.get_absolute_url(),
            )
        )
    return entries


# ---- the process map ----------------------------------------------------------------------------

FLOW = [
    Ticket.Status.NEW,
    Ticket.Status.IN_PROGRESS,
    Ticket.Status.RESOLVED,
    Ticket.Status.FOLLOW_UP,
    Ticket.Status.CLOSED,
]


@dataclass
class Step:
    status: str
    label: str
    owner: str
    limit: str
    count: int
    overdue: int
    median_seconds: float | None
    limit_seconds: float | None = None
    bottleneck: bool = False

    @property
    def median_text(self) -> str:
        if self.median_seconds is None:
            return "—"
        return format_working(dt.timedelta(seconds=self.median_seconds))


def service_flow(user: Any, *, now: dt.datetime | None = None, days: int = 90) -> list[Step]:
    """Each status of the visible tickets: who owns it, its time limit, how many are in it
    now, how many of those are overdue, and the median working time tickets spent in it
    (from the status-change log of the last ``days`` days). The step with the longest median
    is the bottleneck."""
    from django.utils.translation import gettext as _
    from django.utils.translation import ngettext

    from kehu.service.services import FOLLOW_UP_WORKING_DAYS, SURVEY_DAYS

    now = now or timezone.now()
    visible = tickets_visible_to(user)
    counts = {
        row["status"]: row
        for row in visible.order_by()
        .values("status")
        .annotate(n=Count("id"), late=Count("id", filter=overdue_condition(now)))
    }
    since = now - dt.timedelta(days=days)
    spent: dict[str, list[int]] = {s: [] for s in FLOW}
    for status, seconds in (
        TicketStatusChange.objects.filter(ticket__in=visible.values("pk"), at__gte=since)
        .exclude(from_status="")
        .values_list("from_status", "working_seconds")
    ):
        spent.setdefault(status, []).append(seconds)
    policies = list(SLAPolicy.objects.filter(is_active=True))

    def span(minutes: list[int]) -> str:
        if not minutes:
            return "—"
        from kehu.core.processmap import duration_label

        lo, hi = min(minutes), max(minutes)
        a = duration_label(lo * 60)
        return a if lo == hi else f"{a}–{duration_label(hi * 60)}"

    owners = {
        Ticket.Status.NEW: _("Service desk (受理)"),
        Ticket.Status.IN_PROGRESS: _("Assignee"),
        Ticket.Status.RESOLVED: _("Customer (survey)"),
        Ticket.Status.FOLLOW_UP: _("Customer manager"),
        Ticket.Status.CLOSED: "—",
    }

    def longest(minutes: list[int]) -> float | None:
        return max(minutes) * 60.0 if minutes else None

    limit_seconds = {
        Ticket.Status.NEW: longest([p.first_response_minutes for p in policies]),
        Ticket.Status.IN_PROGRESS: longest([p.resolution_minutes for p in policies]),
    }
    limits = {
        Ticket.Status.NEW: span([p.first_response_minutes for p in policies]),
        Ticket.Status.IN_PROGRESS: span([p.resolution_minutes for p in policies]),
        Ticket.Status.RESOLVED: _("%(days)d days (survey link)") % {"days": SURVEY_DAYS},
        Ticket.Status.FOLLOW_UP: ngettext(
            "%(n)d working day", "%(n)d working days", FOLLOW_UP_WORKING_DAYS
        )
        % {"n": FOLLOW_UP_WORKING_DAYS},
        Ticket.Status.CLOSED: "—",
    }
    steps = []
    for status in FLOW:
        row = counts.get(status, {"n": 0, "late": 0})
        values = spent.get(status) or []
        steps.append(
            Step(
                status=status,
                label=str(Ticket.Status(status).label),
                owner=str(owners[status]),
                limit=str(limits[status]),
                count=row["n"],
                overdue=row["late"] if status in Ticket.OPEN_STATUSES else 0,
                median_seconds=statistics.median(values) if values else None,
                limit_seconds=limit_seconds.get(status),
            )
        )
    from kehu.core.processmap import bottleneck_index

    # Closed is where tickets rest, not a step that holds them up.
    neck = bottleneck_index([stage_stat(s) for s in steps[:-1]])
    if neck is not None:
        steps[neck].bottleneck = True
    return steps


def stage_stat(step: Step) -> Any:
    """The step as the shared process-map renderer (kehu.core.processmap) draws it."""
    from django.urls import reverse

    from kehu.core.processmap import StageStat

    return StageStat(
        name=step.label,
        owner_label=step.owner,
        time_limit_label=step.limit,
        count_now=step.count,
        overdue=step.overdue,
        median_seconds=step.median_seconds,
        limit_seconds=step.limit_seconds,
        url=f"{reverse('service:list')}?status={step.status}",
    )

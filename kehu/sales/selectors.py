"""Reads of deals and pipelines for a user; every deal read goes through the scoping door."""

from __future__ import annotations

import datetime as dt
import statistics
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, DecimalField, ExpressionWrapper, F, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone

from kehu.core import scoping
from kehu.core.permissions import has_perm
from kehu.sales.models import Deal, Pipeline, Stage, StageChange

MONEY = DecimalField(max_digits=20, decimal_places=4)
CENT = Decimal("0.01")


def deals_visible_to(user: Any, action: str = "view") -> QuerySet[Deal]:
    return scoping.restrict(
        Deal.objects.select_related("customer", "owner", "stage", "pipeline"), user, action
    )


def get_deal_for(user: Any, deal_id: int, action: str = "view") -> Deal:
    return scoping.get_visible_or_404(
        Deal.objects.select_related("customer", "owner", "stage", "pipeline", "order"),
        user,
        action,
        pk=deal_id,
    )


def deal_contacts(user: Any, deal: Deal) -> list[Any]:
    """The deal's contacts the user may see (a contact hidden from them stays hidden)."""
    from kehu.customers.selectors import contacts_visible_to

    return list(contacts_visible_to(user).filter(deals=deal).order_by("-is_primary", "name", "id"))


def pipelines() -> QuerySet[Pipeline]:
    return Pipeline.objects.all()


def pipeline_for(pipeline_id: int | str | None) -> Pipeline | None:
    qs = Pipeline.objects.all()
    if pipeline_id:
        try:
            found = qs.filter(pk=int(pipeline_id)).first()
        except (TypeError, ValueError):
            found = None
        if found is not None:
            return found
    return qs.filter(is_default=True).first() or qs.first()


def stages_of(pipeline: Pipeline) -> list[Stage]:
    return list(
        pipeline.stages.select_related("owner_role", "owner_user").order_by("position", "id")
    )


def weighted_expression() -> Any:
    return ExpressionWrapper(F("amount") * F("probability") / Value(100), output_field=MONEY)


# What a board card shows: loading only these keeps a board of hundreds of cards cheap.
CARD_FIELDS = (
    "id",
    "version",
    "title",
    "is_overdue",
    "stage_due_at",
    "amount",
    "stage_id",
    "pipeline_id",
    "customer__name",
    "customer__short_name",
    "owner__username",
    "owner__display_name",
    "owner__first_name",
    "owner__last_name",
)


@dataclass
class Column:
    stage: Stage
    count: int
    total: Decimal | None  # None: hidden (no view_financials)
    weighted: Decimal | None
    overdue: int
    deals: list[Deal]


def board(
    user: Any, pipeline: Pipeline, deals: QuerySet[Deal], *, per_column: int = 50
) -> list[Column]:
    """The pipeline's stages as columns: the count, total and weighted total of the deals in
    each (one aggregate query, money only with view_financials) and the first ``per_column``
    cards of each (one query per column, whatever the number of deals)."""
    show_money = has_perm(user, "view_financials")
    stages = stages_of(pipeline)
    deals = deals.filter(pipeline=pipeline)
    aggregates: dict[str, Any] = {}
    for stage in stages:
        in_stage = Q(stage_id=stage.pk)
        aggregates[f"n{stage.pk}"] = Count("id", filter=in_stage)
        aggregates[f"o{stage.pk}"] = Count("id", filter=in_stage & Q(is_overdue=True))
        if show_money:
            aggregates[f"t{stage.pk}"] = Sum("amount", filter=in_stage)
            aggregates[f"w{stage.pk}"] = Sum(weighted_expression(), filter=in_stage)
    totals = deals.order_by().aggregate(**aggregates) if stages else {}
    columns = []
    for stage in stages:
        cards = list(
            deals.filter(stage=stage)
            .select_related(None)
            .select_related("customer", "owner")
            .only(*CARD_FIELDS)
            .order_by("-is_overdue", "stage_due_at", "-id")[:per_column]
        )
        columns.append(
            Column(
                stage=stage,
                count=totals.get(f"n{stage.pk}") or 0,
                total=Decimal(totals.get(f"t{stage.pk}") or 0).quantize(CENT)
                if show_money
                else None,
                weighted=(
                    Decimal(totals.get(f"w{stage.pk}") or 0).quantize(CENT) if show_money else None
                ),
                overdue=totals.get(f"o{stage.pk}") or 0,
                deals=cards,
            )
        )
    return columns


@dataclass
class ForecastMonth:
    month: dt.date
    count: int
    total: Decimal | None
    weighted: Decimal | None


def forecast(user: Any, deals: QuerySet[Deal]) -> list[ForecastMonth]:
    """Open deals by the month they are expected to close: count, sum and weighted sum."""
    show_money = has_perm(user, "view_financials")
    rows = (
        deals.filter(status=Deal.Status.OPEN, expected_close_on__isnull=False)
        .annotate(month=TruncMonth("expected_close_on"))
        .values("month")
        .annotate(
            n=Count("id"),
            total=Coalesce(Sum("amount"), Value(Decimal(0)), output_field=MONEY),
            weighted=Coalesce(Sum(weighted_expression()), Value(Decimal(0)), output_field=MONEY),
        )
        .order_by("month")
    )
    out = []
    for row in rows:
        month = row["month"]
        if isinstance(month, dt.datetime):
            month = month.date()
        out.append(
            ForecastMonth(
                month=month,
                count=row["n"],
                total=Decimal(row["total"]).quantize(Decimal("0.01")) if show_money else None,
                weighted=Decimal(row["weighted"]).quantize(Decimal("0.01")) if show_money else None,
            )
        )
    return out


def stage_history(deal: Deal) -> list[StageChange]:
    return list(
        deal.stage_changes.select_related("from_stage", "to_stage", "by").order_by("at", "id")
    )


@dataclass
class StageFlow:
    stage: Stage
    count_now: int
    overdue: int
    median_seconds: float | None  # calendar time
    median_working_seconds: float | None = None  # by the working calendar
    limit_seconds: float | None = None  # the stage's limit, in the same time as ``judged``

    @property
    def judged_seconds(self) -> float | None:
        """The median on the same clock as the stage's limit: calendar time for a limit in
        calendar days, working time for one in working hours or days."""
        if self.stage.time_limit_unit == Stage.LimitUnit.CALENDAR_DAYS:
            return self.median_seconds
        return self.median_working_seconds


def stage_limit_seconds(stage: Stage, calendar: Any) -> float | None:
    """A stage's time limit in seconds of its own clock: working hours and working days by the
    working calendar's real day length, calendar days as whole days."""
    if not stage.time_limit:
        return None
    unit = stage.time_limit_unit
    if unit == Stage.LimitUnit.WORKING_HOURS:
        return float(stage.time_limit * 3600)
    if unit == Stage.LimitUnit.WORKING_DAYS:
        return stage.time_limit * calendar.day_length.total_seconds()
    return float(stage.time_limit * 86400)


def stage_flow(user: Any, pipeline: Pipeline, *, since_days: int = 365) -> list[StageFlow]:
    """For the process map: per stage, the deals in it now, the overdue ones, the median time
    deals spent in it (calendar and working time, from stage changes out of it within
    ``since_days``) and its limit on the matching clock."""
    from kehu.core.workcalendar import working_calendar

    stages = stages_of(pipeline)
    visible = deals_visible_to(user).filter(pipeline=pipeline, status=Deal.Status.OPEN)
    counts: dict[int, dict[str, Any]] = {
        row["stage_id"]: dict(row)
        for row in visible.order_by()
        .values("stage_id")
        .annotate(n=Count("id"), o=Count("id", filter=Q(is_overdue=True)))
    }
    since = timezone.now() - dt.timedelta(days=since_days)
    durations: dict[int, list[int]] = {}
    working: dict[int, list[int]] = {}
    changes = (
        scoping.restrict(StageChange.objects.all(), user)
        .filter(from_stage__pipeline=pipeline, at__gte=since, seconds_in_previous__isnull=False)
        .values_list("from_stage_id", "seconds_in_previous", "working_seconds_in_previous")
    )
    for stage_id, seconds, working_seconds in changes.iterator(chunk_size=2000):
        if stage_id is None or seconds is None:
            continue
        durations.setdefault(stage_id, []).append(seconds)
        if working_seconds is not None:
            working.setdefault(stage_id, []).append(working_seconds)
    calendar = working_calendar()

    def median(values: list[int] | None) -> float | None:
        return statistics.median(values) if values else None

    return [
        StageFlow(
            stage=s,
            count_now=counts.get(s.pk, {}).get("n", 0),
            overdue=counts.get(s.pk, {}).get("o", 0),
            median_seconds=median(durations.get(s.pk)),
            median_working_seconds=median(working.get(s.pk)),
            limit_seconds=stage_limit_seconds(s, calendar),
        )
        for s in stages
    ]


def deal_timeline(user: Any, customer: Any, limit: int) -> list[Any]:
    """The customer page's entries for deals: each deal opened, and every stage change."""
    from django.utils.translation import gettext as _

    from kehu.accounts.models import name_fields
    from kehu.customers.selectors import TimelineEntry

    deals = deals_visible_to(user).filter(customer=customer)
    changes = (
        StageChange.objects.filter(deal__in=deals)
        .select_related("deal", "from_stage", "to_stage", "by")
        .only(  # what an entry shows: four joined tables' every column cost more to ask for
            "at",
            "reason",
            "deal__title",
            "from_stage__name",
            "from_stage__name_en",
            "to_stage__name",
            "to_stage__name_en",
            *name_fields("by"),
        )
        .order_by("-at", "-id")[:limit]
    )
    entries = []
    for change in changes:
        if change.from_stage is None:
            title = _("Deal opened: %(deal)s") % {"deal": change.deal.title}
        else:
            title = _("Deal %(deal)s: %(from)s → %(to)s") % {
                "deal": change.deal.title,
                "from": change.from_stage,
                "to": change.to_stage,
            }
        entries.append(
            TimelineEntry(
                "deal",
                change.at,
                title,
                change.reason,
                "",
                str(change.by or ""),
                change.deal.get_absolute_url(),
            )
        )
    return entries

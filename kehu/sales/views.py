"""Sales pages: the pipeline board, deals table and pages, forecast, flow map and settings."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Model, Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from kehu.core.fieldrules import hidden_fields
from kehu.core.generic import (
    Column,
    ObjectCreateView,
    ObjectDetailView,
    ObjectEditView,
    ObjectHistoryView,
    ObjectListView,
)
from kehu.core.locking import StaleWriteError
from kehu.core.permissions import has_perm
from kehu.sales import selectors, services
from kehu.sales.filters import DealFilter
from kehu.sales.forms import DealCreateForm, DealForm, PipelineForm, StageForm
from kehu.sales.models import Deal, Pipeline, Stage

RECENTLY_CLOSED_DAYS = 30


def money(value: Decimal | None) -> str:
    """¥1,234: whole yuan grouped by thousands, as Chinese business tables write it."""
    if value is None:
        return ""
    return f"¥{Decimal(value):,.0f}"


def _require(request: HttpRequest, code: str) -> None:
    if not has_perm(request.user, code):
        raise PermissionDenied


def _filtered(request: HttpRequest, qs: QuerySet[Deal]) -> tuple[QuerySet[Deal], DealFilter]:
    data = request.GET.copy()
    for key in list(data):
        values = [v for v in data.getlist(key) if v.strip()]
        if values:
            data.setlist(key, values)
        else:
            del data[key]
    for key in ("pipeline",):
        data.pop(key, None)
    filterset = DealFilter(data or None, queryset=qs, request=request)
    if filterset.is_bound and filterset.is_valid():
        return filterset.qs, filterset
    return qs, filterset


def board_deals(request: HttpRequest, pipeline: Pipeline) -> tuple[QuerySet[Deal], DealFilter]:
    """Open deals, and those closed in the last 30 days, that the filters keep."""
    since = timezone.now() - dt.timedelta(days=RECENTLY_CLOSED_DAYS)
    qs = selectors.deals_visible_to(request.user).filter(pipeline=pipeline)
    qs = qs.filter(Q(status=Deal.Status.OPEN) | Q(closed_at__gte=since))
    return _filtered(request, qs)


def _summary(columns: list[selectors.Column]) -> dict[str, dict[str, Any]]:
    return {
        str(c.stage.pk): {
            "count": c.count,
            "overdue": c.overdue,
            "total": money(c.total),
            "weighted": ("≈ " + money(c.weighted)) if c.weighted is not None else "",
        }
        for c in columns
    }


def draw_cards(deals: list[Deal], *, show_money: bool) -> SafeString:
    """A column's cards drawn in Python (like the tables' rows): a few hundred cards per board
    stay cheap, where a template per card costs a third of a millisecond each."""
    from django.urls import reverse

    from kehu.core.templatetags.kehu import icon

    url = reverse("sales:deal", args=[2147480001])
    overdue = format_html(
        '<span class="tag tag-danger">{}{}</span>', icon("alarm-clock", "icon-sm"), _("Overdue")
    )
    due_label = _("Due")
    parts = []
    for deal in deals:
        amount = format_html(' · <span data-field="amount">{}</span>', money(deal.amount))
        if deal.is_overdue:
            flag = overdue
        elif deal.stage_due_at:
            flag = format_html(
                '<span class="deal-due muted" data-deal-due>{} {}</span>',
                due_label,
                timezone.localtime(deal.stage_due_at).strftime("%m-%d %H:%M"),
            )
        else:
            flag = ""
        parts.append(
            format_html(
                '<li class="deal-card{}" data-deal="{}" data-version="{}" data-testid="deal-{}">'
                '<a class="deal-title" href="{}">{}</a><div class="deal-meta">{}</div>'
                '<div class="deal-meta"><span data-deal-owner>{}</span>{}</div>{}</li>',
                " is-overdue" if deal.is_overdue else "",
                deal.pk,
                deal.version,
                deal.pk,
                url.replace("2147480001", str(deal.pk)),
                deal.title,
                deal.customer,
                deal.owner or "—",
                amount if show_money else "",
                flag,
            )
        )
    return SafeString("".join(parts))


@login_required
def board(request: HttpRequest) -> HttpResponse:
    _require(request, "deal.view")
    from kehu.accounts.models import NAME_FIELDS, Team, User
    from kehu.core.selectors import saved_views_for

    pipeline = selectors.pipeline_for(request.GET.get("pipeline"))
    if pipeline is None:
        return render(request, "sales/board.html", {"pipeline": None})
    deals, filterset = board_deals(request, pipeline)
    columns = selectors.board(request.user, pipeline, deals)
    show_money = has_perm(request.user, "view_financials")
    cards = [draw_cards(c.deals, show_money=show_money) for c in columns]
    query = request.GET.urlencode()
    context = {
        "pipeline": pipeline,
        "pipelines": list(selectors.pipelines()),
        "columns": columns,
        "column_cards": list(zip(columns, cards, strict=True)),
        "show_money": has_perm(request.user, "view_financials"),
        "filterset": filterset,
        "owners": list(
            User.objects.filter(is_active=True).order_by("username").only("pk", *NAME_FIELDS)
        ),
        "teams": list(Team.objects.order_by("name").only("pk", "name")),
        "table": "sales:board",
        "query": query,
        "saved_views": list(saved_views_for(request.user, "sales:board")),
        "my_teams": list(request.user.teams.all()),
        "may_create": has_perm(request.user, "deal.create"),
        "may_manage": has_perm(request.user, "manage_pipelines"),
        "now": timezone.now(),
    }
    return render(request, "sales/board.html", context)


@login_required
@require_POST
def move(request: HttpRequest, pk: int) -> HttpResponse:
    """Move a deal to a stage (the board's drag and drop). JSON in both directions: 400 with a
    message when refused (e.g. no reason for a lost stage), 409 when the deal changed since."""
    deal = selectors.get_deal_for(request.user, pk, "change")
    stage = Stage.objects.filter(pk=request.POST.get("stage"), pipeline=deal.pipeline_id).first()
    if stage is None:
        return JsonResponse(
            {"ok": False, "message": _("Choose a stage of this pipeline.")}, status=400
        )
    try:
        version = int(request.POST.get("version", ""))
    except ValueError:
        version = None
    try:
        deal = services.move_deal(
            actor=request.user,
            deal=deal,
            stage=stage,
            reason=request.POST.get("reason", ""),
            expected_version=version,
        )
    except StaleWriteError as exc:
        return JsonResponse(
            {"ok": False, "message": str(exc.message), "version": exc.current_version}, status=409
        )
    except ValidationError as exc:
        return JsonResponse(
            {"ok": False, "message": " ".join(exc.messages), "needs_reason": stage.kind == "lost"},
            status=400,
        )
    columns = selectors.board(
        request.user, deal.pipeline, _board_summary_qs(request, deal), per_column=0
    )
    return JsonResponse(
        {
            "ok": True,
            "version": deal.version,
            "owner": str(deal.owner or ""),
            "due": timezone.localtime(deal.stage_due_at).strftime("%Y-%m-%d %H:%M")
            if deal.stage_due_at
            else "",
            "summary": _summary(columns),
            "message": _moved_message(deal, stage),
            "order": deal.order.get_absolute_url() if deal.order_id and deal.order else "",
        }
    )


def _moved_message(deal: Deal, stage: Stage) -> str:
    if stage.kind != Stage.Kind.WON:
        return _("Moved to %(stage)s.") % {"stage": stage}
    if deal.order_id:
        return _("Deal won; order %(order)s is in the customer's purchase history.") % {
            "order": deal.order
        }
    if deal.lines.exists():
        return _("Deal won. Record its order on the deal's page.")
    return _("Deal won.")


def _board_summary_qs(request: HttpRequest, deal: Deal) -> QuerySet[Deal]:
    """The board's deals under the filters the page had (sent back as ``query``)."""
    from django.http import QueryDict

    original = request.GET
    request.GET = QueryDict(request.POST.get("query", ""))  # type: ignore[misc]
    try:
        qs, _f = board_deals(request, deal.pipeline)
    finally:
        request.GET = original  # type: ignore[misc]
    return qs


# -- the deals table ------------------------------------------------------------------------------


def _stage_cell(row: Deal) -> str:
    return format_html('<span class="tag stage-{}">{}</span>', row.stage.color, row.stage)


def _amount_cell(row: Deal) -> str:
    return format_html('<span data-field="amount">{}</span>', money(row.amount))


def _overdue_cell(row: Deal) -> str:
    if row.is_overdue:
        return format_html('<span class="tag tag-danger">{}</span>', _("Overdue"))
    return "—"


class DealListView(ObjectListView):
    title = gettext_lazy("Deals")
    export_name = "deals"
    create_url = "/sales/deals/new/"
    template_name = "sales/deal_list.html"
    filterset_class = DealFilter
    required_perm = "deal.view"
    default_ordering = ["-id"]
    columns = [
        Column("title", gettext_lazy("Deal"), link=True, hideable=False),
        Column(
            "customer",
            gettext_lazy("Customer"),
            order_by="customer__name",
            render=lambda r: format_html(
                '<a href="{}">{}</a>', r.customer.get_absolute_url(), r.customer
            ),
        ),
        Column(
            "stage",
            gettext_lazy("Stage"),
            order_by="stage__position",
            render=_stage_cell,
        ),
        Column("status", gettext_lazy("Status"), render=lambda r: r.get_status_display()),
        Column("amount", gettext_lazy("Amount"), render=_amount_cell),
        Column("probability", gettext_lazy("Probability (%)")),
        Column("expected_close_on", gettext_lazy("Expected close")),
        Column(
            "owner",
            gettext_lazy("Owner"),
            order_by="owner__username",
            render=lambda r: str(r.owner or "—"),
        ),
        Column("is_overdue", gettext_lazy("Overdue"), render=_overdue_cell),
        Column("source", gettext_lazy("Source"), default=False),
        Column("competitor", gettext_lazy("Competitor"), default=False),
        Column("lost_reason", gettext_lazy("Lost reason"), default=False),
        Column("created_at", gettext_lazy("Created"), default=False),
    ]

    @staticmethod
    def selector(user: Any) -> Any:
        return selectors.deals_visible_to(user)

    def extra_context(self) -> dict[str, Any]:
        from kehu.accounts.models import Team, User

        return {
            "owners": list(User.objects.filter(is_active=True).order_by("username")),
            "teams": list(Team.objects.order_by("name")),
            "statuses": Deal.Status.choices,
        }


class DealDetailView(ObjectDetailView):
    template_name = "sales/deal_detail.html"
    get_for = staticmethod(selectors.get_deal_for)

    def extra_context(self, obj: Model) -> dict[str, Any]:
        assert isinstance(obj, Deal)
        from kehu.core import scoping
        from kehu.customers.models import Product

        changes = selectors.stage_history(obj)
        now = timezone.now()
        may_change = scoping.can(self.request.user, "change", obj)
        return {
            "lines": list(obj.lines.select_related("product")),
            "contacts": selectors.deal_contacts(self.request.user, obj),
            "changes": changes,
            "current_seconds": int((now - obj.stage_entered_at).total_seconds())
            if obj.stage_entered_at
            else None,
            "stages": selectors.stages_of(obj.pipeline),
            "may_change": may_change,
            "may_order": may_change and has_perm(self.request.user, "order.create"),
            "may_record_order": may_change and services.may_record_order(self.request.user, obj),
            "products": list(
                Product.objects.filter(is_active=True).only("pk", "code", "name")[:300]
            ),
            "show_money": "amount" not in hidden_fields(self.request.user, Deal),
        }


class DealCreateView(ObjectCreateView):
    form_class = DealCreateForm
    title = gettext_lazy("New deal")
    required_perm = "deal.create"

    def get_form(self, data: Any = None) -> Any:
        return DealCreateForm(
            data=data, user=self.request.user, customer_id=self.request.GET.get("customer")
        )

    def create(self, form: Any) -> Model:
        data = dict(form.cleaned_data)
        customer = data.pop("customer")
        stage = data.pop("stage")
        title = data.pop("title")
        owner = data.pop("owner", None)
        contacts = list(data.pop("contacts", None) or [])
        fields = {k: v for k, v in data.items() if v not in (None, "")}
        return services.create_deal(
            actor=self.request.user,
            customer=customer,
            title=title,
            stage=stage,
            owner=owner,
            contacts=contacts,
            **fields,
        )


class DealEditView(ObjectEditView):
    form_class = DealForm
    title = gettext_lazy("Edit deal")

    @staticmethod
    def get_for(user: Any, pk: int) -> Deal:
        return selectors.get_deal_for(user, pk, "change")

    def save(self, obj: Model, form: Any) -> Model:
        assert isinstance(obj, Deal)
        changes = {k: v for k, v in form.cleaned_data.items() if k != "version"}
        contacts = changes.pop("contacts", None)
        if changes.get("amount") is None and "amount" in changes:
            changes["amount"] = Decimal(0)
        return services.update_deal(
            actor=self.request.user,
            deal=obj,
            expected_version=form.cleaned_data["version"],
            contacts=None if contacts is None else list(contacts),
            **changes,
        )

    @staticmethod
    def newer_values(current: Model, form: Any) -> dict[str, Any]:
        newer = ObjectEditView.newer_values(current, form)
        if "contacts" in form.cleaned_data:
            saved = list(current.contacts.all())  # type: ignore[attr-defined]
            if {c.pk for c in saved} != {c.pk for c in form.cleaned_data["contacts"]}:
                newer["contacts"] = "、".join(str(c) for c in saved) or "—"
            else:
                newer.pop("contacts", None)
        return newer


class DealHistoryView(ObjectHistoryView):
    get_for = staticmethod(selectors.get_deal_for)


@login_required
@require_POST
def win(request: HttpRequest, pk: int) -> HttpResponse:
    deal = selectors.get_deal_for(request.user, pk, "change")
    try:
        services.win_deal(
            actor=request.user,
            deal=deal,
            create_order=bool(request.POST.get("create_order")),
            expected_version=int(request.POST.get("version") or deal.version),
        )
    except StaleWriteError as exc:
        messages.error(request, str(exc.message))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("Deal won."))
    return HttpResponseRedirect(deal.get_absolute_url())


@login_required
@require_POST
def record_order(request: HttpRequest, pk: int) -> HttpResponse:
    """Record a won deal's order in the customer's purchase history (when winning did not,
    e.g. the lines were added afterwards or the winner could not record orders)."""
    deal = selectors.get_deal_for(request.user, pk, "change")
    try:
        deal = services.record_deal_order(actor=request.user, deal=deal)
    except PermissionDenied:
        messages.error(request, _("You may not record orders."))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            _("Order %(order)s recorded in the customer's purchase history.")
            % {"order": deal.order},
        )
    return HttpResponseRedirect(deal.get_absolute_url())


# -- forecast and flow map ------------------------------------------------------------------


@login_required
def forecast(request: HttpRequest) -> HttpResponse:
    _require(request, "deal.view")
    deals, filterset = _filtered(request, selectors.deals_visible_to(request.user))
    months = selectors.forecast(request.user, deals)
    show_money = has_perm(request.user, "view_financials")
    chart = {
        "months": [m.month.strftime("%Y-%m") for m in months],
        "series": [
            {"name": _("Deals"), "data": [m.count for m in months], "kind": "count"},
        ],
    }
    if show_money:
        chart["series"] = [
            {"name": _("Amount"), "data": [float(m.total or 0) for m in months], "kind": "money"},
            {
                "name": _("Weighted"),
                "data": [float(m.weighted or 0) for m in months],
                "kind": "money",
            },
        ]
    return render(
        request,
        "sales/forecast.html",
        {
            "months": months,
            "show_money": show_money,
            "chart": chart,
            "filterset": filterset,
            "totals": {
                "count": sum(m.count for m in months),
                "total": money(sum((m.total or 0 for m in months), Decimal(0)))
                if show_money
                else "",
                "weighted": money(sum((m.weighted or 0 for m in months), Decimal(0)))
                if show_money
                else "",
            },
        },
    )


def _owner_label(stage: Stage) -> str:
    if stage.owner_user_id:
        return str(stage.owner_user)
    if stage.owner_role_id:
        return str(stage.owner_role)
    return _("The deal's owner")


@login_required
def flow_map(request: HttpRequest) -> HttpResponse:
    _require(request, "deal.view")
    from kehu.core.processmap import StageStat, render_svg

    pipeline = selectors.pipeline_for(request.GET.get("pipeline"))
    if pipeline is None:
        return render(request, "sales/map.html", {"pipeline": None})
    flows = selectors.stage_flow(request.user, pipeline)
    stats = [
        StageStat(
            name=str(f.stage),
            owner_label=_owner_label(f.stage),
            time_limit_label=f.stage.time_limit_label,
            count_now=f.count_now,
            overdue=f.overdue,
            median_seconds=f.judged_seconds,
            limit_seconds=f.limit_seconds,
        )
        for f in flows
        if f.stage.kind == Stage.Kind.OPEN
    ]
    closing = [f for f in flows if f.stage.kind != Stage.Kind.OPEN]
    open_flows = [f for f in flows if f.stage.kind == Stage.Kind.OPEN]
    return render(
        request,
        "sales/map.html",
        {
            "pipeline": pipeline,
            "pipelines": list(selectors.pipelines()),
            "svg": render_svg(stats, title=str(pipeline), element_id="sales-map"),
            "flows": flows,
            "closing": closing,
            "stats": stats,
            "rows": list(zip(open_flows, stats, strict=True)),
        },
    )


# -- pipeline settings ---------------------------------------------------------------------------


@login_required
def pipeline_settings(request: HttpRequest) -> HttpResponse:
    _require(request, "manage_pipelines")
    pipeline = selectors.pipeline_for(request.GET.get("pipeline") or request.POST.get("pipeline"))
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            _apply_setting(request, pipeline, action)
        except StaleWriteError as exc:
            messages.error(request, str(exc.message))
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(request, _("Saved."))
        target = f"{request.path}?pipeline={pipeline.pk}" if pipeline else request.path
        return HttpResponseRedirect(target)
    stages = selectors.stages_of(pipeline) if pipeline else []
    return render(
        request,
        "sales/settings.html",
        {
            "pipeline": pipeline,
            "pipelines": list(selectors.pipelines()),
            "stage_forms": [
                (s, StageForm(instance=s, prefix=f"s{s.pk}", initial={"version": s.version}))
                for s in stages
            ],
            "new_stage_form": StageForm(prefix="new"),
            "pipeline_form": PipelineForm(prefix="p"),
        },
    )


def _apply_setting(request: HttpRequest, pipeline: Pipeline | None, action: str) -> None:
    user = request.user
    if action == "create_pipeline":
        form = PipelineForm(request.POST, prefix="p")
        if not form.is_valid():
            raise ValidationError(_("Check the pipeline's name."))
        services.create_pipeline(actor=user, **form.cleaned_data)
        return
    if pipeline is None:
        raise ValidationError(_("There is no sales pipeline yet."))
    if action == "add_stage":
        form = StageForm(request.POST, prefix="new")
        if not form.is_valid():
            raise ValidationError([f"{k}: {' '.join(v)}" for k, v in form.errors.items()])
        data = dict(form.cleaned_data)
        data.pop("version", None)
        services.create_stage(actor=user, pipeline=pipeline, **data)
        return
    stage = get_object_or_404(Stage, pk=request.POST.get("stage"), pipeline=pipeline)
    if action == "update_stage":
        form = StageForm(
            request.POST, instance=Stage.objects.get(pk=stage.pk), prefix=f"s{stage.pk}"
        )
        if not form.is_valid():
            raise ValidationError([f"{k}: {' '.join(v)}" for k, v in form.errors.items()])
        data = dict(form.cleaned_data)
        version = data.pop("version", None)
        services.update_stage(actor=user, stage=stage, expected_version=version, **data)
    elif action in {"up", "down"}:
        ids = [s.pk for s in selectors.stages_of(pipeline)]
        i = ids.index(stage.pk)
        j = i - 1 if action == "up" else i + 1
        if 0 <= j < len(ids):
            ids[i], ids[j] = ids[j], ids[i]
            services.reorder_stages(actor=user, pipeline=pipeline, stage_ids=ids)
    elif action == "delete_stage":
        services.delete_stage(actor=user, stage=stage)
    else:
        raise ValidationError(_("Unknown action."))


@login_required
@require_POST
def edit_lines(request: HttpRequest, pk: int) -> HttpResponse:
    """Add a line to the deal or remove one; the deal's amount follows its lines."""
    from kehu.customers.models import Product

    deal = selectors.get_deal_for(request.user, pk, "change")
    lines = [(x.product, x.quantity, x.unit_price) for x in deal.lines.select_related("product")]
    ids = list(deal.lines.values_list("pk", flat=True))
    try:
        if request.POST.get("remove"):
            remove = int(request.POST["remove"])
            lines = [line for line, line_id in zip(lines, ids, strict=True) if line_id != remove]
        else:
            product = Product.objects.filter(pk=request.POST.get("product"), is_active=True).first()
            if product is None:
                raise ValidationError(_("Choose a product."))
            lines.append(
                (product, request.POST.get("quantity") or "1", request.POST.get("unit_price"))
            )
        services.set_deal_lines(
            actor=request.user,
            deal=deal,
            lines=lines,
            expected_version=int(request.POST.get("version") or deal.version),
        )
    except StaleWriteError as exc:
        messages.error(request, str(exc.message))
    except (ValidationError, PermissionDenied, ValueError) as exc:
        messages.error(request, " ".join(getattr(exc, "messages", [str(exc)])))
    else:
        messages.success(request, _("Saved."))
    return HttpResponseRedirect(deal.get_absolute_url())

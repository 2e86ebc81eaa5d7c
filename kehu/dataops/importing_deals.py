"""Importing deals: each row opened through the sales services, so it enters its stage as a
deal made by hand does (the stage's probability, owner rule and due time, a stage-change row;
won or lost only when the stage is a won or lost one)."""

from __future__ import annotations

import re
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kehu.dataops.importing import (
    Context,
    Field,
    Row,
    _customer_column,
    _customer_fields,
    _customer_lookup,
    parse_date,
    parse_money,
    parse_text,
)
from kehu.dataops.importing_apps import (
    ServiceImport,
    fold,
    folded,
    mark_duplicates,
    parse_percent,
    refuse_unwritable,
    user_field,
    users_of,
)

_CURRENCIES = {
    "人民币": "CNY",
    "元": "CNY",
    "RMB": "CNY",
    "¥": "CNY",
    "￥": "CNY",
    "美元": "USD",
    "$": "USD",
    "欧元": "EUR",
    "€": "EUR",
    "港币": "HKD",
    "港元": "HKD",
    "日元": "JPY",
    "英镑": "GBP",
}


def parse_currency(value: str, ctx: Any) -> str:
    text = value.strip()
    code = _CURRENCIES.get(text) or _CURRENCIES.get(text.upper()) or text.upper()
    if not re.fullmatch(r"[A-Z]{3}", code):
        raise ValueError(
            _("“%(value)s” is not a currency code (e.g. CNY, USD).") % {"value": value}
        )
    return code


# Row values given to the service as they are.
_PLAIN = ("amount", "currency", "probability", "expected_close_on", "source", "competitor", "notes")


class DealImport(ServiceImport):
    key = "deals"
    label = gettext_lazy("Deals")
    permission = "deal.create"
    record = "deal"
    updatable = {**{k: k for k in _PLAIN}, "stage_id": "stage_id"}

    def __init__(self) -> None:
        from kehu.sales.models import Deal

        self.model = Deal
        base = {f.key: f for f in _customer_fields()}
        self.fields = [
            _customer_column(base),
            Field(
                "title",
                gettext_lazy("Deal"),
                (
                    "商机名称",
                    "商机",
                    "商机标题",
                    "机会名称",
                    "销售机会",
                    "项目名称",
                    "标题",
                    "deal",
                    "dealname",
                    "title",
                    "opportunity",
                    "opportunityname",
                ),
                parse_text(200),
                required=True,
                example="年度网关采购",
            ),
            Field(
                "pipeline",
                gettext_lazy("Pipeline"),
                ("销售漏斗", "销售流程", "流程", "销售管道", "管道", "pipeline"),
                parse_text(100),
                example="销售流程",
            ),
            Field(
                "stage",
                gettext_lazy("Stage"),
                ("阶段", "销售阶段", "商机阶段", "stage", "dealstage", "salesstage"),
                parse_text(64),
                example="跟进",
            ),
            Field(
                "amount",
                gettext_lazy("Amount"),
                ("金额", "商机金额", "预计金额", "预算", "amount", "value", "dealvalue"),
                parse_money,
                example="120000",
            ),
            Field(
                "currency",
                gettext_lazy("Currency"),
                ("币种", "货币", "currency"),
                parse_currency,
                example="CNY",
            ),
            Field(
                "probability",
                gettext_lazy("Probability (%)"),
                ("赢率", "成交概率", "概率", "可能性", "probability", "winprobability"),
                parse_percent,
                example="30",
            ),
            Field(
                "expected_close_on",
                gettext_lazy("Expected close"),
                (
                    "预计成交日期",
                    "预计签约日期",
                    "预计成交",
                    "预计结单日期",
                    "成交日期",
                    "expectedclose",
                    "expectedclosedate",
                    "closedate",
                ),
                parse_date,
                example="2024-06-30",
            ),
            user_field(
                "owner",
                gettext_lazy("Owner"),
                ("负责人", "销售", "跟进人", "归属人", "owner", "dealowner", "salesrep"),
                example="linxue",
            ),
            Field(
                "source",
                gettext_lazy("Source"),
                ("来源", "商机来源", "渠道", "source", "leadsource"),
                parse_text(64),
                example="展会",
            ),
            Field(
                "competitor",
                gettext_lazy("Competitor"),
                ("竞争对手", "竞品", "对手", "competitor", "competitors"),
                parse_text(100),
            ),
            Field(
                "lost_reason",
                gettext_lazy("Lost reason"),
                ("输单原因", "丢单原因", "失败原因", "lostreason", "reasonlost"),
                parse_text(255),
            ),
            Field(
                "notes",
                gettext_lazy("Notes"),
                ("备注", "说明", "notes", "remark", "remarks", "description"),
                parse_text(5000),
            ),
        ]
        self._pipelines: list[Any] | None = None

    def pipelines(self) -> list[Any]:
        """The pipelines with their stages, read once per import (the default one first)."""
        if self._pipelines is None:
            from kehu.sales.models import Pipeline

            self._pipelines = list(Pipeline.objects.prefetch_related("stages"))
        return self._pipelines

    def template_options(self, f: Field) -> tuple[str, ...]:
        pipelines = self.pipelines()
        if f.key == "pipeline":
            return tuple(p.name for p in pipelines)
        if f.key == "stage" and pipelines:
            return tuple(s.name for s in pipelines[0].stages.all())
        return f.options

    def match(self, rows: list[Row], ctx: Context) -> None:
        from kehu.sales.models import Deal

        _customer_lookup(rows, ctx, "view")
        for r in rows:
            if not r.errors:
                self._place(r)
        refuse_unwritable(rows, ctx, Deal, {"amount": "amount", "owner": "owner"})
        valid = [r for r in rows if not r.errors]
        open_deals = Deal.objects.filter(
            customer_id__in={r.values["customer_id"] for r in valid},
            status=Deal.Status.OPEN,
        )
        found = {
            (customer_id, fold(title)): pk
            for customer_id, title, pk in open_deals.annotate(k=folded("title"))
            .filter(k__in={fold(r.values["title"]) for r in valid})
            .values_list("customer_id", "title", "pk")
        }
        mark_duplicates(
            valid,
            ctx,
            "deal",
            lambda r: (r.values["customer_id"], fold(r.values["title"])),
            found,
            existing=_("An open deal with this title exists for this customer."),
            earlier=_("Same deal as row %(row)d of this file."),
        )

    def _place(self, r: Row) -> None:
        """The row's pipeline (by name; else the default) and stage (by name in it; else its
        first open stage). A lost stage needs the reason."""
        v = r.values
        pipelines = self.pipelines()
        if not pipelines:
            r.errors.append((str(_("Pipeline")), _("There is no sales pipeline yet.")))
            return
        pipeline = pipelines[0]
        if v.get("pipeline"):
            named = [p for p in pipelines if fold(v["pipeline"]) in (fold(p.name), fold(p.name_en))]
            if not named:
                r.errors.append(
                    (
                        str(_("Pipeline")),
                        _("No pipeline called “%(name)s”: one of %(names)s.")
                        % {"name": v["pipeline"], "names": "、".join(p.name for p in pipelines)},
                    )
                )
                return
            pipeline = named[0]
        stages = list(pipeline.stages.all())
        if v.get("stage"):
            named = [s for s in stages if fold(v["stage"]) in (fold(s.name), fold(s.name_en))]
            if not named:
                r.errors.append(
                    (
                        str(_("Stage")),
                        _("No stage “%(name)s” in %(pipeline)s: one of %(names)s.")
                        % {
                            "name": v["stage"],
                            "pipeline": pipeline.name,
                            "names": "、".join(s.name for s in stages),
                        },
                    )
                )
                return
            stage = named[0]
            v["stage_id"] = stage.pk
        else:
            stage = next((s for s in stages if s.kind == "open"), None)
            if stage is None:
                r.errors.append((str(_("Stage")), _("The pipeline has no open stage.")))
                return
        v["stage_obj"] = stage
        if stage.kind == "lost" and not v.get("lost_reason"):
            r.errors.append(
                (
                    str(_("Lost reason")),
                    _("The deal is in the lost stage %(stage)s: say why it was lost.")
                    % {"stage": stage.name},
                )
            )
        elif stage.kind != "lost" and v.get("lost_reason"):
            r.warn(_("The lost reason is kept only for a deal in a lost stage."))

    def prepare(self, rows: list[Row], ctx: Context) -> dict[str, Any]:
        from kehu.customers.models import Customer

        ids = {r.values["customer_id"] for r in rows if r.action == "create"}
        return {"customers": Customer.objects.in_bulk(ids), "users": users_of(rows, "owner")}

    def create_one(self, row: Row, ctx: Context, batch: dict[str, Any]) -> Any:
        from kehu.sales import services

        v = row.values
        return services.create_deal(
            actor=ctx.actor,
            customer=batch["customers"][v["customer_id"]],
            title=v["title"],
            stage=v["stage_obj"],
            owner=batch["users"].get(v.get("owner")),
            lost_reason=v.get("lost_reason", ""),
            **{k: v[k] for k in _PLAIN if k in v},
        )

    def update_one(
        self, row: Row, ctx: Context, obj: Any, changed: list[str], batch: dict[str, Any]
    ) -> None:
        """A new stage is a move (recorded, its rule applied); then the other values."""
        from kehu.sales import services

        v = row.values
        if "stage_id" in changed:
            obj = services.move_deal(
                actor=ctx.actor, deal=obj, stage=v["stage_obj"], reason=v.get("lost_reason", "")
            )
        rest = {k: v[k] for k in changed if k in _PLAIN and getattr(obj, k) != v[k]}
        if rest:
            services.update_deal(actor=ctx.actor, deal=obj, expected_version=obj.version, **rest)

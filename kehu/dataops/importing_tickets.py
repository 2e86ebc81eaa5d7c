"""Importing service tickets: each row opened through the service-desk services, so it gets its
number, its SLA policy and due times counted from the date it was opened, its status log, its
assignee (or its team's routing) and its search entry, as a ticket taken by hand does."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kehu.dataops.importing import (
    Context,
    Field,
    Row,
    parse_choice,
    parse_datetime,
    parse_phone,
    parse_text,
)
from kehu.dataops.importing_apps import (
    ServiceImport,
    by_name,
    fold,
    folded,
    in_or_null,
    linked,
    mark_duplicates,
    optional_customer_field,
    optional_customer_lookup,
    refuse_unwritable,
    user_field,
    users_of,
)

_PLAIN = ("description", "type", "channel", "priority")


def _choice(
    key: str, label: Any, headers: tuple[str, ...], choices: Any, extra: dict[str, str]
) -> Field:
    return Field(
        key,
        label,
        headers,
        parse_choice(choices, extra=extra),
        example=str(choices[0][1]),
        options=tuple(str(text) for _code, text in choices),
    )


class TicketImport(ServiceImport):
    key = "tickets"
    label = gettext_lazy("Tickets")
    permission = "ticket.create"
    record = "ticket"
    updatable = {
        **{k: k for k in _PLAIN},
        "contact_id": "contact_id",
        "team_id": "team_id",
        "assignee": "assignee_id",
    }

    def __init__(self) -> None:
        from kehu.service.models import Ticket

        self.model = Ticket
        self.fields = [
            Field(
                "subject",
                gettext_lazy("Subject"),
                ("主题", "标题", "工单标题", "工单主题", "问题", "subject", "title", "issue"),
                parse_text(200),
                required=True,
                example="网关无法联网",
            ),
            Field(
                "description",
                gettext_lazy("Description"),
                ("描述", "问题描述", "详细描述", "详情", "内容", "description", "details"),
                parse_text(20000),
            ),
            _choice(
                "type",
                gettext_lazy("Type"),
                ("类型", "工单类型", "问题类型", "type", "tickettype"),
                Ticket.Type.choices,
                {
                    "咨询": "inquiry",
                    "投诉": "complaint",
                    "售后": "after_sales",
                    "技术": "tech_support",
                },
            ),
            _choice(
                "channel",
                gettext_lazy("Channel"),
                ("渠道", "来源", "受理渠道", "来源渠道", "channel", "source"),
                Ticket.Channel.choices,
                {
                    "电话": "phone",
                    "邮件": "email",
                    "电子邮件": "email",
                    "微信": "wechat",
                    "网页": "web",
                    "网站": "web",
                    "表单": "web",
                    "上门": "walk_in",
                    "来访": "walk_in",
                    "到店": "walk_in",
                },
            ),
            _choice(
                "priority",
                gettext_lazy("Priority"),
                ("优先级", "紧急程度", "priority"),
                Ticket.Priority.choices,
                {
                    "紧急": "urgent",
                    "高": "high",
                    "普通": "normal",
                    "一般": "normal",
                    "中": "normal",
                    "低": "low",
                },
            ),
            optional_customer_field(),
            Field(
                "contact",
                gettext_lazy("Contact"),
                ("联系人", "联系人姓名", "报告人", "请求人", "contact", "requester"),
                parse_text(100),
                example="张三",
            ),
            user_field(
                "assignee",
                gettext_lazy("Assignee"),
                (
                    "处理人",
                    "负责人",
                    "受理人",
                    "指派给",
                    "assignee",
                    "assignedto",
                    "agent",
                    "owner",
                ),
                example="linxue",
            ),
            Field(
                "team",
                gettext_lazy("Team"),
                ("团队", "处理团队", "小组", "组", "team", "group"),
                parse_text(100),
            ),
            Field(
                "opened_at",
                gettext_lazy("Created"),
                (
                    "创建时间",
                    "创建日期",
                    "受理时间",
                    "提交时间",
                    "日期",
                    "created",
                    "createdat",
                    "date",
                ),
                parse_datetime,
                example="2024-03-15 09:30",
            ),
        ]

    def check(self, row: Row, ctx: Context) -> None:
        opened = row.values.get("opened_at")
        if opened and opened > timezone.now() + dt.timedelta(minutes=5):
            row.errors.append((str(_("Created")), _("A ticket cannot be opened in the future.")))

    def match(self, rows: list[Row], ctx: Context) -> None:
        from kehu.accounts.models import Team
        from kehu.service.models import Ticket

        optional_customer_lookup(rows, ctx)
        self._contacts(rows)
        if any(r.values.get("team") for r in rows):
            by_name(
                rows,
                "team",
                ((pk, (name,)) for pk, name in Team.objects.values_list("pk", "name")),
                label=str(_("Team")),
                missing=_("No team called “%(name)s”."),
            )
        refuse_unwritable(rows, ctx, Ticket, {"assignee": "assignee"})
        valid = [r for r in rows if not r.errors]
        candidates = (
            Ticket.objects.exclude(status=Ticket.Status.CLOSED)
            .filter(in_or_null("customer_id", (r.values.get("customer_id") for r in valid)))
            .annotate(k=folded("subject"))
            .filter(k__in={fold(r.values["subject"]) for r in valid})
        )
        found = {
            (customer_id, fold(subject)): pk
            for customer_id, subject, pk in candidates.values_list("customer_id", "subject", "pk")
        }
        mark_duplicates(
            valid,
            ctx,
            "ticket",
            lambda r: (r.values.get("customer_id"), fold(r.values["subject"])),
            found,
            existing=_("A ticket with this subject is still open for this customer."),
            earlier=_("Same ticket as row %(row)d of this file."),
        )

    def _contacts(self, rows: list[Row]) -> None:
        """The contact, by name or mobile, among the row's customer's contacts."""
        from kehu.customers.models import Contact

        asking = [r for r in rows if not r.errors and r.values.get("contact")]
        customers = {r.values["customer_id"] for r in asking if r.values.get("customer_id")}
        names: dict[tuple[int, str], set[int]] = {}
        for pk, customer_id, name, mobile in Contact.objects.filter(
            customer_id__in=customers
        ).values_list("pk", "customer_id", "name", "mobile"):
            for key in (fold(name), mobile):
                if key:
                    names.setdefault((customer_id, key), set()).add(pk)
        label = str(_("Contact"))
        for r in asking:
            v = r.values
            if not v.get("customer_id"):
                r.errors.append((label, _("Name the contact's customer too.")))
                continue
            try:
                mobile = parse_phone(v["contact"], None)
            except ValueError:
                mobile = ""
            ids = names.get((v["customer_id"], mobile)) or names.get(
                (v["customer_id"], fold(v["contact"])), set()
            )
            if len(ids) == 1:
                v["contact_id"] = next(iter(ids))
            else:
                r.errors.append(
                    (
                        label,
                        (
                            _("Several contacts of %(customer)s are called “%(name)s”.")
                            if ids
                            else _("%(customer)s has no contact “%(name)s”: import it first.")
                        )
                        % {"customer": v["customer"], "name": v["contact"]},
                    )
                )

    def prepare(self, rows: list[Row], ctx: Context) -> dict[str, Any]:
        from kehu.accounts.models import Team
        from kehu.customers.models import Contact, Customer

        return {
            "customer": linked(rows, Customer, "customer_id"),
            "contact": linked(rows, Contact, "contact_id"),
            "team": linked(rows, Team, "team_id"),
            "users": users_of(rows, "assignee"),
        }

    def create_one(self, row: Row, ctx: Context, batch: dict[str, Any]) -> Any:
        from kehu.service import services

        v = row.values
        return services.open_ticket(
            actor=ctx.actor,
            subject=v["subject"],
            customer=batch["customer"].get(v.get("customer_id")),
            contact=batch["contact"].get(v.get("contact_id")),
            team=batch["team"].get(v.get("team_id")),
            assignee=batch["users"].get(v.get("assignee")),
            opened_at=v.get("opened_at"),
            **{k: v[k] for k in _PLAIN if k in v},
        )

    def update_one(
        self, row: Row, ctx: Context, obj: Any, changed: list[str], batch: dict[str, Any]
    ) -> None:
        """The row's values through the ticket's edit; a new assignee through assignment
        (which needs the assign permission, as by hand)."""
        from kehu.service import services

        v = row.values
        if "assignee" in changed:
            services.assign(actor=ctx.actor, ticket=obj, assignee=batch["users"][v["assignee"]])
        edits: dict[str, Any] = {k: v[k] for k in changed if k in _PLAIN}
        for key in ("contact", "team"):
            if f"{key}_id" in changed:
                edits[key] = batch[key][v[f"{key}_id"]]
        if edits:
            services.update_ticket(
                actor=ctx.actor, ticket=obj, expected_version=obj.version, **edits
            )

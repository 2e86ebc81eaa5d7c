"""Demo service desk: an SLA policy per priority, the after-sales team on round robin with
skills, and a handful of tickets in every status (one waiting on the customer). Nothing is
e-mailed: the demo contacts' addresses are made up."""

from __future__ import annotations

import random
from typing import TextIO

from kehu.core.demo import days_ago, step

POLICIES = [
    # name, priority, first response, resolution (working minutes), warn before
    ("紧急 · 1 小时响应 / 4 小时解决", "urgent", 60, 4 * 60, 15),
    ("高 · 2 小时响应 / 1 个工作日解决", "high", 120, 8 * 60, 30),
    ("普通 · 4 小时响应 / 2 个工作日解决", "normal", 4 * 60, 16 * 60, 60),
    ("低 · 1 个工作日响应 / 5 个工作日解决", "low", 8 * 60, 40 * 60, 120),
]

TICKETS = [
    # subject, type, channel, priority, days ago, status path, reply
    ("订单 3 天未发货，客户催促", "complaint", "phone", "high", 0.2, [], False),
    ("蓝牙耳机左耳无声音", "after_sales", "wechat", "normal", 1.5, ["in_progress"], True),
    ("发票抬头开错，需要重开", "inquiry", "email", "low", 3, ["in_progress", "resolved"], True),
    ("APP 无法登录，提示服务器错误", "tech_support", "web", "urgent", 0.6, [], False),
    ("退货运费由谁承担？", "inquiry", "phone", "normal", 6, ["in_progress", "resolved"], True),
    ("批量采购报价咨询", "inquiry", "email", "normal", 2, ["in_progress"], True),
]


@step(40, "service")
def service(rng: random.Random, out: TextIO) -> None:
    from kehu.accounts.models import Team, User
    from kehu.customers.models import Contact
    from kehu.service import services
    from kehu.service.models import AgentSkill, SLAPolicy, TeamRouting, Ticket

    if Ticket.objects.exists():
        out.write("  service: already there\n")
        return
    admin = User.objects.get(username="admin")
    for name, priority, first, resolve, warn in POLICIES:
        if not SLAPolicy.objects.filter(name=name).exists():
            services.create_policy(
                actor=admin,
                name=name,
                priority=priority,
                first_response_minutes=first,
                resolution_minutes=resolve,
                warn_before_minutes=warn,
            )
    team = Team.objects.filter(name="售后服务组").first()
    if team is not None:
        TeamRouting.objects.update_or_create(
            team=team, defaults={"mode": TeamRouting.Mode.ROUND_ROBIN}
        )
        for username, skills in (("gaoyuan", ["tech_support"]), ("tangwei", ["after_sales"])):
            person = User.objects.filter(username=username).first()
            if person is not None:
                for skill in skills:
                    AgentSkill.objects.get_or_create(user=person, skill=skill)
    contacts = list(
        Contact.objects.exclude(email="").select_related("customer").order_by("pk")[:20]
    )
    opened = []
    for i, (subject, kind, channel, priority, ago, path, replied) in enumerate(TICKETS):
        contact = contacts[i % len(contacts)] if contacts else None
        ticket = services.open_ticket(
            actor=admin,
            subject=subject,
            description=f"{subject}。请尽快处理。",
            type=kind,
            channel=channel,
            priority=priority,
            contact=contact,
            team=team,
            opened_at=days_ago(ago, hour=10),
        )
        if replied:
            services.reply(
                actor=ticket.assignee or admin,
                ticket=ticket,
                body="您好，已收到，正在处理。",
                email=False,
            )
        for status in path:
            if ticket.status != status:
                services.change_status(
                    actor=ticket.assignee or admin, ticket=ticket, status=status, email=False
                )
        opened.append(ticket)
    services.pause(actor=admin, ticket=opened[5])
    services.add_note(actor=admin, ticket=opened[0], body="仓库反馈缺货，已催采购。")
    out.write(f"  service: {len(opened)} tickets, {len(POLICIES)} SLA policies\n")

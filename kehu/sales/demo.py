"""Demo deals for 云杉优品's sales teams: a few dozen across the stages of the shipped pipeline,
with stage history, some overdue, some won (with orders) and some lost (with reasons)."""

from __future__ import annotations

import datetime as dt
import random
from decimal import Decimal
from typing import TextIO

from django.utils import timezone

from kehu.core.demo import step

TOPICS = (
    "年度办公用品采购",
    "门店收银系统升级",
    "仓储标签打印机",
    "员工福利礼盒",
    "会员小程序定制",
    "直播设备租赁",
    "618 大促备货",
    "双十一联合营销",
    "客服外包服务",
    "企业采购平台对接",
)
SOURCES = ("官网", "展会", "老客户介绍", "电话营销", "微信公众号")
COMPETITORS = ("", "", "京东企业购", "得力", "本地经销商")
LOST_REASONS = ("价格高于竞品", "客户预算取消", "选择了竞品", "需求推迟到明年")
REPS = ("linxue", "chenhao", "wangfang", "liuyang", "zhaomin")


@step(40, "deals")
def deals(rng: random.Random, out: TextIO) -> None:
    from kehu.accounts.models import User
    from kehu.customers.models import Customer, Product
    from kehu.sales import services
    from kehu.sales.defaults import install_default_pipeline
    from kehu.sales.models import Deal, Pipeline, Stage

    pipeline = install_default_pipeline(Pipeline, Stage)
    if Deal.objects.exists():
        out.write("  deals: already there\n")
        return
    director = User.objects.get(username="zhouhang")
    people = {u.username: u for u in User.objects.filter(username__in=REPS)}
    stages = list(pipeline.stages.order_by("position"))
    open_stages = [s for s in stages if s.kind == Stage.Kind.OPEN]
    lost = next(s for s in stages if s.kind == Stage.Kind.LOST)
    products = list(Product.objects.filter(is_active=True)[:10])
    now = timezone.now()
    made = 0
    for username in REPS:
        owner = people.get(username)
        if owner is None:
            continue
        customers = list(Customer.objects.filter(owner=owner).order_by("id")[:8])
        for customer in customers:
            started = now - dt.timedelta(days=rng.randint(2, 40), hours=rng.randint(0, 8))
            deal = services.create_deal(
                actor=director,
                customer=customer,
                owner=owner,
                title=f"{customer.short_name or customer.name[:8]} · {rng.choice(TOPICS)}",
                amount=Decimal(rng.randrange(8, 400) * 500),
                expected_close_on=(now + dt.timedelta(days=rng.randint(-10, 120))).date(),
                source=rng.choice(SOURCES),
                competitor=rng.choice(COMPETITORS),
                now=started,
            )
            made += 1
            fate = rng.random()
            at = started
            # Walk the deal forward through the open stages, a few days per step.
            target = rng.randint(0, len(open_stages) - 1)
            for stage in open_stages[1 : target + 1]:
                at = at + dt.timedelta(days=rng.uniform(0.5, 6))
                if at >= now:
                    break
                services.move_deal(actor=owner, deal=deal, stage=stage, now=at)
            if fate < 0.15 and products:
                lines = [(rng.choice(products), rng.randint(1, 20), None)]
                services.set_deal_lines(
                    actor=director, deal=deal, lines=lines, expected_version=None
                )
                services.win_deal(
                    actor=director, deal=deal, now=min(at + dt.timedelta(days=1), now)
                )
            elif fate < 0.27:
                services.move_deal(
                    actor=owner,
                    deal=deal,
                    stage=lost,
                    reason=rng.choice(LOST_REASONS),
                    now=min(at + dt.timedelta(days=1), now),
                )
    flagged = services.check_stage_deadlines(now=now)
    out.write(f"  deals: {made} ({flagged} overdue)\n")

"""Demo customers, contacts and interactions for 云杉优品's sales and service teams."""

from __future__ import annotations

import random
from typing import Any, TextIO

from pypinyin import lazy_pinyin

from kehu.core.demo import days_ago, step

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余"
    "杜叶程魏苏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙"
    "史黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = [
    "伟",
    "芳",
    "娜",
    "秀英",
    "敏",
    "静",
    "丽",
    "强",
    "磊",
    "军",
    "洋",
    "勇",
    "艳",
    "杰",
    "娟",
    "涛",
    "明",
    "超",
    "秀兰",
    "霞",
    "平",
    "刚",
    "桂英",
    "文",
    "辉",
    "鑫",
    "宇",
    "婷",
    "晨",
    "浩然",
    "子涵",
    "欣怡",
    "梓轩",
    "思远",
    "雨桐",
    "建华",
    "志强",
    "海燕",
    "晓东",
    "春梅",
    "国平",
    "丹",
    "琳",
    "凯",
    "佳怡",
    "俊杰",
    "雪梅",
    "红霞",
    "新华",
    "立新",
]
CITIES = [
    ("浙江省", "杭州市"),
    ("浙江省", "宁波市"),
    ("浙江省", "温州市"),
    ("江苏省", "南京市"),
    ("江苏省", "苏州市"),
    ("江苏省", "无锡市"),
    ("上海市", "上海市"),
    ("广东省", "广州市"),
    ("广东省", "深圳市"),
    ("广东省", "东莞市"),
    ("广东省", "佛山市"),
    ("福建省", "厦门市"),
    ("福建省", "福州市"),
    ("北京市", "北京市"),
    ("天津市", "天津市"),
    ("山东省", "青岛市"),
    ("山东省", "济南市"),
    ("四川省", "成都市"),
    ("湖北省", "武汉市"),
    ("湖南省", "长沙市"),
    ("河南省", "郑州市"),
    ("陕西省", "西安市"),
    ("重庆市", "重庆市"),
    ("安徽省", "合肥市"),
]
WORDS = [
    "启明",
    "恒泰",
    "华盛",
    "金桥",
    "锦程",
    "瑞丰",
    "鸿运",
    "嘉禾",
    "新科",
    "博远",
    "宏达",
    "盛世",
    "天元",
    "汇通",
    "精诚",
    "众合",
    "远航",
    "云帆",
    "佳美",
    "优选",
    "鼎盛",
    "同创",
    "星辰",
    "海纳",
    "信达",
    "永兴",
    "德众",
    "明珠",
    "中联",
    "恒信",
    "凯旋",
    "阳光",
    "万家",
    "东方",
    "青松",
    "银河",
    "长虹",
    "百川",
    "卓越",
    "尚品",
]
INDUSTRIES = [
    ("贸易", "商贸"),
    ("电子", "电子产品"),
    ("服饰", "服装鞋帽"),
    ("食品", "食品饮料"),
    ("家居", "家居用品"),
    ("母婴", "母婴用品"),
    ("美妆", "美妆个护"),
    ("科技", "信息技术"),
    ("连锁超市", "零售"),
    ("物流", "物流"),
    ("文具", "办公用品"),
    ("酒店", "酒店餐饮"),
]
SOURCES = [
    "官网咨询",
    "天猫旗舰店",
    "京东店铺",
    "抖音直播",
    "展会",
    "老客户转介绍",
    "电话营销",
    "微信公众号",
    "小红书",
]
TITLES = ["采购经理", "总经理", "采购专员", "行政主管", "运营总监", "财务经理", "店长"]
NEEDS = [
    "计划为全国门店统一采购办公耗材，关注价格与账期。",
    "希望建立长期供货关系，需要每月稳定供货及发票。",
    "对新品智能小家电感兴趣，要求先试用样品。",
    "年底员工福利采购，预算约 {b} 万元，要求定制包装。",
    "线上店铺补货，关注发货时效和退换货政策。",
    "需要批量采购母婴用品，重视质检报告。",
    "考虑更换现有供应商，主要痛点是售后响应慢。",
]
PREFERENCES = [
    "偏好微信沟通",
    "只在工作日上午接电话",
    "重视发票与合同规范",
    "喜欢先看样品",
    "价格敏感，关注满减活动",
    "决策慢，需要多次跟进",
    "",
]
SUMMARIES = [
    ("call", "电话沟通采购需求，客户确认下月有一批订单。", "需求已确认", "发送报价单"),
    ("wechat", "微信发送新品目录，客户对其中三款感兴趣。", "有意向", "寄送样品"),
    ("visit", "上门拜访，了解门店扩张计划，见到采购负责人。", "关系加深", "准备方案并约第二次拜访"),
    ("email", "邮件发送报价单及合同草稿。", "等待回复", "三天后电话确认"),
    ("meeting", "视频会议讨论年度框架协议条款。", "条款基本一致", "法务审核合同"),
    ("call", "回访上次订单的到货与使用情况，客户满意。", "满意", "推荐新品"),
    ("call", "处理客户关于物流延误的投诉，已协调补发。", "问题已解决", "一周后回访"),
    ("wechat", "客户询问批量采购折扣政策。", "待报价", "申请折扣后答复"),
]
MOBILE_PREFIXES = [
    "138",
    "139",
    "136",
    "137",
    "150",
    "151",
    "152",
    "158",
    "186",
    "187",
    "188",
    "177",
    "199",
    "135",
    "182",
    "189",
    "133",
    "153",
    "180",
    "181",
]
CUSTOMER_COUNT = 300


def person_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN)


def mobile(rng: random.Random) -> str:
    return f"+86{rng.choice(MOBILE_PREFIXES)}{rng.randint(0, 99_999_999):08d}"


def email_for(rng: random.Random, name: str, domain_word: str) -> str:
    local = "".join(lazy_pinyin(name))
    domain = "".join(lazy_pinyin(domain_word))
    return f"{local}{rng.randint(1, 99)}@{domain}.com.cn"


@step(20, "customers")
def customers(rng: random.Random, out: TextIO) -> None:
    from kehu.accounts.models import User
    from kehu.customers import services
    from kehu.customers.models import Customer, Interaction

    owners = list(
        User.objects.filter(
            username__in=["linxue", "chenhao", "wangfang", "liuyang", "zhaomin", "zhouhang"]
        ).order_by("username")
    )
    if not owners:
        return
    weights = [3 if u.username in {"linxue", "chenhao"} else 2 for u in owners]
    created = 0
    seen: set[str] = set()
    catalogue = products(owners[-1])
    extra = random.Random(7)  # orders and tags, apart from the draws that shape the customers
    for _ in range(CUSTOMER_COUNT):
        province, city = rng.choice(CITIES)
        is_company = rng.random() < 0.8
        industry, industry_label = rng.choice(INDUSTRIES)
        if is_company:
            word = rng.choice(WORDS)
            short = f"{word}{industry}"
            name = f"{city.removesuffix('市')}{short}有限公司"
        else:
            word = person_name(rng)
            short = ""
            name = word
        owner = rng.choices(owners, weights=weights)[0]
        status = rng.choices(["lead", "active", "dormant", "lost"], weights=[3, 6, 2, 1])[0]
        level = rng.choices(["A", "B", "C", "D"], weights=[1, 3, 5, 2])[0]
        intent = rng.choice(["none", "low", "medium", "high"])
        need = rng.choice(NEEDS).format(b=rng.randint(5, 80))
        preference = rng.choice(PREFERENCES)
        contact_names = [person_name(rng) for _ in range(rng.randint(1, 3) if is_company else 1)]
        contact_titles = [rng.choice(TITLES) for _ in contact_names]
        contact_mobiles = [mobile(rng) for _ in contact_names]
        contact_emails = [email_for(rng, cname, word) for cname in contact_names]
        n_interactions = rng.choices([0, 1, 2, 3, 4, 6], weights=[1, 3, 3, 2, 2, 1])[0]
        plan = [
            (rng.choice(SUMMARIES), rng.uniform(1, 150), rng.randint(9, 17))
            for _ in range(n_interactions)
        ]
        follow_up_in = rng.choice([None, -6, -3, -1, 0, 0, 1, 2, 3, 5, 8, 14, 21])
        follow_up_hour = rng.randint(9, 17)
        follow_up_plan = rng.choice(SUMMARIES)[3]
        street = rng.choice(["解放路", "人民路", "中山路", "建设路", "滨江大道"])
        number = rng.randint(1, 999)
        source = rng.choice(SOURCES)
        # Every random draw is made above, so skipping an existing customer keeps the sequence.
        if name in seen:
            continue
        seen.add(name)
        if Customer.objects.filter(name=name).exists():
            continue
        customer = services.create_customer(
            actor=owner,
            name=name,
            owner=owner,
            short_name=short,
            kind="company" if is_company else "individual",
            level=level,
            status=status,
            source=source,
            industry=industry_label,
            province=province,
            city=city,
            address=f"{city}{street}{number}号",
            purchase_intent=intent,
            need_description=need,
            preferences=preference,
        )
        contacts = []
        for i, (cname, title, phone, email) in enumerate(
            zip(contact_names, contact_titles, contact_mobiles, contact_emails, strict=True)
        ):
            contacts.append(
                services.add_contact(
                    actor=owner,
                    customer=customer,
                    name=cname,
                    title=title if is_company else "",
                    mobile=phone,
                    email=email,
                    is_primary=i == 0,
                )
            )
        for (kind, summary, outcome, next_step), age, hour in sorted(plan, key=lambda p: -p[1]):
            services.log_interaction(
                actor=owner,
                customer=customer,
                kind=kind,
                occurred_at=days_ago(age, hour=hour),
                summary=summary,
                outcome=outcome,
                next_step=next_step,
                contacts=contacts[:1],
            )
        if follow_up_in is not None:
            customer.next_follow_up_at = days_ago(-follow_up_in, hour=follow_up_hour)
            customer.follow_up_plan = follow_up_plan
            customer.save(update_fields=["next_follow_up_at", "follow_up_plan"])
        purchases(extra, services, customer, owner, catalogue, status)
        created += 1
    total = Customer.objects.count()
    out.write(
        f"  customers: {created} new ({total} in all, {Interaction.objects.count()} interactions)\n"
    )


PRODUCTS = [
    ("KH-CRM-STD", "客户管理系统 标准版（年）", "软件订阅", "套", "19800"),
    ("KH-CRM-PRO", "客户管理系统 专业版（年）", "软件订阅", "套", "39800"),
    ("KH-SEAT", "追加用户席位（年）", "软件订阅", "个", "680"),
    ("KH-IMPL", "实施与数据迁移服务", "服务", "人天", "2500"),
    ("KH-TRAIN", "现场培训", "服务", "场", "6000"),
    ("HW-SCAN", "名片扫描仪", "硬件", "台", "1299"),
    ("HW-PHONE", "坐席电话机", "硬件", "台", "459"),
]
TAGS = ["老客户", "展会", "转介绍", "重点跟进", "华东", "华南", "政府项目", "价格敏感"]
RETURN_REASONS = ["设备有划痕，换货", "多发了数量", "客户取消部分需求", "型号不符"]


def products(actor: Any) -> list[Any]:
    from kehu.customers import services
    from kehu.customers.models import Product

    out = []
    for code, name, category, unit, price in PRODUCTS:
        found = Product.objects.filter(code=code).first()
        out.append(
            found
            or services.create_product(
                actor=actor, code=code, name=name, category=category, unit=unit, price=price
            )
        )
    return out


def purchases(
    rng: random.Random, services: Any, customer: Any, owner: Any, catalogue: list[Any], status: str
) -> None:
    """Tags for some customers; for active and dormant ones a purchase history and a return."""
    import datetime as dt

    from django.utils import timezone

    if rng.random() < 0.45:
        services.set_tags(actor=owner, customer=customer, names=rng.sample(TAGS, rng.randint(1, 2)))
    if status not in {"active", "dormant"}:
        return
    today = timezone.localdate()
    for _ in range(rng.randint(1, 3)):
        picked = rng.sample(catalogue, rng.randint(1, 3))
        order = services.create_order(
            actor=owner,
            customer=customer,
            ordered_on=today - dt.timedelta(days=rng.randint(5, 400)),
            status=rng.choice(["confirmed", "delivered", "delivered"]),
            lines=[services.LineInput(p, rng.choice([1, 1, 2, 5, 10])) for p in picked],
        )
        if rng.random() < 0.12:
            line = order.lines.first()
            services.record_return(
                actor=owner,
                line=line,
                quantity=1,
                reason=rng.choice(RETURN_REASONS),
                returned_on=min(today, order.ordered_on + dt.timedelta(days=rng.randint(3, 20))),
            )

"""Fill a database with a large, realistic Chinese customer base, fast.

1,000,000 customers, 2,000,000 contacts and 5,000,000 interactions at scale 1.0 (smaller scales
for a quick look), owned by ~50 people in six teams under the shipped roles. Rows go in with
batched ``executemany`` on SQLite (search triggers off, the FTS index rebuilt once at the end) and
``COPY`` on PostgreSQL (the search GIN index dropped during the load and rebuilt after).

Search tokens are the application's (:mod:`kehu.core.search`); for company names they are put
together from the tokens of the name's parts (city, brand, industry, legal form), computed once per
part, plus the Chinese character pairs and the pinyin of the whole name, which is what the app
computes for such names, at a fraction of the cost.
"""

from __future__ import annotations

import datetime as dt
import random
import time
from collections.abc import Iterator
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

CITIES = [
    ("浙江省", "杭州市", ["西湖区", "滨江区", "余杭区", "拱墅区"]),
    ("浙江省", "宁波市", ["鄞州区", "海曙区", "北仑区"]),
    ("浙江省", "温州市", ["鹿城区", "瓯海区"]),
    ("上海市", "上海市", ["浦东新区", "徐汇区", "闵行区", "静安区"]),
    ("江苏省", "南京市", ["鼓楼区", "江宁区"]),
    ("江苏省", "苏州市", ["工业园区", "吴中区", "昆山市"]),
    ("广东省", "深圳市", ["南山区", "福田区", "宝安区", "龙岗区"]),
    ("广东省", "广州市", ["天河区", "海珠区", "番禺区"]),
    ("广东省", "东莞市", ["南城街道", "长安镇"]),
    ("北京市", "北京市", ["朝阳区", "海淀区", "丰台区"]),
    ("四川省", "成都市", ["高新区", "锦江区", "武侯区"]),
    ("湖北省", "武汉市", ["洪山区", "江汉区"]),
    ("福建省", "厦门市", ["思明区", "湖里区"]),
    ("山东省", "青岛市", ["市南区", "黄岛区"]),
    ("陕西省", "西安市", ["雁塔区", "未央区"]),
]
BRAND_A = list("云天华新恒瑞博嘉佳鑫宏盛泰安康利达信诚远航启明星辰智创联众汇金宇海峰")
BRAND_B = list("帆宇源通达科联兴隆昌荣晟越辉腾翔川林森泽润悦宁欣锐晨光")
INDUSTRIES = [
    ("科技", "软件与信息服务"),
    ("电子", "电子制造"),
    ("贸易", "批发零售"),
    ("机械", "装备制造"),
    ("医疗器械", "医疗健康"),
    ("食品", "食品饮料"),
    ("服饰", "纺织服装"),
    ("建材", "建筑建材"),
    ("物流", "交通物流"),
    ("教育科技", "教育培训"),
    ("新能源", "能源环保"),
    ("生物", "生物医药"),
]
LEGAL = ["有限公司", "有限公司", "有限公司", "股份有限公司", "集团有限公司"]
SURNAMES = list(
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁"
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
    "三",
    "小红",
    "建华",
    "志强",
    "海燕",
    "晓东",
    "雪",
    "浩",
    "婷",
    "宇",
    "佳怡",
    "子涵",
    "思远",
    "文博",
    "欣怡",
    "俊杰",
    "雨桐",
]
TITLES = [
    "总经理",
    "采购经理",
    "采购专员",
    "技术总监",
    "财务经理",
    "行政主管",
    "项目经理",
    "董事长",
]
SOURCES = ["展会", "官网", "转介绍", "电话开发", "线上广告", "老客户", "合作伙伴", "招投标"]
SUMMARIES = [
    ("call", "电话沟通了新一期的采购计划，对方关注交付周期", "客户有意向", "发送报价单"),
    ("visit", "上门拜访，参观了生产线并介绍了新产品", "关系推进", "安排技术交流"),
    ("wechat", "微信确认了样品的收货情况", "样品已收到", "一周后回访试用效果"),
    ("email", "邮件发送了合同草稿和付款条款", "等待法务审核", "跟进合同意见"),
    ("meeting", "视频会议讨论实施方案和培训安排", "方案基本认可", "出正式方案"),
    ("call", "回访上次订单的使用情况，客户反馈良好", "满意", "询问增购需求"),
    ("other", "在行业展会上碰面，交换了名片", "初步认识", "约时间拜访"),
]
MOBILE_PREFIXES = [
    "135",
    "136",
    "137",
    "138",
    "139",
    "150",
    "151",
    "152",
    "158",
    "159",
    "186",
    "187",
    "188",
    "199",
]
BATCH = 20_000


def _now() -> dt.datetime:
    return timezone.now().replace(microsecond=0)


class Tokens:
    """The app's search tokens, computed once per name part and per person name."""

    def __init__(self) -> None:
        from kehu.core import search

        self.search = search
        self.parts: dict[str, tuple[set[str], list[str]]] = {}
        self.people: dict[str, set[str]] = {}

    def part(self, text: str) -> tuple[set[str], list[str]]:
        found = self.parts.get(text)
        if found is None:
            found = (self.search.text_tokens(text), self.search._pinyin(text))
            self.parts[text] = found
        return found

    def company(self, pieces: list[str], extra: str) -> str:
        tokens: set[str] = set()
        syllables: list[str] = []
        for piece in pieces:
            piece_tokens, piece_pinyin = self.part(piece)
            tokens |= piece_tokens
            syllables += piece_pinyin
        name = "".join(pieces)
        tokens |= self.search.cjk_grams(name)
        tokens.add("".join(syllables))
        tokens.add("".join(s[0] for s in syllables))
        tokens |= self.part(extra)[0]
        return " ".join(t for t in tokens if t)

    def person(self, name: str, mobile: str, email: str) -> str:
        base = self.people.get(name)
        if base is None:
            base = self.search.text_tokens(name)
            self.people[name] = base
        tokens = base | self.search.phone_tokens(mobile) | self.search.email_tokens(email)
        return " ".join(tokens)


def people(scale: float) -> dict[str, Any]:
    """~50 people: a director, six customer managers each leading a team of sales reps."""
    from kehu.accounts.models import Role, Team, User
    from kehu.accounts.roles import create_default_roles

    create_default_roles(Role)
    roles = {r.code: r for r in Role.objects.all()}

    def user(username: str, name: str, role: str) -> Any:
        found = User.objects.filter(username=username).first()
        if found:
            return found
        u = User(username=username, display_name=name)
        u.set_unusable_password()
        u.save()
        u.roles.set([roles[role]])
        return u

    director = user("bench_director", "周总监", "sales_director")
    sales = Team.objects.get_or_create(name="基准销售部", defaults={"kind": "department"})[0]
    managers, reps = [], []
    for t in range(6):
        manager = user(f"bench_mgr{t}", f"{SURNAMES[t]}经理", "customer_manager")
        team = Team.objects.get_or_create(
            name=f"基准销售{t + 1}组", defaults={"parent": sales, "leader": manager}
        )[0]
        team.members.add(manager)
        managers.append(manager)
        for r in range(8):
            rep = user(
                f"bench_rep{t}_{r}",
                f"{SURNAMES[(3 + t * 8 + r) % len(SURNAMES)]}{GIVEN[t + r]}",
                "sales_rep",
            )
            team.members.add(rep)
            reps.append(rep)
    return {"director": director, "managers": managers, "reps": reps}


def _rows(model: Any, values: list[dict[str, Any]]) -> tuple[list[str], list[tuple[Any, ...]]]:
    columns = [f.column for f in model._meta.concrete_fields]
    attnames = [f.attname for f in model._meta.concrete_fields]
    return columns, [tuple(map(v.get, attnames)) for v in values]


def _insert(model: Any, values: list[dict[str, Any]]) -> None:
    if not values:
        return
    columns, rows = _rows(model, values)
    table = model._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            raw = cursor.cursor  # psycopg 3: COPY is several times faster than INSERTs
            with raw.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        else:
            marks = ", ".join(["%s"] * len(columns))
            # table and column names come from the models, never from input
            sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})"  # noqa: S608
            cursor.executemany(sql, rows)


def _next_ids(model: Any, n: int) -> Iterator[int]:
    start = (model.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
    return iter(range(start, start + n))


def _drop_indexes(tables: list[str]) -> list[str]:
    """Drop the secondary indexes of ``tables`` (not keys or unique constraints) and return the
    statements that rebuild them: building an index once over sorted data is much faster than
    keeping a dozen indexes current row by row."""
    statements = []
    with connection.cursor() as cursor:
        for table in tables:
            if connection.vendor == "sqlite":
                cursor.execute(
                    "SELECT name, sql FROM sqlite_master WHERE type='index' AND tbl_name=%s "
                    "AND sql IS NOT NULL AND sql NOT LIKE 'CREATE UNIQUE%%'",
                    [table],
                )
            else:
                cursor.execute(
                    "SELECT indexname, indexdef FROM pg_indexes WHERE tablename=%s AND "
                    "indexname NOT IN (SELECT conname FROM pg_constraint) AND "
                    "indexdef NOT LIKE 'CREATE UNIQUE%%'",
                    [table],
                )
            for name, sql in cursor.fetchall():
                statements.append(sql)
                cursor.execute(f'DROP INDEX "{name}"')
    return statements


def _search_load(start: bool) -> None:
    """Switch per-row search indexing off for the load, and build the index once after."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            if start:
                cursor.execute("DROP TRIGGER IF EXISTS core_searchentry_ai")
            else:
                cursor.execute("INSERT INTO core_search_fts(core_search_fts) VALUES ('rebuild')")
                cursor.execute(
                    "CREATE TRIGGER IF NOT EXISTS core_searchentry_ai AFTER INSERT ON "
                    "core_searchentry BEGIN INSERT INTO core_search_fts(rowid, tokens) "
                    "VALUES (new.id, new.tokens); END"
                )
        elif start:
            cursor.execute("DROP INDEX IF EXISTS core_searchentry_tsv")
        else:
            cursor.execute(
                "CREATE INDEX IF NOT EXISTS core_searchentry_tsv ON core_searchentry "
                "USING gin (to_tsvector('simple', tokens))"
            )
            cursor.execute("ANALYZE")


def generate(scale: float = 1.0, *, seed: int = 2026, out: Any = print) -> dict[str, Any]:
    """Load ``scale`` × (1M customers, 2M contacts, 5M interactions); returns timings."""
    from django.contrib.contenttypes.models import ContentType

    from kehu.core.models import SearchEntry
    from kehu.customers.models import Contact, Customer, Interaction, Tag
    from kehu.customers.validators import core_key, name_key

    rng = random.Random(seed)
    staff = people(scale)
    owners = staff["managers"] + staff["reps"]
    n_customers = int(1_000_000 * scale)
    tokens = Tokens()
    now = _now()
    ct_customer = ContentType.objects.get_for_model(Customer).pk
    ct_contact = ContentType.objects.get_for_model(Contact).pk
    tags = [Tag.objects.get_or_create(name=n)[0] for n in ("老客户", "展会", "重点跟进", "华东")]
    customer_ids = _next_ids(Customer, n_customers)
    contact_ids = _next_ids(Contact, n_customers * 3)
    entry_ids = _next_ids(SearchEntry, n_customers * 4)
    interaction_ids = _next_ids(Interaction, n_customers * 9)
    link_ids = _next_ids(Customer.tags.through, n_customers)
    counts = {"customers": 0, "contacts": 0, "interactions": 0}
    started = time.perf_counter()
    _search_load(True)
    loaded = [Customer, Contact, Interaction, SearchEntry, Customer.tags.through]
    rebuild = _drop_indexes([m._meta.db_table for m in loaded])
    batch: dict[str, list[dict[str, Any]]] = {}

    def flush() -> None:
        with transaction.atomic():
            for model in (Customer, Contact, Interaction, SearchEntry, Customer.tags.through):
                _insert(model, batch.get(model.__name__, []))
        batch.clear()

    def add(model: Any, row: dict[str, Any]) -> None:
        batch.setdefault(model.__name__, []).append(row)

    common = {"version": 1, "created_by_id": None, "updated_by_id": None}
    for _ in range(n_customers):
        pk = next(customer_ids)
        province, city, districts = rng.choice(CITIES)
        brand = rng.choice(BRAND_A) + rng.choice(BRAND_B)
        if rng.random() < 0.6:
            brand += rng.choice(BRAND_A)
        word, industry = rng.choice(INDUSTRIES)
        legal = rng.choice(LEGAL)
        pieces = [city.removesuffix("市"), brand, word, legal]
        name = "".join(pieces)
        owner = rng.choice(owners)
        created = now - dt.timedelta(days=rng.randint(30, 1500), minutes=rng.randint(0, 1439))
        n_inter = rng.choice((2, 3, 4, 5, 5, 6, 7, 8))
        times = sorted(
            created
            + dt.timedelta(minutes=rng.randint(0, int((now - created).total_seconds() // 60)))
            for _ in range(n_inter)
        )
        follow = rng.random()
        add(
            Customer,
            {
                **common,
                "id": pk,
                "name": name,
                "name_key": name_key(name),
                "core_key": core_key(name),
                "short_name": brand + word,
                "kind": "company",
                "level": rng.choices("ABCD", weights=(1, 3, 5, 2))[0],
                "status": rng.choices(("lead", "active", "dormant", "lost"), weights=(3, 6, 2, 1))[
                    0
                ],
                "source": rng.choice(SOURCES),
                "industry": industry,
                "province": province,
                "city": city,
                "district": rng.choice(districts),
                "address": f"{rng.choice(districts)}{rng.randint(1, 999)}号",
                "website": "",
                "uscc": "",
                "owner_id": owner.pk,
                "credit_limit": None,
                "need_description": "",
                "purchase_intent": rng.choice(("none", "low", "medium", "high")),
                "purchase_intent_note": "",
                "preferences": "",
                "satisfaction": rng.choice((None, 3, 4, 5)),
                "notes": "",
                "last_contact_at": times[-1],
                "next_follow_up_at": (
                    None if follow < 0.3 else now + dt.timedelta(days=rng.randint(-30, 60))
                ),
                "follow_up_plan": "",
                "possible_duplicate": False,  # set by refresh_all() once everything is in
                "uscc_invalid": False,  # no credit codes generated
                "orders_count": 0,
                "purchase_total": 0,
                "returns_total": 0,
                "last_order_on": None,
                "created_at": created,
                "updated_at": times[-1],
            },
        )
        add(
            SearchEntry,
            {
                "id": next(entry_ids),
                "content_type_id": ct_customer,
                "object_id": pk,
                "tokens": tokens.company(pieces, city),
            },
        )
        if rng.random() < 0.1:
            add(
                Customer.tags.through,
                {"id": next(link_ids), "customer_id": pk, "tag_id": rng.choice(tags).pk},
            )
        for c in range(2):
            cid = next(contact_ids)
            person = rng.choice(SURNAMES) + rng.choice(GIVEN)
            mobile = f"+86{rng.choice(MOBILE_PREFIXES)}{rng.randint(0, 99_999_999):08d}"
            domain = "".join(tokens.part(brand)[1])
            email = f"c{cid}@{domain}.com.cn" if c == 0 else ""
            add(
                Contact,
                {
                    **common,
                    "id": cid,
                    "customer_id": pk,
                    "name": person,
                    "title": rng.choice(TITLES),
                    "mobile": mobile,
                    "mobile2": "",
                    "phone": "",
                    "email": email,
                    "wechat": "",
                    "birthday": None,
                    "is_primary": c == 0,
                    "created_at": created,
                    "updated_at": created,
                },
            )
            add(
                SearchEntry,
                {
                    "id": next(entry_ids),
                    "content_type_id": ct_contact,
                    "object_id": cid,
                    "tokens": tokens.person(person, mobile, email),
                },
            )
        for when in times:
            kind, summary, outcome, step = rng.choice(SUMMARIES)
            add(
                Interaction,
                {
                    **common,
                    "id": next(interaction_ids),
                    "customer_id": pk,
                    "kind": kind,
                    "occurred_at": when,
                    "user_id": owner.pk,
                    "summary": summary,
                    "outcome": outcome,
                    "next_step": step,
                    "created_at": when,
                    "updated_at": when,
                },
            )
        counts["customers"] += 1
        counts["contacts"] += 2
        if len(batch.get("Customer", [])) >= BATCH // 4:
            counts["interactions"] += len(batch.get("Interaction", []))
            flush()
            if counts["customers"] % 100_000 < BATCH // 4:
                out(
                    f"  {counts['customers']:>9,} customers  {time.perf_counter() - started:6.0f} s"
                )
    counts["interactions"] += len(batch.get("Interaction", []))
    flush()
    out(f"  rebuilding {len(rebuild)} indexes and the search index…")
    with connection.cursor() as cursor:
        for sql in rebuild:
            cursor.execute(sql)
    _search_load(False)
    from kehu.customers.duplicates import refresh_all

    refresh_all()  # the "possible duplicate" flags the services keep for rows they write
    if connection.vendor == "postgresql":  # rows came with their ids: move the sequences on
        from django.core.management.color import no_style

        with connection.cursor() as cursor:
            for sql in connection.ops.sequence_reset_sql(no_style(), loaded):
                cursor.execute(sql)
    with connection.cursor() as cursor:
        # PostgreSQL: VACUUM as autovacuum would soon after such a load, so the pages are
        # measured as a running system has them (visibility map set: index-only scans; hint
        # bits set: no first reads writing pages back)
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")
    seconds = time.perf_counter() - started
    rows = sum(counts.values())
    return {
        **counts,
        "seconds": round(seconds, 1),
        "rows_per_second": round(rows / seconds),
    }

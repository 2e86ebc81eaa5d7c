"""The demo company: 云杉优品, an e-commerce business upgrading its customer service (seed 000).

Deterministic (a fixed random seed) and idempotent: records are keyed by username or name, and a
second run creates nothing. Apps add their own steps with :func:`step`.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from typing import Any, TextIO

from django.db import transaction
from django.utils import timezone

DEMO_PASSWORD = "kehu-demo"  # noqa: S105 - published demo logins
SEED = 20261122
DEMO_EMAIL_DOMAIN = "@yunshan-demo.cn"

Step = Callable[[random.Random, TextIO], None]
_steps: list[tuple[int, str, Step]] = []


def step(order: int, name: str) -> Callable[[Step], Step]:
    def register(fn: Step) -> Step:
        _steps.append((order, name, fn))
        return fn

    return register


def load(out: TextIO) -> None:
    # Import the modules that register steps.
    from kehu.customers import demo as _customers_demo  # noqa: F401
    from kehu.sales import demo as _sales_demo  # noqa: F401
    from kehu.service import demo as _service_demo  # noqa: F401

    for _order, name, fn in sorted(_steps, key=lambda s: s[0]):
        with transaction.atomic():
            fn(random.Random(f"{SEED}:{name}"), out)


# ---- people and teams -----------------------------------------------------------------------

# username, display name, job title, team key, leads the team, role code
PEOPLE: list[tuple[str, str, str, str, bool, str]] = [
    ("admin", "系统管理员", "管理员", "company", False, "administrator"),
    ("zhouhang", "周航", "销售主管", "sales", True, "sales_director"),
    ("linxue", "林雪", "客户经理", "sales_east", True, "customer_manager"),
    ("chenhao", "陈浩", "客户经理", "sales_south", True, "customer_manager"),
    ("wangfang", "王芳", "销售代表", "sales_east", False, "sales_rep"),
    ("liuyang", "刘洋", "销售代表", "sales_east", False, "sales_rep"),
    ("zhaomin", "赵敏", "销售代表", "sales_south", False, "sales_rep"),
    ("sunli", "孙丽", "市场营销专员", "marketing", True, "marketing_specialist"),
    ("hejun", "何军", "市场营销专员", "marketing", False, "marketing_specialist"),
    ("xujing", "徐静", "项目经理", "service", True, "project_manager"),
    ("gaoyuan", "高远", "技术支持", "service_after", True, "tech_support"),
    ("tangwei", "唐伟", "技术支持", "service_after", False, "tech_support"),
    ("yangli", "杨丽", "行政助理", "company", False, "admin_assistant"),
]

TEAMS: list[tuple[str, str, str, str | None]] = [
    # key, name, kind, parent key
    ("company", "云杉优品电子商务有限公司", "company", None),
    ("marketing", "市场部", "department", "company"),
    ("sales", "销售部", "department", "company"),
    ("sales_east", "华东销售组", "team", "sales"),
    ("sales_south", "华南销售组", "team", "sales"),
    ("service", "客服部", "department", "company"),
    ("service_after", "售后服务组", "team", "service"),
]


def _email_for(username: str) -> str:
    return f"{username}{DEMO_EMAIL_DOMAIN}"


@step(10, "people")
def people(rng: random.Random, out: TextIO) -> None:
    from kehu.accounts.models import Role, Team, User
    from kehu.accounts.roles import create_default_roles

    create_default_roles(Role)
    roles = {r.code: r for r in Role.objects.all()}
    created = 0
    users: dict[str, Any] = {}
    for i, (username, display, title, _team, _leads, role) in enumerate(PEOPLE):
        user = User.objects.filter(username=username).first()
        if user is None:
            user = User(
                username=username,
                display_name=display,
                title=title,
                email=_email_for(username),
                mobile=f"+86139{rng.randint(1000, 9999)}{1000 + i:04d}",
                is_staff=username == "admin",
                is_superuser=username == "admin",
            )
            user.set_password(DEMO_PASSWORD)
            user.save()
            user.roles.add(roles[role])
            created += 1
        users[username] = user

    teams: dict[str, Any] = {}
    for key, name, kind, parent_key in TEAMS:
        parent = teams.get(parent_key) if parent_key else None
        team, _ = Team.objects.get_or_create(
            name=name, parent=parent, defaults={"kind": kind, "created_by": users["admin"]}
        )
        teams[key] = team
    for username, _display, _title, team_key, leads, _role in PEOPLE:
        team = teams[team_key]
        team.members.add(users[username])
        if leads and team.leader_id != users[username].pk:
            team.leader = users[username]
            team.save(update_fields=["leader"])
    if teams["company"].leader_id is None:
        teams["company"].leader = users["zhouhang"]
        teams["company"].save(update_fields=["leader"])
    out.write(f"  people: {created} new of {len(PEOPLE)}\n")


def days_ago(days: float, hour: int = 10) -> dt.datetime:
    base = timezone.localtime().replace(hour=hour, minute=0, second=0, microsecond=0)
    return base - dt.timedelta(days=days)

"""A small company for the data audit: a director who sees everything, a customer manager who
leads 华东销售组 (under 销售部) with a rep, and a rep of 华南销售组 outside her team."""

from __future__ import annotations

import datetime as dt
import itertools
from types import SimpleNamespace
from typing import Any

import pytest
from django.utils import timezone

from kehu.customers import services
from kehu.customers.validators import uscc_check_character

_n = itertools.count(1)


@pytest.fixture
def people(make_user: Any) -> SimpleNamespace:
    from kehu.accounts.models import Team

    director = make_user("zhouhang", display_name="周航", roles=("sales_director",))
    manager = make_user("linxue", display_name="林雪", roles=("customer_manager",))
    rep = make_user("wangfang", display_name="王芳", roles=("sales_rep",))
    outsider = make_user("chenhao", display_name="陈浩", roles=("sales_rep",))
    department = Team.objects.create(name="销售部", kind="department")
    east = Team.objects.create(name="华东销售组", parent=department, leader=manager)
    east.members.add(manager, rep)
    south = Team.objects.create(name="华南销售组", parent=department)
    south.members.add(outsider)
    return SimpleNamespace(
        director=director,
        manager=manager,
        rep=rep,
        outsider=outsider,
        department=department,
        east=east,
        south=south,
    )


def valid_uscc() -> str:
    first17 = f"91330100{next(_n):09d}"
    return first17 + uscc_check_character(first17)


def complete_customer(owner: Any, name: str, **fields: Any) -> Any:
    """A customer that passes every check: every field, a reachable contact, a recent call
    and a follow-up planned."""
    n = next(_n)
    values = {
        "industry": "制造业",
        "source": "展会",
        "province": "浙江省",
        "city": "杭州市",
        "address": "西湖区文三路 1 号",
        "purchase_intent": "high",
        "need_description": "需要一套订单管理系统",
        "website": "https://example.com",
        "uscc": valid_uscc(),
        **fields,
    }
    customer = services.create_customer(actor=owner, owner=owner, name=name, **values)
    services.add_contact(
        actor=owner,
        customer=customer,
        name=f"{name}联系人",
        mobile=f"139{n:08d}",
        email=f"contact{n}@example.com",
        title="采购经理",
    )
    services.log_interaction(
        actor=owner,
        customer=customer,
        kind="call",
        occurred_at=timezone.now() - dt.timedelta(days=1),
        summary="电话沟通需求",
        next_follow_up_at=timezone.now() + dt.timedelta(days=7),
    )
    customer.refresh_from_db()
    return customer


def bare_customer(owner: Any, name: str, **fields: Any) -> Any:
    """A company with nothing but its name: no contact, never called."""
    return services.create_customer(actor=owner, owner=owner, name=name, **fields)

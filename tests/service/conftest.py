from __future__ import annotations

import datetime as dt
import itertools
from typing import Any
from zoneinfo import ZoneInfo

import pytest

SH = ZoneInfo("Asia/Shanghai")
_n = itertools.count(1)


def at(day: str, hm: str = "10:00") -> dt.datetime:
    """An aware moment in Shanghai: at("2026-11-23", "17:30")."""
    return dt.datetime.fromisoformat(f"{day}T{hm}").replace(tzinfo=SH)


@pytest.fixture
def agent(make_user: Any) -> Any:
    return make_user("gaoyuan", display_name="高远", roles=("tech_support",), email="gy@kehu.test")


@pytest.fixture
def manager(make_user: Any) -> Any:
    return make_user("svcadmin", roles=("administrator",))


@pytest.fixture
def make_policy(db: Any) -> Any:
    from kehu.service import services

    def make(**fields: Any) -> Any:
        fields.setdefault("name", f"SLA {next(_n)}")
        fields.setdefault("first_response_minutes", 60)
        fields.setdefault("resolution_minutes", 240)
        fields.setdefault("warn_before_minutes", 30)
        return services.create_policy(actor=None, **fields)

    return make


@pytest.fixture
def make_ticket(db: Any) -> Any:
    from kehu.service import services

    def make(actor: Any = None, **fields: Any) -> Any:
        fields.setdefault("subject", f"打印机无法连接 {next(_n)}")
        return services.open_ticket(actor=actor, **fields)

    return make

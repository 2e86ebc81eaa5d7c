"""Exporting a table view: what the user sees (filters, columns, sort), in a file Excel opens."""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from typing import Any

import pytest
from openpyxl import load_workbook

from kehu.core.models import AuditEvent
from kehu.customers import services


def _csv(response: Any) -> list[list[str]]:
    assert response.status_code == 200, response
    assert response["Content-Type"].startswith("text/csv")
    raw = b"".join(response.streaming_content).decode("utf-8")
    assert raw.startswith("\ufeff")  # Excel reads the file as UTF-8 only with a BOM
    return list(csv.reader(io.StringIO(raw[1:])))


def _xlsx(response: Any) -> list[list[Any]]:
    assert response.status_code == 200
    assert "spreadsheetml" in response["Content-Type"]
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    return [list(r) for r in book.active.iter_rows(values_only=True)]


@pytest.fixture
def manager(make_user: Any) -> Any:
    from kehu.accounts.models import Team

    boss = make_user("manager1", display_name="王经理", roles=("customer_manager",))
    team = Team.objects.create(name="华东组", leader=boss)
    team.members.add(boss)
    return boss


def test_export_follows_the_filters_sort_and_chosen_columns(client, manager, make_customer):
    for name, level in (("乙公司", "A"), ("甲公司", "A"), ("丙公司", "B")):
        make_customer(manager, name=name, level=level, city="杭州市")
    services.set_tags(
        actor=manager,
        customer=make_customer(manager, name="丁公司", level="A"),
        names=["重点", "老客户"],
    )
    client.force_login(manager)
    rows = _csv(
        client.get("/customers/?level=A&sort=-name&cols=level&cols=tags&cols=owner&export=csv")
    )
    header, body = rows[0], rows[1:]
    assert header == ["客户", "级别", "标签", "客户经理"]
    assert [r[0] for r in body] == sorted(["乙公司", "甲公司", "丁公司"], reverse=True)
    assert all(r[1].startswith("A") and r[3] == "王经理" for r in body)
    assert {r[0]: r[2] for r in body}["丁公司"] in ("重点、老客户", "老客户、重点")


def test_formula_injection_is_neutralised_in_csv_and_xlsx(client, manager, make_customer):
    for name in ('=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)", "正常公司"):
        make_customer(manager, name=name)
    client.force_login(manager)
    names = {r[0] for r in _csv(client.get("/customers/?export=csv"))[1:]}
    assert names == {'\'=HYPERLINK("http://x")', "'+1+1", "'-2+3", "'@SUM(A1)", "正常公司"}
    cells = {r[0] for r in _xlsx(client.get("/customers/?export=xlsx"))[1:]}
    assert cells == names  # stored as text, never as a formula


def test_a_sales_reps_export_has_only_their_customers_and_no_money(
    client, user, other_user, make_customer
):
    make_customer(user, name="我的客户", credit_limit=Decimal("88000"))
    make_customer(other_user, name="别人的客户")
    client.force_login(user)
    url = "/customers/?cols=purchase_total&cols=credit_limit&cols=returns_total&cols=city"
    rows = _csv(client.get(url + "&export=csv"))
    assert [r[0] for r in rows[1:]] == ["我的客户"]
    assert not {"采购", "信用额度", "退货"} & set(rows[0])
    assert "88000" not in "".join(",".join(r) for r in rows)
    xlsx = _xlsx(client.get(url + "&export=xlsx"))
    assert [r[0] for r in xlsx[1:]] == ["我的客户"] and len(xlsx[0]) == 2


def test_an_export_is_in_the_audit_log_with_its_row_count(client, manager, make_customer):
    for i in range(3):
        make_customer(manager, name=f"审计客户{i}", level="B")
    client.force_login(manager)
    _csv(client.get("/customers/?level=B&export=csv"))
    event = AuditEvent.objects.filter(action="export").latest("pk")
    assert event.actor == manager
    assert event.data["rows"] == 3 and event.data["format"] == "csv"
    assert event.data["query"] == "level=B" and event.data["table"] == "customers"


def test_export_needs_the_export_permission_and_a_known_format(client, make_user, make_customer):
    support = make_user("support1", roles=("tech_support",))
    make_customer(support, name="随便")
    client.force_login(support)
    assert client.get("/customers/?export=csv").status_code == 403
    assert not AuditEvent.objects.filter(action="export").exists()
    manager = make_user("mgr2", roles=("customer_manager",))
    client.force_login(manager)
    response = client.get("/customers/?level=A&export=pdf")
    assert response.status_code == 302 and "export" not in response["Location"]


def test_contacts_and_interactions_export_like_their_tables(client, manager, make_customer):
    customer = make_customer(manager, name="联系人导出公司")
    services.add_contact(
        actor=manager, customer=customer, name="张三", mobile="13800138000", email="zs@example.com"
    )
    from django.utils import timezone

    services.log_interaction(
        actor=manager, customer=customer, kind="call", occurred_at=timezone.now(), summary="谈报价"
    )
    client.force_login(manager)
    rows = _csv(client.get("/customers/contacts/?export=csv"))
    assert rows[1][:2] == ["张三", "联系人导出公司"]
    assert any("zs@example.com" in cell for cell in rows[1])
    rows = _csv(client.get("/customers/interactions/?export=csv"))
    assert len(rows) == 2 and "谈报价" in rows[1] and "联系人导出公司" in rows[1]


def test_the_table_offers_export_links_that_keep_the_filters(client, manager, make_customer):
    make_customer(manager)
    client.force_login(manager)
    html = client.get("/customers/?level=A").content.decode()
    assert "?level=A&amp;export=csv" in html and "?level=A&amp;export=xlsx" in html

"""The interactions and orders tables: cells edited in place with versions, and the bulk bar
(delete with confirmation, reassign and export interactions; change status and export
orders), each acting only within the user's scope."""

import datetime as dt

import pytest
from django.utils import timezone

from kehu.customers import services
from kehu.customers.models import Interaction, Order
from tests.conftest import force_login_verified


@pytest.fixture
def director(make_user):
    return make_user("director", roles=("sales_director",))


@pytest.fixture
def product(user):
    return services.create_product(actor=user, code="TB-1", name="表格产品", price=100)


def _log(actor, customer, summary="电话沟通报价", **fields):
    return services.log_interaction(
        actor=actor,
        customer=customer,
        kind=fields.pop("kind", "call"),
        occurred_at=fields.pop("occurred_at", timezone.now() - dt.timedelta(hours=1)),
        summary=summary,
        **fields,
    )


def _order(actor, customer, product, number):
    return services.create_order(
        actor=actor,
        customer=customer,
        ordered_on=timezone.localdate() - dt.timedelta(days=3),
        number=number,
        lines=[services.LineInput(product, 2)],
    )


def _csv(response):
    assert response.status_code == 200
    return b"".join(response.streaming_content).decode("utf-8-sig")


def _messages(response):
    return [str(m) for m in response.wsgi_request._messages]


# ---- interactions: cells -----------------------------------------------------------------------


def test_interaction_cells_are_edited_in_place_with_versions(logged_in, user, make_customer):
    i = _log(user, make_customer(user))
    table = logged_in.get("/customers/interactions/?cols=outcome&cols=kind").content.decode()
    assert f"/customers/interactions/{i.pk}/cell/outcome/" in table
    assert 'data-testid="bulk-bar"' in table and 'value="reassign"' in table
    url = f"/customers/interactions/{i.pk}/cell/"
    assert logged_in.get(url + "outcome/").status_code == 200
    assert logged_in.get(url + "customer/").status_code == 404  # not an editable cell
    ok = logged_in.post(url + "outcome/", {"outcome": "客户同意试用", "version": i.version})
    assert ok.status_code == 200 and "客户同意试用" in ok.content.decode()
    when = timezone.localtime() - dt.timedelta(days=2)
    moved = logged_in.post(
        url + "occurred_at/",
        {"occurred_at": when.strftime("%Y-%m-%dT%H:%M"), "version": i.version + 1},
    )
    assert moved.status_code == 200
    i.refresh_from_db()
    assert (i.outcome, i.version) == ("客户同意试用", 3)
    assert timezone.localtime(i.occurred_at).date() == when.date()
    assert i.history.count() == 3


def test_a_stale_interaction_cell_shows_the_newer_value_and_asks(
    logged_in, user, other_user, make_customer
):
    i = _log(user, make_customer(user))
    read_at = i.version
    services.update_interaction(
        actor=other_user, interaction=i, expected_version=read_at, kind="visit"
    )
    stale = logged_in.post(
        f"/customers/interactions/{i.pk}/cell/kind/", {"kind": "wechat", "version": read_at}
    )
    assert stale.status_code == 409
    page = stale.content.decode()
    assert 'data-testid="cell-conflict"' in page and "拜访" in page  # the newer value, shown
    assert f'name="version" value="{read_at + 1}"' in page  # "save mine anyway" is possible
    i.refresh_from_db()
    assert i.kind == "visit"


def test_invalid_interaction_cells_are_refused_with_a_message(logged_in, user, make_customer):
    i = _log(user, make_customer(user), outcome="已报价")
    url = f"/customers/interactions/{i.pk}/cell/"
    future = timezone.localtime() + dt.timedelta(days=2)
    refused = logged_in.post(
        url + "occurred_at/",
        {"occurred_at": future.strftime("%Y-%m-%dT%H:%M"), "version": i.version},
    )
    assert refused.status_code == 400
    assert "时间不能晚于现在" in refused.content.decode()
    assert future.strftime("%Y-%m-%dT%H:%M") in refused.content.decode()  # what was typed
    empty = logged_in.post(url + "summary/", {"summary": "  ", "version": i.version})
    assert empty.status_code == 400 and "errorlist" in empty.content.decode()
    bad_kind = logged_in.post(url + "kind/", {"kind": "telepathy", "version": i.version})
    assert bad_kind.status_code == 400
    before = i.occurred_at
    i.refresh_from_db()
    assert (i.occurred_at, i.summary, i.kind, i.version) == (before, "电话沟通报价", "call", 1)


def test_another_reps_interaction_cell_answers_404(logged_in, other_user, make_customer):
    i = _log(other_user, make_customer(other_user))
    url = f"/customers/interactions/{i.pk}/cell/outcome/"
    assert logged_in.get(url).status_code == 404
    assert logged_in.post(url, {"outcome": "篡改", "version": i.version}).status_code == 404
    i.refresh_from_db()
    assert (i.outcome, i.version) == ("", 1)


def test_interactions_sort_by_who_and_next_step(logged_in, user, other_user, make_customer):
    c = make_customer(user)
    a = _log(user, c, next_step="B 寄样品")
    b = _log(user, c, next_step="A 回访")
    services.reassign_interaction(
        actor=user, interaction=b, user=other_user, expected_version=b.version
    )

    def order(sort):
        return [
            r.pk
            for r in logged_in.get("/customers/interactions/", {"sort": sort}).context["page"].items
        ]

    assert order("next_step") == [b.pk, a.pk]
    assert order("-next_step") == [a.pk, b.pk]
    assert order("user") == [b.pk, a.pk]  # chenhao before linxue


# ---- interactions: bulk -----------------------------------------------------------------------


def test_bulk_delete_asks_first_and_deletes_only_what_the_user_may(
    client, director, user, make_customer
):
    c = make_customer(user)
    keep, gone = _log(user, c, summary="要留下的"), _log(user, c, summary="误录")
    client.force_login(user)  # a rep may not delete interactions
    refused = client.post("/customers/interactions/bulk/", {"action": "delete", "ids": [gone.pk]})
    assert refused.status_code == 403
    force_login_verified(client, director)
    ask = client.post(
        "/customers/interactions/bulk/",
        {"action": "delete", "ids": [gone.pk, 999999], "next": "/customers/interactions/?q=x"},
    )
    assert ask.status_code == 200 and 'data-testid="bulk-delete-confirm"' in ask.content.decode()
    assert "误录" in ask.content.decode() and "要留下的" not in ask.content.decode()
    assert Interaction.objects.filter(pk=gone.pk).exists()  # nothing deleted before confirming
    done = client.post(
        "/customers/interactions/bulk/",
        {
            "action": "delete",
            "confirmed": "1",
            "ids": [gone.pk],
            "next": "/customers/interactions/",
        },
    )
    assert done.status_code == 302 and done["Location"] == "/customers/interactions/"
    assert list(Interaction.objects.filter(customer=c)) == [keep]


def test_bulk_delete_is_scoped_to_the_delete_scope(client, make_user, user, make_customer):
    from kehu.accounts.models import Role

    role = Role.objects.create(
        code="interaction-cleaner",
        name="清理员",
        permissions=["interaction.view", "interaction.delete"],
        scopes={"interaction": "own"},
    )
    cleaner = make_user("cleaner")
    cleaner.roles.add(role)
    mine = _log(cleaner, make_customer(cleaner), summary="我的")
    theirs = _log(user, make_customer(user), summary="别人的")
    client.force_login(cleaner)
    response = client.post(
        "/customers/interactions/bulk/",
        {"action": "delete", "confirmed": "1", "ids": [mine.pk, theirs.pk]},
    )
    assert response.status_code == 302
    assert not Interaction.objects.filter(pk=mine.pk).exists()
    assert Interaction.objects.filter(pk=theirs.pk).exists()
    assert any("勾选的沟通记录中有 1 条您无权删除" in m for m in _messages(response))


def test_bulk_reassign_changes_only_the_reps_own_rows(
    logged_in, user, other_user, make_customer, make_user
):
    colleague = make_user("wangfang", display_name="王芳", roles=("sales_rep",))
    mine = _log(user, make_customer(user))
    theirs = _log(other_user, make_customer(other_user))
    response = logged_in.post(
        "/customers/interactions/bulk/",
        {"action": "reassign", "value": colleague.pk, "ids": [mine.pk, theirs.pk]},
    )
    assert response.status_code == 302
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert (mine.user, mine.version) == (colleague, 2)
    assert (theirs.user, theirs.version) == (other_user, 1)
    said = _messages(response)
    assert any("已修改 1 个" in m for m in said)
    assert any("勾选的沟通记录中有 1 条您无权修改" in m for m in said)
    nobody = logged_in.post(
        "/customers/interactions/bulk/", {"action": "reassign", "value": "", "ids": [mine.pk]}
    )
    assert nobody.status_code == 302 and any("请选择" in m for m in _messages(nobody))
    mine.refresh_from_db()
    assert mine.user == colleague


def test_bulk_export_of_ticked_interactions(logged_in, user, other_user, make_customer):
    c = make_customer(user)
    a, b = _log(user, c, summary="第一次沟通"), _log(user, c, summary="第二次沟通")
    _log(user, c, summary="没勾选的")
    theirs = _log(other_user, make_customer(other_user), summary="别人的沟通")
    body = _csv(
        logged_in.post(
            "/customers/interactions/bulk/",
            {"action": "export", "ids": [a.pk, b.pk, theirs.pk]},
        )
    )
    assert "第一次沟通" in body and "第二次沟通" in body
    assert "没勾选的" not in body and "别人的沟通" not in body
    assert "结果" in body.splitlines()[0]  # every column, not only the shown ones


# ---- orders -------------------------------------------------------------------------------------


def test_order_cells_are_edited_in_place_and_money_stays_out(
    logged_in, user, make_customer, product
):
    order = _order(user, make_customer(user), product, "TB-0001")
    table = logged_in.get("/customers/orders/").content.decode()
    assert f"/customers/orders/{order.pk}/cell/status/" in table
    assert "200.00" not in table and "金额" not in table  # a rep never sees amounts
    url = f"/customers/orders/{order.pk}/cell/"
    assert logged_in.get(url + "total_amount/").status_code == 404
    refused = logged_in.post(url + "total_amount/", {"total_amount": "1", "version": 1})
    assert refused.status_code == 404
    ok = logged_in.post(url + "status/", {"status": "delivered", "version": order.version})
    assert ok.status_code == 200 and "已交付" in ok.content.decode()
    day = timezone.localdate() - dt.timedelta(days=10)
    moved = logged_in.post(url + "ordered_on/", {"ordered_on": day.isoformat(), "version": 2})
    assert moved.status_code == 200
    order.refresh_from_db()
    assert (order.status, order.ordered_on, order.total_amount) == ("delivered", day, 200)
    order.customer.refresh_from_db()
    assert order.customer.last_order_on == day


def test_order_cells_refuse_stale_and_invalid_values(
    logged_in, user, other_user, make_customer, product
):
    order = _order(user, make_customer(user), product, "TB-0002")
    url = f"/customers/orders/{order.pk}/cell/"
    future = timezone.localdate() + dt.timedelta(days=5)
    bad = logged_in.post(url + "ordered_on/", {"ordered_on": future.isoformat(), "version": 1})
    assert bad.status_code == 400 and "下单日期不能晚于现在" in bad.content.decode()
    unknown = logged_in.post(url + "status/", {"status": "lost", "version": 1})
    assert unknown.status_code == 400
    services.update_order(actor=other_user, order=order, expected_version=1, status="cancelled")
    stale = logged_in.post(url + "status/", {"status": "delivered", "version": 1})
    assert stale.status_code == 409 and "已取消" in stale.content.decode()
    order.refresh_from_db()
    assert (order.status, order.version, order.ordered_on) == (
        "cancelled",
        2,
        timezone.localdate() - dt.timedelta(days=3),
    )


def test_an_order_with_returns_keeps_its_date_before_the_first_return(
    logged_in, user, make_customer, product
):
    order = _order(user, make_customer(user), product, "TB-0003")
    services.record_return(
        actor=user,
        line=order.lines.get(),
        quantity=1,
        reason="破损",
        returned_on=timezone.localdate() - dt.timedelta(days=1),
    )
    response = logged_in.post(
        f"/customers/orders/{order.pk}/cell/ordered_on/",
        {"ordered_on": timezone.localdate().isoformat(), "version": order.version},
    )
    assert (
        response.status_code == 400
        and "下单日期不能晚于第一次退货的日期" in response.content.decode()
    )


def test_bulk_order_status_is_scoped_and_export_hides_money(
    client, logged_in, director, user, other_user, make_customer, product
):
    mine = _order(user, make_customer(user), product, "TB-0101")
    done = _order(user, make_customer(user), product, "TB-0102")
    services.update_order(actor=user, order=done, expected_version=1, status="delivered")
    theirs = _order(other_user, make_customer(other_user), product, "TB-0103")
    response = logged_in.post(
        "/customers/orders/bulk/",
        {"action": "set_status", "value": "delivered", "ids": [mine.pk, done.pk, theirs.pk]},
    )
    assert response.status_code == 302
    said = _messages(response)
    assert any("已修改 1 个，1 个无需修改" in m for m in said)
    assert any("勾选的订单中有 1 个您无权修改" in m for m in said)
    assert Order.objects.get(pk=mine.pk).status == "delivered"
    assert Order.objects.get(pk=theirs.pk).status == "confirmed"
    bad = logged_in.post(
        "/customers/orders/bulk/", {"action": "set_status", "value": "lost", "ids": [mine.pk]}
    )
    assert bad.status_code == 302 and "请选择状态。" in _messages(bad)
    body = _csv(
        logged_in.post("/customers/orders/bulk/", {"action": "export", "ids": [mine.pk, theirs.pk]})
    )
    assert "TB-0101" in body and "TB-0103" not in body and "TB-0102" not in body
    assert "金额" not in body and "200.00" not in body
    force_login_verified(client, director)
    body = _csv(client.post("/customers/orders/bulk/", {"action": "export", "ids": [theirs.pk]}))
    assert "TB-0103" in body and "金额" in body and "200.00" in body


def test_a_reader_cannot_change_orders_from_the_table(
    client, make_user, user, make_customer, product
):
    support = make_user("support", roles=("tech_support",))  # order.view only
    order = _order(user, make_customer(user), product, "TB-0201")
    client.force_login(support)
    table = client.get("/customers/orders/").content.decode()
    assert "TB-0201" in table and "/cell/status/" not in table and "bulk-bar" not in table
    assert client.get(f"/customers/orders/{order.pk}/cell/status/").status_code == 404
    cell = client.post(
        f"/customers/orders/{order.pk}/cell/status/", {"status": "cancelled", "version": 1}
    )
    assert cell.status_code == 404
    for action in ("set_status", "export"):
        response = client.post(
            "/customers/orders/bulk/", {"action": action, "value": "cancelled", "ids": [order.pk]}
        )
        assert response.status_code == 403
    assert client.get("/customers/orders/bulk/").status_code == 405
    order.refresh_from_db()
    assert (order.status, order.version) == ("confirmed", 1)

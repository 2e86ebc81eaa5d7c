"""The customer table: every filter it offers, tags, bulk actions and the CSV export."""

import datetime as dt

import pytest
from django.utils import timezone

from kehu.customers import services
from kehu.customers.filters import CustomerFilter
from kehu.customers.models import Contact, Customer


@pytest.fixture
def manager(make_user):
    return make_user("manager", roles=("customer_manager",))


def _names(client, query):
    response = client.get(f"/customers/?{query}")
    assert response.status_code == 200
    return {row.name for row in response.context["page"].items}


def test_every_filter_of_the_table_narrows_the_rows(client, manager, make_user, make_customer):
    from kehu.accounts.models import Team

    rep = make_user("rep1", roles=("sales_rep",))
    team = Team.objects.create(name="华南组", leader=manager)
    team.members.add(rep, manager)
    now = timezone.now()
    a = make_customer(
        manager,
        name="甲公司",
        level="A",
        status="active",
        source="展会",
        purchase_intent="high",
        industry="制造业",
    )
    b = make_customer(
        rep, name="乙公司", level="B", city="广州市", kind="individual", uscc="91440300708461136U"
    )
    c = make_customer(manager, name="丙公司", level="C")
    services.add_contact(actor=manager, customer=a, name="甲联系人", mobile="13700000001")
    services.add_contact(actor=manager, customer=c, name="丙联系人", mobile="13700000001")
    Customer.objects.filter(pk=a.pk).update(
        last_contact_at=now - dt.timedelta(days=40), next_follow_up_at=now - dt.timedelta(days=1)
    )
    Customer.objects.filter(pk=b.pk).update(
        last_contact_at=now - dt.timedelta(days=2), next_follow_up_at=now + dt.timedelta(days=3)
    )
    Customer.objects.filter(pk=c.pk).update(orders_count=2)
    services.set_tags(actor=manager, customer=a, names=["老客户", "华东"])
    tag = a.tags.get(name="老客户")
    from kehu.sales import services as sales
    from kehu.sales.defaults import install_default_pipeline
    from kehu.sales.models import Deal, Pipeline, Stage

    install_default_pipeline(Pipeline, Stage)
    sales.create_deal(actor=rep, customer=b, owner=rep, title="乙公司的年度采购")
    closed = sales.create_deal(actor=manager, customer=c, owner=manager, title="丙公司旧单")
    Deal.objects.filter(pk=closed.pk).update(status=Deal.Status.LOST)
    client.force_login(manager)
    cases = {
        "q": ("q=甲公", {"甲公司"}),
        "level": ("level=A&level=B", {"甲公司", "乙公司"}),
        "status": ("status=active", {"甲公司"}),
        "kind": ("kind=individual", {"乙公司"}),
        "owner": (f"owner={rep.pk}", {"乙公司"}),
        "team": (f"team={team.pk}", {"甲公司", "乙公司", "丙公司"}),
        "tag": (f"tag={tag.pk}", {"甲公司"}),
        "city": ("city=广州", {"乙公司"}),
        "source": ("source=展会", {"甲公司"}),
        "intent": ("intent=high", {"甲公司"}),
        "stale": ("stale=30", {"甲公司", "丙公司"}),
        "follow_up": ("follow_up=overdue", {"甲公司"}),
        "has_orders": ("has_orders=true", {"丙公司"}),
        "open_deal": ("open_deal=true", {"乙公司"}),  # 丙公司's only deal is lost
        "missing": ("missing=industry", {"乙公司", "丙公司"}),
        "duplicate": ("duplicate=true", {"甲公司", "丙公司"}),  # same contact mobile
        "invalid": ("invalid=uscc", {"乙公司"}),  # check character does not match
    }
    assert set(cases) == set(CustomerFilter.base_filters), "a filter of the table is untested"
    for name, (query, expected) in cases.items():
        assert _names(client, query) == expected, name
    assert _names(client, "follow_up=week") == {"乙公司"}
    assert _names(client, "follow_up=none") == {"丙公司"}
    assert _names(client, "has_orders=false") == {"甲公司", "乙公司"}
    assert _names(client, "open_deal=false") == {"甲公司", "丙公司"}
    assert _names(client, "missing=contact") == {"乙公司"}
    assert _names(client, "duplicate=false") == {"乙公司"}
    Customer.objects.filter(pk=c.pk).update(owner=None)
    assert _names(client, "owner=none") == set()  # out of a team scope once it has no owner
    assert _names(client, f"owner=none&owner={rep.pk}") == {"乙公司"}


def test_tags_are_created_as_typed_and_shown(client, user, make_customer):
    customer = make_customer(user)
    services.set_tags(
        actor=user, customer=customer, names=services.clean_tag_names("展会，老客户、展会")
    )
    assert sorted(customer.tags.values_list("name", flat=True)) == ["展会", "老客户"]
    client.force_login(user)
    page = client.get("/customers/").content.decode()
    assert "老客户" in page
    with pytest.raises(services.ValidationError):
        services.clean_tag_names("x" * 40)


def test_bulk_actions_touch_only_what_the_user_may_change(
    client, user, other_user, make_user, make_customer
):
    mine = [make_customer(user, name=f"我的客户{i}") for i in range(3)]
    theirs = make_customer(other_user, name="别人的客户")
    client.force_login(user)
    ids = [c.pk for c in mine] + [theirs.pk]
    response = client.post(
        "/customers/bulk/", {"ids": ids, "action": "set_level", "value": "A"}, follow=True
    )
    assert response.status_code == 200
    assert set(Customer.objects.filter(level="A").values_list("pk", flat=True)) == {
        c.pk for c in mine
    }
    text = response.content.decode()
    assert "1" in text  # the one out of reach is reported
    client.post("/customers/bulk/", {"ids": ids, "action": "add_tag", "value": "重点"})
    assert Customer.objects.filter(tags__name="重点").count() == 3
    # a sales rep may not reassign customers
    response = client.post(
        "/customers/bulk/", {"ids": ids, "action": "assign_owner", "value": other_user.pk}
    )
    assert response.status_code == 403
    assert Customer.objects.filter(owner=user).count() == 3
    for c in mine:
        c.refresh_from_db()
        assert c.version == 3  # level, then tags: each change is versioned with history
        assert c.history.count() == 3


def test_a_manager_assigns_owners_in_bulk(client, manager, make_user, make_customer):
    from kehu.accounts.models import Team

    rep = make_user("rep2", roles=("sales_rep",))
    Team.objects.create(name="组", leader=manager).members.add(rep, manager)
    rows = [make_customer(manager, name=f"待分配{i}") for i in range(2)]
    client.force_login(manager)
    client.post(
        "/customers/bulk/",
        {"ids": [r.pk for r in rows], "action": "assign_owner", "value": rep.pk},
    )
    assert Customer.objects.filter(owner=rep).count() == 2


def test_bulk_export_is_csv_for_excel_without_hidden_money_or_formulas(client, user, make_customer):
    a = make_customer(user, name="=HYPERLINK(1)", credit_limit=5000)
    b = make_customer(user, name="正常客户有限公司")
    client.force_login(user)  # a sales rep: exports their own customers, never amounts
    response = client.post("/customers/bulk/", {"ids": [a.pk, b.pk], "action": "export"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    assert "'=HYPERLINK(1)" in text and "正常客户有限公司" in text
    assert "5000" not in text  # credit limit is money
    from kehu.accounts.models import Role
    from kehu.core.permissions import forget_rights

    user.roles.set([Role.objects.get(code="tech_support")])
    forget_rights(user)
    response = client.post("/customers/bulk/", {"ids": [a.pk, b.pk], "action": "export"})
    assert response.status_code == 403  # tech support reads customers but may not export


def test_customer_list_query_count_is_constant_with_tags(client, user, make_customer):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(user)
    first = make_customer(user)
    services.set_tags(actor=user, customer=first, names=["共同"])
    client.get("/customers/")
    with CaptureQueriesContext(connection) as few:
        client.get("/customers/")
    for i in range(15):
        c = make_customer(user, name=f"批量客户{i}")
        services.set_tags(actor=user, customer=c, names=[f"标签{i}", "共同"])
    with CaptureQueriesContext(connection) as many:
        client.get("/customers/")
    assert len(many.captured_queries) == len(few.captured_queries)


def test_the_column_chooser_shows_chosen_columns_and_remembers_them(client, user, make_customer):
    make_customer(user, name="列选择客户", source="官网", industry="制造业")
    client.force_login(user)
    default = client.get("/customers/").content.decode()
    assert "官网" not in default  # source is not a default column
    chosen = client.get("/customers/?cols=source&cols=level").content.decode()
    assert "官网" in chosen and "列选择客户" in chosen  # the name is always shown
    assert 'data-edit="city"' not in chosen  # city was not chosen
    remembered = client.get("/customers/").content.decode()
    assert "官网" in remembered
    # unknown or forbidden columns are ignored, never an error
    assert client.get("/customers/?cols=credit_limit&cols=nonsense").status_code == 200


def test_contact_and_interaction_tables_filter(client, user, make_user, make_customer):
    from kehu.customers.filters import ContactFilter, InteractionFilter

    customer = make_customer(user, name="联系人表客户")
    today = timezone.localdate()
    services.add_contact(
        actor=user,
        customer=customer,
        name="生日联系人",
        mobile="13800138000",
        birthday=today.replace(year=1990, day=1),
    )
    services.add_contact(actor=user, customer=customer, name="无方式联系人")
    services.add_contact(
        actor=user, customer=customer, name="号码有误联系人", mobile="13800138001", title="经理"
    )
    # Numbers typed before they were checked (old imports) are still on file:
    Contact.objects.filter(name="号码有误联系人").update(mobile="138001", email="wrong@")
    services.log_interaction(
        actor=user,
        customer=customer,
        kind="visit",
        occurred_at=timezone.now() - dt.timedelta(hours=2),
        summary="上门拜访",
    )
    client.force_login(user)

    def rows(url):
        return {str(r) for r in client.get(url).context["page"].items}

    contact_cases = {
        "q": "q=生日",
        "is_primary": "is_primary=false",
        "owner": f"owner={user.pk}",
        "birthday": "birthday=month",
        "reachable": "reachable=none",
        "missing": "missing=title",
        "invalid": "invalid=phone",
    }
    assert set(contact_cases) == set(ContactFilter.base_filters)
    assert rows("/customers/contacts/?birthday=month") == {"生日联系人"}
    assert rows("/customers/contacts/?reachable=none") == {"无方式联系人"}
    assert rows("/customers/contacts/?reachable=mobile") == {"生日联系人", "号码有误联系人"}
    assert rows("/customers/contacts/?missing=title") == {"生日联系人", "无方式联系人"}
    assert rows("/customers/contacts/?missing=phone") == {"无方式联系人"}
    assert rows("/customers/contacts/?missing=email") == {"生日联系人", "无方式联系人"}
    assert rows("/customers/contacts/?invalid=phone") == {"号码有误联系人"}
    assert rows("/customers/contacts/?invalid=email") == {"号码有误联系人"}
    assert rows("/customers/contacts/?invalid=phone&missing=title") == set()
    for query in contact_cases.values():
        assert client.get(f"/customers/contacts/?{query}").status_code == 200
    interaction_cases = {
        "kind": "kind=visit",
        "date_from": f"date_from={today - dt.timedelta(days=1)}",
        "date_to": f"date_to={today}",
        "mine": "mine=true",
        "user": f"user={user.pk}",
        "customer": "customer=联系人表",
        "q": "q=38000",  # the customer, found through its contact's mobile
    }
    assert set(interaction_cases) == set(InteractionFilter.base_filters)
    for query in interaction_cases.values():
        assert len(rows(f"/customers/interactions/?{query}")) == 1, query
    assert rows("/customers/interactions/?kind=call") == set()
    assert rows("/customers/interactions/?customer=不存在的客户") == set()
    assert rows("/customers/interactions/?q=39999") == set()
    assert len(rows("/customers/interactions/?q=联系人表")) == 1


def test_invalid_format_lists_are_bounded_and_say_so(client, user, make_customer, monkeypatch):
    from kehu.customers import quality

    customer = make_customer(user, name="格式上限客户")
    for i in range(3):
        contact = services.add_contact(
            actor=user, customer=customer, name=f"号码{i}", mobile=f"1380013800{i}"
        )
        Contact.objects.filter(pk=contact.pk).update(mobile=f"12{i}")
    client.force_login(user)

    def listed():
        response = client.get("/customers/contacts/?invalid=phone")
        note = response.context["filterset"].scan_note
        return {str(r) for r in response.context["page"].items}, note

    assert listed() == ({"号码0", "号码1", "号码2"}, "")
    monkeypatch.setattr(quality, "FIX_LIST_LIMIT", 2)
    rows, note = listed()
    assert rows == {"号码0", "号码1"} and note
    monkeypatch.setattr(quality, "FIX_LIST_LIMIT", 1000)
    monkeypatch.setattr(quality, "SCAN_LIMIT", 1)
    rows, note = listed()
    assert rows == {"号码0"} and note
    assert (
        'data-testid="scan-note"'
        in client.get("/customers/contacts/?invalid=phone").content.decode()
    )


def test_every_sortable_column_pages_through_every_customer_once(client, manager, make_customer):
    """Sort on any column (ties and empty values included), both ways: following the "next"
    links visits each customer exactly once."""
    from decimal import Decimal

    from kehu.customers.views import CustomerListView

    for i in range(7):
        make_customer(
            manager,
            name=f"排序{i}有限公司",
            level="ABCD"[i % 4],
            city=["杭州市", "上海市", ""][i % 3],
            province=["浙江省", ""][i % 2],
            credit_limit=Decimal(i % 3 * 1000),
            satisfaction=[None, 3, 5][i % 3],
            website="" if i % 2 else f"https://s{i}.cn",
        )
    client.force_login(manager)
    sortable = [c.name for c in CustomerListView.columns if c.sortable]
    assert {"credit_limit", "province", "uscc", "satisfaction", "follow_up_plan"} <= set(sortable)
    for name in sortable:
        for sort in (name, f"-{name}"):
            seen: list[str] = []
            url = f"/customers/?sort={sort}&per_page=3"
            for _ in range(10):
                response = client.get(url)
                assert response.status_code == 200, sort
                page = response.context["page"]
                seen += [c.name for c in page.items]
                if not page.next_cursor:
                    break
                url = f"/customers/?sort={sort}&per_page=3&after={page.next_cursor}"
            assert sorted(seen) == sorted(f"排序{i}有限公司" for i in range(7)), sort

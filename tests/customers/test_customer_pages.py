import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kehu.customers import services
from kehu.customers.models import Customer


def test_out_of_scope_customer_answers_404(logged_in, other_user, make_customer):
    theirs = make_customer(other_user)
    assert logged_in.get(f"/customers/{theirs.pk}/").status_code == 404
    assert logged_in.get(f"/customers/{theirs.pk}/edit/").status_code == 404


def test_team_leader_sees_the_teams_customers(client, make_user, make_customer):
    from kehu.accounts.models import Team

    leader = make_user("leader", roles=("customer_manager",))
    member = make_user("member", roles=("sales_rep",))
    outsider = make_user("outsider", roles=("customer_manager",))
    team = Team.objects.create(name="华东销售组", leader=leader)
    team.members.add(member)
    c = make_customer(member)
    client.force_login(leader)
    assert client.get(f"/customers/{c.pk}/").status_code == 200
    client.force_login(outsider)
    assert client.get(f"/customers/{c.pk}/").status_code == 404


def test_list_shows_only_visible_customers_and_filters(logged_in, user, other_user, make_customer):
    make_customer(user, name="杭州启明贸易有限公司", level="A")
    make_customer(user, name="宁波恒泰电子有限公司", level="C")
    make_customer(other_user, name="别人的客户有限公司", level="A")
    page = logged_in.get("/customers/").content.decode()
    assert "杭州启明贸易有限公司" in page and "别人的客户有限公司" not in page
    filtered = logged_in.get("/customers/?level=A").content.decode()
    assert "杭州启明贸易有限公司" in filtered and "宁波恒泰电子有限公司" not in filtered
    searched = logged_in.get("/customers/?q=恒泰").content.decode()
    assert "宁波恒泰电子有限公司" in searched and "杭州启明贸易有限公司" not in searched


def test_list_sorting_is_limited_to_declared_columns(logged_in, user, make_customer):
    make_customer(user, name="B 客户")
    make_customer(user, name="A 客户")
    page = logged_in.get("/customers/?sort=-name").content.decode()
    assert page.index("B 客户") < page.index("A 客户")
    assert logged_in.get("/customers/?sort=password").status_code == 200


def test_list_query_count_does_not_grow_with_rows(logged_in, user, make_customer):
    for _ in range(3):
        make_customer(user)
    logged_in.get("/customers/")  # the first request of a session also checks two-factor sign-in
    with CaptureQueriesContext(connection) as few:
        logged_in.get("/customers/")
    for _ in range(30):
        make_customer(user)
    with CaptureQueriesContext(connection) as many:
        logged_in.get("/customers/")
    assert len(many) == len(few)


def test_bad_filter_values_do_not_crash(logged_in):
    response = logged_in.get("/customers/?level=Z&after=garbage")
    assert response.status_code == 200


def test_edit_saves_and_records_history(logged_in, user, make_customer):
    c = make_customer(user, name="杭州启明贸易有限公司")
    form = {
        "name": c.name,
        "kind": "company",
        "level": "A",
        "status": "active",
        "purchase_intent": "high",
        "city": "杭州市",
        "version": c.version,
    }
    response = logged_in.post(f"/customers/{c.pk}/edit/", form)
    assert response.status_code == 302
    c.refresh_from_db()
    assert (c.level, c.city, c.version) == ("A", "杭州市", 2)
    assert c.history.filter(history_type="~", history_user=user).count() == 1


def test_stale_edit_is_refused_with_409_and_keeps_the_users_input(logged_in, user, make_customer):
    c = make_customer(user, name="杭州启明贸易有限公司")
    services.update_customer(
        actor=user, customer=Customer.objects.get(pk=c.pk), expected_version=1, city="宁波市"
    )
    form = {
        "name": c.name,
        "kind": "company",
        "level": "B",
        "status": "active",
        "purchase_intent": "none",
        "city": "上海市",
        "version": 1,
    }
    response = logged_in.post(f"/customers/{c.pk}/edit/", form)
    assert response.status_code == 409
    page = response.content.decode()
    assert 'data-testid="conflict"' in page
    assert 'value="上海市"' in page  # what the user typed is kept
    assert 'data-newer="city"' in page and "宁波市" in page  # the newer value is shown
    c.refresh_from_db()
    assert (c.city, c.version) == ("宁波市", 2)


def test_log_interaction_moves_last_contact_and_follow_up(user, make_customer):
    c = make_customer(user)
    when = timezone.now() - dt.timedelta(days=2)
    follow = timezone.now() + dt.timedelta(days=3)
    services.log_interaction(
        actor=user,
        customer=c,
        kind="call",
        occurred_at=when,
        summary="电话沟通",
        next_step="发送报价",
        next_follow_up_at=follow,
    )
    services.log_interaction(
        actor=user,
        customer=c,
        kind="call",
        occurred_at=when - dt.timedelta(days=5),
        summary="更早的记录",
    )
    c.refresh_from_db()
    assert c.last_contact_at == when
    assert (c.next_follow_up_at, c.follow_up_plan) == (follow, "发送报价")


@pytest.mark.django_db
def test_demo_is_idempotent_and_realistic():
    from io import StringIO

    from kehu.accounts.models import Team, User
    from kehu.core import demo
    from kehu.customers.models import Contact, Interaction

    demo.load(StringIO())
    counts = (
        User.objects.count(),
        Team.objects.count(),
        Customer.objects.count(),
        Contact.objects.count(),
        Interaction.objects.count(),
    )
    demo.load(StringIO())
    again = (
        User.objects.count(),
        Team.objects.count(),
        Customer.objects.count(),
        Contact.objects.count(),
        Interaction.objects.count(),
    )
    assert counts == again
    users, teams, customers, contacts, interactions = counts
    assert 12 <= users <= 15 and teams >= 5
    assert customers >= 250 and contacts >= customers and interactions >= customers
    titles = set(User.objects.values_list("title", flat=True))
    assert {"销售主管", "客户经理", "销售代表", "技术支持", "市场营销专员", "行政助理"} <= titles
    import phonenumbers

    for mobile in Contact.objects.values_list("mobile", flat=True)[:50]:
        assert phonenumbers.is_valid_number(phonenumbers.parse(mobile))


def test_empty_filter_fields_mean_any(logged_in, user, make_customer):
    make_customer(user, name="甲客户", level="A")
    make_customer(user, name="乙客户", level="C")
    page = logged_in.get("/customers/?q=&level=A&status=&follow_up=").content.decode()
    assert "甲客户" in page and "乙客户" not in page


def test_contact_phones_are_normalised_and_bad_ones_refused(user, make_customer):
    from django.core.exceptions import ValidationError

    customer = make_customer(user)
    contact = services.add_contact(
        actor=user, customer=customer, name="张三", mobile="138 0013 8000", phone="0571-88886666"
    )
    assert (contact.mobile, contact.phone) == ("+8613800138000", "+8657188886666")
    with pytest.raises(ValidationError) as caught:
        services.add_contact(actor=user, customer=customer, name="李四", mobile="12345")
    assert set(caught.value.message_dict) == {"mobile"}


def test_interactions_cannot_be_in_the_future(user, make_customer):
    from django.core.exceptions import ValidationError

    customer = make_customer(user)
    with pytest.raises(ValidationError) as caught:
        services.log_interaction(
            actor=user,
            customer=customer,
            kind="call",
            occurred_at=timezone.now() + dt.timedelta(days=1),
            summary="x",
        )
    assert "occurred_at" in caught.value.message_dict


def test_uscc_with_wrong_check_character_saves_with_a_warning(logged_in, user, make_customer):
    c = make_customer(user, name="深圳市腾讯计算机系统有限公司")
    form = {
        "name": c.name,
        "kind": "company",
        "level": "A",
        "status": "active",
        "purchase_intent": "none",
        "uscc": "91440300708461136u",
        "version": 1,
    }
    response = logged_in.post(f"/customers/{c.pk}/edit/", form, follow=True)
    c.refresh_from_db()
    assert c.uscc == "91440300708461136U"
    assert 'data-level="warning"' in response.content.decode()
    bad = logged_in.post(f"/customers/{c.pk}/edit/", {**form, "uscc": "123", "version": 2})
    assert bad.status_code == 400
    c.refresh_from_db()
    assert c.uscc == "91440300708461136U"


def test_api_reports_uscc_warnings(client, user):
    import json

    client.force_login(user)
    response = client.post(
        "/api/v1/customers",
        json.dumps({"name": "腾讯", "uscc": "91440300708461136U"}),
        content_type="application/json",
    )
    assert response.status_code == 201
    assert response.json()["warnings"]
    bad = client.post(
        "/api/v1/customers", json.dumps({"name": "x", "uscc": "1"}), content_type="application/json"
    )
    assert bad.status_code == 422 and bad.json()["errors"][0]["loc"] == ["body", "uscc"]


def test_create_a_customer_with_its_first_contact(logged_in, user):
    response = logged_in.post(
        "/customers/new/",
        {
            "name": "宁波恒泰电子有限公司",
            "kind": "company",
            "level": "B",
            "status": "lead",
            "purchase_intent": "medium",
            "contact_name": "王经理",
            "contact_mobile": "139 0000 1234",
        },
    )
    assert response.status_code == 302
    customer = Customer.objects.get(name="宁波恒泰电子有限公司")
    assert customer.owner == user
    contact = customer.contacts.get()
    assert (contact.name, contact.mobile, contact.is_primary) == ("王经理", "+8613900001234", True)


def test_creating_a_colleagues_customer_says_who_owns_it(
    logged_in, user, other_user, make_customer
):
    theirs = make_customer(other_user, name="（宁波）恒泰电子有限公司")
    services.add_contact(actor=other_user, customer=theirs, name="赵总", mobile="13900005678")
    before = Customer.objects.count()
    by_name = logged_in.post(
        "/customers/new/",
        {
            "name": "(宁波)恒泰 电子有限公司",
            "kind": "company",
            "level": "C",
            "status": "lead",
            "purchase_intent": "none",
        },
    )
    assert by_name.status_code == 400
    assert "陈浩" in by_name.content.decode()
    by_phone = logged_in.post(
        "/customers/new/",
        {
            "name": "另一个名字",
            "kind": "company",
            "level": "C",
            "status": "lead",
            "purchase_intent": "none",
            "contact_name": "赵",
            "contact_mobile": "13900005678",
        },
    )
    assert by_phone.status_code == 400 and "陈浩" in by_phone.content.decode()
    assert Customer.objects.count() == before


def test_a_bad_mobile_on_create_is_explained_and_nothing_saved(logged_in):
    response = logged_in.post(
        "/customers/new/",
        {
            "name": "新客户",
            "kind": "company",
            "level": "C",
            "status": "lead",
            "purchase_intent": "none",
            "contact_name": "李",
            "contact_mobile": "12345",
        },
    )
    assert response.status_code == 400
    assert not Customer.objects.filter(name="新客户").exists()


def test_follow_up_panel_logs_a_call_and_sets_the_next_follow_up(logged_in, user, make_customer):
    customer = make_customer(user)
    page = logged_in.get(f"/customers/{customer.pk}/").content.decode()
    assert 'data-testid="log-form"' in page
    response = logged_in.post(
        f"/customers/{customer.pk}/interactions/",
        {
            "kind": "call",
            "occurred_at": "2026-11-20T10:30",
            "summary": "电话确认需求",
            "next_step": "发送报价",
            "next_follow_up_at": "2026-12-01T09:00",
        },
    )
    assert response.status_code == 302
    customer.refresh_from_db()
    assert customer.interactions.get().summary == "电话确认需求"
    assert customer.follow_up_plan == "发送报价"
    assert timezone.localtime(customer.next_follow_up_at).strftime("%m-%d %H:%M") == "12-01 09:00"


def test_follow_up_panel_refuses_bad_input_and_keeps_nothing(logged_in, user, make_customer):
    customer = make_customer(user)
    response = logged_in.post(
        f"/customers/{customer.pk}/interactions/",
        {"kind": "call", "occurred_at": "2099-01-01T10:00", "summary": "未来的通话"},
        follow=True,
    )
    assert customer.interactions.count() == 0
    assert 'data-level="error"' in response.content.decode()


def test_add_contact_from_the_customer_page(logged_in, user, other_user, make_customer):
    customer = make_customer(user)
    logged_in.post(f"/customers/{customer.pk}/contacts/", {"name": "钱七", "mobile": "13700001111"})
    assert customer.contacts.get().mobile == "+8613700001111"
    theirs = make_customer(other_user)
    assert logged_in.post(f"/customers/{theirs.pk}/contacts/", {"name": "x"}).status_code == 404


def test_contact_table_searches_by_pinyin_and_phone(logged_in, user, make_customer):
    customer = make_customer(user)
    services.add_contact(actor=user, customer=customer, name="张三", mobile="13800138000")
    services.add_contact(actor=user, customer=customer, name="李四", mobile="13900139000")
    page = logged_in.get("/customers/contacts/?q=zs").content.decode()
    assert "张三" in page and "李四" not in page
    page = logged_in.get("/customers/contacts/?q=9000").content.decode()
    assert "李四" in page and "张三" not in page
    assert "139 0013 9000" in page


def test_interaction_table_filters_by_kind_and_author(logged_in, user, other_user, make_customer):
    customer = make_customer(user)
    customer.collaborators.add(other_user)
    now = timezone.now()
    services.log_interaction(
        actor=user, customer=customer, kind="visit", occurred_at=now, summary="上门拜访记录"
    )
    services.log_interaction(
        actor=other_user, customer=customer, kind="call", occurred_at=now, summary="同事的电话记录"
    )
    page = logged_in.get("/customers/interactions/?kind=visit").content.decode()
    assert "上门拜访记录" in page and "同事的电话记录" not in page
    mine = logged_in.get("/customers/interactions/?mine=true").content.decode()
    assert "上门拜访记录" in mine and "同事的电话记录" not in mine
    everything = logged_in.get("/customers/interactions/").content.decode()
    assert "同事的电话记录" in everything


def test_inline_cell_edit_saves_with_history(logged_in, user, make_customer):
    c = make_customer(user, name="内联编辑客户", city="杭州市")
    list_page = logged_in.get("/customers/").content.decode()
    assert f'hx-get="/customers/{c.pk}/cell/city/"' in list_page
    editor = logged_in.get(f"/customers/{c.pk}/cell/city/").content.decode()
    assert 'name="version" value="1"' in editor
    saved = logged_in.post(f"/customers/{c.pk}/cell/city/", {"city": "宁波市", "version": 1})
    assert saved.status_code == 200 and "宁波市" in saved.content.decode()
    assert "kehu:toast" in saved["HX-Trigger"]
    c.refresh_from_db()
    assert (c.city, c.version) == ("宁波市", 2)
    assert c.history.filter(history_type="~").count() == 1


def test_stale_inline_edit_shows_the_newer_value_and_asks(logged_in, user, make_customer):
    c = make_customer(user, name="冲突客户", city="杭州市")
    services.update_customer(
        actor=user, customer=Customer.objects.get(pk=c.pk), expected_version=1, city="温州市"
    )
    stale = logged_in.post(f"/customers/{c.pk}/cell/city/", {"city": "宁波市", "version": 1})
    assert stale.status_code == 409
    page = stale.content.decode()
    assert 'data-testid="cell-conflict"' in page and "温州市" in page
    assert 'name="version" value="2"' in page  # "save mine anyway" sends the newer version
    c.refresh_from_db()
    assert c.city == "温州市"
    mine = logged_in.post(f"/customers/{c.pk}/cell/city/", {"city": "宁波市", "version": 2})
    assert mine.status_code == 200
    c.refresh_from_db()
    assert c.city == "宁波市"


def test_inline_edit_refuses_bad_values_and_fields(logged_in, user, make_customer):
    c = make_customer(user, name="校验客户")
    bad = logged_in.post(f"/customers/{c.pk}/cell/level/", {"level": "Z", "version": 1})
    assert bad.status_code == 400
    # Not an in-place field, and the owner needs the assign permission.
    assert logged_in.get(f"/customers/{c.pk}/cell/name/").status_code == 404
    assert logged_in.get(f"/customers/{c.pk}/cell/owner/").status_code == 404
    c.refresh_from_db()
    assert (c.level, c.version) == ("C", 1)


def test_a_refused_log_or_contact_keeps_what_was_typed(logged_in, user, make_customer):
    customer = make_customer(user)
    response = logged_in.post(
        f"/customers/{customer.pk}/interactions/",
        {"kind": "visit", "occurred_at": "2099-01-01T10:00", "summary": "上门演示新品"},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "上门演示新品" in page  # the summary is still in the form
    assert 'value="visit" selected' in page or 'value="visit" checked' in page
    assert 'class="errorlist' in page and "没有保存任何内容" in page
    assert customer.interactions.count() == 0

    response = logged_in.post(
        f"/customers/{customer.pk}/contacts/",
        {"name": "钱七", "mobile": "12345", "email": "qian@example.cn"},
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert 'value="钱七"' in page and 'value="qian@example.cn"' in page
    assert '<details class="add-contact" open>' in page
    assert customer.contacts.count() == 0


def test_the_customer_page_reads_the_contacts_once_for_the_list_and_the_picker(
    logged_in, user, make_customer
):
    c = make_customer(user)
    services.add_contact(actor=user, customer=c, name="王五", mobile="13900139000")
    services.add_contact(actor=user, customer=c, name="张三", mobile="13800138000", is_primary=True)
    logged_in.get(f"/customers/{c.pk}/")
    with CaptureQueriesContext(connection) as page:
        response = logged_in.get(f"/customers/{c.pk}/")
    picker = (
        response.content.decode().split('data-testid="with-contacts"')[1].split("</fieldset>")[0]
    )
    assert picker.index("张三") < picker.index("王五")  # the primary contact first
    own_contacts = [
        q["sql"]
        for q in page.captured_queries
        if 'FROM "customers_contact" WHERE' in q["sql"]
        and "INNER JOIN" not in q["sql"]
        and "NOT (" not in q["sql"]  # the duplicate check reads other customers' contacts
    ]
    assert len(own_contacts) == 1, own_contacts


def _duplicate_warnings(client, customer):
    page = client.get(customer.get_absolute_url()).content.decode()
    if 'data-testid="duplicate-warning"' not in page:
        return ""
    return page.split('data-testid="duplicate-warning"')[1].split("</ul>")[0]


def test_duplicate_warnings_on_the_customer_page_by_each_rule(logged_in, user, make_customer):
    """Same distinctive name, a shared mobile, and a close name: each warns, looked up live
    even where the stored flag lags behind."""
    same = make_customer(user, name="温州瑞安机械有限公司")
    twin = make_customer(user, name="瑞安机械")  # the same distinctive name
    phone = make_customer(user, name="宁波海天塑机集团")
    sharer = make_customer(user, name="完全不同的客户")
    for c in (phone, sharer):
        services.add_contact(actor=user, customer=c, name="甲", mobile="13700000000")
    close = make_customer(user, name="嘉兴大地农业")
    neighbour = make_customer(user, name="嘉兴大地农业发展有限公司")
    alone = make_customer(user, name="舟山远洋渔业")
    for c in (same, twin, phone, sharer, close, neighbour, alone):
        c.refresh_from_db()
    assert same.possible_duplicate and phone.possible_duplicate
    assert not close.possible_duplicate and not alone.possible_duplicate
    warning = _duplicate_warnings(logged_in, same)
    assert "瑞安机械" in warning and "林雪" in warning  # and who manages it
    assert "完全不同的客户" in _duplicate_warnings(logged_in, phone)
    assert "嘉兴大地农业发展有限公司" in _duplicate_warnings(logged_in, close)
    assert _duplicate_warnings(logged_in, alone) == ""
    with CaptureQueriesContext(connection) as page:
        logged_in.get(same.get_absolute_url())
    one_user = [q for q in page.captured_queries if 'FROM "accounts_user" WHERE' in q["sql"]]
    assert len(one_user) == 1  # the signed-in person; each warning's manager came joined
    # a flag that lags (set in the admin site, or by two people at the same moment)
    Customer.objects.filter(pk__in=[same.pk, phone.pk]).update(possible_duplicate=False)
    assert "瑞安机械" in _duplicate_warnings(logged_in, same)
    assert "完全不同的客户" in _duplicate_warnings(logged_in, phone)


def test_the_timeline_costs_the_same_for_one_entry_of_each_kind_or_many(
    client, make_user, make_customer
):
    """Interactions with their contacts, orders with their lines, returns and merges each
    show who and what: read with their rows, not one query per entry."""
    from decimal import Decimal

    from kehu.customers import merging
    from tests.conftest import force_login_verified

    boss = make_user("boss", roles=("sales_director",))
    customer = make_customer(boss, name="温州瑞安机械有限公司")
    product = services.create_product(actor=boss, code="P-1", name="液压泵", price="100")

    def one_of_each(n, person):
        contact = services.add_contact(actor=person, customer=customer, name=f"联系人{n}")
        services.log_interaction(
            actor=person,
            customer=customer,
            kind="call",
            occurred_at=timezone.now() - dt.timedelta(hours=n),
            summary=f"电话{n}",
            contacts=[contact],
        )
        order = services.create_order(
            actor=person,
            customer=customer,
            ordered_on=timezone.localdate(),
            lines=[services.LineInput(product=product, quantity=Decimal(3))],
            sales_rep=person,
        )
        services.record_return(
            actor=person,
            line=order.lines.get(),
            quantity=1,
            reason=f"退货{n}",
            returned_on=timezone.localdate(),
        )
        twin = make_customer(person, name=f"合并对象{n}")
        merging.merge_customers(actor=boss, survivor=customer, merged=twin, choices={})

    one_of_each(0, boss)
    force_login_verified(client, boss)
    client.get(customer.get_absolute_url())
    with CaptureQueriesContext(connection) as one:
        client.get(customer.get_absolute_url())
    for n in range(1, 4):
        one_of_each(n, make_user(f"rep{n}", display_name=f"销售{n}", roles=("sales_rep",)))
    with CaptureQueriesContext(connection) as four:
        page = client.get(customer.get_absolute_url()).content.decode()
    for n in range(1, 4):
        assert f"电话{n}" in page and f"联系人{n}" in page and f"退货{n}" in page
        assert f"合并对象{n}" in page and f"销售{n}" in page
    assert "液压泵" in page
    assert len(four) == len(one)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_log_forms_inputs_drawn_once_are_the_forms_own(language, user, make_customer):
    from django.utils import translation

    from kehu.customers.forms import InteractionForm
    from kehu.customers.views import _interaction_widgets

    c = make_customer(user)
    contact = services.add_contact(actor=user, customer=c, name="张三")
    with translation.override(language):
        for _ in range(2):  # drawn, then from what was drawn
            form = InteractionForm(
                initial={"kind": "call", "occurred_at": "2026-12-06T09:30"},
                customer=c,
                contacts=[contact],
            )
            assert _interaction_widgets(form) == {name: str(form[name]) for name in form.fields}
        sent = InteractionForm({"kind": "visit", "summary": "拜访"}, customer=c)
        assert not sent.is_valid()
        drawn = _interaction_widgets(sent)
        assert 'value="visit" selected' in drawn["kind"] and "拜访" in drawn["summary"]

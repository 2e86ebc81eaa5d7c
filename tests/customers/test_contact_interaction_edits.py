"""Correcting and deleting contacts and interactions: services, the customer page and the
tables; planning a follow-up by hand; collaborators."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from kehu.core import search
from kehu.core.locking import StaleWriteError
from kehu.customers import services
from kehu.customers.models import Contact, Customer, Interaction


@pytest.fixture
def director(make_user):
    return make_user("director", roles=("sales_director",))


def _log(actor, customer, *, hours_ago=1, **fields):
    fields.setdefault("summary", "电话沟通报价")
    return services.log_interaction(
        actor=actor,
        customer=customer,
        kind=fields.pop("kind", "call"),
        occurred_at=timezone.now() - dt.timedelta(hours=hours_ago),
        **fields,
    )


# ---- contacts: services ---------------------------------------------------------------------


def test_first_contact_is_primary_and_a_new_primary_takes_over(user, make_customer):
    c = make_customer(user)
    first = services.add_contact(actor=user, customer=c, name="王芳")
    second = services.add_contact(actor=user, customer=c, name="李强")
    assert first.is_primary and not second.is_primary
    services.update_contact(
        actor=user, contact=second, expected_version=second.version, is_primary=True
    )
    assert list(c.contacts.filter(is_primary=True)) == [second]
    first.refresh_from_db()
    assert first.history.count() == 2  # created, then no longer primary


def test_the_primary_contact_is_changed_by_choosing_another(user, make_customer):
    c = make_customer(user)
    only = services.add_contact(actor=user, customer=c, name="王芳")
    with pytest.raises(ValidationError) as exc:
        services.update_contact(
            actor=user, contact=only, expected_version=only.version, is_primary=False
        )
    assert "is_primary" in exc.value.message_dict
    assert Contact.objects.get(pk=only.pk).is_primary


def test_update_contact_normalises_refuses_stale_and_reindexes(user, make_customer):
    c = make_customer(user)
    contact = services.add_contact(actor=user, customer=c, name="王芳", mobile="13800138000")
    version = contact.version
    services.update_contact(
        actor=user, contact=contact, expected_version=version, mobile2="139 0013 9000"
    )
    contact.refresh_from_db()
    assert contact.mobile2 == "+8613900139000" and contact.version == version + 1
    found = search.filter_queryset(Contact.objects.all(), "9000")
    assert list(found) == [contact]  # the second mobile is searchable
    with pytest.raises(StaleWriteError):
        services.update_contact(actor=user, contact=contact, expected_version=version, title="x")
    with pytest.raises(ValidationError) as exc:
        services.update_contact(
            actor=user, contact=contact, expected_version=contact.version, mobile="12"
        )
    assert "mobile" in exc.value.message_dict


def test_delete_contact_promotes_the_next_and_leaves_the_index(user, make_customer):
    c = make_customer(user)
    first = services.add_contact(actor=user, customer=c, name="王芳", mobile="13800138000")
    second = services.add_contact(actor=user, customer=c, name="李强")
    pk = first.pk
    services.delete_contact(actor=user, contact=first)
    second.refresh_from_db()
    assert second.is_primary
    assert not search.filter_queryset(Contact.objects.all(), "38000").exists()
    assert Contact.history.filter(id=pk, history_type="-").exists()


def test_changing_a_mobile_clears_a_duplicate_flag(user, make_customer):
    a, b = make_customer(user, name="甲公司"), make_customer(user, name="乙公司")
    services.add_contact(actor=user, customer=a, name="王芳", mobile="13800138000")
    shared = services.add_contact(actor=user, customer=b, name="李强", mobile="13800138000")
    assert Customer.objects.get(pk=a.pk).possible_duplicate
    services.update_contact(
        actor=user, contact=shared, expected_version=shared.version, mobile="13900139000"
    )
    assert not Customer.objects.get(pk=a.pk).possible_duplicate
    assert not Customer.objects.get(pk=b.pk).possible_duplicate


def test_deleting_a_shared_contact_clears_the_duplicate_flag(user, make_customer):
    a, b = make_customer(user, name="甲公司"), make_customer(user, name="乙公司")
    services.add_contact(actor=user, customer=a, name="王芳", email="wang@example.com")
    shared = services.add_contact(actor=user, customer=b, name="李强", email="WANG@example.com")
    assert Customer.objects.get(pk=a.pk).possible_duplicate
    services.delete_contact(actor=user, contact=shared)
    assert not Customer.objects.get(pk=a.pk).possible_duplicate


# ---- interactions: services -----------------------------------------------------------------


def test_editing_an_interaction_moves_last_contact_and_its_follow_up(user, make_customer):
    c = make_customer(user)
    older = _log(user, c, hours_ago=48)
    when = timezone.now() + dt.timedelta(days=3)
    newest = _log(user, c, hours_ago=2, next_step="寄样品", next_follow_up_at=when)
    c.refresh_from_db()
    assert c.last_contact_at == newest.occurred_at
    moved = timezone.now() - dt.timedelta(days=5)
    services.update_interaction(
        actor=user,
        interaction=newest,
        expected_version=newest.version,
        occurred_at=moved,
        next_step="寄样品和报价单",
    )
    c.refresh_from_db()
    assert c.last_contact_at == older.occurred_at  # the other one is newer now
    assert c.follow_up_plan == "寄样品和报价单" and c.next_follow_up_at == when
    assert Interaction.history.filter(id=newest.pk).count() == 2


def test_editing_refuses_stale_future_and_other_customers_contacts(user, make_customer):
    c, other = make_customer(user), make_customer(user)
    stranger = services.add_contact(actor=user, customer=other, name="外人")
    i = _log(user, c)
    with pytest.raises(ValidationError) as exc:
        services.update_interaction(
            actor=user,
            interaction=i,
            expected_version=i.version,
            occurred_at=timezone.now() + dt.timedelta(days=2),
            contacts=[stranger],
        )
    assert {"occurred_at", "contacts"} <= set(exc.value.message_dict)
    with pytest.raises(StaleWriteError):
        services.update_interaction(
            actor=user, interaction=i, expected_version=i.version + 5, summary="改"
        )
    assert Interaction.objects.get(pk=i.pk).summary == "电话沟通报价"


def test_deleting_the_interaction_that_planned_the_follow_up_clears_it(user, make_customer):
    c = make_customer(user)
    earlier = _log(user, c, hours_ago=30)
    when = timezone.now() + dt.timedelta(days=2)
    latest = _log(user, c, hours_ago=1, next_step="上门拜访", next_follow_up_at=when)
    services.delete_interaction(actor=user, interaction=latest)
    c.refresh_from_db()
    assert c.last_contact_at == earlier.occurred_at
    assert c.next_follow_up_at is None and c.follow_up_plan == ""
    services.delete_interaction(actor=user, interaction=earlier)
    c.refresh_from_db()
    assert c.last_contact_at is None


def test_deleting_another_interaction_keeps_a_hand_planned_follow_up(user, make_customer):
    c = make_customer(user)
    i = _log(user, c, next_step="回访")
    when = timezone.now() + dt.timedelta(days=4)
    services.update_customer(
        actor=user,
        customer=c,
        expected_version=c.version,
        next_follow_up_at=when,
        follow_up_plan="月底确认订单",
    )
    services.delete_interaction(actor=user, interaction=i)
    c.refresh_from_db()
    assert c.next_follow_up_at == when and c.follow_up_plan == "月底确认订单"


def test_a_hand_planned_follow_up_with_the_same_words_is_not_the_interaction_s(user, make_customer):
    c = make_customer(user)
    when = timezone.now() + dt.timedelta(days=2)
    i = _log(user, c, next_step="回访", next_follow_up_at=when)
    c.refresh_from_db()
    assert c.follow_up_from_id == i.pk
    later = timezone.now() + dt.timedelta(days=5)
    services.update_customer(
        actor=user, customer=c, expected_version=c.version, next_follow_up_at=later
    )  # planned by hand now, though the plan still reads 回访
    c.refresh_from_db()
    assert c.follow_up_from_id is None and c.follow_up_plan == "回访"
    services.delete_interaction(actor=user, interaction=i)
    c.refresh_from_db()
    assert c.next_follow_up_at == later and c.follow_up_plan == "回访"


def test_log_interaction_with_contacts_of_that_customer_only(user, make_customer):
    c, other = make_customer(user), make_customer(user)
    mine = services.add_contact(actor=user, customer=c, name="王芳")
    stranger = services.add_contact(actor=user, customer=other, name="外人")
    with pytest.raises(ValidationError):
        _log(user, c, contacts=[stranger])
    i = _log(user, c, contacts=[mine])
    assert list(i.contacts.all()) == [mine]


# ---- follow-up by hand and collaborators ----------------------------------------------------


def test_follow_up_cannot_be_planned_in_the_past(user, make_customer):
    c = make_customer(user)
    with pytest.raises(ValidationError) as exc:
        services.update_customer(
            actor=user,
            customer=c,
            expected_version=c.version,
            next_follow_up_at=timezone.now() - dt.timedelta(days=2),
        )
    assert "next_follow_up_at" in exc.value.message_dict


def test_collaborators_need_the_assign_right(user, other_user, make_user, make_customer):
    manager = make_user("mgr", roles=("customer_manager",))
    c = make_customer(user)
    with pytest.raises(PermissionDenied):
        services.set_collaborators(actor=user, customer=c, users=[other_user])
    services.set_collaborators(actor=manager, customer=c, users=[other_user])
    assert list(c.collaborators.all()) == [other_user]
    assert Customer.objects.get(pk=c.pk).version == c.version


# ---- pages ----------------------------------------------------------------------------------


def test_edit_a_contact_from_the_customer_page(logged_in, user, make_customer):
    c = make_customer(user)
    contact = services.add_contact(actor=user, customer=c, name="王芳", mobile="13800138000")
    page = logged_in.get(f"/customers/{c.pk}/").content.decode()
    assert f"/customers/contacts/{contact.pk}/edit/" in page
    assert f"/customers/contacts/{contact.pk}/delete/" not in page  # reps may not delete
    form = {
        "name": "王芳",
        "title": "采购经理",
        "mobile": "13800138000",
        "email": "wang@example.com",
        "is_primary": "on",
        "version": contact.version,
    }
    response = logged_in.post(f"/customers/contacts/{contact.pk}/edit/", form)
    assert response.status_code == 302
    contact.refresh_from_db()
    assert contact.title == "采购经理" and contact.email == "wang@example.com"
    stale = logged_in.post(f"/customers/contacts/{contact.pk}/edit/", {**form, "title": "总监"})
    assert stale.status_code == 409
    assert "总监" in stale.content.decode()  # what was typed is kept
    bad = logged_in.post(
        f"/customers/contacts/{contact.pk}/edit/",
        {**form, "mobile": "123", "version": contact.version},
    )
    assert bad.status_code == 400
    assert Contact.objects.get(pk=contact.pk).mobile == "+8613800138000"


def test_contacts_and_interactions_out_of_scope_answer_404(logged_in, other_user, make_customer):
    theirs = make_customer(other_user)
    contact = services.add_contact(actor=other_user, customer=theirs, name="外人")
    i = _log(other_user, theirs)
    for url in (
        f"/customers/contacts/{contact.pk}/edit/",
        f"/customers/contacts/{contact.pk}/delete/",
        f"/customers/contacts/{contact.pk}/history/",
        f"/customers/interactions/{i.pk}/edit/",
        f"/customers/interactions/{i.pk}/delete/",
        f"/customers/interactions/{i.pk}/history/",
    ):
        assert logged_in.get(url).status_code == 404, url
    assert logged_in.post(f"/customers/interactions/{i.pk}/delete/").status_code == 404
    assert Interaction.objects.filter(pk=i.pk).exists()


def test_director_deletes_a_contact_and_an_interaction_from_the_tables(
    client, director, user, make_customer
):
    c = make_customer(user)
    contact = services.add_contact(actor=user, customer=c, name="王芳")
    i = _log(user, c, summary="误录的一条")
    from tests.conftest import force_login_verified

    force_login_verified(client, director)
    table = client.get("/customers/contacts/").content.decode()
    assert f"/customers/contacts/{contact.pk}/delete/?next=/customers/contacts/" in table
    assert client.get(f"/customers/contacts/{contact.pk}/delete/").status_code == 200
    response = client.post(f"/customers/contacts/{contact.pk}/delete/?next=/customers/contacts/")
    assert response.status_code == 302 and response["Location"] == "/customers/contacts/"
    assert not Contact.objects.filter(pk=contact.pk).exists()
    table = client.get("/customers/interactions/").content.decode()
    assert f"/customers/interactions/{i.pk}/delete/" in table
    response = client.post(f"/customers/interactions/{i.pk}/delete/")
    assert response.status_code == 302 and response["Location"] == c.get_absolute_url()
    assert not Interaction.objects.filter(pk=i.pk).exists()
    c.refresh_from_db()
    assert c.last_contact_at is None


def test_edit_an_interaction_from_the_timeline(logged_in, user, make_customer):
    c = make_customer(user)
    wang = services.add_contact(actor=user, customer=c, name="王芳")
    li = services.add_contact(actor=user, customer=c, name="李强")
    i = _log(user, c, contacts=[wang])
    page = logged_in.get(f"/customers/{c.pk}/").content.decode()
    assert f"/customers/interactions/{i.pk}/edit/" in page
    edit = logged_in.get(f"/customers/interactions/{i.pk}/edit/").content.decode()
    assert "王芳" in edit and "李强" in edit
    when = timezone.localtime(timezone.now() + dt.timedelta(days=2)).replace(
        second=0, microsecond=0
    )
    form = {
        "kind": "visit",
        "occurred_at": timezone.localtime(i.occurred_at).strftime("%Y-%m-%dT%H:%M"),
        "summary": "上门拜访，谈了报价",
        "next_step": "发合同",
        "next_follow_up_at": when.strftime("%Y-%m-%dT%H:%M"),
        "contacts": [li.pk],
        "version": i.version,
    }
    response = logged_in.post(f"/customers/interactions/{i.pk}/edit/", form)
    assert response.status_code == 302, response.content.decode()[:2000]
    i.refresh_from_db()
    assert i.kind == "visit" and list(i.contacts.all()) == [li]
    c.refresh_from_db()
    assert c.next_follow_up_at == when and c.follow_up_plan == "发合同"
    stale = logged_in.post(f"/customers/interactions/{i.pk}/edit/", {**form, "summary": "再改"})
    assert stale.status_code == 409


def test_follow_up_panel_logs_with_chosen_contacts(logged_in, user, make_customer):
    c = make_customer(user)
    wang = services.add_contact(actor=user, customer=c, name="王芳")
    page = logged_in.get(f"/customers/{c.pk}/").content.decode()
    assert 'data-testid="with-contacts"' in page
    now = timezone.localtime().strftime("%Y-%m-%dT%H:%M")
    logged_in.post(
        f"/customers/{c.pk}/interactions/",
        {"kind": "call", "occurred_at": now, "summary": "电话", "contacts": [wang.pk]},
    )
    assert list(Interaction.objects.get(customer=c).contacts.all()) == [wang]


def test_plan_a_follow_up_by_hand_from_the_panel(logged_in, user, make_customer):
    c = make_customer(user)
    when = timezone.localtime(timezone.now() + dt.timedelta(days=3)).replace(
        second=0, microsecond=0
    )
    form = {
        "next_follow_up_at": when.strftime("%Y-%m-%dT%H:%M"),
        "follow_up_plan": "确认样品反馈",
        "version": c.version,
    }
    response = logged_in.post(f"/customers/{c.pk}/follow-up/", form)
    assert response.status_code == 302
    c.refresh_from_db()
    assert c.next_follow_up_at == when and c.follow_up_plan == "确认样品反馈"
    assert not Interaction.objects.filter(customer=c).exists()
    stale = logged_in.post(f"/customers/{c.pk}/follow-up/", {**form, "follow_up_plan": "新计划"})
    assert stale.status_code == 409
    assert "新计划" in stale.content.decode()
    past = (timezone.localtime() - dt.timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    bad = logged_in.post(
        f"/customers/{c.pk}/follow-up/",
        {**form, "next_follow_up_at": past, "version": c.version},
    )
    assert bad.status_code == 400
    c.refresh_from_db()
    assert c.follow_up_plan == "确认样品反馈"
    cleared = logged_in.post(
        f"/customers/{c.pk}/follow-up/",
        {"next_follow_up_at": "", "follow_up_plan": "", "version": c.version},
    )
    assert cleared.status_code == 302
    c.refresh_from_db()
    assert c.next_follow_up_at is None


def test_next_follow_up_is_editable_in_the_table(logged_in, user, make_customer):
    c = make_customer(user)
    assert logged_in.get(f"/customers/{c.pk}/cell/next_follow_up_at/").status_code == 200
    when = timezone.localtime(timezone.now() + dt.timedelta(days=1)).replace(
        second=0, microsecond=0
    )
    response = logged_in.post(
        f"/customers/{c.pk}/cell/next_follow_up_at/",
        {"next_follow_up_at": when.strftime("%Y-%m-%dT%H:%M"), "version": c.version},
    )
    assert response.status_code == 200
    c.refresh_from_db()
    assert c.next_follow_up_at == when


def test_collaborators_in_the_edit_form_and_on_the_page(
    client, make_user, user, other_user, make_customer
):
    manager = make_user("mgr", roles=("customer_manager",))
    c = make_customer(user)
    client.force_login(user)
    assert 'name="collaborators"' not in client.get(f"/customers/{c.pk}/edit/").content.decode()
    from kehu.accounts.models import Team

    team = Team.objects.create(name="华东组", leader=manager)
    team.members.add(user)
    client.force_login(manager)
    form = {
        "name": c.name,
        "kind": "company",
        "level": "C",
        "status": "lead",
        "purchase_intent": "none",
        "owner": user.pk,
        "collaborators": [other_user.pk],
        "version": c.version,
    }
    response = client.post(f"/customers/{c.pk}/edit/", form)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert list(c.collaborators.all()) == [other_user]
    page = client.get(f"/customers/{c.pk}/").content.decode()
    assert str(other_user) in page.split('data-testid="collaborators"')[1][:200]


def test_contact_cells_are_edited_in_place_with_versions(logged_in, user, make_customer):
    c = make_customer(user)
    contact = services.add_contact(actor=user, customer=c, name="王芳", mobile="13800138000")
    table = logged_in.get("/customers/contacts/").content.decode()
    assert f"/customers/contacts/{contact.pk}/cell/title/" in table
    url = f"/customers/contacts/{contact.pk}/cell/"
    assert logged_in.get(url + "title/").status_code == 200
    assert logged_in.get(url + "customer/").status_code == 404  # not an editable cell
    ok = logged_in.post(url + "title/", {"title": "采购经理", "version": contact.version})
    assert ok.status_code == 200 and "采购经理" in ok.content.decode()
    stale = logged_in.post(url + "title/", {"title": "总监", "version": contact.version})
    assert stale.status_code == 409
    bad = logged_in.post(url + "mobile/", {"mobile": "12", "version": contact.version + 1})
    assert bad.status_code == 400
    contact.refresh_from_db()
    assert contact.title == "采购经理" and contact.mobile == "+8613800138000"


def test_customer_search_finds_customers_through_their_contacts(
    logged_in, user, other_user, make_customer
):
    mine = make_customer(user, name="杭州启明贸易有限公司")
    plain = make_customer(user, name="宁波恒泰电子有限公司")
    theirs = make_customer(other_user, name="别人的客户有限公司")
    services.add_contact(
        actor=user, customer=mine, name="王芳", mobile2="13912345678", email="wang@qiming.cn"
    )
    services.add_contact(actor=other_user, customer=theirs, name="李四", mobile="13812345678")

    def names(q):
        page = logged_in.get("/customers/", {"q": q})
        return {row.name for row in page.context["page"].items}

    assert names("5678") == {mine.name}  # the outsider's customer stays out of scope
    assert names("139 1234 5678") == {mine.name}
    assert names("wang@qiming.cn") == {mine.name}
    assert names("qiming") == {mine.name}
    assert names("恒泰") == {plain.name}
    assert names("王芳") == {mine.name}


def test_bulk_delete_and_export_of_ticked_contacts(
    client, director, user, other_user, make_customer
):
    from tests.conftest import force_login_verified

    c = make_customer(user)
    keep = services.add_contact(actor=user, customer=c, name="王芳")
    gone = services.add_contact(actor=user, customer=c, name="李强")
    client.force_login(user)
    table = client.get("/customers/contacts/").content.decode()
    assert 'data-testid="bulk-bar"' in table and 'value="delete"' not in table  # reps export
    assert (
        client.post("/customers/contacts/bulk/", {"action": "delete", "ids": [gone.pk]}).status_code
        == 403
    )
    exported = client.post(
        "/customers/contacts/bulk/", {"action": "export", "ids": [keep.pk, gone.pk]}
    )
    assert exported.status_code == 200
    body = b"".join(exported.streaming_content).decode("utf-8-sig")
    assert "王芳" in body and "李强" in body
    force_login_verified(client, director)
    response = client.post(
        "/customers/contacts/bulk/",
        {"action": "delete", "ids": [gone.pk, 999999], "next": "/customers/contacts/?q=li"},
    )
    assert response.status_code == 302 and response["Location"] == "/customers/contacts/?q=li"
    assert list(Contact.objects.filter(customer=c)) == [keep]
    keep.refresh_from_db()
    assert keep.is_primary

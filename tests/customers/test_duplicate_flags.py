"""The "possible duplicate" flag stays equal to the duplicates report's rules after every write."""

from django.db.models import Q

from kehu.customers import duplicates, merging, services
from kehu.customers.models import Contact, Customer
from kehu.customers.selectors import duplicate_condition


def flagged() -> set[str]:
    return set(Customer.objects.filter(possible_duplicate=True).values_list("name", flat=True))


def assert_exact() -> None:
    """The stored flags are what the rules give when computed from scratch."""
    truth = set(
        Customer.objects.filter(duplicate_condition(Customer.objects.all())).values_list(
            "name", flat=True
        )
    )
    assert flagged() == truth


def test_similar_names_flag_both_and_a_rename_clears_them(user):
    a = services.create_customer(actor=user, owner=user, name="云帆科技有限公司")
    services.create_customer(actor=user, owner=user, name="北京星河贸易有限公司")
    assert flagged() == set()
    services.create_customer(actor=user, owner=user, name="杭州云帆科技有限公司")
    assert flagged() == {"云帆科技有限公司", "杭州云帆科技有限公司"}
    services.update_customer(
        actor=user, customer=a, expected_version=a.version, name="云帆航运有限公司"
    )
    assert flagged() == set()  # the other one was a duplicate only of a's old name
    assert_exact()


def test_a_shared_contact_mobile_flags_and_a_deletion_clears(user, other_user):
    a = services.create_customer(actor=user, owner=user, name="甲公司")
    b = services.create_customer(actor=other_user, owner=other_user, name="乙公司")
    services.add_contact(actor=user, customer=a, name="张三", mobile="13800138000")
    Contact.objects.create(customer=b, name="张三", mobile="+8613800138000")  # typed elsewhere
    assert flagged() == set()  # a write that bypassed the services is not seen yet…
    duplicates.refresh_all()  # …until the audit (or an import) brings the flags up to date
    assert flagged() == {"甲公司", "乙公司"}
    services.delete_customer(actor=other_user, customer=b)
    assert flagged() == set()
    assert_exact()


def test_uscc_and_email_rules(user):
    a = services.create_customer(actor=user, owner=user, name="甲公司", kind="company")
    b = services.create_customer(actor=user, owner=user, name="乙公司", kind="company")
    Customer.objects.filter(pk__in=[a.pk, b.pk]).update(uscc="91350100M000100Y43")
    services.add_contact(actor=user, customer=b, name="李四", email="li@example.com")
    # the contact write re-examines 乙 and whoever shares its keys: the code is found shared
    assert flagged() == {"甲公司", "乙公司"}
    c = services.create_customer(actor=user, owner=user, name="丙公司")
    services.add_contact(actor=user, customer=c, name="李四", email="LI@example.com")
    assert flagged() == {"甲公司", "乙公司", "丙公司"}
    assert_exact()


def test_merging_two_duplicates_leaves_no_flag(user):
    services.create_customer(actor=user, owner=user, name="云帆科技有限公司")
    services.create_customer(actor=user, owner=user, name="杭州云帆科技有限公司")
    survivor, merged = Customer.objects.order_by("pk")
    merging.merge_customers(actor=user, survivor=survivor, merged=merged)
    assert flagged() == set()
    assert_exact()


def test_unrelated_edits_do_not_recompute(user):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    a = services.create_customer(actor=user, owner=user, name="云帆科技有限公司")
    with CaptureQueriesContext(connection) as city:
        services.update_customer(actor=user, customer=a, expected_version=a.version, city="杭州")
    assert not [q for q in city.captured_queries if "GROUP BY" in q["sql"]]
    with CaptureQueriesContext(connection) as name:
        services.update_customer(
            actor=user, customer=a, expected_version=a.version, name="云帆航运有限公司"
        )
    assert [q for q in name.captured_queries if "GROUP BY" in q["sql"]]


def test_the_table_filter_and_the_flag_agree(client, user):
    services.create_customer(actor=user, owner=user, name="云帆科技有限公司")
    services.create_customer(actor=user, owner=user, name="杭州云帆科技有限公司")
    services.create_customer(actor=user, owner=user, name="北京星河贸易有限公司")
    client.force_login(user)
    page = client.get("/customers/?duplicate=true").content.decode()
    assert "杭州云帆科技有限公司" in page and "北京星河贸易有限公司" not in page
    page = client.get("/customers/?duplicate=false").content.decode()
    assert "杭州云帆科技有限公司" not in page and "北京星河贸易有限公司" in page
    assert not Customer.objects.filter(Q(possible_duplicate=True), name="北京星河贸易有限公司")


def test_groups_shrinking_one_by_one(user):
    names = ["云帆科技有限公司", "杭州云帆科技有限公司", "宁波云帆科技有限公司"]
    made = [services.create_customer(actor=user, owner=user, name=n) for n in names]
    assert flagged() == set(names)
    services.update_customer(
        actor=user, customer=made[0], expected_version=made[0].version, name="星河贸易有限公司"
    )
    assert flagged() == set(names[1:])
    services.update_customer(
        actor=user, customer=made[1], expected_version=made[1].version, name="万象信息有限公司"
    )
    assert flagged() == set()
    assert_exact()

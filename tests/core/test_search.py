"""Search: Chinese substrings, pinyin, initials, phone suffixes, e-mail; never a leak."""

import pytest

from kehu.core import search
from kehu.core.search import parse_query, phone_tokens, text_tokens
from kehu.customers import services
from kehu.customers.models import Customer

pytestmark = pytest.mark.django_db


def test_tokens_of_a_person_and_a_company():
    assert {"张三", "张", "三", "zhangsan", "zs"} <= text_tokens("张三")
    company = text_tokens("杭州启明贸易有限公司")
    assert {"启明", "贸易", "qiming", "qm", "hangzhou", "hzqmmyyxgs"} <= company
    assert {"8000", "38000", "13800138000"} <= phone_tokens("+86 138 0013 8000")
    assert "138" not in phone_tokens("+8613800138000")


def test_query_parsing():
    assert parse_query("华为技术") == parse_query("华为技术 ")
    assert parse_query("华为").exact == ["华为"]
    assert parse_query("zs").exact == ["zs"]  # two letters are initials, matched exactly
    assert parse_query("zha").prefix == ["zha"]
    assert parse_query("8000").exact == ["8000"]
    assert parse_query("  ").empty


@pytest.fixture
def people(make_user, make_customer):
    rep = make_user("rep", roles=("sales_rep",))
    other = make_user("other", roles=("sales_rep",))
    huawei = make_customer(rep, name="华为技术有限公司", short_name="华为")
    zhang = make_customer(rep, name="张三", kind="individual")
    services.add_contact(
        actor=rep, customer=zhang, name="张三", mobile="13800138000", email="zhangsan@example.cn"
    )
    hidden = make_customer(other, name="华为终端有限公司")
    return rep, huawei, zhang, hidden


def names(groups):
    return {
        key: sorted(searchable.title(o) for o in hits)
        for searchable, hits in groups
        for key in [searchable.key]
    }


def test_two_chinese_characters_find_a_company(people):
    rep = people[0]
    assert names(search.search(rep, "华为")) == {"customer": ["华为技术有限公司"]}
    assert names(search.search(rep, "技术有限")) == {"customer": ["华为技术有限公司"]}


def test_pinyin_and_initials_find_a_person(people):
    rep = people[0]
    for query in ("zhangsan", "zs", "zhang", "ZS"):
        found = names(search.search(rep, query))
        assert found.get("customer") == ["张三"], query
        assert found.get("contact") == ["张三"], query


def test_phone_suffix_and_email(people):
    rep = people[0]
    assert names(search.search(rep, "8000")) == {"contact": ["张三"]}
    assert names(search.search(rep, "138 0013 8000")) == {"contact": ["张三"]}
    assert names(search.search(rep, "zhangsan@example.cn"))["contact"] == ["张三"]
    assert search.search(rep, "9999") == []


def test_invisible_records_never_appear(people, make_user):
    rep = people[0]
    everything = names(search.search(rep, "有限公司"))
    assert "华为终端有限公司" not in everything.get("customer", [])
    director = make_user("dir", roles=("sales_director",))
    assert "华为终端有限公司" in names(search.search(director, "有限公司"))["customer"]


def test_index_follows_changes_and_deletes(people):
    rep, huawei, _, _ = people
    services.update_customer(
        actor=rep, customer=huawei, expected_version=1, name="荣耀终端", short_name="荣耀"
    )
    assert names(search.search(rep, "荣耀")) == {"customer": ["荣耀终端"]}
    assert search.search(rep, "华为") == []
    services.delete_customer(actor=rep, customer=Customer.objects.get(pk=huawei.pk))
    assert search.search(rep, "荣耀") == []


def test_reindex_rebuilds_bulk_loaded_rows(people):
    rep = people[0]
    Customer.objects.bulk_create([Customer(name="批量导入客户", owner=rep)])
    assert search.search(rep, "批量") == []
    search.reindex(Customer)
    assert names(search.search(rep, "批量")) == {"customer": ["批量导入客户"]}


def test_odd_queries_do_not_break(people):
    rep = people[0]
    for query in ['"', "*", "a AND", "NEAR(", "'; drop", "：", "!!", "华"]:
        search.search(rep, query)


def test_search_page_groups_results_and_hides_others(client, people):
    rep = people[0]
    client.force_login(rep)
    page = client.get("/search/?q=zs").content.decode()
    assert 'data-group="customer"' in page and 'data-group="contact"' in page
    assert "张三" in page
    assert "华为终端" not in client.get("/search/?q=华为").content.decode()
    empty = client.get("/search/?q=不存在的客户").content.decode()
    assert 'data-testid="no-results"' in empty


def test_search_page_query_count_does_not_grow_with_hits(client, people, make_customer):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    rep = people[0]
    client.force_login(rep)
    client.get("/search/?q=zs")
    with CaptureQueriesContext(connection) as few:
        client.get("/search/?q=有限公司")
    for i in range(10):
        customer = make_customer(rep, name=f"测试{i}有限公司")
        services.add_contact(actor=rep, customer=customer, name=f"有限{i}")
    with CaptureQueriesContext(connection) as many:
        client.get("/search/?q=有限公司")
    assert len(many) == len(few)


@pytest.mark.parametrize("few", [1, 2, 2000])
def test_one_index_read_for_several_types_finds_what_each_probe_finds(people, monkeypatch, few):
    """Few matches (exact lists), many (sub-selects) and a read cut short (probes per type)
    all name the same records as asking the index about each type alone."""
    from kehu.customers.models import Contact

    monkeypatch.setattr(search, "FEW_MATCHES", few)
    for text in ("华为", "zs", "zhangsan", "8000", "nothing-like-this"):
        query = parse_query(text)
        together = search.conditions([Customer, Contact], query)
        for model in (Customer, Contact):
            alone = search.matching(model, query)
            got = set(model.objects.filter(together[model]).values_list("pk", flat=True))
            want = set(model.objects.filter(alone).values_list("pk", flat=True))
            assert got == want, (text, model.__name__, few)
    # 华为 matches two customers: with one allowed per type the read is cut short (cap 3
    # rows: two customers and a contact would not fit), or the customers are "many"
    monkeypatch.setattr(search, "FEW_MATCHES", 1)
    many = search.conditions([Customer, Contact], parse_query("华为"))[Customer]
    assert not isinstance(many.children[0][1], list)


def test_a_long_list_of_matches_is_sent_as_one_value_and_still_scoped(
    client, user, other_user, make_customer
):
    from django.db import connection
    from django.db.models import Q
    from django.test.utils import CaptureQueriesContext

    mine = [make_customer(user, name=f"华为{i:02d}分公司") for i in range(search.LONG_LIST + 5)]
    theirs = [make_customer(other_user, name=f"华为{i:02d}办事处") for i in range(3)]
    ids = [c.pk for c in mine + theirs]
    compact = search.compact(Q(pk__in=ids))
    assert isinstance(compact.children[0], search.KeyIn)
    assert set(Customer.objects.filter(compact).values_list("pk", flat=True)) == set(ids)
    assert search.compact(Q(pk__in=ids[:3])) == Q(pk__in=ids[:3])  # short lists stay as they are
    client.force_login(user)
    with CaptureQueriesContext(connection) as page:
        html = client.get("/customers/?q=华为&limit=200").content.decode()
    assert all(c.name in html for c in mine)
    assert not any(c.name in html for c in theirs)
    one_value = "= ANY(" if connection.vendor == "postgresql" else "json_each("
    assert any(one_value in q["sql"] for q in page.captured_queries)

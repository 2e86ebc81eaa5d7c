import contextlib
import datetime as dt

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kehu.core.pagination import InvalidCursor, paginate_keyset
from kehu.customers.models import Customer


def walk(qs, ordering, limit):
    seen, after = [], None
    for _ in range(1000):
        page = paginate_keyset(qs, ordering=ordering, limit=limit, after=after)
        seen.extend(c.pk for c in page.items)
        if not page.next_cursor:
            return seen
        after = page.next_cursor
    raise AssertionError("pagination did not end")


def walk_back(qs, ordering, limit, start):
    seen, before = [], start
    while before:
        page = paginate_keyset(qs, ordering=ordering, limit=limit, before=before)
        seen = [c.pk for c in page.items] + seen
        before = page.prev_cursor
    return seen


@pytest.fixture
def customers(make_customer, user):
    now = timezone.now()
    rows = []
    for i in range(23):
        # Created directly: duplicate names are the point here, and the service refuses them.
        c = Customer.objects.create(
            owner=user, name=f"客户{i % 5}", city=["杭州", "上海", ""][i % 3]
        )
        # Some ties, some NULLs: the hard cases for seek pagination.
        c.next_follow_up_at = None if i % 4 == 0 else now + dt.timedelta(days=i % 6)
        c.save(update_fields=["next_follow_up_at"])
        rows.append(c)
    return rows


@pytest.mark.parametrize(
    "ordering",
    [["name"], ["-name"], ["next_follow_up_at"], ["-next_follow_up_at"], ["city", "-name"], []],
)
@pytest.mark.parametrize("limit", [1, 4, 7, 50])
def test_forward_pages_cover_every_row_once_in_order(customers, ordering, limit):
    qs = Customer.objects.all()
    expected = list(
        paginate_keyset(qs, ordering=ordering, limit=1000).items
    )  # one page = the reference order
    assert walk(qs, ordering, limit) == [c.pk for c in expected]
    assert len(expected) == len(customers)


@pytest.mark.parametrize("ordering", [["name"], ["-next_follow_up_at"], ["city", "-name"]])
def test_backward_pages_mirror_forward_pages(customers, ordering):
    qs = Customer.objects.all()
    forward = walk(qs, ordering, 5)
    last_page = paginate_keyset(qs, ordering=ordering, limit=1000).items
    # Walk back from the last row: every row before it, in the same order.
    from kehu.core.pagination import encode_cursor

    tail = last_page[-1]
    cursor_values = [
        getattr(tail, f.lstrip("-")) for f in [*ordering, "pk"] if f.lstrip("-") != "pk"
    ] + [tail.pk]
    tail_cursor = encode_cursor(cursor_values)
    assert paginate_keyset(qs, ordering=ordering, limit=5, after=tail_cursor).items == []
    page = paginate_keyset(qs, ordering=ordering, limit=5, before=tail_cursor)
    assert [c.pk for c in page.items] == forward[-6:-1]
    assert walk_back(qs, ordering, 5, tail_cursor) == forward[:-1]


def test_rows_inserted_before_the_cursor_do_not_shift_the_next_page(customers, make_customer, user):
    qs = Customer.objects.all()
    first = paginate_keyset(qs, ordering=["name"], limit=5)
    expected_next = paginate_keyset(qs, ordering=["name"], limit=5, after=first.next_cursor).items
    make_customer(user, name="A-最前面")
    again = paginate_keyset(qs, ordering=["name"], limit=5, after=first.next_cursor).items
    assert again == expected_next


@pytest.mark.django_db
@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(max_size=40))
def test_garbage_cursors_are_refused_cleanly(cursor):
    # Either a (possibly empty) page or InvalidCursor; never any other error.
    with contextlib.suppress(InvalidCursor):
        qs = Customer.objects.all()
        page = paginate_keyset(qs, ordering=["name"], limit=3, after=cursor or "x")
        assert isinstance(page.items, list)


def test_a_page_is_found_by_keys_then_read_with_the_querysets_joins_and_prefetches(
    customers, django_assert_num_queries
):
    from django.db.models import Prefetch

    from kehu.customers.models import Tag

    qs = (
        Customer.objects.filter(city="杭州")
        .select_related("owner")
        .prefetch_related(Prefetch("tags", queryset=Tag.objects.all(), to_attr="tag_list"))
    )
    expected = list(qs.order_by("-name", "-id").values_list("pk", flat=True)[:3])
    # the keys, the rows by key, their tags; the owner comes joined, not asked for per row
    with django_assert_num_queries(3):
        page = paginate_keyset(qs, ordering=["-name"], limit=3)
        assert [c.owner.username for c in page.items] == ["linxue"] * 3
        assert all(c.tag_list == [] for c in page.items)
    assert [c.pk for c in page.items] == expected
    assert all(c.city == "杭州" for c in page.items)


def test_a_queryset_with_computed_columns_keeps_them_on_its_rows(customers):
    from django.db.models import F, Value
    from django.db.models.functions import Concat

    qs = Customer.objects.annotate(label=Concat(F("name"), Value("·"), F("city")))
    page = paginate_keyset(qs, ordering=["city", "name"], limit=4)
    assert len(page.items) == 4
    assert all(c.label == f"{c.name}·{c.city}" for c in page.items)
    assert [c.pk for c in page.items] == list(
        qs.order_by("city", "name", "id").values_list("pk", flat=True)[:4]
    )


def test_a_join_that_repeats_rows_still_leads_to_the_next_page(user, make_customer):
    from kehu.customers.models import Tag

    red, blue = Tag.objects.create(name="重点红"), Tag.objects.create(name="重点蓝")
    for i in range(3):
        make_customer(user, name=f"标签客户{i}").tags.add(red, blue)
    qs = Customer.objects.filter(tags__name__startswith="重点")  # each customer twice
    page = paginate_keyset(qs, ordering=["name"], limit=3)
    assert page.next_cursor is not None  # six rows match: a page of three has more after it
    assert [c.pk for c in page.items] == list(
        qs.order_by("name", "id").values_list("pk", flat=True)[:3]
    )

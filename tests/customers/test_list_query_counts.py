"""The contacts, interactions and orders tables cost the same number of queries for three rows
as for thirty: nothing is fetched per row."""

import datetime as dt

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from kehu.customers import services


def _queries(client, url):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


def _grows(client, url, add):
    add(3)
    client.get(url)  # the first request of a session also checks two-factor sign-in
    few = _queries(client, url)
    add(30)
    many = _queries(client, url)
    assert many == few, f"{url}: {few} queries for 3 rows, {many} for 33"


def test_contacts_table_query_count(logged_in, user, make_customer):
    def add(n):
        for i in range(n):
            customer = make_customer(user)
            services.add_contact(
                actor=user, customer=customer, name=f"联系人{i}", mobile=f"1380013{i:04d}"
            )

    _grows(logged_in, "/customers/contacts/", add)
    _grows(logged_in, "/customers/contacts/?cols=name&cols=customer&cols=mobile&cols=birthday", add)


def test_interactions_table_query_count(logged_in, user, make_customer):
    def add(n):
        customer = make_customer(user)
        contact = services.add_contact(actor=user, customer=customer, name="王芳")
        for i in range(n):
            services.log_interaction(
                actor=user,
                customer=customer,
                kind="call",
                occurred_at=timezone.now() - dt.timedelta(minutes=i + 1),
                summary=f"第{i}次沟通",
                contacts=[contact],
            )

    _grows(logged_in, "/customers/interactions/", add)
    _grows(logged_in, "/customers/interactions/?q=王芳", add)
    # Every editable cell shown, sorted by who logged them: the edit buttons and the bulk bar's
    # people are fetched once per page, not once per row.
    _grows(logged_in, "/customers/interactions/?cols=outcome&cols=kind&cols=user&sort=user", add)


def test_orders_table_query_count(logged_in, user, make_customer):
    product = services.create_product(actor=user, code="QC-1", name="计数产品", price=10)

    def add(n):
        customer = make_customer(user)
        for _ in range(n):
            services.create_order(
                actor=user,
                customer=customer,
                ordered_on=timezone.localdate(),
                lines=[services.LineInput(product, 2)],
            )

    _grows(logged_in, "/customers/orders/", add)
    _grows(logged_in, "/customers/orders/?sort=-sales_rep", add)


def test_tables_with_every_bulk_action_query_count(client, make_user, user, make_customer):
    """A director sees every bulk action and may edit every cell: still constant per page."""
    from tests.conftest import force_login_verified

    director = make_user("director", roles=("sales_director",))
    force_login_verified(client, director)
    product = services.create_product(actor=user, code="QC-2", name="计数产品二", price=10)

    def add(n):
        customer = make_customer(user)
        for i in range(n):
            services.log_interaction(
                actor=user,
                customer=customer,
                kind="visit",
                occurred_at=timezone.now() - dt.timedelta(minutes=i + 1),
                summary=f"拜访{i}",
            )
            services.create_order(
                actor=user,
                customer=customer,
                ordered_on=timezone.localdate(),
                lines=[services.LineInput(product, 1)],
            )

    _grows(client, "/customers/interactions/?cols=outcome&cols=next_step", add)
    _grows(client, "/customers/orders/?sort=status", add)

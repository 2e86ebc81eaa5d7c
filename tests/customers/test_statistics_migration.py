"""A migration that adds an index to a SQLite table with planner statistics refreshes them."""

import importlib
from types import SimpleNamespace

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db

migration = importlib.import_module("kehu.customers.migrations.0019_owner_city_index")


def _stats(index: str) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT stat FROM sqlite_stat1 WHERE idx = %s", [index])
        return cursor.fetchall()


def test_the_new_index_gets_statistics_where_the_table_has_them(user, make_customer):
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only: PostgreSQL keeps statistics per column")
    editor = SimpleNamespace(connection=connection)  # all the step reads of its editor
    for i in range(3):
        make_customer(user, name=f"杭州客户{i}", city="杭州市")
    migration.refresh_statistics(None, editor)  # no statistics yet: none are made
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE name = 'sqlite_stat1'")
        if cursor.fetchone():
            assert _stats("cust_owner_city_name") == []
        cursor.execute("ANALYZE customers_customer")
        cursor.execute("DELETE FROM sqlite_stat1 WHERE idx = 'cust_owner_city_name'")
    migration.refresh_statistics(None, editor)
    assert _stats("cust_owner_city_name") == [("3 3 3 1 1",)]

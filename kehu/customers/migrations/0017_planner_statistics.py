"""Statistics for PostgreSQL's planner on the customer table's two computed conditions.

A team's scope is ``owner_id + 0 IN (…)`` and the source filter ``UPPER(source) = …``; without
statistics the planner guesses each at half a percent, believes a filter on both matches a few
dozen customers, and sorts the whole table for them (240 ms at a million customers) instead of
walking the name index to the first fifty (4 ms). PostgreSQL 14 and later keep statistics on
expressions; older servers and SQLite are left as they are.
"""

from django.db import migrations

STATISTICS = {
    "customers_customer_owner_plus_zero": "(owner_id + 0)",
    "customers_customer_upper_source": "(UPPER(source::text))",
}


def create(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql" or connection.pg_version < 140000:
        return
    for name, expression in STATISTICS.items():
        schema_editor.execute(
            f"CREATE STATISTICS IF NOT EXISTS {name} ON {expression} FROM customers_customer"
        )
    schema_editor.execute("ANALYZE customers_customer")


def drop(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql" or connection.pg_version < 140000:
        return
    for name in STATISTICS:
        schema_editor.execute(f"DROP STATISTICS IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("customers", "0016_follow_up_from")]

    operations = [migrations.RunPython(create, drop)]

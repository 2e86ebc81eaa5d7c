"""Duplicate-check columns get one plain index each, and the history tables none on columns
nobody searches history by.

A field's ``db_index`` made two indexes on PostgreSQL (the second for ``LIKE 'x%'``, unused)
and the history tables copied them all: every imported row paid for about a dozen index
entries that no query reads. The indexes are dropped and made by name, without rebuilding the
tables (SQLite would otherwise copy each table once per altered field).
"""

from typing import Any

from django.conf import settings
from django.db import migrations, models

# (table, column) whose single-column indexes go, then the indexes made in their place.
OLD = [
    ("customers_contact", "email"),
    ("customers_contact", "mobile"),
    ("customers_contact", "mobile2"),
    ("customers_customer", "name_key"),
    ("customers_customer", "core_key"),
    ("customers_customer", "uscc"),
    ("customers_historicalcontact", "created_at"),
    ("customers_historicalcontact", "email"),
    ("customers_historicalcontact", "mobile"),
    ("customers_historicalcontact", "mobile2"),
    ("customers_historicalcustomer", "created_at"),
    ("customers_historicalcustomer", "name_key"),
    ("customers_historicalcustomer", "core_key"),
    ("customers_historicalcustomer", "uscc"),
]
NEW = [
    ("contact_email", "customers_contact", "email"),
    ("contact_mobile", "customers_contact", "mobile"),
    ("contact_mobile2", "customers_contact", "mobile2"),
    ("cust_name_key", "customers_customer", "name_key"),
    ("cust_core_key", "customers_customer", "core_key"),
    ("cust_uscc", "customers_customer", "uscc"),
]


def swap_indexes(apps: Any, schema_editor: Any) -> None:
    connection = schema_editor.connection
    quote = connection.ops.quote_name
    keep = {name for name, _table, _column in NEW}
    with connection.cursor() as cursor:
        for table, column in OLD:
            found = connection.introspection.get_constraints(cursor, table)
            for name, info in found.items():
                if (
                    info.get("index")
                    and not info.get("unique")
                    and not info.get("primary_key")
                    and info.get("columns") == [column]
                    and name not in keep
                ):
                    schema_editor.execute(f"DROP INDEX {quote(name)}")
    for name, table, column in NEW:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {quote(name)} ON {quote(table)} ({quote(column)})"
        )


def drop_new_indexes(apps: Any, schema_editor: Any) -> None:
    quote = schema_editor.connection.ops.quote_name
    for name, _table, _column in NEW:
        schema_editor.execute(f"DROP INDEX IF EXISTS {quote(name)}")


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0013_contact_email_lower"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="contact",
                    name="email",
                    field=models.EmailField(blank=True, max_length=254, verbose_name="e-mail"),
                ),
                migrations.AlterField(
                    model_name="contact",
                    name="mobile",
                    field=models.CharField(blank=True, max_length=32, verbose_name="mobile"),
                ),
                migrations.AlterField(
                    model_name="contact",
                    name="mobile2",
                    field=models.CharField(blank=True, max_length=32, verbose_name="second mobile"),
                ),
                migrations.AlterField(
                    model_name="customer",
                    name="core_key",
                    field=models.CharField(default="", editable=False, max_length=200),
                ),
                migrations.AlterField(
                    model_name="customer",
                    name="name_key",
                    field=models.CharField(default="", editable=False, max_length=200),
                ),
                migrations.AlterField(
                    model_name="customer",
                    name="uscc",
                    field=models.CharField(
                        blank=True, max_length=18, verbose_name="Unified Social Credit Code"
                    ),
                ),
                migrations.AlterField(
                    model_name="historicalcontact",
                    name="created_at",
                    field=models.DateTimeField(
                        blank=True, editable=False, verbose_name="created at"
                    ),
                ),
                migrations.AlterField(
                    model_name="historicalcontact",
                    name="email",
                    field=models.EmailField(blank=True, max_length=254, verbose_name="e-mail"),
                ),
                migrations.AlterField(
                    model_name="historicalcontact",
                    name="mobile",
                    field=models.CharField(blank=True, max_length=32, verbose_name="mobile"),
                ),
                migrations.AlterField(
                    model_name="historicalcontact",
                    name="mobile2",
                    field=models.CharField(blank=True, max_length=32, verbose_name="second mobile"),
                ),
                migrations.AlterField(
                    model_name="historicalcustomer",
                    name="core_key",
                    field=models.CharField(default="", editable=False, max_length=200),
                ),
                migrations.AlterField(
                    model_name="historicalcustomer",
                    name="created_at",
                    field=models.DateTimeField(
                        blank=True, editable=False, verbose_name="created at"
                    ),
                ),
                migrations.AlterField(
                    model_name="historicalcustomer",
                    name="name_key",
                    field=models.CharField(default="", editable=False, max_length=200),
                ),
                migrations.AlterField(
                    model_name="historicalcustomer",
                    name="uscc",
                    field=models.CharField(
                        blank=True, max_length=18, verbose_name="Unified Social Credit Code"
                    ),
                ),
                migrations.AddIndex(
                    model_name="contact",
                    index=models.Index(fields=["email"], name="contact_email"),
                ),
                migrations.AddIndex(
                    model_name="contact",
                    index=models.Index(fields=["mobile"], name="contact_mobile"),
                ),
                migrations.AddIndex(
                    model_name="contact",
                    index=models.Index(fields=["mobile2"], name="contact_mobile2"),
                ),
                migrations.AddIndex(
                    model_name="customer",
                    index=models.Index(fields=["name_key"], name="cust_name_key"),
                ),
                migrations.AddIndex(
                    model_name="customer",
                    index=models.Index(fields=["core_key"], name="cust_core_key"),
                ),
                migrations.AddIndex(
                    model_name="customer",
                    index=models.Index(fields=["uscc"], name="cust_uscc"),
                ),
            ],
            database_operations=[migrations.RunPython(swap_indexes, drop_new_indexes)],
        ),
    ]

"""A rep's customers in one city have their own index; the owner's single-column index goes,
since (owner, name, id) serves every look-up by owner."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

# The owner foreign key's own index, as Django named it on both databases. Dropped by name:
# changing the field's db_index would make SQLite copy the whole table.
OWNER_INDEX = "customers_customer_owner_id_fbb2798e"


def refresh_statistics(apps, schema_editor):
    """On SQLite, statistics for the new index where the table has them already: an index
    missing from them looks to the planner like a key matching ten rows, and it walked a rep's
    whole city index for every page (60 ms instead of 25 at a million customers; a search,
    a second). PostgreSQL keeps statistics per column, which a new index does not change."""
    connection = schema_editor.connection
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_stat1'")
        if cursor.fetchone() is None:
            return
        cursor.execute("SELECT 1 FROM sqlite_stat1 WHERE tbl = 'customers_customer' LIMIT 1")
        if cursor.fetchone() is not None:
            cursor.execute("ANALYZE customers_customer")


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0018_name_index_with_owner"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="customer",
                    name="owner",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="owned_customers",
                        to=settings.AUTH_USER_MODEL,
                        verbose_name="customer manager",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    f"DROP INDEX IF EXISTS {OWNER_INDEX}",
                    f"CREATE INDEX {OWNER_INDEX} ON customers_customer (owner_id)",
                ),
            ],
        ),
        migrations.AddIndex(
            model_name="customer",
            index=models.Index(fields=["owner", "city", "name", "id"], name="cust_owner_city_name"),
        ),
        migrations.RunPython(refresh_statistics, migrations.RunPython.noop),
    ]

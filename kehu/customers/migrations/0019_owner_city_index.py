"""A rep's customers in one city have their own index; the owner's single-column index goes,
since (owner, name, id) serves every look-up by owner."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

# The owner foreign key's own index, as Django named it on both databases. Dropped by name:
# changing the field's db_index would make SQLite copy the whole table.
OWNER_INDEX = "customers_customer_owner_id_fbb2798e"


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
    ]

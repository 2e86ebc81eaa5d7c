"""The stored "credit code not valid" flag, computed for the codes already on file.

The column is added in place (SQLite would otherwise copy the customer table whole) with a
database default, then set for the customers that have a code, a chunk at a time."""

from typing import Any

from django.conf import settings
from django.db import migrations, models

FIELD = models.BooleanField(
    db_default=False, default=False, editable=False, verbose_name="credit code not valid"
)


def add_columns(apps: Any, schema_editor: Any) -> None:
    quote = schema_editor.connection.ops.quote_name
    for table in ("customers_customer", "customers_historicalcustomer"):
        schema_editor.execute(
            f"ALTER TABLE {quote(table)} ADD COLUMN {quote('uscc_invalid')} "
            "boolean DEFAULT false NOT NULL"
        )


def drop_columns(apps: Any, schema_editor: Any) -> None:
    quote = schema_editor.connection.ops.quote_name
    for table in ("customers_customer", "customers_historicalcustomer"):
        schema_editor.execute(f"ALTER TABLE {quote(table)} DROP COLUMN {quote('uscc_invalid')}")


def flag_codes(apps: Any, schema_editor: Any) -> None:
    from kehu.customers.validators import uscc_flagged

    Customer = apps.get_model("customers", "Customer")
    codes = Customer.objects.exclude(uscc="").order_by("pk").values_list("pk", "uscc")
    bad = [pk for pk, code in codes.iterator(chunk_size=2000) if uscc_flagged(code)]
    for start in range(0, len(bad), 500):
        Customer.objects.filter(pk__in=bad[start : start + 500]).update(uscc_invalid=True)


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0014_plain_indexes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AddField(model_name="customer", name="uscc_invalid", field=FIELD),
                migrations.AddField(
                    model_name="historicalcustomer", name="uscc_invalid", field=FIELD
                ),
            ],
            database_operations=[migrations.RunPython(add_columns, drop_columns)],
        ),
        migrations.RunPython(flag_codes, migrations.RunPython.noop),
        migrations.AddIndex(
            model_name="customer",
            index=models.Index(
                condition=models.Q(("uscc_invalid", True)),
                fields=["name", "id"],
                name="cust_bad_uscc_name",
            ),
        ),
        migrations.AddIndex(
            model_name="customer",
            index=models.Index(
                condition=models.Q(("uscc_invalid", True)),
                fields=["owner", "name", "id"],
                name="cust_bad_uscc_owner_name",
            ),
        ),
    ]

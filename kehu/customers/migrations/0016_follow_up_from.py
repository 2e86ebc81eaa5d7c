"""The interaction a customer's follow-up was planned at, linked instead of inferred."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0015_uscc_invalid"),
    ]

    operations = [
        migrations.AddField(
            model_name="customer",
            name="follow_up_from",
            field=models.ForeignKey(
                blank=True,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="customers.interaction",
                verbose_name="follow-up planned at",
            ),
        ),
        migrations.AddField(
            model_name="historicalcustomer",
            name="follow_up_from",
            field=models.ForeignKey(
                blank=True,
                db_constraint=False,
                db_index=False,
                editable=False,
                null=True,
                on_delete=django.db.models.deletion.DO_NOTHING,
                related_name="+",
                to="customers.interaction",
                verbose_name="follow-up planned at",
            ),
        ),
        migrations.RunSQL(
            # A follow-up whose plan is the next step of one of the customer's interactions
            # was set by logging it (the newest such interaction).
            """
            UPDATE customers_customer SET follow_up_from_id = (
                SELECT MAX(i.id) FROM customers_interaction i
                WHERE i.customer_id = customers_customer.id
                AND i.next_step = customers_customer.follow_up_plan
            )
            WHERE next_follow_up_at IS NOT NULL AND follow_up_plan <> ''
            """,
            migrations.RunSQL.noop,
        ),
    ]
